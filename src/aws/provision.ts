/**
 * create-role for one account: who is calling, what the role should be, what exists, and converging it
 * (or deleting it). The command loops over accounts and renders; this does the work for one.
 */
import type { IAMClient } from "@aws-sdk/client-iam";
import { XaError, usageError } from "../errors.js";
import { iamClient, type AwsTarget } from "./clients.js";
import { errorName, isNotFound, type CallContext } from "./errors.js";
import { POLICY_PREFIX, permissionPolicies, type ServerSet } from "./policies.js";
import {
  applyChanges, describeChange, describeState, planConverge, planDelete, readRole,
  type Change, type DesiredRole, type RoleState,
} from "./role.js";
import { callerIdentity, type CallerIdentity } from "./sts.js";
import {
  partitionOfRegion, parseArn, resolveCaller, resolveTrustPrincipal, roleArn, trustPolicy, trustTerms,
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
  /** Let a rerun drop an existing sts:ExternalId condition or lower a larger MaxSessionDuration. */
  replaceTrust?: boolean | undefined;
  /** Actions derived from an installed server, replacing a set's built-in ones (`--server ecs:<path>`). */
  derived?: Partial<Record<ServerSet, readonly string[]>> | undefined;
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
    policies: permissionPolicies(req.servers, req.derived),
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
  /** Called with the planned changes after reading the role and before the first write (not on a dry run). */
  beforeWrite?: ((account: string, changes: string[]) => void) | undefined;
}

/**
 * A rerun never weakens what exists without being asked: without --external-id the role keeps its
 * sts:ExternalId condition, and a larger MaxSessionDuration than asked stays (the runtime may rely on it),
 * unless --replace-trust. Returns the role to converge to, and notes on what was kept.
 */
export function keepExistingTerms(state: RoleState, want: DesiredRole, req: RoleRequest, partition: string): { want: DesiredRole; notes: string[] } {
  if (!state.exists || req.replaceTrust) return { want, notes: [] };
  const notes: string[] = [];
  let out = want;
  const have = trustTerms(state.trustPolicy);
  if (req.externalId === undefined && have.externalIds.length > 0) {
    if (have.externalIds.length > 1) {
      throw usageError(
        "trust-would-weaken",
        `role ${want.roleName} accepts ${have.externalIds.length} external ids; without --external-id this run would drop the condition`,
        "pass --external-id <the id the MCP servers use>, or --replace-trust to drop the condition on purpose",
      );
    }
    const wanted = trustTerms(want.trustPolicy).principals;
    const accounts = wanted.filter((p) => /^arn:[^:]+:iam::[0-9]{12}:root$/.test(p)).map((p) => p.split(":")[4] as string);
    const principals = wanted.filter((p) => !accounts.some((a) => p.endsWith(`:${a}:root`)));
    out = { ...out, trustPolicy: trustPolicy({ principals, accounts, partition, externalId: have.externalIds[0] }) };
    notes.push("kept the role's sts:ExternalId condition (no --external-id given); pass --external-id to change it or --replace-trust to drop it");
  }
  if (state.maxSessionDuration !== undefined && state.maxSessionDuration > want.maxSessionDuration) {
    out = { ...out, maxSessionDuration: state.maxSessionDuration };
    notes.push(`kept the role's MaxSessionDuration of ${state.maxSessionDuration} s (larger than the ${want.maxSessionDuration} s asked); pass --replace-trust to lower it`);
  }
  return { want: out, notes };
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
    const asked = opts.delete ? undefined : await desiredRole(req, caller, iam, region, result.notes);
    const state = await readRole(iam, req.roleName, ctx);
    before = state;
    result.roleArn = state.arn;
    let want = asked;
    if (asked) {
      const kept = keepExistingTerms(state, asked, req, parseArn(caller.arn)?.partition ?? partitionOfRegion(region));
      want = kept.want;
      result.notes.push(...kept.notes);
    }
    result.desired = want;
    if (want) extraPolicyNotes(state, result.notes);
    const changes: Change[] = want ? planConverge(state, want) : planDelete(state);
    result.changes = changes.map(describeChange);
    if (opts.dryRun) {
      result.status = "planned";
      return result;
    }
    if (changes.length) opts.beforeWrite?.(caller.account, result.changes);
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
