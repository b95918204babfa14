/**
 * `create-role --stackset`, the pure part: what the stack set should be, what to do given what exists, and
 * the request documents for CloudFormation. No I/O here: src/aws/stackset.ts reads and writes.
 *
 * The stack set is service-managed (AWS creates the execution roles through Organizations trusted access)
 * with automatic deployment, so an account that joins a target OU later gets the role without a rerun, and
 * one that leaves loses it (RetainStacksOnAccountRemoval false: a read-only role has nothing to keep).
 */
import type {
  CreateStackInstancesCommandInput,
  CreateStackSetCommandInput,
  DeleteStackInstancesCommandInput,
  StackSetOperationPreferences,
  UpdateStackSetCommandInput,
} from "@aws-sdk/client-cloudformation";
import { usageError } from "../errors.js";

export type CallAs = "SELF" | "DELEGATED_ADMIN";

/** A count of accounts, or a percentage of the accounts in the region. */
export type Amount = { count: number } | { percent: number };

export interface OperationPrefs {
  failureTolerance: Amount;
  maxConcurrency: Amount;
}

/**
 * Defaults: up to a quarter of the accounts at once, and a tenth may fail before a region's operation
 * stops. With SOFT_FAILURE_TOLERANCE the concurrency is not capped at failure tolerance + 1 (STRICT's
 * rule), so a zero tolerance does not mean one account at a time.
 */
export const DEFAULT_FAILURE_TOLERANCE = "10%";
export const DEFAULT_MAX_CONCURRENCY = "25%";

/** What the command asked for, validated. */
export interface StackSetRequest {
  name: string;
  /** OU or root ids; empty with --delete means "the stack set's own targets". */
  targets: string[];
  /** Regions to deploy into; filled with the caller's region when none was given. */
  regions: string[];
  callAs: CallAs;
  prefs: OperationPrefs;
}

/** `--failure-tolerance` / `--max-concurrency`: `3` (accounts) or `25%`. */
export function parseAmount(text: string, flag: string, min: number): Amount {
  const m = /^([0-9]{1,4})(%?)$/.exec(text.trim());
  const n = m ? Number(m[1]) : NaN;
  const percent = m?.[2] === "%";
  if (!m || n < min || (percent && n > 100)) {
    throw usageError(
      "stackset-preference-invalid",
      `${flag} ${JSON.stringify(text)} must be a whole number of accounts (>= ${min}) or a percentage (${min}%-100%)`,
      `e.g. ${flag} ${min === 0 ? "0" : "10"} or ${flag} 25%`,
    );
  }
  return percent ? { percent: n } : { count: n };
}

/** CloudFormation's pattern for a stack set name: a letter, then letters, digits and '-' (128 at most). */
export function stackSetName(text: string, flag = "--stackset-name"): string {
  if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(text)) {
    throw usageError(
      "stackset-name-invalid",
      `${flag} ${JSON.stringify(text)} is not a stack set name (a letter, then up to 127 letters, digits and '-')`,
      "pass --stackset-name with such a name",
    );
  }
  return text;
}

/** The default name: `xaccount-<role name>`, with what a stack set name cannot hold turned into '-'. */
export function defaultStackSetName(roleName: string): string {
  return `xaccount-${roleName.replace(/[^A-Za-z0-9-]/g, "-")}`.slice(0, 128);
}

export function operationPreferences(prefs: OperationPrefs): StackSetOperationPreferences {
  const tolerance = "count" in prefs.failureTolerance
    ? { FailureToleranceCount: prefs.failureTolerance.count }
    : { FailureTolerancePercentage: prefs.failureTolerance.percent };
  const concurrency = "count" in prefs.maxConcurrency
    ? { MaxConcurrentCount: prefs.maxConcurrency.count }
    : { MaxConcurrentPercentage: prefs.maxConcurrency.percent };
  // IAM is global: regions are independent copies of one role name, so there is no order to keep.
  return { RegionConcurrencyType: "PARALLEL", ConcurrencyMode: "SOFT_FAILURE_TOLERANCE", ...tolerance, ...concurrency };
}

/** The template as the stack set stores it: the same text `--format cloudformation` prints. */
export function templateBody(template: Record<string, unknown>): string {
  return JSON.stringify(template, null, 2);
}

const AUTO_DEPLOYMENT = { Enabled: true, RetainStacksOnAccountRemoval: false } as const;
/** The template creates a named IAM role. */
const CAPABILITIES = ["CAPABILITY_NAMED_IAM"] as const;
const DESCRIPTION = "McpReadOnlyRole for AWS Labs MCP servers patched by xaccount (xaccount create-role --stackset)";

export function createStackSetInput(req: StackSetRequest, body: string): CreateStackSetCommandInput {
  return {
    StackSetName: req.name,
    Description: DESCRIPTION,
    TemplateBody: body,
    Capabilities: [...CAPABILITIES],
    PermissionModel: "SERVICE_MANAGED",
    AutoDeployment: { ...AUTO_DEPLOYMENT },
    CallAs: req.callAs,
    Tags: [{ Key: "managed-by", Value: "xaccount" }],
  };
}

/** An update of the template (and auto-deployment) goes to every instance the stack set has. */
export function updateStackSetInput(req: StackSetRequest, body: string): UpdateStackSetCommandInput {
  return {
    StackSetName: req.name,
    Description: DESCRIPTION,
    TemplateBody: body,
    Capabilities: [...CAPABILITIES],
    PermissionModel: "SERVICE_MANAGED",
    AutoDeployment: { ...AUTO_DEPLOYMENT },
    OperationPreferences: operationPreferences(req.prefs),
    CallAs: req.callAs,
  };
}

