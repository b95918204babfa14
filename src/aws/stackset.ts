/**
 * `create-role --stackset`, the I/O: check the caller may run a service-managed stack set and that the
 * targets exist (before anything is written), read the stack set and its instances, then create or update
 * it and deploy new targets (or delete it), waiting for each operation. The decisions are in
 * stackset-plan.ts; this file only reads, writes and waits.
 */
import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { XaError, failure } from "../errors.js";
import { sdkClient, type AwsTarget } from "./clients.js";
import { errorName } from "./errors.js";
import { explainOrgError, listOrgAccounts } from "./organizations.js";
import { explainStackSetError, notAdminError } from "./stackset-errors.js";
import {
  createInstancesInput, createStackSetInput, deleteInstancesInput, deployedPairs, planStackSet, templateBody,
  updateStackSetInput, type ExistingStackSet, type Instance, type StackSetRequest, type Step,
} from "./stackset-plan.js";
import { DEFAULT_WAIT, waitForOperation, type OperationState, type WaitOptions } from "./stackset-wait.js";
import { callerIdentity } from "./sts.js";

export interface OperationRecord {
  action: "CREATE_STACK_SET" | "UPDATE_STACK_SET" | "CREATE_INSTANCES" | "DELETE_INSTANCES" | "DELETE_STACK_SET";
  operationId?: string | undefined;
  status: string;
  reason?: string | undefined;
  targets?: string[] | undefined;
  regions?: string[] | undefined;
}

export interface StackSetReport {
  name: string;
  /** Where the stack set lives (its administration region). */
  region: string;
  status: "created" | "updated" | "deployed" | "up-to-date" | "planned" | "deleted" | "absent" | "failed";
  targets: string[];
  regions: string[];
  plan: Step[];
  operations: OperationRecord[];
  instances: Instance[];
  /** Why the run failed, when it did (the per-account reasons are in `instances`). */
  error?: XaError | undefined;
}

export interface StackSetHooks {
  dryRun: boolean;
  /** A line on a terminal while an operation runs (called with "" to clear it). */
  progress?: ((text: string) => void) | undefined;
  /** A line per finished operation and per change before it is made. */
  say?: ((text: string) => void) | undefined;
  wait?: WaitOptions | undefined;
}

async function cfnClient(target: AwsTarget): Promise<CloudFormationClient> {
  return sdkClient((await import("@aws-sdk/client-cloudformation")).CloudFormationClient, target);
}

/**
 * Before any write: the caller is in an organization and may act for it (the management account, or with
 * --call-as DELEGATED_ADMIN a delegated administrator), and each target exists. `--org` becomes the root.
 */
export async function resolveTargets(target: AwsTarget, req: { org: boolean; ous: string[]; callAs: string }): Promise<string[]> {
  const sdk = await import("@aws-sdk/client-organizations");
  const client = await sdkClient(sdk.OrganizationsClient, target);
  const scope = (id: string) => ({ kind: "ou" as const, id });
  let action = "organizations:DescribeOrganization";
  try {
    const org = (await client.send(new sdk.DescribeOrganizationCommand({}))).Organization;
    const caller = await callerIdentity(target);
    if (req.callAs === "SELF" && org?.MasterAccountId && caller.account !== org.MasterAccountId) {
      throw notAdminError(`account ${caller.account} is not the management account ${org.MasterAccountId}`);
    }
    action = "organizations:ListRoots";
    const roots = (await client.send(new sdk.ListRootsCommand({}))).Roots ?? [];
    if (req.org) {
      const root = roots[0]?.Id;
      if (!root) throw failure("org-not-in-use", "the organization has no root", "check the credentials are of the organization");
      return [root];
    }
    for (const id of req.ous) {
      if (id.startsWith("r-")) {
        if (!roots.some((r) => r.Id === id)) throw explainOrgError({ name: "ParentNotFoundException" }, action, scope(id), target.profile);
        continue;
      }
      action = "organizations:DescribeOrganizationalUnit";
      try {
        await client.send(new sdk.DescribeOrganizationalUnitCommand({ OrganizationalUnitId: id }));
      } catch (err) {
        throw explainOrgError(err, action, scope(id), target.profile);
      }
    }
    return [...req.ous];
  } catch (err) {
    if (err instanceof XaError) throw err;
    throw explainOrgError(err, action, { kind: "org" }, target.profile);
  } finally {
    client.destroy();
  }
}

async function describe(client: CloudFormationClient, req: StackSetRequest): Promise<ExistingStackSet | undefined> {
  const { DescribeStackSetCommand } = await import("@aws-sdk/client-cloudformation");
  try {
    const s = (await client.send(new DescribeStackSetCommand({ StackSetName: req.name, CallAs: req.callAs }))).StackSet;
    if (!s || s.Status === "DELETED") return undefined;
    return {
      templateBody: s.TemplateBody,
      parameterCount: s.Parameters?.length ?? 0,
      permissionModel: s.PermissionModel,
      autoDeployment: s.AutoDeployment ? { enabled: s.AutoDeployment.Enabled, retain: s.AutoDeployment.RetainStacksOnAccountRemoval } : undefined,
      organizationalUnitIds: s.OrganizationalUnitIds,
    };
  } catch (err) {
    if (errorName(err) === "StackSetNotFoundException") return undefined;
    throw explainStackSetError(err, "cloudformation:DescribeStackSet", req.name);
  }
}

