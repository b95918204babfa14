/**
 * Check 4: the patched server itself. The tree must pass `patch --check`; the server must start over
 * MCP stdio; every tool it lists must take account_id; and one read-only tool call per account must
 * answer from that account (compared with what check 3 listed there with the role's own credentials).
 */
import path from "node:path";
import type { StackSummary } from "../aws/readonly.js";
import { parseArn } from "../aws/trust.js";
import { describeError, skipped, timed, type CheckResult } from "./checks.js";
import { getProfile } from "../../codemods/index.js";
import type { CheckResult as PatchVerdict, LocatedServer } from "../codemod/index.js";
import { lastLines, startMcpServer, type McpSession, type McpTool } from "./mcp.js";
import { choosePython } from "./python.js";
import type { RoleSettings, ServerSpec } from "./plan.js";

export interface AccountFacts {
  accountId: string;
  region: string;
  /** From check 3; undefined when that check failed. */
  clusters: string[] | undefined;
  stacks: StackSummary[] | undefined;
}

export interface ServerCheckInput {
  spec: ServerSpec;
  python: string | undefined;
  /** --profile: the server gets AWS_PROFILE instead of the environment's keys. */
  profile?: string | undefined;
  role: RoleSettings;
  /** The region the server's calls go to (the first of --regions). */
  region: string;
  accounts: AccountFacts[];
  baseEnv: NodeJS.ProcessEnv;
  timeoutMs: number;
}

/** Progress callbacks: a check is about to run, a check is done. */
export interface CheckHooks {
  start: (name: string) => void;
  done: (result: CheckResult) => void;
}

export async function runServerChecks(input: ServerCheckInput, hooks: CheckHooks): Promise<CheckResult[]> {
  const { spec } = input;
  const profile = getProfile(spec.kind);
  // Loaded here, not at start-up: a test without --server never loads the engine.
  const engine = await import("../codemod/index.js");
  const results: CheckResult[] = [];
  const emit = hooks.start;
  const record = (result: CheckResult): void => {
    results.push(result);
    hooks.done(result);
  };
  const fixPatch = `run \`xaccount patch ${spec.kind} ${spec.path}\` (with --diff first to review)`;

  const patchName = `${spec.kind} server at ${spec.path} is fully patched`;
  emit(patchName);
  // Kept whether or not the check passes: the server is started even when unpatched.
  const found: { located?: LocatedServer; verdict?: PatchVerdict } = {};
  const patch = await timed(
    patchName,
    async () => {
      const located = (found.located = engine.locateServer(profile, spec.path));
      const verdict = (found.verdict = engine.checkPlan(await engine.planPatch(profile, located, { verify: false })));
      const counts = countBy(verdict.tools.map((t) => t.status));
      const summary = `${counts.patched ?? 0} patched, ${counts.unpatched ?? 0} unpatched, ${counts.skipped ?? 0} skipped tool(s) in ${verdict.packageDir}`;
      // The engine's `patched` means "no problem found": an unpatched tree always has one to show.
      if (!verdict.patched) {
        const problems = verdict.problems.slice(0, 5).join("; ");
        return { ok: false, detail: `not fully patched: ${summary}; ${problems}`, fix: fixPatch };
      }
      return { ok: true, detail: summary };
    },
    (err) => `check the path: ${describeError(err)}; --server takes a checkout, the server folder, the package folder or a virtualenv`,
  );
  record(patch.result);
  // Start the server even when unpatched: the next checks then say what a client would see.
  const { located, verdict } = found;
  const excused = excusedTools((verdict?.tools ?? []).filter((t) => t.status === "skipped").map((t) => t.name));

  const startName = `server starts over MCP stdio (python -m ${profile.entryModule})`;
  if (!located) {
    record(skipped(startName, "the server's package was not found"));
    return results;
  }
  const choice = choosePython({
    explicit: input.python,
    venvPython: located.venvPython,
    packageDir: located.packageDir,
    startDir: located.serverRoot ?? located.importRoot,
  });
  emit(startName);
  let session: McpSession | undefined;
  const started = await timed<McpSession>(
    startName,
    async () => {
      session = await startMcpServer({
        python: choice.python,
        module: profile.entryModule,
        cwd: located.importRoot,
        env: serverEnv(input.baseEnv, located.importRoot, input.role, input.region, input.profile),
        timeoutMs: input.timeoutMs,
      });
      return { ok: true, detail: `${session.tools.length} tool(s), python ${choice.python} (${choice.reason})`, value: session };
    },
    (err) =>
      `make the server start by hand: cd ${located.importRoot} && ${choice.python} -m ${profile.entryModule}` +
      (input.python ? "" : `; pass --python <the server's virtualenv python> if ${choice.python} lacks its dependencies`) +
      (/ModuleNotFoundError|No module named/.test(describeError(err)) ? " (a module is missing: install the server into that Python)" : ""),
  );
  record(started.result);
  const schemaName = "every tool's input schema has account_id";
  if (!started.value) {
    record(skipped(schemaName, "the server did not start"));
    for (const a of input.accounts) {
      const n = callName(profile.name, a.accountId);
      record(skipped(n, "the server did not start"));
    }
    return results;
  }
  const server = started.value;
  try {
    emit(schemaName);
    const schema = await timed(
      schemaName,
      async () => {
        const missing = server.tools.filter((t) => !hasAccountId(t) && !excused(t.name)).map((t) => t.name);
        if (server.tools.length === 0) return { ok: false, detail: "the server lists no tools", fix: fixPatch };
        if (missing.length > 0) {
          return { ok: false, detail: `${missing.length} of ${server.tools.length} tool(s) lack account_id: ${missing.join(", ")}`, fix: fixPatch };
        }
        const excusedListed = server.tools.filter((t) => !hasAccountId(t) && excused(t.name)).length;
        return { ok: true, detail: `${server.tools.length} tool(s)${excusedListed ? ` (${excusedListed} proxied from a remote server, exempt)` : ""}` };
      },
      () => fixPatch,
    );
    record(schema.result);

    for (const facts of input.accounts) {
      const n = callName(profile.name, facts.accountId);
      emit(n);
      const others = input.accounts.filter((a) => a.accountId !== facts.accountId);
      const check = profile.name === "iac" ? () => callIac(server, facts, others) : () => callEcs(server, facts);
      const r = await timed(n, check, (err) => `the tool call failed: ${describeError(err)}; see the server's stderr:\n${lastLines(server.stderrTail(), 8)}`);
      record(r.result);
    }
  } finally {
    await server.close();
  }
  return results;
}

