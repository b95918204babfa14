/**
 * One small function per check of `xaccount test`. Each returns a CheckResult; none throws: a failed
 * check carries its cause and the fix, written for a person who does not know the code.
 */
import { assumeRole, getCallerIdentity, roleArn, type AssumedRole, type CallerIdentity } from "../aws/assume.js";
import { accountOfArn, listClusters, listStacks, type StackSummary } from "../aws/readonly.js";
import type { RoleSettings } from "./plan.js";

export interface CheckResult {
  name: string;
  ok: boolean;
  durationMs: number;
  detail: string;
  /** What to do about a failure; absent on a pass. */
  fix?: string;
  /** True when the check could not run because one it depends on failed. */
  skipped?: boolean;
}

export interface Outcome<T = undefined> {
  ok: boolean;
  detail: string;
  fix?: string;
  value?: T;
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
  return { result, value: outcome.ok ? outcome.value : undefined };
}

export function skipped(name: string, because: string): CheckResult {
  return { name, ok: false, skipped: true, durationMs: 0, detail: `not run: ${because}`, fix: "fix the check it depends on first" };
}

// ---- 1. source identity ---------------------------------------------------------------------

export function checkIdentity(region: string) {
  return timed<CallerIdentity>(
    "source identity (sts:GetCallerIdentity)",
    async () => {
      const id = await getCallerIdentity(region);
      return { ok: true, detail: `${id.arn} in account ${id.account}`, value: id };
    },
    (err) => sourceCredentialsFix(err),
  );
}

// ---- 2. AssumeRole per account ----------------------------------------------------------------

export function checkAssumeRole(accountId: string, role: RoleSettings, region: string, caller: CallerIdentity | undefined) {
  const arn = roleArn(accountId, role.roleName, region);
  return timed<AssumedRole>(
    `assume ${arn}`,
    async () => {
      const assumed = await assumeRole({ accountId, region, ...role });
      const got = accountOfArn(assumed.assumedRoleArn);
      if (got !== undefined && got !== accountId) {
        return { ok: false, detail: `STS returned a session in account ${got}, not ${accountId}`, fix: "check AWS_ENDPOINT_URL / the STS endpoint in use" };
      }
      return { ok: true, detail: `as ${assumed.assumedRoleArn || "(no ARN returned)"}, session ${role.sessionName}, ${role.durationSeconds} s`, value: assumed };
    },
    (err) => assumeRoleFix(err, arn, accountId, role, caller),
  );
}

// ---- 3. read-only calls -----------------------------------------------------------------------

export function checkListClusters(accountId: string, region: string, assumed: AssumedRole) {
  return timed<string[]>(
    `ecs:ListClusters in ${accountId} ${region}`,
    async () => {
      const arns = await listClusters(region, assumed.credentials);
      const foreign = arns.filter((a) => accountOfArn(a) !== accountId);
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
      const stacks = await listStacks(region, assumed.credentials);
      return { ok: true, detail: `${stacks.length} stack(s)${stacks.length ? `: ${stacks.map((s) => s.name).join(", ")}` : ""}`, value: stacks };
    },
    (err) => permissionFix(err, "cloudformation:ListStacks", accountId, region, assumed.roleArn),
  );
}

// ---- fixes chosen from the error ------------------------------------------------------------

export function errorName(err: unknown): string {
  if (err && typeof err === "object") {
    const e = err as { name?: unknown; Code?: unknown; code?: unknown };
    for (const v of [e.Code, e.name, e.code]) if (typeof v === "string" && v !== "Error") return v;
  }
  return "";
}

export function describeError(err: unknown): string {
  const name = errorName(err);
  const message = err instanceof Error ? err.message : String(err);
  return name && !message.startsWith(name) ? `${name}: ${message}` : message;
}

const EXPIRED = /ExpiredToken|TokenRefreshRequired|expired|SSO/i;
const NETWORK = /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|socket hang up|getaddrinfo/;

export function sourceCredentialsFix(err: unknown): string {
  const name = errorName(err);
  const message = err instanceof Error ? err.message : String(err);
  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(message)) {
    return "configure AWS credentials: set AWS_PROFILE (aws configure / aws configure sso), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";
  }
  if (EXPIRED.test(name) || EXPIRED.test(message)) {
    return "the source credentials have expired: run `aws sso login` (for an SSO profile) or get fresh keys, then retry";
  }
  if (name === "InvalidClientTokenId" || name === "SignatureDoesNotMatch") {
    return "the access key is not valid in this region or partition: check the keys, and for an opt-in region enable it for the account or pass --regions";
  }
  if (NETWORK.test(message)) return "cannot reach AWS: check the network, a proxy, and AWS_ENDPOINT_URL if set";
  return "check the source credentials (AWS_PROFILE, environment) and retry";
}

export function assumeRoleFix(err: unknown, arn: string, accountId: string, role: RoleSettings, caller: CallerIdentity | undefined): string {
  const name = errorName(err);
  if (name === "AccessDenied" || name === "AccessDeniedException") {
    const principal = caller?.arn ?? "<your caller ARN>";
    const ext = role.externalId ? " --external-id <the same external id>" : "";
    return (
      `create the role in ${accountId} trusting the caller: with credentials for ${accountId} run ` +
      `\`xaccount create-role --trust-principal ${principal}${ext}\`; or add ${principal} to the trust policy of ${arn}` +
      (role.externalId ? " (its sts:ExternalId condition must equal XACCOUNT_EXTERNAL_ID)" : "") +
      "; and allow sts:AssumeRole on it in the caller's own policies"
    );
  }
  if (name === "RegionDisabledException") {
    return "STS is disabled in this region for the account: activate it (IAM > Account settings > STS endpoints) or use another --regions";
  }
  if (name.startsWith("Throttl")) return "STS throttled the request: retry in a minute";
  return sourceCredentialsFix(err);
}

export function permissionFix(err: unknown, action: string, accountId: string, region: string, arn: string): string {
  const name = errorName(err);
  if (/AccessDenied|UnauthorizedOperation|not authorized/i.test(`${name} ${String(err)}`)) {
    return `the role ${arn} lacks ${action}: re-run \`xaccount create-role --server ecs,iac\` with credentials for ${accountId} to attach the read-only policies`;
  }
  if (name === "UnrecognizedClientException" || name === "InvalidClientTokenId") {
    return `region ${region} may be an opt-in region not enabled for ${accountId}: enable it or leave it out of --regions`;
  }
  return sourceCredentialsFix(err);
}

function shortName(arn: string): string {
  return arn.slice(arn.lastIndexOf("/") + 1);
}
