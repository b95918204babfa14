/**
 * Who may assume the role: turning a caller or a user-given ARN into a principal a trust policy can
 * name, and building the trust policy. Pure: the one AWS lookup this needs (the role's path, via
 * iam:GetRole) is done by the caller of `principalFor` and passed in.
 *
 * Why normalise: a session ARN (`arn:aws:sts::A:assumed-role/R/s`, what SSO and role credentials report
 * from GetCallerIdentity) names one session, not the role. Written into a trust policy it stops matching
 * as soon as the session ends, which is the bug of the script this replaces. The role's own ARN is
 * `arn:<partition>:iam::A:role<path>R`, and IAM rejects a role ARN with the wrong path, so the path has to
 * come from GetRole.
 */
import { usageError, failure } from "../errors.js";

export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

/** Partitions are `aws` and `aws-<name>` (aws-cn, aws-us-gov, aws-iso, ...). */
const ARN_RE = /^arn:(aws(?:-[a-z]+)*):([a-z0-9-]+):([a-z0-9-]*):([0-9]{12}|):(.+)$/;

export function parseArn(text: string): Arn | undefined {
  const m = ARN_RE.exec(text);
  if (!m) return undefined;
  const [, partition, service, region, account, resource] = m as unknown as [string, string, string, string, string, string];
  return { partition, service, region, account, resource };
}

/** Partition of a region: what decides `arn:aws-cn:...` vs `arn:aws:...`. */
export function partitionOfRegion(region: string | undefined): string {
  if (!region) return "aws";
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  if (region.startsWith("us-isob-")) return "aws-iso-b";
  if (region.startsWith("us-iso-")) return "aws-iso";
  return "aws";
}

const NAME = "[A-Za-z0-9_+=,.@-]{1,64}";
/** IAM paths: `/` or `/segments/`, printable ASCII. */
const PATH = "/(?:[\\x21-\\x7E]*/)?";
const USER_RE = new RegExp(`^user(${PATH})(${NAME})$`);
const ROLE_RE = new RegExp(`^role(${PATH})(${NAME})$`);
const SESSION_RE = new RegExp(`^assumed-role/(${NAME})/([A-Za-z0-9_+=,.@-]{1,64})$`);

/** What a caller or a given ARN means for the trust policy. */
export type PrincipalResolution =
  /** Usable as is (an IAM user, a role, an account root given explicitly). */
  | { kind: "principal"; arn: string }
  /** A role session: the role's ARN needs its path, from iam:GetRole on `roleName`. */
  | { kind: "role-session"; partition: string; account: string; roleName: string; sessionArn: string };

export function roleArn(partition: string, account: string, path: string, name: string): string {
  return `arn:${partition}:iam::${account}:role${path || "/"}${name}`;
}

export function accountRootArn(partition: string, account: string): string {
  return `arn:${partition}:iam::${account}:root`;
}

/**
 * Classifies the ARN GetCallerIdentity returned for the credentials in use. Refuses (exit 1) what cannot
 * assume a role: root, and federated-user sessions, with what to do instead.
 */
export function resolveCaller(callerArn: string): PrincipalResolution {
  const arn = parseArn(callerArn);
  if (arn?.service === "iam" && arn.resource === "root") {
    throw failure(
      "root-caller",
      `these are the root credentials of account ${arn.account}; root cannot assume roles, so it must not be the trusted principal`,
      "name who may assume the role: --trust-principal <user or role ARN> or --trust-account <central account ID>, or run as an IAM user or role",
    );
  }
  if (arn?.service === "sts" && arn.resource.startsWith("federated-user/")) {
    throw failure(
      "caller-not-assumable",
      `the caller ${callerArn} is a federated-user session (GetFederationToken), which cannot call sts:AssumeRole`,
      "pass --trust-principal <user or role ARN> or --trust-account <account ID> for whoever will run the MCP server",
    );
  }
  const resolved = arn && resolveArn(arn, callerArn);
  if (!resolved) {
    throw failure(
      "caller-not-supported",
      `cannot derive a trust principal from the caller identity ${callerArn}`,
      "pass --trust-principal <user or role ARN> or --trust-account <account ID>",
    );
  }
  return resolved;
}

