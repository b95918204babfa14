/**
 * From call sites to IAM actions: each method is looked up in botocore's model of its service (operation
 * name, IAM prefix), and only reads go in. Everything else found is kept as "excluded", with where it is,
 * so a person can audit what the role leaves out. Pure.
 */
import type { Analysis, CallSite } from "./analyze.js";
import type { ServiceModel } from "./models.js";

export interface ActionSource extends CallSite {
  /** How the action was found, e.g. `ecs.describe_services()` or `SUPPORTED_ECS_OPERATIONS`. */
  via: string;
}

export interface DerivedAction {
  action: string;
  sources: ActionSource[];
}

export interface ExcludedCall extends ActionSource {
  action: string;
  reason: string;
}

export interface Derivation {
  server: string;
  version: string;
  actions: DerivedAction[];
  excluded: ExcludedCall[];
}

/** The read verbs: an operation starting with one of them (then a capital or the end) only reads. */
export const READ_VERB = /^(Describe|List|Get|Lookup|Filter|Search|BatchGet)(?=[A-Z]|$)/;

/** Never granted, whatever the server calls: the role must not reach identity or credentials. */
const NEVER_PREFIXES = new Set(["iam", "sts"]);

/** Reads by name that hand out credentials or write access. */
const NOT_READS: Record<string, string> = {
  "ecr:GetAuthorizationToken": "issues a registry password (used to push images), not a read",
};

export function classify(action: string): string | undefined {
  const [prefix, op] = action.split(":") as [string, string];
  if (NEVER_PREFIXES.has(prefix)) return `nothing in ${prefix} is granted`;
  if (NOT_READS[action]) return NOT_READS[action];
  if (!READ_VERB.test(op)) return "not a read (a write, or an operation the role must not serve)";
  return undefined;
}

export function toActions(server: string, version: string, analysis: Analysis, models: Record<string, ServiceModel>): Derivation {
  const found = new Map<string, ActionSource[]>();
  const excluded: ExcludedCall[] = [];
  const add = (action: string, source: ActionSource): void => {
    const why = classify(action);
    if (why) excluded.push({ ...source, action, reason: why });
    else found.set(action, [...(found.get(action) ?? []), source]);
  };
  const used = [...analysis.services].filter((s) => models[s]);
  for (const call of analysis.calls) {
    const table = (m: ServiceModel): Record<string, string> => (call.kind === "waiter" ? m.waiters : m.operations);
    const known = call.services?.filter((s) => models[s] && table(models[s])[call.method]);
    const services = call.services ? known ?? [] : used.filter((s) => table(models[s] as ServiceModel)[call.method]);
    if (services.length === 0) continue; // not an AWS operation (client.close(), .meta, a dict's .get, ...)
    const via = (s: string): string =>
      call.kind === "paginator" ? `${s} get_paginator("${call.method}")`
      : call.kind === "waiter" ? `${s} get_waiter("${call.method}")`
      : call.kind === "reference" ? `${s}.${call.method} (passed as a function)`
      : call.kind === "by-name" ? `${s} client with "${call.method}" (called by name)`
      : `${s}.${call.method}()${call.services ? "" : " (receiver not followed; the only service used with this method)"}`;
    if (!call.services && services.length > 1) {
      excluded.push({ file: call.file, line: call.line, via: `.${call.method}()`, action: services.map((s) => `${models[s]?.prefix}:?`).join(", "), reason: `receiver not followed and ${services.length} services have ${call.method}` });
      continue;
    }
    for (const s of services) {
      const m = models[s] as ServiceModel;
      add(`${m.prefix}:${table(m)[call.method]}`, { file: call.file, line: call.line, via: via(s) });
    }
  }
  for (const d of analysis.dispatched) {
    const m = models[d.service];
    if (!m) continue;
    const source = { file: d.file, line: d.line, via: `${d.list} (read-only by the server's own rule)` };
    // A listed name the server's botocore does not know fails in the tool before any request: no action.
    if (!Object.values(m.operations).includes(d.operation)) {
      excluded.push({ ...source, action: `${m.prefix}:${d.operation}`, reason: `not an operation of ${d.service} in the server's botocore (the tool fails before calling AWS)` });
    } else add(`${m.prefix}:${d.operation}`, source);
  }
  for (const d of analysis.dispatchedWrites) {
    const m = models[d.service];
    if (m) excluded.push({ file: d.file, line: d.line, via: d.list, action: `${m.prefix}:${d.operation}`, reason: "the tool's write operation (the server needs ALLOW_WRITE)" });
  }
  const order = (a: ActionSource, b: ActionSource): number => a.file.localeCompare(b.file) || a.line - b.line;
  return {
    server,
    version,
    actions: [...found.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([action, sources]) => ({ action, sources: sources.sort(order) })),
    excluded: excluded.sort((a, b) => a.action.localeCompare(b.action) || order(a, b)),
  };
}
