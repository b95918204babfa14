/** How a `create-role --stackset` run is shown: a per-account table, or one JSON document. */
import { failure, type XaError } from "../errors.js";
import { operationPreferences, instanceFailed, type Instance, type StackSetRequest } from "./stackset-plan.js";
import type { StackSetReport } from "./stackset.js";

const STATUS_TEXT: Record<StackSetReport["status"], string> = {
  created: "created and deployed",
  updated: "updated",
  deployed: "deployed to new targets",
  "up-to-date": "up to date (no operation)",
  planned: "planned (dry run)",
  deleted: "deleted, with its instances",
  absent: "nothing to delete",
  failed: "FAILED",
};

/** One failed account, as an error line of its own (the run's exit 1 names each). */
export function instanceError(i: Instance): XaError {
  return failure("stackset-instance-failed", `account ${i.account} (${i.region}): ${i.detailedStatus ?? i.status}${i.reason ? `: ${i.reason}` : ""}`);
}

export function failedInstances(report: StackSetReport): Instance[] {
  return report.instances.filter(instanceFailed);
}

export function stackSetTable(report: StackSetReport): string {
  const head = `stack set ${report.name} (${report.region}): ${STATUS_TEXT[report.status]}`;
  if (report.instances.length === 0) return `${head}\n(no stack instance)`;
  const rows = [["ACCOUNT", "REGION", "STATUS", "DETAIL"]];
  for (const i of report.instances) {
    const detail = [i.detailedStatus, i.ou, i.reason].filter(Boolean).join("  ");
    rows.push([i.account, i.region, instanceFailed(i) ? "FAILED" : i.status, detail]);
  }
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return [head, ...rows.map((r) => r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c] ?? 0) : cell)).join("  ").trimEnd())].join("\n");
}

export function stackSetJson(report: StackSetReport): Record<string, unknown> {
  const failed = failedInstances(report);
  return {
    ok: report.status !== "failed" && failed.length === 0,
    stackSet: { name: report.name, region: report.region, status: report.status },
    targets: { organizationalUnitIds: report.targets, regions: report.regions },
    plan: report.plan,
    operations: report.operations,
    accounts: report.instances.map((i) => ({
      account: i.account,
      region: i.region,
      ou: i.ou ?? null,
      status: instanceFailed(i) ? "FAILED" : i.status,
      detailedStatus: i.detailedStatus ?? null,
      reason: i.reason ?? null,
    })),
    ...(report.error ? { error: { code: report.error.code, message: report.error.message, hint: report.error.hint ?? null } } : {}),
  };
}

/** --dry-run: what would be deployed where, and how. */
export function stackSetDryRun(report: StackSetReport, req: StackSetRequest, template: Record<string, unknown> | undefined): Record<string, unknown> {
  return {
    stackSetName: req.name,
    region: report.region,
    permissionModel: "SERVICE_MANAGED",
    autoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
    callAs: req.callAs,
    targets: { organizationalUnitIds: report.targets, regions: report.regions },
    operationPreferences: operationPreferences(req.prefs),
    plan: report.plan,
    existingInstances: report.instances.map((i) => ({ account: i.account, region: i.region, status: i.status })),
    ...(template ? { template } : {}),
  };
}
