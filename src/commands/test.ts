/** `xaccount test`: options -> plan -> checks -> rendering. */
import { InvalidArgumentError, type Command } from "commander";
import { failure, usageError } from "../errors.js";
import { listOrgAccounts } from "../aws/organizations.js";
import { DEFAULT_CONCURRENCY, parseConcurrency } from "../concurrency.js";
import { orgScope } from "./accounts.js";
import type { Io } from "../output.js";
import { buildPlan, type SmokeOptions } from "../smoke/plan.js";
import { formatSummary, progressHooks, toJson } from "../smoke/report.js";
import { runSmokeTest } from "../smoke/run.js";

interface TestOptions extends SmokeOptions {
  json?: boolean;
  timeout: number;
  org?: boolean;
  ou?: string;
}

function parseSeconds(text: string): number {
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 3600)) throw new InvalidArgumentError("expected whole seconds from 1 to 3600");
  return n;
}

const EXAMPLES = `
Examples:
  $ xaccount test
      identity, and AssumeRole into McpReadOnlyRole in your own account
  $ xaccount test --accounts 111111111111,222222222222 --regions us-east-1,eu-west-1
  $ xaccount test --server ecs:./mcp/src/ecs-mcp-server --accounts 111111111111,222222222222
      also start the patched ECS server over MCP stdio and call it in each account
  $ xaccount test --server iac:.venv --python .venv/bin/python --json
  $ xaccount test --ou ou-ab12-cdef3456 --concurrency 32
      every ACTIVE account under the OU (listed as the management account: --profile), 32 at a time
  $ xaccount test --profile mcp-host --accounts 111111111111
      as the MCP host's profile (the server started by --server gets AWS_PROFILE too)

The role name, external id, session name and duration are those the patched server uses:
XACCOUNT_ROLE_NAME (default McpReadOnlyRole), XACCOUNT_EXTERNAL_ID, XACCOUNT_SESSION_NAME,
XACCOUNT_DURATION_SECONDS (default 3600); --role-name and --external-id override them here and
are passed to the server started by --server.

A check that proved nothing (no cluster or stack to tell the accounts apart) is SKIP, counted apart;
it does not fail the run. Exit status: 0 no check failed, 1 a check failed, 2 bad input (nothing was called).`;

export function registerTest(program: Command, io: Io): void {
  program
    .command("test")
    .description("Smoke-test the chain: source identity, AssumeRole per account, read-only calls, and the patched server over MCP")
    .option("--accounts <ids>", "comma-separated 12-digit account ids or name=id entries (default: the caller's account)")
    .option("--org", "every ACTIVE account of the organization (as `xaccount accounts --org` lists them)")
    .option("--ou <ou-id>", "the ACTIVE accounts under this OU, through its child OUs")
    .option("--concurrency <n>", "accounts worked on at once; the output keeps the order given", parseConcurrency, DEFAULT_CONCURRENCY)
    .option("--regions <regions>", "comma-separated regions for the read-only calls (default: the configured region)")
    .option("--server <kind:path>", "also test a patched server: ecs:<path> or iac:<path>")
    .option("--python <path>", "Python to run the server with (default: the server's own virtualenv, else python3)")
    .option("--profile <name>", "AWS profile with the MCP host's credentials (default: the SDK's default chain)")
    .option("--role-name <name>", "role to assume (default: XACCOUNT_ROLE_NAME or McpReadOnlyRole)")
    .option("--external-id <id>", "external id for AssumeRole (default: XACCOUNT_EXTERNAL_ID)")
    .option("--timeout <seconds>", "how long to wait for the server to start and for each answer", parseSeconds, 60)
    .option("--json", "print one JSON document on stdout")
    .addHelpText("after", EXAMPLES)
    .action(async (options: TestOptions) => {
      await runTestCommand(options, io);
    });
}

export async function runTestCommand(options: TestOptions, io: Io): Promise<void> {
  const fromOrg = options.org || options.ou !== undefined;
  if (fromOrg && options.accounts !== undefined) {
    throw usageError("options-conflict", "--accounts and --org/--ou both name the accounts to check", "pass one of them");
  }
  const scope = fromOrg ? orgScope(options) : undefined;
  const plan = buildPlan(options, process.env, process.cwd());
  if (scope) {
    // Listed as the MCP host's credentials (--profile): run as the management or a delegated administrator account.
    const listed = await listOrgAccounts({ profile: plan.profile }, scope);
    if (listed.length === 0) {
      throw failure("org-no-accounts", `${scope.kind === "ou" ? `OU ${scope.id}` : "the organization"} has no ACTIVE account to check`, "check the OU id with `xaccount accounts --ou <id>`");
    }
    plan.accounts = listed.map((a) => a.id);
  }
  const progress = progressHooks(io, Boolean(options.json), (s) => process.stderr.write(s));
  let report;
  try {
    report = await runSmokeTest(
      plan,
      { env: process.env, serverTimeoutMs: options.timeout * 1000 },
      progress,
    );
  } finally {
    progress.stop();
  }
  if (options.json) io.out(toJson(report));
  else io.out(formatSummary(report, io));
  if (!report.ok) {
    const failed = report.checks.filter((c) => !c.ok && !c.skipped).map((c) => c.name);
    // Checks skipped because one they depend on failed add nothing to this line.
    throw failure("smoke-test-failed", `${failed.length} check(s) failed: ${failed.join("; ")}`, "each failed check above says how to fix it");
  }
}