async function listInstances(client: CloudFormationClient, req: StackSetRequest): Promise<Instance[]> {
  const { paginateListStackInstances } = await import("@aws-sdk/client-cloudformation");
  const out: Instance[] = [];
  try {
    for await (const page of paginateListStackInstances({ client }, { StackSetName: req.name, CallAs: req.callAs })) {
      for (const s of page.Summaries ?? []) {
        if (!s.Account || !s.Region) continue;
        out.push({
          account: s.Account,
          region: s.Region,
          ou: s.OrganizationalUnitId,
          status: s.Status ?? "UNKNOWN",
          detailedStatus: s.StackInstanceStatus?.DetailedStatus,
          reason: s.StatusReason,
        });
      }
    }
  } catch (err) {
    throw explainStackSetError(err, "cloudformation:ListStackInstances", req.name);
  }
  return out.sort((a, b) => a.account.localeCompare(b.account) || a.region.localeCompare(b.region));
}

/** The accounts under each target, only when the service does not say which OUs the stack set covers. */
async function accountsUnder(target: AwsTarget, targets: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const t of targets) out.set(t, (await listOrgAccounts(target, { kind: "ou", id: t })).map((a) => a.id));
  return out;
}

/** The region the stack set is administered from: --region, else the configured one. */
export async function homeRegion(target: AwsTarget): Promise<string> {
  const client = await cfnClient(target);
  try {
    return await client.config.region();
  } finally {
    client.destroy();
  }
}

export async function applyStackSet(target: AwsTarget, req: StackSetRequest, template: Record<string, unknown>, hooks: StackSetHooks): Promise<StackSetReport> {
  const sdk = await import("@aws-sdk/client-cloudformation");
  const client = await cfnClient(target);
  const region = await client.config.region();
  const body = templateBody(template);
  const report: StackSetReport = { name: req.name, region, status: "up-to-date", targets: req.targets, regions: req.regions, plan: [], operations: [], instances: [] };
  try {
    const existing = await describe(client, req);
    if (existing?.permissionModel && existing.permissionModel !== "SERVICE_MANAGED") {
      throw failure(
        "stackset-self-managed",
        `stack set ${req.name} exists with ${existing.permissionModel} permissions; --stackset manages only service-managed ones`,
        "pass another --stackset-name, or delete that stack set first",
      );
    }
    const instances = existing ? await listInstances(client, req) : [];
    const serviceSays = existing?.organizationalUnitIds !== undefined || instances.some((i) => i.ou !== undefined);
    const under = existing && !serviceSays ? await accountsUnder(target, req.targets) : undefined;
    const deployed = existing ? deployedPairs(existing, instances, req.targets, req.regions, under) : new Set<string>();
    report.plan = planStackSet(req, body, existing, deployed);
    report.instances = instances;
    if (hooks.dryRun) {
      report.status = "planned";
      return report;
    }
    for (const step of report.plan) {
      let op: OperationRecord;
      if (step.kind === "create-stack-set") {
        hooks.say?.(`stack set ${req.name}: creating it (service-managed, automatic deployment on) in ${region}`);
        await call("cloudformation:CreateStackSet", req.name, () => client.send(new sdk.CreateStackSetCommand(createStackSetInput(req, body))));
        report.operations.push({ action: "CREATE_STACK_SET", status: "SUCCEEDED" });
        report.status = "created";
        continue;
      }
      if (step.kind === "update-stack-set") {
        hooks.say?.(`stack set ${req.name}: updating every instance (${step.why})`);
        const id = (await call("cloudformation:UpdateStackSet", req.name, () => client.send(new sdk.UpdateStackSetCommand(updateStackSetInput(req, body))))).OperationId;
        op = { action: "UPDATE_STACK_SET", operationId: id, status: "RUNNING" };
        if (report.status === "up-to-date") report.status = "updated";
      } else {
        hooks.say?.(`stack set ${req.name}: deploying to ${step.targets.join(", ")} in ${step.regions.join(", ")}`);
        const id = (await call("cloudformation:CreateStackInstances", req.name, () => client.send(new sdk.CreateStackInstancesCommand(createInstancesInput(req, step.targets, step.regions))))).OperationId;
        op = { action: "CREATE_INSTANCES", operationId: id, status: "RUNNING", targets: step.targets, regions: step.regions };
        if (report.status === "up-to-date") report.status = "deployed";
      }
      await settle(client, req, op, hooks);
      report.operations.push(op);
      if (op.status !== "SUCCEEDED") break; // the next operation would fail the same way or act on a half state
    }
    report.instances = existing || report.plan.length ? await listInstances(client, req) : [];
    const failedOp = report.operations.find((o) => o.status !== "SUCCEEDED");
    if (failedOp) {
      report.status = "failed";
      report.error = failure("stackset-operation-failed", `${failedOp.action} operation ${failedOp.operationId ?? ""} on stack set ${req.name} ended ${failedOp.status}${failedOp.reason ? `: ${failedOp.reason}` : ""}`, "the accounts that failed and why are listed above; fix them and rerun (safe)");
    }
    return report;
  } finally {
    client.destroy();
  }
}

