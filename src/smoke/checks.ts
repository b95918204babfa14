/**
 * One small function per check of `xaccount test`. Each returns a CheckResult; none throws: a failed
 * check carries its cause and the fix, written for a person who does not know the code.
 */
import { XaError } from "../errors.js";
import { listClusters, listStacks, type StackSummary } from "../aws/readonly.js";
import { assumeRoleInAccount, callerIdentity, type AssumedRole, type CallerIdentity } from "../aws/sts.js";
import { parseArn, partitionOfRegion, roleArn } from "../aws/trust.js";
import type { RoleSettings } from "./plan.js";

export interface CheckResult {
  name: string;
  ok: boolean;
  durationMs: number;
  detail: string;
  /** What to do about a failure or a skip; absent on a pass. */
  fix?: string;
  /**
   * SKIP, never PASS: the check proved nothing, either because one it depends on failed (not run) or
   * because there was nothing to prove it with (no cluster to tell accounts apart, no stack to read).
   */
  skipped?: boolean;
}

export interface Outcome<T = undefined> {
  ok: boolean;
  detail: string;
  fix?: string;
  value?: T;
  /** With ok false: the check ran but proved nothing (SKIP); `detail` says why, `fix` how to make it prove. */
  skip?: boolean;
}

/** Runs one check, timing it; an exception becomes a failure with a fix chosen from the error. */
export async function timed<T>(
  name: string,
  body: () => Promise<Outcome<T>>,
  fixFor: (err: unknown) => string,
): Promise<{ result: CheckResult; value: T | undefined }> {
  const started = performance.now();
  let outcome: Outcome<T>;
  try {
    outcome = await body();
  } catch (err) {
    outcome = { ok: false, detail: describeError(err), fix: fixFor(err) };
  }
  const result: CheckResult = {
    name,
    ok: outcome.ok,
    durationMs: Math.round(performance.now() - started),
    detail: outcome.detail,
  };
  if (!outcome.ok) result.fix = outcome.fix ?? "see the detail above";
  if (!outcome.ok && outcome.skip) result.skipped = true;
  return { result, value: outcome.ok ? outcome.value : undefined };
}

export function skipped(name: string, because: string): CheckResult {
  return { name, ok: false, skipped: true, durationMs: 0, detail: `not run: ${because}`, fix: "fix the check it depends on first" };
}

// ---- 1. source identity ---------------------------------------------------------------------

export function checkIdentity(region: string, profile?: string) {
  return timed<CallerIdentity>(
    "source identity (sts:GetCallerIdentity)",
    async () => {
      const id = await callerIdentity({ region, profile });
      return { ok: true, detail: `${id.arn} in account ${id.account}`, value: id };
    },
    (err) => sourceCredentialsFix(err),
  );
}

// ---- 2. AssumeRole per account ----------------------------------------------------------------

export function checkAssumeRole(accountId: string, role: RoleSettings, region: string, caller: CallerIdentity | undefined, profile?: string) {
  const arn = roleArn(partitionOfRegion(region), accountId, "/", role.roleName);
  return timed<AssumedRole>(
    `assume ${arn}`,
    async () => {
      if (role.allowedAccounts && !role.allowedAccounts.includes(accountId)) {
        return {
          ok: false,
          detail: `${accountId} is not in XACCOUNT_ALLOWED_ACCOUNTS: the patched server would refuse calls for it`,
          fix: `add ${accountId} to XACCOUNT_ALLOWED_ACCOUNTS (here and in the MCP client's server configuration), or leave it out of --accounts`,
        };
      }
      const assumed = await assumeRoleInAccount({
        accountId,
        region,
        profile,
        roleName: role.roleName,
        externalId: role.externalId,
        sessionName: role.sessionName,
        durationSeconds: role.durationSeconds,
      });
      const got = parseArn(assumed.sessionArn)?.account;
      if (got !== undefined && got !== accountId) {
        return { ok: false, detail: `STS returned a session in account ${got}, not ${accountId}`, fix: "check AWS_ENDPOINT_URL / the STS endpoint in use" };
      }
      return { ok: true, detail: `as ${assumed.sessionArn || "(no ARN returned)"}, session ${role.sessionName}, ${role.durationSeconds} s`, value: assumed };
    },
    (err) => assumeRoleFix(err, arn, accountId, role, caller),
  );
}