export function callName(profile: string, accountId: string): string {
  const tool = profile === "iac" ? "troubleshoot_cloudformation_deployment" : "ecs_resource_management";
  return `${tool} answers from ${accountId}`;
}

/** The server's environment: the caller's (AWS credentials, endpoint) plus the role settings checked above. */
export function serverEnv(base: NodeJS.ProcessEnv, importRoot: string, role: RoleSettings, region: string, profile?: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  if (profile !== undefined) {
    // botocore prefers keys in the environment over AWS_PROFILE: drop them so the server is who --profile says.
    for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"]) delete env[k];
    env.AWS_PROFILE = profile;
  }
  env.PYTHONPATH = base.PYTHONPATH ? `${importRoot}${path.delimiter}${base.PYTHONPATH}` : importRoot;
  env.XACCOUNT_ROLE_NAME = role.roleName;
  env.XACCOUNT_SESSION_NAME = role.sessionName;
  env.XACCOUNT_DURATION_SECONDS = String(role.durationSeconds);
  if (role.externalId !== undefined) env.XACCOUNT_EXTERNAL_ID = role.externalId;
  else delete env.XACCOUNT_EXTERNAL_ID;
  if (!env.AWS_REGION) env.AWS_REGION = region;
  // Python must not buffer the JSON-RPC stream, and tool logs belong on stderr.
  env.PYTHONUNBUFFERED = "1";
  return env;
}

/**
 * Tools `patch` skipped on purpose (proxied from a remote MCP server, no Python body here) may lack
 * account_id. The engine names them exactly or with a `*` pattern (e.g. `aws_knowledge_*` for a
 * mounted server whose tool names are only known at run time).
 */
