/**
 * The permission documents of the role that the patched servers assume, as data.
 *
 * Each set lists explicit read actions (never `service:*`, never a wildcard verb) derived from the server's
 * own code (src/aws/derive): the clients it creates, the methods it calls on them, and the operations its
 * resource-management tool dispatches on by name, mapped to IAM actions with botocore's models; writes,
 * iam and sts are left out and reported. Without a path, a set is the derivation of the newest release the
 * project tests (releases.ts, with its version); `create-role --server ecs:<path>` derives from the
 * installed server instead.
 */
import { RELEASES } from "./derive/releases.js";

/** The sets with built-in actions (`--server ecs,iac`). Any other AWS Labs server is a set too, named as
 * `patch` names it (eks, cloudwatch, ...), derived from where it is installed (`--server eks:<path>`). */
export const SERVER_SETS = ["ecs", "iac"] as const;
export type BuiltInSet = (typeof SERVER_SETS)[number];
export type ServerSet = string;

export function isBuiltInSet(set: string): set is BuiltInSet {
  return (SERVER_SETS as readonly string[]).includes(set);
}

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: "*";
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** One statement per IAM prefix, its Sid naming the service for whoever audits it (e.g. `EcsRead`). */
export function statementsFor(actions: readonly string[]): PolicyStatement[] {
  const byPrefix = new Map<string, string[]>();
  for (const action of [...new Set(actions)].sort()) {
    const prefix = action.split(":")[0] as string;
    byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), action]);
  }
  return [...byPrefix.entries()].map(([prefix, list]) => ({
    Sid: `${prefix.split(/[^a-z0-9]/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("")}Read`,
    Effect: "Allow" as const,
    Action: list,
    Resource: "*" as const,
  }));
}

/** The built-in actions of a set: those derived from the newest release the project tests. */
export function releaseActions(set: ServerSet): string[] {
  // Only the built-in sets have release data; any other set comes with actions derived from a path.
  return isBuiltInSet(set) ? RELEASES[set].actions.map((a) => a.action) : [];
}

/**
 * The reads `xaccount test` makes with the role in each account (src/aws/readonly.ts), granted by every set:
 * the smoke test of a role made with `--server iac` must not fail on the ECS read, nor the reverse.
 */
export const SMOKE_TEST_ACTIONS = { listClusters: "ecs:ListClusters", listStacks: "cloudformation:ListStacks" } as const;
const SMOKE_SID = "XaccountTestRead";

/** Prefix of the inline policies xaccount owns on the role; others are left alone. */
export const POLICY_PREFIX = "xaccount-";

export function policyName(set: ServerSet): string {
  return `${POLICY_PREFIX}${set}-read-only`;
}

/** The document for a set: its built-in actions, or `actions` derived from an installed server. */
export function permissionPolicy(set: ServerSet, actions: readonly string[] = releaseActions(set)): PolicyDocument {
  const statements = statementsFor(actions);
  const granted = new Set(statements.flatMap((s) => s.Action));
  const smoke = Object.values(SMOKE_TEST_ACTIONS).filter((a) => !granted.has(a)).sort();
  if (smoke.length) statements.push({ Sid: SMOKE_SID, Effect: "Allow", Action: smoke, Resource: "*" });
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * The inline policies the role should carry for these server sets, by policy name; `derived` replaces a
 * set's built-in actions with those derived from an installed server.
 */
export function permissionPolicies(sets: readonly ServerSet[], derived: Partial<Record<ServerSet, readonly string[]>> = {}): Map<string, PolicyDocument> {
  const out = new Map<string, PolicyDocument>();
  for (const set of SERVER_SETS) if (sets.includes(set)) out.set(policyName(set), permissionPolicy(set, derived[set]));
  for (const set of [...sets].filter((s) => !isBuiltInSet(s)).sort()) out.set(policyName(set), permissionPolicy(set, derived[set]));
  return out;
}
