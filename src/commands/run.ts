/**
 * `xaccount run <server>[@<version>|@latest] [-- <server args>]`: the `command` of an MCP client
 * config. Installs the release into xaccount's cache once, patches it, checks it at each start, and
 * runs it with the client's stdio. stdout carries MCP: everything this command says goes to stderr.
 */
import path from "node:path";
import type { Command } from "commander";
import { usageError } from "../errors.js";
import type { Io } from "../output.js";
import { accountIds, formatAccountList, parseAccountList } from "../accounts-list.js";
import * as validate from "../aws/validate.js";
import * as cache from "../run/cache.js";
import { launch } from "../run/launch.js";
import { prepare } from "../run/prepare.js";
import { parseRunTarget } from "../run/spec.js";

export interface RunOptions {
  list?: boolean;
  prune?: boolean;
  keep?: string;
  accounts?: string;
  roleName?: string;
  externalIdEnv?: string;
  sessionName?: string;
  python?: string;
  indexUrl?: string;
  refreshInterval?: string;
}

const EXAMPLES = `
Examples (the command and args of an MCP client's server entry):
  $ xaccount run ecs@latest --accounts prod=111111111111,dev=222222222222
  $ xaccount run iac@1.0.26 --role-name McpReadOnlyRole --external-id-env MY_EXTERNAL_ID
  $ xaccount run ecs@0.1.37 -- --some-server-flag       # after --: passed to the server
  $ xaccount run --list                                 # cached servers and versions
  $ xaccount run --prune --keep 2                       # keep the two newest of each

Installs go to $XDG_CACHE_HOME/xaccount/servers (default ~/.cache/xaccount/servers). The index is
--index-url, else UV_INDEX_URL / PIP_INDEX_URL, else pip's config, else PyPI. AWS_PROFILE and
AWS_REGION pass through to the server.
`;

export function registerRun(program: Command, io: Io): void {
  program
    .command("run")
    .description("Install (once), patch and start an AWS Labs MCP server with per-call account_id, for an MCP client's config.")
    .argument("[server]", "ecs, iac or <name> for awslabs.<name>-mcp-server; @<version> or @latest (the default)")
    .argument("[serverArgs...]", "after --: arguments for the server")
    .option("--accounts <list>", "the accounts the server may act in: ids or name=id, comma-separated (XACCOUNT_ACCOUNTS)")
    .option("--role-name <name>", "the role assumed in each account (XACCOUNT_ROLE_NAME; default McpReadOnlyRole)")
    .option("--external-id-env <VAR>", "the environment variable holding the role's external id (never the id itself on a command line)")
    .option("--session-name <name>", "the AssumeRole session name seen in CloudTrail (XACCOUNT_SESSION_NAME)")
    .option("--python <path>", "the interpreter for a new install (default: the newest python3.X on PATH the release accepts)")
    .option("--index-url <url>", "the package index (default: UV_INDEX_URL / PIP_INDEX_URL / pip config / PyPI)")
    .option("--refresh-interval <duration>", "how long @latest trusts the index's last answer: 0, 30m, 12h, 1d (XACCOUNT_REFRESH_INTERVAL; default 1d)")
    .option("--list", "list the cached servers and versions, start nothing")
    .option("--prune", "remove cached versions but the newest of each server, start nothing")
    .option("--keep <n>", "with --prune: how many of the newest versions to keep per server (default 1)")
    .addHelpText("after", EXAMPLES)
    .action(async (server: string | undefined, serverArgs: string[], opts: RunOptions) => {
      await runRun(server, serverArgs, opts, io);
    });
}

export async function runRun(server: string | undefined, serverArgs: string[], opts: RunOptions, io: Io): Promise<void> {
  const env = process.env;
  if (opts.list || opts.prune) {
    if (server !== undefined) throw usageError("bad-option", `--${opts.list ? "list" : "prune"} takes no server`, "run xaccount run --list (or --prune) on its own");
    if (opts.list && opts.prune) throw usageError("bad-option", "--list and --prune cannot be combined", "pick one");
    if (opts.list) return list(cache.cacheRoot(env), io);
    return prune(cache.cacheRoot(env), parseKeep(opts.keep), io);
  }
  if (opts.keep !== undefined) throw usageError("bad-option", "--keep goes with --prune", "xaccount run --prune --keep 2");
  if (server === undefined) throw usageError("run-target-invalid", "no server named", "xaccount run ecs@latest (or iac, or --list)");
  // Everything is validated before anything is installed or started.
  const target = parseRunTarget(server);
  const childEnv = serverEnv(opts, env);
  const refreshMs = parseDuration(opts.refreshInterval ?? env.XACCOUNT_REFRESH_INTERVAL, opts.refreshInterval !== undefined ? "--refresh-interval" : "XACCOUNT_REFRESH_INTERVAL");
  const log = (line: string): void => io.err(`xaccount: ${line}`);
  const prepared = await prepare(target, { env, indexUrl: opts.indexUrl, refreshMs, python: opts.python, log });
  const result = await launch({ python: prepared.python, module: prepared.record.entryModule, args: serverArgs, env: childEnv });
  process.exitCode = result.code;
}

