/**
 * Input checks for create-role and the STS helpers. Each throws a usage error (exit 2) with one line
 * saying what is wrong, and runs before any AWS call. Patterns are ASCII-only on purpose: `\d` and `\w`
 * would let other scripts' digits and letters through, and AWS rejects them later, after writes began.
 */
import { usageError } from "../errors.js";
import { SERVER_SETS, type ServerSet } from "./policies.js";

const show = (v: string): string => JSON.stringify(v);

export function accountId(value: string, option = "--trust-account"): string {
  if (!/^[0-9]{12}$/.test(value)) {
    throw usageError("account-id-invalid", `${option} ${show(value)} is not an AWS account ID (exactly 12 digits)`);
  }
  return value;
}

export function roleName(value: string, option = "--role-name"): string {
  if (!/^[A-Za-z0-9_+=,.@-]{1,64}$/.test(value)) {
    throw usageError(
      "role-name-invalid",
      `${option} ${show(value)} is not a valid IAM role name (1-64 of letters, digits and _+=,.@-)`,
    );
  }
  return value;
}

/** IAM allows 3600..43200 seconds for a role's maximum session duration. */
export function maxSessionDuration(value: string): number {
  const n = /^[0-9]{1,6}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 3600 && n <= 43200)) {
    throw usageError(
      "duration-invalid",
      `--max-session-duration ${show(value)} must be a whole number of seconds from 3600 (1 hour) to 43200 (12 hours)`,
    );
  }
  return n;
}

/** sts:AssumeRole's pattern for ExternalId: 2-1224 of letters, digits and _+=,.@:/- */
export function externalId(value: string, option = "--external-id"): string {
  // The value is a shared secret: say how long it is, never what it is.
  if (!/^[A-Za-z0-9_+=,.@:/-]{2,1224}$/.test(value)) {
    throw usageError(
      "external-id-invalid",
      `${option} must be 2-1224 characters of letters, digits and _+=,.@:/- (got ${value.length} characters)`,
    );
  }
  return value;
}

export function region(value: string): string {
  if (!/^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$/.test(value)) {
    throw usageError("region-invalid", `--region ${show(value)} is not an AWS region name (e.g. us-east-1)`);
  }
  return value;
}

export function serverSets(value: string): ServerSet[] {
  return serverChoice(value).sets;
}

export interface ServerChoice {
  sets: ServerSet[];
  /** For `ecs:<path>` / `iac:<path>`: derive that set from the server installed there. */
  paths: Partial<Record<ServerSet, string>>;
}

/** `ecs,iac`, or with paths as `patch` takes them: `ecs:./.venv,iac:/srv/iac`. Paths are checked to exist. */
export function serverChoice(value: string, exists: (p: string) => boolean = () => true): ServerChoice {
  const items = value.split(",").map((s) => s.trim());
  const out: ServerChoice = { sets: [], paths: {} };
  for (const item of items) {
    // A name as `patch` takes it: ecs, iac, or any AWS Labs server's short name (eks, aws-healthomics, ...).
    const m = /^([a-z][a-z0-9-]{0,62})(?::(.+))?$/.exec(item);
    const set = m?.[1] as ServerSet | undefined;
    if (!m || !set) {
      throw usageError("server-invalid", `--server ${show(value)}: expected a comma-separated list of ${SERVER_SETS.join(", ")} or <name>:<path>, each optionally with :<path> of the installed server`);
    }
    if (!(SERVER_SETS as readonly string[]).includes(set) && m[2] === undefined) {
      throw usageError(
        "server-invalid",
        `--server ${show(value)}: ${set} has no built-in actions (only ${SERVER_SETS.join(", ")} do)`,
        `derive them from the installed server: --server ${set}:<path> (its virtualenv, site-packages or checkout, as for xaccount patch)`,
      );
    }
    if (out.sets.includes(set)) throw usageError("server-invalid", `--server ${show(value)} names ${set} twice`);
    out.sets.push(set);
    if (m[2] !== undefined) {
      if (!exists(m[2])) throw usageError("server-invalid", `--server ${set}:${m[2]}: no such path`, "point it at the server's virtualenv, site-packages, checkout or package folder, as for `xaccount patch`");
      out.paths[set] = m[2];
    }
  }
  // Built-in sets first, in their order; then the others as given.
  out.sets = [...SERVER_SETS.filter((s) => out.sets.includes(s)), ...out.sets.filter((s) => !(SERVER_SETS as readonly string[]).includes(s))];
  return out;
}

export function profiles(value: string): string[] {
  const items = value.split(",").map((s) => s.trim());
  if (items.some((s) => !/^[^\s[\]]+$/.test(s))) {
    throw usageError("profile-invalid", `--profile ${show(value)}: expected profile names separated by commas`);
  }
  if (new Set(items).size !== items.length) {
    throw usageError("profile-invalid", `--profile ${show(value)} names a profile twice`);
  }
  return items;
}

/** `k=v,k2=v2`; IAM tag rules: key 1-128, value 0-256, letters, digits, spaces and _.:/=+-@; no `aws:` keys. */
export function tags(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  const charset = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
  for (const pair of value.split(",")) {
    const eq = pair.indexOf("=");
    // Without "=" (eq -1) the pair is refused below before key or val is looked at.
    const key = pair.slice(0, eq).trim();
    const val = pair.slice(eq + 1).trim();
    if (eq < 0 || key.length < 1 || key.length > 128 || val.length > 256 || !charset.test(key) || !charset.test(val)) {
      throw usageError("tags-invalid", `--tags ${show(pair)}: expected key=value (key 1-128, value up to 256 characters of letters, digits, spaces and _.:/=+-@)`);
    }
    if (key.toLowerCase().startsWith("aws:")) {
      throw usageError("tags-invalid", `--tags ${show(key)}: keys starting with aws: are reserved by AWS`);
    }
    out[key] = val;
  }
  if (Object.keys(out).length > 49) throw usageError("tags-invalid", "--tags: at most 49 tags (IAM allows 50; xaccount adds one)");
  return out;
}
