/**
 * botocore's service models, read with the server's own Python (the botocore it will run with): for each
 * service, its IAM prefix, the snake_case method of each operation, and the operation each waiter polls.
 */
import { spawnSync } from "node:child_process";
import { failure } from "../../errors.js";

export interface ServiceModel {
  /** The IAM action prefix (the model's signing name, e.g. `elasticloadbalancing` for `elbv2`). */
  prefix: string;
  /** snake_case method -> operation name. */
  operations: Record<string, string>;
  /** snake_case waiter name -> the operation it polls. */
  waiters: Record<string, string>;
}

/** Signing names that are not the IAM prefix. */
const PREFIX_OVERRIDES: Record<string, string> = { monitoring: "cloudwatch" };

const SCRIPT = `
import json, sys
import botocore.session
from botocore import xform_name
session = botocore.session.get_session()
out = {}
for name in json.load(sys.stdin):
    try:
        model = session.get_service_model(name)
    except Exception as e:
        out[name] = {"error": type(e).__name__}
        continue
    waiters = {}
    try:
        wm = session.get_waiter_model(name)
        for w in wm.waiter_names:
            waiters[xform_name(w)] = wm.get_waiter(w).operation
    except Exception:
        pass
    out[name] = {"prefix": model.signing_name, "operations": {xform_name(o): o for o in model.operation_names}, "waiters": waiters}
print(json.dumps(out))
`;

export function applyPrefixOverrides(models: Record<string, ServiceModel>): Record<string, ServiceModel> {
  return Object.fromEntries(Object.entries(models).map(([k, m]) => [k, { ...m, prefix: PREFIX_OVERRIDES[m.prefix] ?? m.prefix }]));
}

export function readModels(python: string, services: readonly string[]): Record<string, ServiceModel> {
  const r = spawnSync(python, ["-c", SCRIPT], { input: JSON.stringify(services), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    throw failure(
      "botocore-not-found",
      `could not read botocore's service models with ${python}: ${(r.stderr || r.error?.message || "").trim().split("\n").pop() ?? ""}`,
      "point --server at the server's virtualenv (or a site-packages with botocore next to the server)",
    );
  }
  const raw = JSON.parse(r.stdout) as Record<string, ServiceModel | { error: string }>;
  const models: Record<string, ServiceModel> = {};
  for (const [name, m] of Object.entries(raw)) if (!("error" in m)) models[name] = m;
  return applyPrefixOverrides(models);
}