/** The server's environment: ours, plus the runtime's XACCOUNT_* settings from the flags. */
export function serverEnv(opts: RunOptions, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  if (opts.accounts !== undefined) {
    // The shared parser (as `config` and the runtime read it): the list goes on normalized, repeats
    // merged, so the names the runtime shows are exactly the ids it allows.
    const entries = parseAccountList(opts.accounts, "--accounts");
    out.XACCOUNT_ACCOUNTS = formatAccountList(entries);
    out.XACCOUNT_ALLOWED_ACCOUNTS = accountIds(entries).join(",");
  }
  if (opts.roleName !== undefined) out.XACCOUNT_ROLE_NAME = validate.roleName(opts.roleName, "--role-name");
  if (opts.externalIdEnv !== undefined) {
    const name = opts.externalIdEnv;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw usageError("external-id-env-invalid", `--external-id-env ${JSON.stringify(name)} is not an environment variable name`, "name the variable that holds the external id, e.g. --external-id-env XACCOUNT_EXTERNAL_ID_PROD; never the id itself");
    }
    const value = env[name];
    if (value === undefined || value === "") {
      throw usageError("external-id-env-invalid", `--external-id-env ${name}: the variable is not set`, `set ${name} in the server's environment (the MCP client's "env" block)`);
    }
    out.XACCOUNT_EXTERNAL_ID = validate.externalId(value, name);
  }
  if (opts.sessionName !== undefined) {
    if (!/^[\w+=,.@-]{2,64}$/.test(opts.sessionName)) {
      throw usageError("session-name-invalid", `--session-name ${JSON.stringify(opts.sessionName)} is not a valid session name`, "use 2-64 of letters, digits and +=,.@_-");
    }
    out.XACCOUNT_SESSION_NAME = opts.sessionName;
  }
  return out;
}

const DAY_MS = 86_400_000;

export function parseDuration(text: string | undefined, option: string): number {
  if (text === undefined || text === "") return DAY_MS;
  const m = /^(\d+)(s|m|h|d)?$/.exec(text.trim());
  if (!m) throw usageError("refresh-interval-invalid", `${option} ${JSON.stringify(text)} is not a duration`, "write 0 (always ask), or a number with s, m, h or d: 30m, 12h, 1d");
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS }[(m[2] ?? "s") as "s" | "m" | "h" | "d"];
  return Number(m[1]) * unit;
}

function parseKeep(text: string | undefined): number {
  if (text === undefined) return 1;
  if (!/^[1-9][0-9]{0,3}$/.test(text)) throw usageError("bad-option", `--keep ${JSON.stringify(text)} is not a whole number from 1`, "--keep 2 keeps the two newest versions of each server");
  return Number(text);
}

function list(root: string, io: Io): void {
  const dists = cache.cachedDistributions(root);
  const rows: string[] = [];
  for (const d of dists) {
    for (const v of cache.cachedVersions(root, d).reverse()) {
      const r = cache.readRecord(cache.versionDir(root, d, v));
      rows.push(`${d}\t${v}\t${r ? `python ${path.basename(r.python)}, ${r.installer}, patched by xaccount ${r.patchedBy}, installed ${r.installedAt.slice(0, 10)}` : ""}`);
    }
  }
  if (rows.length === 0) {
    io.out(`No servers cached in ${root}.`);
    return;
  }
  io.out(`Cached in ${root}:`);
  for (const r of rows) io.out(`  ${r}`);
}

function prune(root: string, keep: number, io: Io): void {
  let removed = 0;
  for (const d of cache.cachedDistributions(root)) {
    const versions = cache.cachedVersions(root, d);
    for (const v of versions.slice(0, Math.max(0, versions.length - keep))) {
      if (cache.isLocked(root, d, v)) {
        io.err(`xaccount: kept ${d} ${v}: an xaccount is installing or checking it right now`);
        continue;
      }
      cache.removeVersionDir(root, d, v);
      io.out(`removed ${d} ${v}`);
      removed++;
    }
    cache.removeStaleTemps(root, d);
  }
  io.out(removed ? `Removed ${removed} version(s); kept the newest ${keep} of each server.` : `Nothing to remove (keeping the newest ${keep} of each server).`);
}