// ---- 3. read-only calls -----------------------------------------------------------------------

export function checkListClusters(accountId: string, region: string, assumed: AssumedRole) {
  return timed<string[]>(
    `ecs:ListClusters in ${accountId} ${region}`,
    async () => {
      const arns = await listClusters(region, assumed);
      const foreign = arns.filter((a) => parseArn(a)?.account !== accountId);
      if (foreign.length > 0) {
        return { ok: false, detail: `listed clusters of another account: ${foreign.join(", ")}`, fix: "the role's credentials do not belong to this account: check the endpoint and the role ARN" };
      }
      return { ok: true, detail: `${arns.length} cluster(s)${arns.length ? `: ${arns.map(shortName).join(", ")}` : ""}`, value: arns };
    },
    (err) => permissionFix(err, "ecs:ListClusters", accountId, region, assumed.roleArn),
  );
}

export function checkListStacks(accountId: string, region: string, assumed: AssumedRole) {
  return timed<StackSummary[]>(
    `cloudformation:ListStacks in ${accountId} ${region}`,
    async () => {
      const stacks = await listStacks(region, assumed);
      return { ok: true, detail: `${stacks.length} stack(s)${stacks.length ? `: ${stacks.map((s) => s.name).join(", ")}` : ""}`, value: stacks };
    },
    (err) => permissionFix(err, "cloudformation:ListStacks", accountId, region, assumed.roleArn),
  );
}

// ---- fixes chosen from the error ------------------------------------------------------------
// src/aws turns SDK errors into XaErrors with a cause and a hint; the hint is the fix, sharpened
// here where this command knows more (which account, which role, which command to run).

export function describeError(err: unknown): string {
  if (err instanceof XaError) return `${err.message} [${err.code}]`;
  return err instanceof Error ? err.message : String(err);
}

function hintOf(err: unknown, fallback: string): string {
  return err instanceof XaError && err.hint ? err.hint : fallback;
}

export function sourceCredentialsFix(err: unknown): string {
  return hintOf(err, "check the source credentials (AWS_PROFILE, environment variables) and run again");
}

export function assumeRoleFix(err: unknown, arn: string, accountId: string, role: RoleSettings, caller: CallerIdentity | undefined): string {
  if (err instanceof XaError && err.code === "assume-role-denied") {
    const principal = caller?.arn ?? "<your caller ARN>";
    const ext = role.externalId ? " --external-id <the value of XACCOUNT_EXTERNAL_ID>" : "";
    return (
      `with credentials for ${accountId}, run \`xaccount create-role --trust-principal ${principal}${ext}\`, ` +
      `or add ${principal} to the trust policy of ${arn}` +
      (role.externalId ? " with an sts:ExternalId condition equal to XACCOUNT_EXTERNAL_ID" : "") +
      "; the caller's own policies must also allow sts:AssumeRole on it"
    );
  }
  return sourceCredentialsFix(err);
}

export function permissionFix(err: unknown, action: string, accountId: string, region: string, arn: string): string {
  if (err instanceof XaError && err.code === "aws-access-denied") {
    return (
      `the role ${arn} lacks ${action}, which every policy set of this xaccount grants: ` +
      `with administrator credentials for ${accountId} run \`xaccount create-role --profile <a profile for ${accountId}>\` ` +
      "(with the same --trust-principal / --trust-account and --external-id as before) to update its policies"
    );
  }
  if (err instanceof XaError && err.code === "aws-credentials") {
    return `${err.hint ?? ""}; if ${region} is an opt-in region, enable it for ${accountId} or leave it out of --regions`.replace(/^; /, "");
  }
  return hintOf(err, "see the detail above");
}

function shortName(arn: string): string {
  return arn.slice(arn.lastIndexOf("/") + 1);
}
