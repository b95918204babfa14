/**
 * The MCP client entry for a patched server, from the user's real settings: flags first, then the
 * environment the command runs in. Never an example value: a setting nobody gave is left out of the
 * entry (the server then uses its default, said in `notes`), or, for `config`'s account list, refused.
 *
 * Two shapes of the same settings:
 * - `runEntry`: xaccount run <server> --accounts ... --role-name ..., with AWS_PROFILE / AWS_REGION in env
 *   (what `xaccount config` writes);
 * - `pythonEntry`: the patched tree's own python -m <entry module>, the settings as XACCOUNT_* variables
 *   (what `xaccount patch` prints).
 */
import { Option, type Command } from "commander";
import { usageError } from "../errors.js";
import * as validate from "../aws/validate.js";
import { formatAccountList, parseAccountList, type AccountEntry } from "../accounts-list.js";
import type { ServerEntry } from "./merge.js";

export interface EntryOptions {
  accounts?: string;
  roleName?: string;
  externalIdEnv?: string;
  sessionName?: string;
  profile?: string;
  region?: string;
}

export interface EntrySettings {
  accounts: AccountEntry[];
  roleName?: string | undefined;
  externalIdEnv?: string | undefined;
  sessionName?: string | undefined;
  profile?: string | undefined;
  region?: string | undefined;
}

/** The flags `config` and `patch` share, added to a command in one place. */
export function addEntryOptions(command: Command): Command {
  return command
    .option("--accounts <list>", "the allowlist, with names: prod=111111111111,dev=222222222222 (default: $XACCOUNT_ACCOUNTS)")
    .option("--role-name <name>", "role assumed in each account (default: $XACCOUNT_ROLE_NAME, else the runtime's McpReadOnlyRole)")
    .addOption(new Option("--external-id-env <VAR>", "the variable of the client's environment that holds the external id (the id itself is never written)"))
    .option("--session-name <name>", "role session name shown in CloudTrail (default: $XACCOUNT_SESSION_NAME)")
    .option("--profile <name>", "AWS_PROFILE of the server: the MCP host's credentials (default: $AWS_PROFILE)")
    .option("--region <region>", "AWS_REGION of the server (default: $AWS_REGION, then $AWS_DEFAULT_REGION)");
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const SESSION_NAME = /^[A-Za-z0-9_+=,.@-]{2,64}$/;

const given = (v: string | undefined): string | undefined => (v === undefined || v === "" ? undefined : v);

/** Flags over the environment, every value checked; bad input is refused before anything is written. */
export function entrySettings(options: EntryOptions, env: Readonly<Record<string, string | undefined>>): EntrySettings {
  const accountsText = options.accounts ?? given(env.XACCOUNT_ACCOUNTS);
  const accounts = parseAccountList(accountsText, options.accounts !== undefined ? "--accounts" : "XACCOUNT_ACCOUNTS");
  const roleText = options.roleName ?? given(env.XACCOUNT_ROLE_NAME);
  const roleName = roleText === undefined ? undefined : validate.roleName(roleText, options.roleName !== undefined ? "--role-name" : "XACCOUNT_ROLE_NAME");
  const externalIdEnv = options.externalIdEnv;
  if (externalIdEnv !== undefined && !ENV_NAME.test(externalIdEnv)) {
    throw usageError("config-value-invalid", `--external-id-env ${JSON.stringify(externalIdEnv)} is not an environment variable name`, "name the variable that holds the external id, e.g. --external-id-env XACCOUNT_EXTERNAL_ID (not the id itself)");
  }
  const sessionName = options.sessionName ?? given(env.XACCOUNT_SESSION_NAME);
  if (sessionName !== undefined && !SESSION_NAME.test(sessionName)) {
    throw usageError("config-value-invalid", `${options.sessionName !== undefined ? "--session-name" : "XACCOUNT_SESSION_NAME"} ${JSON.stringify(sessionName)} is not a role session name (2-64 of letters, digits and _+=,.@-)`, "pick a name such as claude-desktop");
  }
  const profileText = options.profile ?? given(env.AWS_PROFILE);
  let profile: string | undefined;
  if (profileText !== undefined) {
    const names = validate.profiles(profileText);
    if (names.length !== 1) throw usageError("profile-invalid", `--profile ${JSON.stringify(profileText)}: the server runs with one profile`, "pass the MCP host's profile");
    profile = names[0];
  }
  const regionText = options.region ?? given(env.AWS_REGION) ?? given(env.AWS_DEFAULT_REGION);
  const region = regionText === undefined ? undefined : validate.region(regionText);
  return { accounts, roleName, externalIdEnv, sessionName, profile, region };
}

/** What was left out of the entry and what that means, one line each (for stderr). */
export function entryNotes(s: EntrySettings, form: "run" | "python"): string[] {
  const notes: string[] = [];
  if (s.accounts.length === 0) notes.push("no --accounts (nor XACCOUNT_ACCOUNTS): the server takes any account that has the role; pass --accounts prod=<id>,dev=<id> to allow only those and show their names to the model");
  if (s.profile === undefined) notes.push("no --profile (nor AWS_PROFILE): the server uses the credentials of the client's environment");
  if (s.region === undefined) notes.push("no --region (nor AWS_REGION): the server uses the region of its AWS configuration");
  if (s.roleName === undefined) notes.push("no --role-name (nor XACCOUNT_ROLE_NAME): the role assumed is McpReadOnlyRole");
  if (s.externalIdEnv !== undefined && form === "python") {
    notes.push(`the server reads the external id from XACCOUNT_EXTERNAL_ID: set it in the client's environment to the value of ${s.externalIdEnv} (xaccount never writes it)`);
  }
  if (s.externalIdEnv !== undefined && form === "run") notes.push(`the external id is read from ${s.externalIdEnv} in the client's environment when the server starts; it is not written here`);
  return notes;
}

function awsEnv(s: EntrySettings): Record<string, string> {
  const env: Record<string, string> = {};
  if (s.profile !== undefined) env.AWS_PROFILE = s.profile;
  if (s.region !== undefined) env.AWS_REGION = s.region;
  return env;
}

/** The entry that starts xaccount run <server>; `command` is how the client finds xaccount. */
export function runEntry(server: string, s: EntrySettings, command: string, stdioType: boolean): ServerEntry {
  const args = ["run", server];
  if (s.accounts.length > 0) args.push("--accounts", formatAccountList(s.accounts));
  if (s.roleName !== undefined) args.push("--role-name", s.roleName);
  if (s.externalIdEnv !== undefined) args.push("--external-id-env", s.externalIdEnv);
  if (s.sessionName !== undefined) args.push("--session-name", s.sessionName);
  const env = awsEnv(s);
  return { ...(stdioType ? { type: "stdio" } : {}), command, args, ...(Object.keys(env).length ? { env } : {}) };
}

/** The entry that starts a patched tree directly: its python, its entry module, XACCOUNT_* variables. */
export function pythonEntry(python: string, entryModule: string, s: EntrySettings, extraEnv: Record<string, string>): ServerEntry {
  const env: Record<string, string> = { ...extraEnv, ...awsEnv(s) };
  if (s.accounts.length > 0) env.XACCOUNT_ACCOUNTS = formatAccountList(s.accounts);
  if (s.roleName !== undefined) env.XACCOUNT_ROLE_NAME = s.roleName;
  if (s.sessionName !== undefined) env.XACCOUNT_SESSION_NAME = s.sessionName;
  return { command: python, args: ["-m", entryModule], ...(Object.keys(env).length ? { env } : {}) };
}
