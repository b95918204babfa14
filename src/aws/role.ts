/**
 * The role in one account: read what exists, plan the changes that converge it to what is wanted (pure),
 * apply them, or delete it.
 *
 * Inline policies, not managed ones: the permissions belong to this one role and nothing else should
 * attach them; PutRolePolicy replaces a document in place, so a rerun converges with one call and there is
 * no five-version limit to manage; deleting the role's inline policies leaves nothing behind in the
 * account; and the documents (about 2 KB) are far below the 10,240-character inline quota per role. The
 * role's own policies are the inline ones named `xaccount-*`; anything else on the role is reported, not
 * touched (except by --delete, which must remove it to delete the role).
 */
import type { IAMClient } from "@aws-sdk/client-iam";
import { awsCall, explainAwsError, isNotFound, type CallContext } from "./errors.js";
import { POLICY_PREFIX, type PolicyDocument } from "./policies.js";
import { trustChanges, type TrustPolicy } from "./trust.js";

export const MANAGED_BY_TAG = { key: "managed-by", value: "xaccount" } as const;

export interface DesiredRole {
  roleName: string;
  description: string;
  trustPolicy: TrustPolicy;
  policies: Map<string, PolicyDocument>;
  maxSessionDuration: number;
  tags: Record<string, string>;
}

export interface RoleState {
  exists: boolean;
  arn?: string | undefined;
  trustPolicy?: unknown;
  description?: string | undefined;
  maxSessionDuration?: number | undefined;
  tags: Record<string, string>;
  /** Every inline policy on the role, by name, with its document. */
  inline: Map<string, unknown>;
  /** ARNs of attached managed policies. */
  attached: string[];
}

export type Change =
  | { kind: "create-role" }
  | { kind: "update-trust"; details: string[] }
  | { kind: "update-settings"; what: string[] }
  | { kind: "put-policy"; name: string; isNew: boolean }
  | { kind: "delete-policy"; name: string }
  | { kind: "tag"; keys: string[] }
  | { kind: "detach-policy"; arn: string }
  | { kind: "delete-role" };

export function describeChange(c: Change): string {
  switch (c.kind) {
    case "create-role": return "create role";
    case "update-trust": return `update trust policy${c.details.length ? ` (${c.details.join("; ")})` : ""}`;
    case "update-settings": return `update ${c.what.join(" and ")}`;
    case "put-policy": return `${c.isNew ? "add" : "update"} policy ${c.name}`;
    case "delete-policy": return `delete policy ${c.name}`;
    case "tag": return `tag ${c.keys.join(", ")}`;
    case "detach-policy": return `detach managed policy ${c.arn}`;
    case "delete-role": return "delete role";
  }
}

/** IAM returns policy documents URL-encoded; tolerate both forms. */
export function decodePolicy(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  const raw = text.trimStart().startsWith("{") ? text : decodeURIComponent(text);
  return JSON.parse(raw) as unknown;
}

/** Keys whose value may be a string or a list meaning the same set: compared as sorted lists. */
const SET_KEYS = new Set(["Action", "NotAction", "Resource", "NotResource", "AWS", "Service", "Federated"]);

/** A form of a policy document where equal meaning gives equal JSON (key order, one-element lists). */
export function canonical(value: unknown, key = ""): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => canonical(v));
    return items.every((v) => typeof v === "string") ? [...(items as string[])].sort() : items;
  }
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    return Object.fromEntries(Object.keys(obj).sort().map((k) => [k, canonical(obj[k], k)]));
  }
  if (typeof value === "string" && SET_KEYS.has(key)) return [value];
  return value;
}

export function samePolicy(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

export function desiredTags(role: DesiredRole): Record<string, string> {
  return { ...role.tags, [MANAGED_BY_TAG.key]: MANAGED_BY_TAG.value };
}

/** The changes that take `state` to `want`; empty when it is up to date. */
export function planConverge(state: RoleState, want: DesiredRole): Change[] {
  if (!state.exists) {
    return [{ kind: "create-role" }, ...[...want.policies.keys()].map((name) => ({ kind: "put-policy" as const, name, isNew: true }))];
  }
  const changes: Change[] = [];
  if (!samePolicy(state.trustPolicy, want.trustPolicy)) changes.push({ kind: "update-trust", details: trustChanges(state.trustPolicy, want.trustPolicy) });
  const settings: string[] = [];
  if (state.maxSessionDuration !== want.maxSessionDuration) settings.push("max session duration");
  if ((state.description ?? "") !== want.description) settings.push("description");
  if (settings.length) changes.push({ kind: "update-settings", what: settings });
  for (const [name, doc] of want.policies) {
    const have = state.inline.get(name);
    if (have === undefined) changes.push({ kind: "put-policy", name, isNew: true });
    else if (!samePolicy(have, doc)) changes.push({ kind: "put-policy", name, isNew: false });
  }
  for (const name of state.inline.keys()) {
    if (name.startsWith(POLICY_PREFIX) && !want.policies.has(name)) changes.push({ kind: "delete-policy", name });
  }
  const tags = desiredTags(want);
  const tagKeys = Object.keys(tags).filter((k) => state.tags[k] !== tags[k]);
  if (tagKeys.length) changes.push({ kind: "tag", keys: tagKeys });
  return changes;
}

/** What deleting the role takes: every inline policy, every attachment, then the role. */
export function planDelete(state: RoleState): Change[] {
  if (!state.exists) return [];
  return [
    ...[...state.inline.keys()].map((name) => ({ kind: "delete-policy" as const, name })),
    ...state.attached.map((arn) => ({ kind: "detach-policy" as const, arn })),
    { kind: "delete-role" },
  ];
}

/** Reads the role and its policies. A role that does not exist gives `exists: false`. */
export async function readRole(iam: IAMClient, roleName: string, ctx: CallContext): Promise<RoleState> {
  const sdk = await import("@aws-sdk/client-iam");
  const res = `role ${roleName}`;
  let role;
  try {
    role = (await iam.send(new sdk.GetRoleCommand({ RoleName: roleName }))).Role;
  } catch (err) {
    if (isNotFound(err)) return { exists: false, tags: {}, inline: new Map(), attached: [] };
    throw explainAwsError(err, "iam:GetRole", res, ctx);
  }
  const names: string[] = [];
  let marker: string | undefined;
  do {
    const page = await awsCall("iam:ListRolePolicies", res, ctx, () =>
      iam.send(new sdk.ListRolePoliciesCommand({ RoleName: roleName, Marker: marker })),
    );
    names.push(...(page.PolicyNames ?? []));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  const inline = new Map<string, unknown>();
  for (const name of names) {
    const got = await awsCall("iam:GetRolePolicy", res, ctx, () =>
      iam.send(new sdk.GetRolePolicyCommand({ RoleName: roleName, PolicyName: name })),
    );
    inline.set(name, decodePolicy(got.PolicyDocument));
  }
  const attached: string[] = [];
  marker = undefined;
  do {
    const page = await awsCall("iam:ListAttachedRolePolicies", res, ctx, () =>
      iam.send(new sdk.ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker: marker })),
    );
    attached.push(...(page.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? ""));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return {
    exists: true,
    arn: role?.Arn,
    trustPolicy: decodePolicy(role?.AssumeRolePolicyDocument),
    description: role?.Description,
    maxSessionDuration: role?.MaxSessionDuration,
    tags: Object.fromEntries((role?.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""])),
    inline,
    attached,
  };
}

