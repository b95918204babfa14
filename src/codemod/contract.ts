/**
 * The names the vendored runtime (codemods/runtime/_xaccount.py) exports, and how each injected
 * parameter is spelled and documented. Shared by planning, checking and reporting.
 */
import type { ExtraParam } from "./profile.js";

export const RUNTIME_FILE = "_xaccount.py";
export const RUNTIME_MODULE = "_xaccount";
export const MANIFEST_FILE = "_xaccount_manifest.json";
/** Present only while a patch or revert is being written (and after a crash during one): see write.ts. */
export const JOURNAL_FILE = "_xaccount_journal.json";
export const DECORATOR = "cross_account";
/** Trailing comment on the inserted import, so a person (and --check) can see what xaccount added. */
export const IMPORT_MARKER = "# xaccount";

export const PARAM_SPECS: Record<ExtraParam, { type: string; doc: string }> = {
  account_id: {
    type: "AccountId",
    doc: "12-digit AWS account ID to run this call in, through sts:AssumeRole; omit it to use the server's own account.",
  },
  region: {
    type: "Region",
    doc: "AWS region for this call; omit it to use the server's configured region.",
  },
};

export function paramDeclaration(p: ExtraParam): string {
  return `${p}: ${PARAM_SPECS[p].type} = None`;
}

/** `awslabs/ecs_mcp_server` -> `awslabs.ecs_mcp_server._xaccount`. */
export function runtimeImportModule(packagePath: string): string {
  return `${packagePath.replaceAll("/", ".")}.${RUNTIME_MODULE}`;
}

export function importNames(params: readonly ExtraParam[]): string[] {
  return [...params.map((p) => PARAM_SPECS[p].type), DECORATOR];
}