/** Validates and classifies a --trust-principal value (exit 2 on a malformed one). */
export function resolveTrustPrincipal(text: string): PrincipalResolution {
  const arn = parseArn(text);
  const resolved = arn && resolveArn(arn, text);
  if (!resolved) {
    throw usageError(
      "arn-invalid",
      `--trust-principal ${JSON.stringify(text)} is not an IAM user, role, account root or assumed-role ARN`,
      "expected e.g. arn:aws:iam::123456789012:role/Admin or arn:aws:iam::123456789012:user/alice",
    );
  }
  return resolved;
}

function resolveArn(arn: Arn, text: string): PrincipalResolution | undefined {
  if (!arn.account || arn.region) return undefined;
  if (arn.service === "iam") {
    if (arn.resource === "root" || USER_RE.test(arn.resource) || ROLE_RE.test(arn.resource)) {
      return { kind: "principal", arn: text };
    }
    return undefined;
  }
  if (arn.service === "sts") {
    const m = SESSION_RE.exec(arn.resource);
    if (m) return { kind: "role-session", partition: arn.partition, account: arn.account, roleName: m[1] as string, sessionArn: text };
  }
  return undefined;
}

export interface TrustOptions {
  principals: readonly string[];
  accounts: readonly string[];
  partition: string;
  externalId?: string | undefined;
}

export interface TrustPolicy {
  Version: "2012-10-17";
  Statement: Array<{
    Sid: string;
    Effect: "Allow";
    Principal: { AWS: string[] };
    Action: "sts:AssumeRole";
    Condition?: { StringEquals: { "sts:ExternalId": string } };
  }>;
}

/**
 * One statement: every trusted principal and account may call sts:AssumeRole, and when an external id is
 * given every one of them must present it (the runtime sends the same XACCOUNT_EXTERNAL_ID for all).
 */
export function trustPolicy(opts: TrustOptions): TrustPolicy {
  const aws = [...new Set([...opts.principals, ...opts.accounts.map((a) => accountRootArn(opts.partition, a))])].sort();
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "McpServerAssumeRole",
        Effect: "Allow",
        Principal: { AWS: aws },
        Action: "sts:AssumeRole",
        ...(opts.externalId ? { Condition: { StringEquals: { "sts:ExternalId": opts.externalId } } } : {}),
      },
    ],
  };
}

/** What a trust policy grants, as far as a rerun may change it: who, and the external id they must present. */
export interface TrustTerms {
  principals: string[];
  /** The sts:ExternalId values a StringEquals condition requires; empty when there is none. */
  externalIds: string[];
}

const asList = (v: unknown): string[] => (typeof v === "string" ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/** Reads the terms of any trust policy document (one IAM returned, or one of ours), tolerating odd shapes. */
export function trustTerms(doc: unknown): TrustTerms {
  const statements = asRecord(doc).Statement;
  const list = Array.isArray(statements) ? statements : statements ? [statements] : [];
  const principals = new Set<string>();
  const ids = new Set<string>();
  for (const st of list.map(asRecord)) {
    if (st.Effect !== "Allow") continue;
    for (const p of asList(asRecord(st.Principal).AWS)) principals.add(p);
    for (const id of asList(asRecord(asRecord(st.Condition).StringEquals)["sts:ExternalId"])) ids.add(id);
  }
  return { principals: [...principals].sort(), externalIds: [...ids].sort() };
}

function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** One line per difference between two trust policies, for a person to read before the change is made. */
export function trustChanges(before: unknown, after: unknown): string[] {
  const a = trustTerms(before);
  const b = trustTerms(after);
  const out: string[] = [];
  for (const p of b.principals) if (!a.principals.includes(p)) out.push(`trust ${p}`);
  for (const p of a.principals) if (!b.principals.includes(p)) out.push(`stop trusting ${p}`);
  // The value is a shared secret: say what changes, never what it is.
  if (a.externalIds.length && !b.externalIds.length) out.push("drop the sts:ExternalId condition (anyone trusted may assume the role without it)");
  else if (!a.externalIds.length && b.externalIds.length) out.push("require an sts:ExternalId");
  else if (a.externalIds.join("\n") !== b.externalIds.join("\n")) out.push("change the required sts:ExternalId");
  if (!out.length && JSON.stringify(before) !== JSON.stringify(after)) out.push("rewrite the trust policy in xaccount's form (same principals and external id)");
  return out;
}
