/**
 * Turns `xaccount test` options and the XACCOUNT_* environment into a validated plan, before any AWS
 * call: bad input is refused here with exit 2.
 *
 * The role settings mirror what the vendored runtime reads (codemods/runtime/_xaccount.py), so the
 * AssumeRole this command makes is the one the patched server will make.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { expandHome } from "../codemod/locate.js";
import { usageError } from "../errors.js";
import { accountIds, parseAccountList } from "../accounts-list.js";
import { DEFAULT_ROLE_NAME } from "../aws/sts.js";
import * as validate from "../aws/validate.js";

export type ServerKind = "ecs" | "iac";

export interface ServerSpec {
  kind: ServerKind;
  /** As given, resolved against the working directory. */
  path: string;
}

export interface RoleSettings {
  roleName: string;
  externalId: string | undefined;
  sessionName: string;
  durationSeconds: number;
  /** XACCOUNT_ALLOWED_ACCOUNTS: the server refuses any other account; undefined means no allowlist. */
  allowedAccounts?: string[] | undefined;
}

export interface SmokePlan {
  /** Accounts to assume into; empty means "the caller's own account", known after check 1. */
  accounts: string[];
  /** Regions for the read-only calls; empty means "the configured region". */
  regions: string[];
  server: ServerSpec | undefined;
  python: string | undefined;
  /** --profile: the source credentials (and region) come from this profile, for these checks and the server. */
  profile?: string | undefined;
  role: RoleSettings;
  /** How many accounts are worked on at once (--concurrency); the report keeps the order given. */
  concurrency?: number | undefined;
}

export interface SmokeOptions {
  profile?: string;
  accounts?: string;
  regions?: string;
  server?: string;
  python?: string;
  roleName?: string;
  externalId?: string;
  concurrency?: number;
}

// The runtime's defaults: keep these equal to codemods/runtime/_xaccount.py.
const DEFAULT_SESSION_NAME = "xaccount-mcp";
const DEFAULT_DURATION_SECONDS = 3600;

// The runtime's rule for the region argument a tool call gets (stricter than create-role's --region).
const REGION = /^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$/;

/** The ids of an `--accounts` list (ids or name=id entries; see src/accounts-list.ts), in order. */
export function parseAccounts(text: string | undefined): string[] {
  return accountIds(parseAccountList(text, "--accounts"));
}

export function parseRegions(text: string | undefined): string[] {
  if (text === undefined) return [];
  const regions = splitList(text);
  for (const region of regions) {
    if (!REGION.test(region)) {
      throw usageError("region-invalid", `${JSON.stringify(region)} is not an AWS region name`, "use region codes such as us-east-1,eu-west-1");
    }
  }
  if (regions.length === 0) throw usageError("region-invalid", "--regions is empty", "use region codes such as us-east-1,eu-west-1");
  return [...new Set(regions)];
}

export function parseServerSpec(text: string | undefined, cwd: string): ServerSpec | undefined {
  if (text === undefined) return undefined;
  const match = /^(ecs|iac):(.+)$/.exec(text);
  if (!match) {
    throw usageError(
      "server-spec-invalid",
      `--server ${JSON.stringify(text)} is not ecs:<path> or iac:<path>`,
      "name the server and where it is, e.g. --server ecs:./mcp/src/ecs-mcp-server",
    );
  }
  const resolved = path.resolve(cwd, expandHome(match[2]!));
  if (!existsSync(resolved)) {
    throw usageError("server-spec-invalid", `--server path ${resolved} does not exist`, "point --server at the patched server's checkout, package folder or virtualenv");
  }
  return { kind: match[1] as ServerKind, path: resolved };
}

