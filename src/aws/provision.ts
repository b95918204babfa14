/**
 * create-role for one account: who is calling, what the role should be, what exists, and converging it
 * (or deleting it). The command loops over accounts and renders; this does the work for one.
 */
import type { IAMClient } from "@aws-sdk/client-iam";
import { XaError } from "../errors.js";
import { iamClient, type AwsTarget } from "./clients.js";
import { errorName, isNotFound, type CallContext } from "./errors.js";
import { POLICY_PREFIX, permissionPolicies, type ServerSet } from "./policies.js";
import {
  applyChanges, describeChange, describeState, planConverge, planDelete, readRole,
  type Change, type DesiredRole, type RoleState,
} from "./role.js";
import { callerIdentity, type CallerIdentity } from "./sts.js";
import {
  partitionOfRegion, parseArn, resolveCaller, resolveTrustPrincipal, roleArn, trustPolicy,
  type PrincipalResolution,
} from "./trust.js";

export const ROLE_DESCRIPTION = "Read-only access for AWS Labs MCP servers patched by xaccount";

/** Everything create-role was asked, already validated. */
export interface RoleRequest {
  roleName: string;
  trustPrincipals: string[];
  trustAccounts: string[];
  externalId?: string | undefined;
  maxSessionDuration: number;
  servers: ServerSet[];
  tags: Record<string, string>;
}

export type Status = "created" | "updated" | "up-to-date" | "deleted" | "absent" | "planned" | "failed";

export interface AccountResult {
  roleName: string;
  profile?: string | undefined;
  account?: string | undefined;
  caller?: string | undefined;
  roleArn?: string | undefined;
  status: Status;
  changes: string[];
  notes: string[];
  desired?: DesiredRole | undefined;
  error?: XaError | undefined;
  /** After a failure: what exists in the account now, in one line. */
  state?: string | undefined;
}

/** Explicit trust options replace the default (the caller). */
export function needsCaller(req: RoleRequest): boolean {
  return req.trustPrincipals.length === 0 && req.trustAccounts.length === 0;
}

/**
 * The role's ARN for a role session: the path comes from iam:GetRole when the role is in the account at
 * hand and the caller may read it; otherwise the path-less ARN, with a note saying so.
 */
async function principalArn(
  r: PrincipalResolution, iam: IAMClient | undefined, account: string | undefined, notes: string[],
): Promise<string> {
  if (r.kind === "principal") return r.arn;
  const fallback = roleArn(r.partition, r.account, "/", r.roleName);
  if (!iam || r.account !== account) {
    notes.push(`${r.sessionArn} is a role session; trusting the role ${fallback} (its path could not be looked up from this account: if the role has a path, pass its full ARN with --trust-principal)`);
    return fallback;
  }
  const { GetRoleCommand } = await import("@aws-sdk/client-iam");
  try {
    const role = (await iam.send(new GetRoleCommand({ RoleName: r.roleName }))).Role;
    if (role?.Arn) return role.Arn;
  } catch (err) {
    const why = isNotFound(err) ? "iam:GetRole found no such role" : `iam:GetRole was refused (${errorName(err)})`;
    notes.push(`${r.sessionArn} is a role session; trusting the role ${fallback} (${why}, so its path is unknown: if the role has a path, pass its full ARN with --trust-principal)`);
  }
  return fallback;
}

export async function desiredRole(
  req: RoleRequest, caller: CallerIdentity | undefined, iam: IAMClient | undefined, region: string | undefined,
  notes: string[],
): Promise<DesiredRole> {
  const resolutions = needsCaller(req)
    ? [resolveCaller(caller?.arn ?? "")]
    : req.trustPrincipals.map(resolveTrustPrincipal);
  const principals: string[] = [];
  for (const r of resolutions) principals.push(await principalArn(r, iam, caller?.account, notes));
  // The partition of the trusted accounts is the one the role lives in: the caller's, else the region's.
  const partition = (caller && parseArn(caller.arn)?.partition) ?? partitionOfRegion(region);
  return {
    roleName: req.roleName,
    description: ROLE_DESCRIPTION,
    trustPolicy: trustPolicy({ principals, accounts: req.trustAccounts, partition, externalId: req.externalId }),
    policies: permissionPolicies(req.servers),
    maxSessionDuration: req.maxSessionDuration,
    tags: req.tags,
  };
}

function extraPolicyNotes(state: RoleState, notes: string[]): void {
  const others = [...state.inline.keys()].filter((n) => !n.startsWith(POLICY_PREFIX));
  if (others.length) notes.push(`the role also has inline policies xaccount does not manage: ${others.join(", ")} (left as they are; review them, the role is meant to be read-only)`);
  if (state.attached.length) notes.push(`the role also has managed policies attached: ${state.attached.join(", ")} (left as they are; review them, the role is meant to be read-only)`);
}

export interface ProvisionOptions {
  dryRun: boolean;
  delete: boolean;
}

/** Converges (or deletes) the role in the account `target` reaches. Never throws: failures are results. */
export async function provisionAccount(target: AwsTarget, req: RoleRequest, opts: ProvisionOptions): Promise<AccountResult> {
  const result: AccountResult = { roleName: req.roleName, profile: target.profile, status: "failed", changes: [], notes: [] };
  const ctx: CallContext = { profile: target.profile };
  let iam: IAMClient | undefined;
  let before: RoleState | undefined;
  let writing = false;
  try {
    const caller = await callerIdentity(target);
    result.account = caller.account;
    result.caller = caller.arn;
    ctx.caller = caller.arn;
    iam = await iamClient(target);
    const region = target.region ?? (await iam.config.region());
    const want = opts.delete ? undefined : await desiredRole(req, caller, iam, region, result.notes);
    result.desired = want;
    const state = await readRole(iam, req.roleName, ctx);
    before = state;
    result.roleArn = state.arn;
    if (want) extraPolicyNotes(state, result.notes);
    const changes: Change[] = want ? planConverge(state, want) : planDelete(state);
    result.changes = changes.map(describeChange);
    if (opts.dryRun) {
      result.status = "planned";
      return result;
    }
    writing = true;
    const createdArn = await applyChanges(iam, want ?? ({ roleName: req.roleName } as DesiredRole), changes, ctx);
    if (createdArn) result.roleArn = createdArn;
    if (opts.delete) result.status = state.exists ? "deleted" : "absent";
    else result.status = !state.exists ? "created" : changes.length ? "updated" : "up-to-date";
    return result;
  } catch (err) {
    result.status = "failed";
    result.error = err instanceof XaError ? err : new XaError("aws-error", err instanceof Error ? err.message : String(err), { exitCode: 1 });
    result.state = await stateAfterFailure();
    return result;
  }

  /** Exactly what exists now: re-read after a failed write; before any write, what was read (if anything). */
  async function stateAfterFailure(): Promise<string> {
    if (!iam) return "nothing was changed (the account was not reached)";
    if (!writing) return `nothing was changed${before ? `; ${describeState(before, result.desired)}` : ""}`;
    try {
      return describeState(await readRole(iam, req.roleName, ctx), result.desired);
    } catch (e) {
      return `some changes were made, but what exists could not be read back (${e instanceof XaError ? e.message : errorName(e)})`;
    }
  }
}