/** Deletes the instances (their stacks and so the role), then the stack set. */
export async function deleteStackSet(target: AwsTarget, req: StackSetRequest, hooks: StackSetHooks): Promise<StackSetReport> {
  const sdk = await import("@aws-sdk/client-cloudformation");
  const client = await cfnClient(target);
  const region = await client.config.region();
  const report: StackSetReport = { name: req.name, region, status: "absent", targets: req.targets, regions: [], plan: [], operations: [], instances: [] };
  try {
    const existing = await describe(client, req);
    if (!existing) return report;
    const instances = await listInstances(client, req);
    report.instances = instances;
    // The OUs it deploys to, as the service says; else (an emulator) the --ou/--org given.
    const known = new Set([...(existing.organizationalUnitIds ?? []), ...instances.flatMap((i) => (i.ou ? [i.ou] : []))]);
    const targets = known.size ? [...known] : req.targets;
    const regions = [...new Set(instances.map((i) => i.region))].sort();
    report.targets = targets;
    report.regions = regions;
    if (instances.length && !targets.length) {
      throw failure(
        "stackset-delete-targets",
        `stack set ${req.name} has ${instances.length} instance(s) but does not say which OUs they were deployed through`,
        "pass the OUs it deploys to with --ou (or --org) along with --delete",
      );
    }
    report.status = hooks.dryRun ? "planned" : "deleted";
    if (hooks.dryRun) return report;
    if (instances.length) {
      hooks.say?.(`stack set ${req.name}: deleting its ${instances.length} instance(s) (${targets.join(", ")} in ${regions.join(", ")}), roles included`);
      const id = (await call("cloudformation:DeleteStackInstances", req.name, () => client.send(new sdk.DeleteStackInstancesCommand(deleteInstancesInput(req, targets, regions))))).OperationId;
      const op: OperationRecord = { action: "DELETE_INSTANCES", operationId: id, status: "RUNNING", targets, regions };
      await settle(client, req, op, hooks);
      report.operations.push(op);
      const left = await listInstances(client, req);
      report.instances = left;
      if (op.status !== "SUCCEEDED" || left.length) {
        report.status = "failed";
        report.error = failure(
          "stackset-not-empty",
          `stack set ${req.name} still has ${left.length} instance(s) after DeleteStackInstances ended ${op.status}: ${left.map((i) => `${i.account} ${i.region}`).join(", ") || "none listed"}; the stack set was kept`,
          "see each account's reason above; pass the OUs they were deployed through with --ou and run --delete again",
        );
        return report;
      }
    }
    await call("cloudformation:DeleteStackSet", req.name, () => client.send(new sdk.DeleteStackSetCommand({ StackSetName: req.name, CallAs: req.callAs })));
    report.operations.push({ action: "DELETE_STACK_SET", status: "SUCCEEDED" });
    hooks.say?.(`stack set ${req.name}: deleted`);
    return report;
  } finally {
    client.destroy();
  }
}

async function call<T>(action: string, stackSet: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw explainStackSetError(err, action, stackSet);
  }
}

/** Waits for `op`, showing it on a terminal, and records how it ended. */
async function settle(client: CloudFormationClient, req: StackSetRequest, op: OperationRecord, hooks: StackSetHooks): Promise<void> {
  const { DescribeStackSetOperationCommand } = await import("@aws-sdk/client-cloudformation");
  const operationId = op.operationId ?? "";
  const poll = async (): Promise<OperationState> => {
    const o = (await call("cloudformation:DescribeStackSetOperation", req.name, () =>
      client.send(new DescribeStackSetOperationCommand({ StackSetName: req.name, OperationId: operationId, CallAs: req.callAs })))).StackSetOperation;
    return { status: o?.Status ?? "UNKNOWN", reason: o?.StatusReason };
  };
  const wait = { ...(hooks.wait ?? DEFAULT_WAIT), onPoll: (s: OperationState, ms: number) => hooks.progress?.(`stack set ${req.name}: ${op.action} ${s.status} (${Math.round(ms / 1000)} s)`) };
  try {
    const end = await waitForOperation(poll, { stackSet: req.name, operationId, action: op.action }, wait);
    op.status = end.status;
    op.reason = end.reason;
  } finally {
    hooks.progress?.("");
  }
  hooks.say?.(`stack set ${req.name}: ${op.action} operation ${operationId} ${op.status}${op.reason ? `: ${op.reason}` : ""}`);
}