/** The role settings the runtime would use, flags winning over XACCOUNT_* variables. */
export function roleSettings(options: SmokeOptions, env: NodeJS.ProcessEnv): RoleSettings {
  const roleName = validate.roleName(
    options.roleName ?? nonEmpty(env.XACCOUNT_ROLE_NAME) ?? DEFAULT_ROLE_NAME,
    options.roleName !== undefined ? "--role-name" : "XACCOUNT_ROLE_NAME",
  );
  const rawExternalId = options.externalId ?? nonEmpty(env.XACCOUNT_EXTERNAL_ID);
  const externalId =
    rawExternalId === undefined
      ? undefined
      : validate.externalId(rawExternalId, options.externalId !== undefined ? "--external-id" : "XACCOUNT_EXTERNAL_ID");
  const durationText = nonEmpty(env.XACCOUNT_DURATION_SECONDS);
  const durationSeconds = durationText === undefined ? DEFAULT_DURATION_SECONDS : /^[0-9]+$/.test(durationText) ? Number(durationText) : NaN;
  if (!Number.isInteger(durationSeconds) || durationSeconds < 900 || durationSeconds > 43200) {
    throw usageError("duration-invalid", `XACCOUNT_DURATION_SECONDS=${JSON.stringify(durationText)} is not a whole number of seconds from 900 to 43200`, "unset it for the default (3600) or pick a value in range");
  }
  const allowed = (env.XACCOUNT_ALLOWED_ACCOUNTS ?? "").replace(/,/g, " ").split(/\s+/).filter(Boolean);
  const badAllowed = allowed.find((a) => !/^[0-9]{12}$/.test(a));
  if (badAllowed !== undefined) {
    throw usageError("allowed-accounts-invalid", `XACCOUNT_ALLOWED_ACCOUNTS has ${JSON.stringify(badAllowed)}, which is not a 12-digit account id`, "list 12-digit account ids separated by commas or spaces, or unset it");
  }
  // XACCOUNT_ACCOUNTS (name=id,...) is the allowlist with names; like the runtime, refuse it when
  // XACCOUNT_ALLOWED_ACCOUNTS is also set and lists other accounts.
  let allowedAccounts = allowed.length > 0 ? allowed : undefined;
  if (env.XACCOUNT_ACCOUNTS !== undefined) {
    const named = accountIds(parseAccountList(env.XACCOUNT_ACCOUNTS, "XACCOUNT_ACCOUNTS"));
    if (allowedAccounts !== undefined && (new Set(allowedAccounts).size !== named.length || !named.every((id) => allowedAccounts!.includes(id)))) {
      throw usageError("allowed-accounts-invalid", "XACCOUNT_ACCOUNTS and XACCOUNT_ALLOWED_ACCOUNTS are both set and list different accounts", "keep XACCOUNT_ACCOUNTS (the allowlist with names) and unset XACCOUNT_ALLOWED_ACCOUNTS");
    }
    allowedAccounts = named;
  }
  return {
    roleName,
    externalId,
    sessionName: sanitizeSessionName(env.XACCOUNT_SESSION_NAME),
    durationSeconds,
    allowedAccounts,
  };
}

/**
 * The same clean-up the runtime applies: a session name shows in CloudTrail, so keep what is legal
 * ([\w+=,.@-], 2-64 ASCII) rather than refuse a name with a space in it.
 */
export function sanitizeSessionName(raw: string | undefined): string {
  const cleaned = (raw ?? "").replace(/[^A-Za-z0-9+=,.@_-]/g, "-").slice(0, 64);
  return cleaned.length >= 2 ? cleaned : DEFAULT_SESSION_NAME;
}

export function buildPlan(options: SmokeOptions, env: NodeJS.ProcessEnv, cwd: string): SmokePlan {
  const accounts = parseAccounts(options.accounts);
  const regions = parseRegions(options.regions);
  const server = parseServerSpec(options.server, cwd);
  const role = roleSettings(options, env);
  let python: string | undefined;
  if (options.python !== undefined) {
    python = path.resolve(cwd, options.python);
    if (!existsSync(python)) {
      throw usageError("python-not-found", `--python ${python} does not exist`, "point --python at the interpreter of the server's virtualenv, e.g. .venv/bin/python");
    }
  }
  let profile: string | undefined;
  if (options.profile !== undefined) {
    const names = validate.profiles(options.profile);
    if (names.length !== 1) throw usageError("profile-invalid", `--profile ${JSON.stringify(options.profile)}: test takes one profile (the MCP host's credentials)`, "run test once per profile");
    profile = names[0];
  }
  return { accounts, regions, server, python, profile, role, concurrency: options.concurrency };
}

function splitList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The runtime treats an empty variable as unset and uses any other value as it is (no trimming). */
function nonEmpty(value: string | undefined): string | undefined {
  return value === "" ? undefined : value;
}
