/**
 * `xaccount create-role`: options -> validated request -> one provisioning run per account -> rendering.
 * Every input is checked before the first AWS call (exit 2); the AWS SDK is loaded only when a run needs it.
 */
import type { Command } from "commander";
import { usageError } from "../errors.js";
import { DEFAULT_CONCURRENCY, mapBounded, parseConcurrency } from "../concurrency.js";
import type { Io } from "../output.js";
import { roleTemplate } from "../aws/cloudformation.js";
import { iamClient, type AwsTarget } from "../aws/clients.js";
import { existsSync } from "node:fs";
import path from "node:path";
import { isBuiltInSet, policyName, SERVER_SETS, SMOKE_TEST_ACTIONS, type ServerSet } from "../aws/policies.js";
import { deriveFromServer, type Derivation } from "../aws/derive/index.js";
import { RELEASES } from "../aws/derive/releases.js";
import {
  desiredRole, needsCaller, provisionAccount, type AccountResult, type RoleRequest,
} from "../aws/provision.js";
import { DEFAULT_ROLE_NAME, callerIdentity } from "../aws/sts.js";
import { DEFAULT_WAIT } from "../aws/stackset-wait.js";
import { resolveTrustPrincipal } from "../aws/trust.js";
import * as validate from "../aws/validate.js";
import { ouId } from "../aws/organizations.js";
import {
  DEFAULT_FAILURE_TOLERANCE, DEFAULT_MAX_CONCURRENCY, defaultStackSetName, parseAmount, stackSetName,
  type CallAs, type StackSetRequest,
} from "../aws/stackset-plan.js";

interface RawOptions {
  trustPrincipal?: string[];
  trustAccount?: string[];
  externalId?: string;
  replaceTrust?: boolean;
  maxSessionDuration: string;
  server: string;
  roleName: string;
  tags?: string;
  profile?: string;
  region?: string;
  dryRun?: boolean;
  delete?: boolean;
  json?: boolean;
  format?: string;
  explain?: boolean;
  concurrency?: number;
  stackset?: boolean;
  ou?: string[];
  org?: boolean;
  regions?: string;
  stacksetName?: string;
  callAs?: string;
  failureTolerance?: string;
  maxConcurrency?: string;
  waitTimeout?: string;
}

/** `--stackset`: the stack set asked for; `regions` empty means the caller's region. */
export interface StackSetOptions {
  request: StackSetRequest;
  org: boolean;
  waitTimeoutMs: number;
}