export function createInstancesInput(req: StackSetRequest, targets: string[], regions: string[]): CreateStackInstancesCommandInput {
  return {
    StackSetName: req.name,
    DeploymentTargets: { OrganizationalUnitIds: [...targets] },
    Regions: [...regions],
    OperationPreferences: operationPreferences(req.prefs),
    CallAs: req.callAs,
  };
}

/** RetainStacks false: the instances' stacks (and so the roles) are deleted, not orphaned. */
export function deleteInstancesInput(req: StackSetRequest, targets: string[], regions: string[]): DeleteStackInstancesCommandInput {
  return {
    StackSetName: req.name,
    DeploymentTargets: { OrganizationalUnitIds: [...targets] },
    Regions: [...regions],
    RetainStacks: false,
    OperationPreferences: operationPreferences(req.prefs),
    CallAs: req.callAs,
  };
}

/** The parts of an existing stack set that decide what to do. */
export interface ExistingStackSet {
  templateBody: string | undefined;
  parameterCount: number;
  permissionModel: string | undefined;
  /** undefined when the service did not say (moto 5.2.5 does not keep AutoDeployment). */
  autoDeployment: { enabled?: boolean | undefined; retain?: boolean | undefined } | undefined;
  /** The OU/root ids the stack set deploys to; undefined when the service did not say (moto 5.2.5). */
  organizationalUnitIds: string[] | undefined;
}

export interface Instance {
  account: string;
  region: string;
  /** The OU the instance was deployed through, when the service says (AWS does; moto 5.2.5 does not). */
  ou?: string | undefined;
  status: string;
  detailedStatus?: string | undefined;
  reason?: string | undefined;
}

export type Step =
  | { kind: "create-stack-set" }
  | { kind: "update-stack-set"; why: string }
  | { kind: "create-instances"; targets: string[]; regions: string[] };

/**
 * Two templates are the same when they parse to the same JSON (the service may re-serialise whitespace);
 * text that does not parse is compared as text.
 */
export function sameTemplate(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  try {
    return JSON.stringify(sortKeys(JSON.parse(a))) === JSON.stringify(sortKeys(JSON.parse(b)));
  } catch {
    return a === b;
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    // An object's keys are distinct: never equal, so no 0 case.
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, x]) => [k, sortKeys(x)]));
  }
  return v;
}

/**
 * Which (target, region) pairs are deployed already. AWS says so itself (the stack set's
 * OrganizationalUnitIds with its instances' regions, or each instance's OrganizationalUnitId). When the
 * service says neither (an emulator), a target counts as deployed in a region when every ACTIVE account
 * under it (`accountsUnder`) has an instance there; a target with no account is deployed by nobody.
 */
export function deployedPairs(
  existing: ExistingStackSet,
  instances: readonly Instance[],
  targets: readonly string[],
  regions: readonly string[],
  accountsUnder: ReadonlyMap<string, readonly string[]> | undefined,
): Set<string> {
  const done = new Set<string>();
  const instanceRegions = new Set(instances.map((i) => i.region));
  const serviceSays = existing.organizationalUnitIds !== undefined || instances.some((i) => i.ou !== undefined);
  for (const t of targets) {
    for (const r of regions) {
      let deployed: boolean;
      if (serviceSays) {
        deployed = instances.some((i) => i.ou === t && i.region === r)
          || ((existing.organizationalUnitIds ?? []).includes(t) && instanceRegions.has(r));
      } else {
        const accounts = accountsUnder?.get(t) ?? [];
        deployed = accounts.length > 0 && accounts.every((a) => instances.some((i) => i.account === a && i.region === r));
      }
      if (deployed) done.add(`${t} ${r}`);
    }
  }
  return done;
}

/** What to do to reach the request from what exists (nothing, for an unchanged template and targets). */
export function planStackSet(
  req: StackSetRequest,
  body: string,
  existing: ExistingStackSet | undefined,
  deployed: ReadonlySet<string>,
): Step[] {
  const steps: Step[] = [];
  if (!existing) {
    steps.push({ kind: "create-stack-set" });
  } else {
    const why: string[] = [];
    if (!sameTemplate(existing.templateBody, body)) why.push("the role template changed");
    if (existing.parameterCount > 0) why.push("the stack set has parameters the template does not declare");
    const auto = existing.autoDeployment;
    if (auto && (auto.enabled !== true || auto.retain !== false)) why.push("automatic deployment was not on (Enabled, RetainStacksOnAccountRemoval false)");
    if (why.length) steps.push({ kind: "update-stack-set", why: why.join("; ") });
  }
  // New (target, region) pairs only, grouped by the regions each target lacks: one operation per group.
  const byRegions = new Map<string, string[]>();
  for (const t of req.targets) {
    const missing = req.regions.filter((r) => !deployed.has(`${t} ${r}`));
    if (missing.length === 0) continue;
    const key = missing.join(",");
    byRegions.set(key, [...(byRegions.get(key) ?? []), t]);
  }
  for (const [regions, targets] of byRegions) steps.push({ kind: "create-instances", targets, regions: regions.split(",") });
  return steps;
}

/** Instance states that mean the role is not (or not as asked) in that account and region. */
const FAILED_DETAIL = new Set(["FAILED", "CANCELLED", "INOPERABLE", "FAILED_IMPORT"]);

export function instanceFailed(i: Instance): boolean {
  return i.status === "INOPERABLE" || FAILED_DETAIL.has(i.detailedStatus ?? "");
}