/**
 * Applies planned changes in order; the first failure stops (the caller reports what exists then).
 * Returns the new role's ARN when the changes created it.
 */
export async function applyChanges(iam: IAMClient, want: DesiredRole, changes: Change[], ctx: CallContext): Promise<string | undefined> {
  const sdk = await import("@aws-sdk/client-iam");
  let createdArn: string | undefined;
  const RoleName = want.roleName;
  const res = `role ${RoleName}`;
  const tags = desiredTags(want);
  for (const c of changes) {
    switch (c.kind) {
      case "create-role":
        createdArn = (await awsCall("iam:CreateRole", res, ctx, () =>
          iam.send(new sdk.CreateRoleCommand({
            RoleName,
            Description: want.description,
            AssumeRolePolicyDocument: JSON.stringify(want.trustPolicy),
            MaxSessionDuration: want.maxSessionDuration,
            Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
          })),
        )).Role?.Arn;
        break;
      case "update-trust":
        await awsCall("iam:UpdateAssumeRolePolicy", res, ctx, () =>
          iam.send(new sdk.UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: JSON.stringify(want.trustPolicy) })),
        );
        break;
      case "update-settings":
        await awsCall("iam:UpdateRole", res, ctx, () =>
          iam.send(new sdk.UpdateRoleCommand({ RoleName, Description: want.description, MaxSessionDuration: want.maxSessionDuration })),
        );
        break;
      case "put-policy": {
        const doc = want.policies.get(c.name);
        await awsCall("iam:PutRolePolicy", `${res} (policy ${c.name})`, ctx, () =>
          iam.send(new sdk.PutRolePolicyCommand({ RoleName, PolicyName: c.name, PolicyDocument: JSON.stringify(doc) })),
        );
        break;
      }
      case "delete-policy":
        await awsCall("iam:DeleteRolePolicy", `${res} (policy ${c.name})`, ctx, () =>
          iam.send(new sdk.DeleteRolePolicyCommand({ RoleName, PolicyName: c.name })),
        );
        break;
      case "tag":
        await awsCall("iam:TagRole", res, ctx, () =>
          iam.send(new sdk.TagRoleCommand({ RoleName, Tags: c.keys.map((Key) => ({ Key, Value: tags[Key] ?? "" })) })),
        );
        break;
      case "detach-policy":
        await awsCall("iam:DetachRolePolicy", `${res} (policy ${c.arn})`, ctx, () =>
          iam.send(new sdk.DetachRolePolicyCommand({ RoleName, PolicyArn: c.arn })),
        );
        break;
      case "delete-role":
        await awsCall("iam:DeleteRole", res, ctx, () => iam.send(new sdk.DeleteRoleCommand({ RoleName })));
        break;
    }
  }
  return createdArn;
}

/** One line on what exists, for a person deciding what to do after a failure. */
export function describeState(state: RoleState, want: DesiredRole | undefined): string {
  if (!state.exists) return want ? `role ${want.roleName} does not exist` : "the role does not exist";
  const parts = [`role ${state.arn ?? ""} exists`];
  if (want) {
    parts.push(samePolicy(state.trustPolicy, want.trustPolicy) ? "trust policy up to date" : "trust policy differs from the wanted one");
    for (const [name, doc] of want.policies) {
      const have = state.inline.get(name);
      parts.push(have === undefined ? `policy ${name} missing` : samePolicy(have, doc) ? `policy ${name} up to date` : `policy ${name} outdated`);
    }
  }
  const others = [...state.inline.keys()].filter((n) => !want?.policies.has(n));
  if (others.length) parts.push(`other inline policies: ${others.join(", ")}`);
  if (state.attached.length) parts.push(`attached managed policies: ${state.attached.join(", ")}`);
  return parts.join("; ");
}