export interface CreateRoleOptions {
  request: RoleRequest;
  profiles: Array<string | undefined>;
  region?: string | undefined;
  dryRun: boolean;
  delete: boolean;
  json: boolean;
  format?: "cloudformation" | undefined;
  /** `--server ecs:<path>`: derive that set's actions from the installed server. */
  serverPaths: Partial<Record<ServerSet, string>>;
  explain: boolean;
  /** --concurrency: accounts (profiles) worked on at once. */
  concurrency: number;
  stackset?: StackSetOptions | undefined;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

const EXAMPLES = `
Examples:
  # Trust the current caller (an assumed-role session is trusted as its role), both server sets
  $ xaccount create-role
  # Let a central account's MCP server host reach this account, with an external id
  $ xaccount create-role --trust-account 111122223333 --external-id mcp-prod
  # Several accounts, one profile each, up to 16 at once (--concurrency); exit 1 if any failed
  $ xaccount create-role --profile dev,staging,prod --trust-principal arn:aws:iam::111122223333:role/McpHost
  # See the documents, change nothing
  $ xaccount create-role --dry-run --trust-account 111122223333
  # A CloudFormation template for a StackSet across an organisation
  $ xaccount create-role --format cloudformation --trust-account 111122223333 > role.json
  # The role in every account of two OUs (and in accounts that join them later), as a service-managed StackSet
  $ xaccount create-role --stackset --ou ou-ab12-cdef3456 --ou ou-ab12-99990000 --trust-account 111122223333
  # Every account of the organization, two regions' copies, a delegated administrator calling
  $ xaccount create-role --stackset --org --regions us-east-1,eu-west-1 --call-as DELEGATED_ADMIN --trust-account 111122223333
  # Remove the stack set's instances (the roles), then the stack set
  $ xaccount create-role --stackset --delete
  # Remove the role and its policies
  $ xaccount create-role --delete --profile dev
  # The actions the installed ECS server reads, each with the file and line it came from
  $ xaccount create-role --server ecs:./.venv --explain

Rerunning converges the role (trust and policies) and says "up to date" when nothing changed; each
change is printed before it is made. A rerun keeps an existing sts:ExternalId condition (when no
--external-id is given) and a larger MaxSessionDuration, unless --replace-trust.
The role gets inline policies ${SERVER_SETS.map(policyName).join(", ")}: explicit read-only actions,
nothing in iam or sts, derived from the server's code (--server ecs:<path>) or from the newest release
xaccount is tested with (--server ecs: ECS ${RELEASES.ecs.version}, IaC ${RELEASES.iac.version}).
--dry-run makes no call that writes; it reads the account (to show the plan) when the trust needs the
caller or --profile is given, and otherwise makes no AWS call at all.`;

export function registerCreateRole(program: Command, io: Io): void {
  program
    .command("create-role")
    .description("Create or update the read-only IAM role the patched MCP servers assume (idempotent)")
    .option("--trust-principal <arn>", "IAM user or role ARN allowed to assume the role (repeatable; default: the caller)", collect)
    .option("--trust-account <id>", "account allowed to assume the role, e.g. the central one (repeatable)", collect)
    .option("--external-id <id>", "require this sts:ExternalId when assuming the role")
    .option("--replace-trust", "let a rerun drop the role's sts:ExternalId condition or lower its MaxSessionDuration")
    .option("--max-session-duration <seconds>", "role's maximum session duration, 3600..43200", "3600")
    .option("--server <sets>", `permission sets: ${SERVER_SETS.join(",")}; ecs:<path> / iac:<path> derives the set from the server installed there; any other AWS Labs server as <name>:<path> (eks:./.venv)`, SERVER_SETS.join(","))
    .option("--explain", "print each action of the permission sets with the file and line it came from, and what was excluded; no AWS call")
    .option("--role-name <name>", "role name", DEFAULT_ROLE_NAME)
    .option("--tags <k=v,...>", "tags for the role (managed-by=xaccount is always added)")
    .option("--profile <names>", "AWS profile(s), comma-separated: one account each, several at once (--concurrency)")
    .option("--concurrency <n>", "accounts worked on at once with several --profile; output keeps their order", parseConcurrency, DEFAULT_CONCURRENCY)
    .option("--region <region>", "AWS region for the STS and IAM endpoints (IAM is global)")
    .option("--dry-run", "print the trust and permission documents as JSON; write nothing")
    .option("--delete", "delete the role and its policies")
    .option("--json", "machine-readable result on stdout")
    .option("--format <format>", "print the role as a template instead: cloudformation")
    .option("--stackset", "deploy the role (the --format cloudformation template) as a service-managed StackSet to --ou/--org")
    .option("--ou <ou-id>", "with --stackset: an OU (or root) to deploy to, its accounts and child OUs' (repeatable)", collect)
    .option("--org", "with --stackset: every account of the organization (its root)")
    .option("--regions <r1,...>", "with --stackset: regions of the stack instances (IAM is global: one is enough; default the caller's)")
    .option("--stackset-name <name>", "with --stackset: the stack set's name (default xaccount-<role name>)")
    .option("--call-as <who>", "with --stackset: SELF (management account) or DELEGATED_ADMIN", "SELF")
    .option("--failure-tolerance <n|n%>", "with --stackset: accounts per region that may fail before the operation stops", DEFAULT_FAILURE_TOLERANCE)
    .option("--max-concurrency <n|n%>", "with --stackset: accounts per region worked on at once", DEFAULT_MAX_CONCURRENCY)
    .option("--wait-timeout <minutes>", "with --stackset: how long to wait for each stack set operation", "60")
    .addHelpText("after", EXAMPLES)
    .action(async (raw: RawOptions) => {
      process.exitCode = await runCreateRole(parseCreateRoleOptions(raw), io);
    });
}

/** All input checks, before any AWS call. Throws usage errors (exit 2). */
export function parseCreateRoleOptions(options: RawOptions): CreateRoleOptions {
  const raw = { ...options, trustPrincipal: options.trustPrincipal ?? [], trustAccount: options.trustAccount ?? [] };
  const roleName = validate.roleName(raw.roleName);
  const trustAccounts = raw.trustAccount.map((a) => validate.accountId(a));
  for (const p of raw.trustPrincipal) resolveTrustPrincipal(p);
  const externalId = raw.externalId === undefined ? undefined : validate.externalId(raw.externalId);
  const maxSessionDuration = validate.maxSessionDuration(raw.maxSessionDuration);
  const choice = validate.serverChoice(raw.server, existsSync);
  const servers = choice.sets;
  const tags = raw.tags === undefined ? {} : validate.tags(raw.tags);
  const profiles = raw.profile === undefined ? [undefined] : validate.profiles(raw.profile);
  const region = raw.region === undefined ? undefined : validate.region(raw.region);
  if (raw.format !== undefined && raw.format !== "cloudformation") {
    throw usageError("options-conflict", `--format ${JSON.stringify(raw.format)}: the only format is cloudformation`);
  }
  if (raw.format && raw.delete) throw usageError("options-conflict", "--format cloudformation prints a template; it cannot be combined with --delete");
  if (raw.format && profiles.length > 1) {
    throw usageError("options-conflict", "--format cloudformation prints one template (deploy it everywhere with a StackSet); pass at most one --profile");
  }
  if (raw.delete && (raw.trustPrincipal.length || raw.trustAccount.length || raw.externalId || raw.tags)) {
    throw usageError("options-conflict", "--delete removes the role; trust, external id and tags options do not apply");
  }
  const stackset = parseStackSetOptions(raw, roleName, profiles.length);
  return {
    stackset,
    request: {
      roleName,
      trustPrincipals: [...new Set(raw.trustPrincipal)],
      trustAccounts: [...new Set(trustAccounts)],
      externalId,
      maxSessionDuration,
      servers,
      tags,
      replaceTrust: Boolean(raw.replaceTrust),
    },
    profiles,
    region,
    dryRun: Boolean(raw.dryRun),
    delete: Boolean(raw.delete),
    json: Boolean(raw.json),
    format: raw.format === "cloudformation" ? "cloudformation" : undefined,
    serverPaths: choice.paths,
    explain: Boolean(raw.explain),
    concurrency: raw.concurrency ?? DEFAULT_CONCURRENCY,
  };
}

const STACKSET_ONLY = ["ou", "org", "regions", "stacksetName", "failureTolerance", "maxConcurrency"] as const;

/** The --stackset options, checked before any call; undefined without --stackset. */
function parseStackSetOptions(raw: RawOptions, roleName: string, profileCount: number): StackSetOptions | undefined {
  if (!raw.stackset) {
    const stray = STACKSET_ONLY.filter((k) => raw[k] !== undefined && !(k === "failureTolerance" && raw[k] === DEFAULT_FAILURE_TOLERANCE) && !(k === "maxConcurrency" && raw[k] === DEFAULT_MAX_CONCURRENCY));
    if (stray.length || (raw.callAs !== undefined && raw.callAs !== "SELF")) {
      const flag = (stray[0] ?? "callAs").replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      throw usageError("options-conflict", `--${flag} applies only to --stackset`, "add --stackset, or drop the option");
    }
    return undefined;
  }
  if (raw.format) throw usageError("options-conflict", "--stackset deploys the template --format cloudformation prints; pass one of them");
  if (profileCount > 1) throw usageError("options-conflict", "--stackset runs from one account (the management account or a delegated administrator); pass at most one --profile");
  if (raw.org && raw.ou?.length) throw usageError("options-conflict", "--ou and --org both name where the role goes", "pass one of them");
  if (!raw.delete && !raw.org && !raw.ou?.length) {
    throw usageError("stackset-targets-missing", "--stackset needs where to deploy: --ou <ou-id> (repeatable) or --org", "list OUs with `aws organizations list-organizational-units-for-parent`");
  }
  const callAs = raw.callAs ?? "SELF";
  if (callAs !== "SELF" && callAs !== "DELEGATED_ADMIN") {
    throw usageError("options-conflict", `--call-as ${JSON.stringify(callAs)}: SELF or DELEGATED_ADMIN`);
  }
  const regions = raw.regions === undefined ? [] : [...new Set(raw.regions.split(",").map((r) => validate.region(r.trim())))];
  if (raw.regions !== undefined && regions.length === 0) throw usageError("region-invalid", "--regions is empty");
  const minutes = /^[0-9]{1,4}$/.test(raw.waitTimeout ?? "60") ? Number(raw.waitTimeout ?? "60") : NaN;
  if (!(minutes >= 1)) throw usageError("stackset-preference-invalid", `--wait-timeout ${JSON.stringify(raw.waitTimeout)} must be a whole number of minutes (>= 1)`);
  return {
    org: Boolean(raw.org),
    waitTimeoutMs: minutes * 60_000,
    request: {
      name: raw.stacksetName === undefined ? stackSetName(defaultStackSetName(roleName), "the default stack set name") : stackSetName(raw.stacksetName),
      targets: [...new Set((raw.ou ?? []).map((o) => ouId(o)))],
      regions,
      callAs: callAs as CallAs,
      prefs: {
        failureTolerance: parseAmount(raw.failureTolerance ?? DEFAULT_FAILURE_TOLERANCE, "--failure-tolerance", 0),
        maxConcurrency: parseAmount(raw.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY, "--max-concurrency", 1),
      },
    },
  };
}

/** Each set's actions with where they came from: derived now from a path, or the built-in release data. */
export function derivations(opts: Pick<CreateRoleOptions, "request" | "serverPaths">): Map<ServerSet, Derivation> {
  const out = new Map<ServerSet, Derivation>();
  for (const set of opts.request.servers) {
    const where = opts.serverPaths[set];
    // Only ecs and iac can come without a path (validate.serverChoice refuses any other name without one).
    out.set(set, where === undefined && isBuiltInSet(set) ? RELEASES[set] : deriveFromServer(set, path.resolve(where ?? ".")));
  }
  return out;
}

function explainText(all: Map<ServerSet, Derivation>, paths: Partial<Record<ServerSet, string>>): string {
  const lines: string[] = [];
  for (const [set, d] of all) {
    const origin = paths[set] ? `derived from the server installed at ${paths[set]}` : "built in: derived from the newest release xaccount is tested with";
    lines.push(`${policyName(set)}: ${d.actions.length} read actions, ${set} server ${d.version} (${origin})`);
    for (const a of d.actions) {
      lines.push(`  ${a.action}`);
      for (const s of a.sources) lines.push(`      ${s.file}:${s.line}  ${s.via}`);
    }
    if (d.excluded.length) lines.push(`  excluded (${d.excluded.length}):`);
    for (const e of d.excluded) lines.push(`    - ${e.action}  ${e.file}:${e.line}  ${e.via}: ${e.reason}`);
  }
  lines.push(`every set also grants ${Object.values(SMOKE_TEST_ACTIONS).join(" and ")}, the reads \`xaccount test\` makes`);
  return lines.join("\n");
}

export async function runCreateRole(opts: CreateRoleOptions, io: Io): Promise<0 | 1> {
  // Deleting the role needs no permission documents.
  const derived = opts.delete && !opts.explain ? new Map<ServerSet, Derivation>() : derivations(opts);
  if (opts.explain) {
    const json = Object.fromEntries([...derived].map(([set, d]) => [set, { ...d, builtIn: opts.serverPaths[set] === undefined }]));
    io.out(opts.json ? JSON.stringify({ derivations: json }, null, 2) : explainText(derived, opts.serverPaths));
    return 0;
  }
  opts.request.derived = Object.fromEntries([...derived].filter(([set]) => opts.serverPaths[set] !== undefined).map(([set, d]) => [set, d.actions.map((a) => a.action)]));
  for (const [set, d] of derived) {
    if (opts.serverPaths[set] !== undefined) io.err(`${policyName(set)}: ${d.actions.length} read actions derived from ${set} server ${d.version} at ${opts.serverPaths[set]} (--explain lists them)`);
  }
  if (opts.format) return printTemplate(opts, io);
  if (opts.stackset) return runStackSet(opts, opts.stackset, io);
  const offline = opts.dryRun && !opts.delete && !needsCaller(opts.request) && opts.profiles[0] === undefined;
  if (offline) {
    const notes: string[] = [];
    const want = await desiredRole(opts.request, undefined, undefined, opts.region, notes);
    for (const n of notes) io.err(`note: ${n}`);
    io.out(JSON.stringify(documentsJson({ roleName: want.roleName, status: "planned", changes: [], notes, desired: want }), null, 2));
    return 0;
  }

  const many = opts.profiles.length > 1;
  const total = opts.profiles.length;
  const label = (i: number): string => `[${i + 1}/${total}] profile ${opts.profiles[i] ?? "(default)"}`;
  const progress = many && io.interactive ? (text: string): void => void process.stderr.write(`\r\x1b[2K${text}`) : undefined;
  // Up to --concurrency accounts at once; each account's line is printed in the order of --profile.
  const settled = await mapBounded(
    opts.profiles,
    opts.concurrency,
    (profile, index) =>
      provisionAccount({ profile, region: opts.region }, opts.request, {
        dryRun: opts.dryRun,
        delete: opts.delete,
        // Said before it is done (not held back for the ordered output), so a change nobody expected
        // (another caller, a dropped condition) is seen.
        beforeWrite: opts.json ? undefined : (account, changes) => io.err(`${many ? `${label(index)} ` : ""}in account ${account}: ${changes.join("; ")}`),
      }),
    {
      onSettled: (n) => progress?.(`create-role: ${n}/${total} accounts done`),
      onInOrder: (i, r) => {
        progress?.("");
        if (many && r.ok) io.err(`${label(i)}: ${oneLine(r.value)}`);
      },
    },
  );
  progress?.("");
  // provisionAccount reports an account's failure in its result; anything it throws is a bug, reported as one.
  const results: AccountResult[] = settled.map((r) => {
    if (!r.ok) throw r.error;
    return r.value;
  });
  const failed = results.filter((r) => r.status === "failed");

  if (opts.json) {
    io.out(JSON.stringify({ ok: failed.length === 0, results: results.map((r) => resultJson(r, opts)) }, null, 2));
  } else if (opts.dryRun) {
    const docs = results.map((r) => documentsJson(r));
    io.out(JSON.stringify(docs.length === 1 ? docs[0] : docs, null, 2));
  } else if (many) {
    io.out(table(results));
  } else {
    const r = results[0] as AccountResult;
    if (r.status !== "failed") io.out(humanResult(r, io));
  }
  for (const r of results) for (const n of r.notes) io.err(`${io.cErr.yellow("note:")} ${r.profile ? `[${r.profile}] ` : ""}${n}`);

  if (failed.length === 0) return 0;
  if (!many && !opts.json) {
    const r = failed[0] as AccountResult;
    if (r.state) io.err(whereState(r, io));
    throw r.error;
  }
  for (const r of failed) {
    io.err(`${io.cErr.red("xaccount: error")}[${r.error?.code ?? "aws-error"}] profile ${r.profile ?? "(default)"}: ${r.error?.message ?? ""}`);
    if (r.error?.hint) io.err(`  ${io.cErr.dim("hint:")} ${r.error.hint}`);
    io.err(`  ${whereState(r, io)}`);
  }
  return 1;
}

function whereState(r: AccountResult, io: Io): string {
  const state = r.state ?? "what exists is unknown";
  return r.account ? `${io.cErr.dim("in account")} ${r.account}: ${state}` : state;
}

async function printTemplate(opts: CreateRoleOptions, io: Io): Promise<0> {
  io.out(JSON.stringify(await renderRoleTemplate(opts, io), null, 2));
  return 0;
}

/** The role's CloudFormation template: what --format cloudformation prints and --stackset deploys. */
async function renderRoleTemplate(opts: CreateRoleOptions, io: Io): Promise<Record<string, unknown>> {
  const target: AwsTarget = { profile: opts.profiles[0], region: opts.region };
  const caller = needsCaller(opts.request) ? await callerIdentity(target) : undefined;
  const notes: string[] = [];
  const want = await desiredRole(opts.request, caller, caller && (await iamClient(target)), opts.region, notes);
  for (const n of notes) io.err(`note: ${n}`);
  return roleTemplate(want);
}

/** --stackset: create/update the stack set and deploy it, or delete it; a per-account report at the end. */
async function runStackSet(opts: CreateRoleOptions, ss: StackSetOptions, io: Io): Promise<0 | 1> {
  const { applyStackSet, deleteStackSet, homeRegion, resolveTargets } = await import("../aws/stackset.js");
  const report = await import("../aws/stackset-report.js");
  const target: AwsTarget = { profile: opts.profiles[0], region: opts.region };
  const req: StackSetRequest = { ...ss.request };
  // Checked before anything is written: the caller may act for the organization, the targets exist.
  if (ss.org || req.targets.length) req.targets = await resolveTargets(target, { org: ss.org, ous: req.targets, callAs: req.callAs });
  if (req.regions.length === 0) req.regions = [await homeRegion(target)];
  const hooks = {
    dryRun: opts.dryRun,
    progress: io.interactive ? (text: string): void => void process.stderr.write(`\r\x1b[2K${text}`) : undefined,
    say: opts.json || opts.dryRun ? undefined : (text: string): void => io.err(text),
    wait: { ...DEFAULT_WAIT, timeoutMs: ss.waitTimeoutMs },
  };
  const template = opts.delete ? undefined : await renderRoleTemplate(opts, io);
  const result = opts.delete ? await deleteStackSet(target, req, hooks) : await applyStackSet(target, req, template ?? {}, hooks);
  if (opts.dryRun) {
    io.out(JSON.stringify(report.stackSetDryRun(result, req, template), null, 2));
    return 0;
  }
  io.out(opts.json ? JSON.stringify(report.stackSetJson(result), null, 2) : report.stackSetTable(result));
  const failed = report.failedInstances(result);
  for (const i of failed) {
    const e = report.instanceError(i);
    io.err(`${io.cErr.red("xaccount: error")}[${e.code}] ${e.message}`);
  }
  if (result.error) {
    if (!failed.length) throw result.error;
    io.err(`${io.cErr.red("xaccount: error")}[${result.error.code}] ${result.error.message}`);
    if (result.error.hint) io.err(`  ${io.cErr.dim("hint:")} ${result.error.hint}`);
  } else if (failed.length) {
    io.err(`  ${io.cErr.dim("hint:")} the role is missing in ${failed.length} account(s) listed above; fix the cause named for each and rerun (safe: only what is missing is deployed)`);
  }
  return result.error || failed.length ? 1 : 0;
}

function documentsJson(r: AccountResult): Record<string, unknown> {
  const d = r.desired;
  return {
    ...(r.profile ? { profile: r.profile } : {}),
    ...(r.account ? { account: r.account } : {}),
    ...(d
      ? {
          roleName: d.roleName,
          trustPolicy: d.trustPolicy,
          permissionPolicies: Object.fromEntries(d.policies),
          maxSessionDuration: d.maxSessionDuration,
          tags: d.tags,
        }
      : {}),
    ...(r.account ? { plan: r.changes } : {}),
    ...(r.error ? { error: { code: r.error.code, message: r.error.message, state: r.state } } : {}),
  };
}

function resultJson(r: AccountResult, opts: CreateRoleOptions): Record<string, unknown> {
  return {
    profile: r.profile ?? null,
    account: r.account ?? null,
    caller: r.caller ?? null,
    roleArn: r.roleArn ?? null,
    status: r.status,
    changes: r.changes,
    notes: r.notes,
    ...(opts.dryRun && r.desired ? { documents: documentsJson(r) } : {}),
    ...(r.error ? { error: { code: r.error.code, message: r.error.message, hint: r.error.hint ?? null }, state: r.state ?? null } : {}),
  };
}

const STATUS_TEXT: Record<AccountResult["status"], string> = {
  created: "created",
  updated: "updated",
  "up-to-date": "up to date",
  deleted: "deleted",
  absent: "nothing to delete",
  planned: "planned (dry run)",
  failed: "FAILED",
};

function oneLine(r: AccountResult): string {
  const where = `account ${r.account ?? "?"}`;
  if (r.status === "failed") return `${where}: failed: ${r.error?.message ?? ""}`;
  const detail = r.changes.length && r.status !== "up-to-date" ? ` (${r.changes.join(", ")})` : "";
  return `${where}: ${STATUS_TEXT[r.status]}${detail}`;
}

function humanResult(r: AccountResult, io: Io): string {
  const role = r.roleArn ?? r.roleName;
  const c = io.c;
  switch (r.status) {
    case "up-to-date": return `${c.green("✓")} ${role} is up to date in account ${r.account ?? "?"}`;
    case "absent": return `Nothing to delete: no role ${role} in account ${r.account ?? "?"}`;
    case "deleted": return `${c.green("✓")} Deleted ${role} from account ${r.account ?? "?"} (${r.changes.join(", ")})`;
    default: {
      const lines = [`${c.green("✓")} ${r.status === "created" ? "Created" : "Updated"} ${role} in account ${r.account ?? "?"}: ${r.changes.join(", ")}`];
      const aws = r.desired?.trustPolicy.Statement[0]?.Principal.AWS ?? [];
      lines.push(`  trusted: ${aws.join(", ")}`);
      if (r.desired?.trustPolicy.Statement[0]?.Condition) lines.push("  requires the external id given");
      lines.push(`  policies: ${[...(r.desired?.policies.keys() ?? [])].join(", ")}`);
      return lines.join("\n");
    }
  }
}

function table(results: AccountResult[]): string {
  const rows = [["PROFILE", "ACCOUNT", "STATUS", "DETAIL"]];
  for (const r of results) {
    const detail = r.status === "failed"
      ? `${r.error?.code ?? ""}: ${r.state ?? ""}`
      : r.status === "up-to-date" ? (r.roleArn ?? "") : r.changes.join(", ");
    rows.push([r.profile ?? "(default)", r.account ?? "?", STATUS_TEXT[r.status], detail]);
  }
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  return rows.map((row) => row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i] ?? 0) : cell)).join("  ").trimEnd()).join("\n");
}