export function excusedTools(names: string[]): (tool: string) => boolean {
  const patterns = names.map((n) => new RegExp(`^${n.split("*").map(escapeRegExp).join(".*")}$`));
  return (tool) => patterns.some((p) => p.test(tool));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function hasAccountId(tool: McpTool): boolean {
  return Boolean(tool.inputSchema.properties && "account_id" in tool.inputSchema.properties);
}

function toolByName(server: McpSession, name: string): McpTool {
  const tool = server.tools.find((t) => t.name === name);
  if (!tool) throw new Error(`the server does not list the tool ${name}`);
  return tool;
}

async function callEcs(server: McpSession, facts: AccountFacts) {
  const tool = toolByName(server, "ecs_resource_management");
  const props = tool.inputSchema.properties ?? {};
  // 0.1.x before the generic API tool took (action, resource_type); later versions take api_operation.
  const args: Record<string, unknown> =
    "api_operation" in props ? { api_operation: "ListClusters", api_params: {} } : { action: "list", resource_type: "cluster" };
  args.account_id = facts.accountId;
  if ("region" in props) args.region = facts.region;
  const result = await server.call(tool.name, args);
  const body = parseBody(result.text, result.structured);
  const error = toolError(result.isError, body, result.text);
  if (error) return { ok: false, detail: `the tool returned an error: ${error}`, fix: runtimeFix(error) };
  const arns = [...new Set(findClusterArns(body))].sort();
  const wrong = arns.filter((a) => parseArn(a)?.account !== facts.accountId);
  if (wrong.length > 0) {
    return {
      ok: false,
      detail: `answered from another account: ${wrong.join(", ")}`,
      fix: "the tool ignored account_id: patch the server (`xaccount patch`) and restart it; check the vendored runtime is current (`xaccount patch --check`)",
    };
  }
  if (facts.clusters !== undefined) {
    const expected = [...new Set(facts.clusters)].sort();
    if (expected.join("\n") !== arns.join("\n")) {
      return {
        ok: false,
        detail: `listed ${arns.length} cluster(s) [${arns.map(short).join(", ")}], but the role sees ${expected.length} [${expected.map(short).join(", ")}] in ${facts.accountId} ${facts.region}`,
        fix: "the tool's call did not run in this account: patch the server (`xaccount patch`) and check XACCOUNT_* in the MCP client's config match these flags",
      };
    }
  }
  if (arns.length === 0) {
    // Nothing to tell accounts apart by: an unpatched tool would answer the same from an empty account.
    return {
      ok: false,
      skip: true,
      detail: `the tool listed 0 clusters, as the role sees in ${facts.accountId} ${facts.region}: nothing tells which account answered`,
      fix: `create a cluster in ${facts.accountId} ${facts.region} (e.g. \`aws ecs create-cluster --cluster-name xaccount-probe\`) and run again`,
    };
  }
  return { ok: true, detail: `${arns.length} cluster(s) from ${facts.accountId}: ${arns.map(short).join(", ")}` };
}

export async function callIac(server: McpSession, facts: AccountFacts, others: AccountFacts[]) {
  const tool = toolByName(server, "troubleshoot_cloudformation_deployment");
  // A stack only this account has proves the call ran here: the tool reads it with DescribeStacks.
  const elsewhere = new Set(others.flatMap((o) => (o.stacks ?? []).map((s) => s.name)));
  const stacks = facts.stacks ?? [];
  const stack = stacks.find((s) => !elsewhere.has(s.name)) ?? stacks[0];
  if (!stack) {
    return {
      ok: false,
      skip: true,
      detail: `no stack in ${facts.accountId} ${facts.region} to troubleshoot, so the tool was not called`,
      fix: `create a CloudFormation stack in ${facts.accountId} ${facts.region} and run again`,
    };
  }
  const result = await server.call(tool.name, { stack_name: stack.name, region: facts.region, include_cloudtrail: false, account_id: facts.accountId });
  const body = parseBody(result.text, result.structured) as { status?: unknown; error?: unknown } | undefined;
  if (result.isError) return { ok: false, detail: `the tool returned an error: ${result.text}`, fix: runtimeFix(result.text) };
  const error = typeof body?.error === "string" ? body.error : "";
  if (body?.status === "success") return { ok: true, detail: `read stack ${stack.name} in ${facts.accountId}` };
  if (/not found or inaccessible|does not exist/i.test(error)) {
    return { ok: false, detail: `stack ${stack.name} of ${facts.accountId} was not found by the tool: ${error}`, fix: "the tool's call did not run in this account: patch the server (`xaccount patch`) and restart it" };
  }
  if (/xaccount error|AccessDenied/i.test(error)) return { ok: false, detail: error, fix: runtimeFix(error) };
  // DescribeStacks found the stack; a later step (e.g. an API the emulator lacks) failing is not ours to judge.
  return { ok: true, detail: `found stack ${stack.name} in ${facts.accountId}${error ? ` (its later analysis failed: ${error.split("\n")[0]!.slice(0, 100)})` : ""}` };
}

/**
 * A tool's answer as data. The servers return JSON, sometimes wrapped in text (the IaC server puts it
 * inside <tool_response> tags with a warning for the model), so fall back to the outermost {...}.
 */
export function parseBody(text: string, structured: unknown): unknown {
  for (const candidate of [text, text.slice(text.indexOf("{"), text.lastIndexOf("}") + 1)]) {
    try {
      return JSON.parse(candidate) as unknown;
    } catch {
      // not JSON: try the next form
    }
  }
  return structured;
}

function toolError(isError: boolean, body: unknown, text: string): string | undefined {
  if (isError) return text || "(no message)";
  if (body && typeof body === "object" && (body as { status?: unknown }).status === "error") {
    return String((body as { error?: unknown }).error ?? text);
  }
  return undefined;
}

/** Every ECS cluster ARN anywhere in a tool's answer (the shape differs between server versions). */
export function findClusterArns(value: unknown): string[] {
  if (typeof value === "string") return /^arn:[\w-]+:ecs:[\w-]*:\d{12}:cluster\//.test(value) ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(findClusterArns);
  if (value && typeof value === "object") return Object.values(value).flatMap(findClusterArns);
  return [];
}

function runtimeFix(error: string): string {
  if (/AccessDenied/.test(error)) return "the server's AssumeRole was refused: see the fix of the assume check above (trust policy, external id)";
  if (/xaccount error\[([\w-]+)\]/.test(error)) return `see TROUBLESHOOTING.md, section ${/xaccount error\[([\w-]+)\]/.exec(error)?.[1]}`;
  return "read the error above; run the server by hand with the same environment to see its logs";
}

function short(arn: string): string {
  return arn.slice(arn.lastIndexOf("/") + 1);
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
