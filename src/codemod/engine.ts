/**
 * The patch, check and revert operations: read the package, plan everything in memory, verify it,
 * and only then write (write* functions). Server-specific knowledge comes in through the profile.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { VERSION } from "../version.js";
import { failure, usageError } from "../errors.js";
import { applyInserts } from "./apply.js";
import { DECORATOR, IMPORT_MARKER, MANIFEST_FILE, RUNTIME_FILE, runtimeImportModule } from "./contract.js";
import { DEFAULT_RULES, findTools, registrationPattern } from "./find-tools.js";
import type { LocatedServer } from "./locate.js";
import {
  loadManifest,
  manifestPath,
  mergeInserts,
  readManifest,
  rebase,
  serializeManifest,
  type FileRecord,
  type Manifest,
} from "./manifest.js";
import { firstSyntaxProblem, parsePython } from "./parse.js";
import { planFile, type ToolStatus, type ToolVerdict } from "./plan.js";
import type { ServerProfile } from "./profile.js";
import { decodeSource, encodeSource, sha256 } from "./source.js";
import { choosePython, reparseProblems, startCompiler, type CompileResult, type Compiler } from "./verify.js";
import { currentRuntime, readStamp, runtimeAction, type RuntimeAction, type RuntimeStamp } from "./vendor.js";
import { commitFiles, type FileOp } from "./write.js";

/** A tool as the report shows it: the plan's verdict, and where it is. */
export interface ToolReport extends ToolVerdict {
  /** Path relative to the package folder, "/" separators. */
  file: string;
}

export interface FileChange {
  file: string;
  before: string;
  after: string;
}

export interface PatchPlan {
  profile: ServerProfile;
  located: LocatedServer;
  tools: ToolReport[];
  changes: FileChange[];
  runtime: { action: RuntimeAction; shipped: RuntimeStamp; existing?: RuntimeStamp };
  manifest: Manifest;
  manifestChanged: boolean;
  /** The package held a valid xaccount manifest before this plan. */
  hadManifest: boolean;
  /** Nothing to write: every tool patched, runtime current, manifest up to date. */
  upToDate: boolean;
  compile?: CompileResult;
  /** Internal: what writePatch writes. */
  ops: FileOp[];
}

const REGISTRATION_HINT = registrationPattern(DEFAULT_RULES);

const hasMarks = (text: string): boolean => text.includes(IMPORT_MARKER) || new RegExp(`@${DECORATOR}\\b`).test(text);

/** Python files of the package that may hold tools: sorted, relative, "/" separators. */
function pythonFiles(packageDir: string, skipDirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of readdirSync(path.join(packageDir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (entry.name.startsWith(".") || entry.name === "__pycache__" || skipDirs.includes(r)) continue;
        walk(r);
      } else if (entry.isFile() && entry.name.endsWith(".py") && r !== RUNTIME_FILE) {
        out.push(r);
      }
    }
  };
  walk("");
  return out.sort();
}

function decodeOrRefuse(raw: Buffer, rel: string): string {
  const text = decodeSource(raw);
  if (text === undefined) {
    throw usageError("source-syntax-error", `${rel}: not valid UTF-8; nothing was written`, "xaccount edits UTF-8 Python source only");
  }
  return text;
}

export async function planPatch(
  profile: ServerProfile,
  located: LocatedServer,
  opts: { verify?: boolean } = {},
): Promise<PatchPlan> {
  const old = loadManifest(located.packageDir);
  // Python starts at the first file that needs an edit, so its start-up overlaps with parsing
  // the rest; a run with nothing to change never starts it.
  let compiler: Compiler | undefined;
  const lazy = opts.verify !== false ? () => (compiler ??= startCompiler(choosePython(located.venvPython))) : undefined;
  try {
    return await planPatchWith(profile, located, old, lazy);
  } catch (err) {
    (compiler as Compiler | undefined)?.cancel();
    throw err;
  }
}

async function planPatchWith(
  profile: ServerProfile,
  located: LocatedServer,
  old: { bytes?: Buffer; manifest?: Manifest },
  compiler: (() => Compiler) | undefined,
): Promise<PatchPlan> {
  const { packageDir } = located;
  const records: Record<string, FileRecord> = {};
  const tools: ToolReport[] = [];
  const changes: FileChange[] = [];
  const runtimeModule = runtimeImportModule(profile.packagePath);

  for (const rel of pythonFiles(packageDir, profile.skipDirs ?? [])) {
    const abs = path.join(packageDir, rel);
    const record = old.manifest?.files[rel];
    const raw = readFileSync(abs);
    // Cheap filter: a module with no `.tool` / `.add_tool` / `.mount` registers no tool (and was never
    // patched), so it is not even parsed.
    if (!record && !REGISTRATION_HINT.test(raw.toString("latin1"))) continue;
    const text = decodeOrRefuse(raw, rel);
    const tree = parsePython(text);
    const problem = firstSyntaxProblem(tree);
    if (problem) {
      throw usageError(
        "source-syntax-error",
        `${path.join(packageDir, rel)}:${problem.line}:${problem.column}: ${problem.what}; nothing was written`,
        "the server's own source does not parse: fix that line or reinstall the package, then patch again",
      );
    }
    const found = findTools(tree.rootNode, DEFAULT_RULES);
    const plan = planFile(text, tree.rootNode, found, { params: profile.extraParams, runtimeModule });
    for (const t of plan.tools) tools.push({ file: rel, ...t });
    const marked = hasMarks(text);
    // The diff package is loaded only when a patched file changed since (it costs start-up time).
    const needsDiff = record && marked && sha256(raw) !== record.patchedSha256;
    const base = rebase(text, record, marked, needsDiff ? (await import("diff")).diffLines : undefined);
    if (base.kind === "conflict") {
      throw usageError(
        "patched-file-edited",
        `${path.join(packageDir, rel)} changed since xaccount patched it: ${base.detail}`,
        `revert first (xaccount patch ${profile.name} <path> --revert --force restores the original bytes), or reinstall the package`,
      );
    }
    const after = applyInserts(text, plan.inserts);
    if (after !== text) compiler?.();
    if (plan.inserts.length === 0 && !record) continue;
    const inserts = mergeInserts(base, plan.inserts);
    if (applyInserts(base.original, inserts) !== after) {
      throw new Error(`internal: the manifest for ${rel} would not rebuild the patched text`);
    }
    if (inserts.length > 0) {
      const originalBytes = encodeSource(base.original);
      records[rel] = {
        originalSha256: sha256(originalBytes),
        original: originalBytes.toString("base64"),
        patchedSha256: sha256(encodeSource(after)),
        inserts,
      };
    }
    if (after !== text) changes.push({ file: rel, before: text, after });
  }
  const patchable = tools.filter((t) => t.status !== "skipped");
  if (patchable.length === 0) {
    throw usageError(
      "no-tools-found",
      `found no MCP tool functions in ${packageDir}` +
        (tools.length ? ` (only ${tools.length} skipped: ${tools.map((t) => t.name).join(", ")})` : ""),
      `is this really ${profile.distribution}? Tools are functions decorated with @<server>.tool or registered with add_tool`,
    );
  }

  const shipped = currentRuntime();
  const runtimePath = path.join(packageDir, RUNTIME_FILE);
  let existingBytes: Buffer | undefined;
  try {
    existingBytes = readFileSync(runtimePath);
  } catch {
    existingBytes = undefined;
  }
  const existing = existingBytes && readStamp(existingBytes);
  const action = runtimeAction(existingBytes, shipped.stamp);
  const runtimeStamp = action === "keep-newer" && existing ? existing : shipped.stamp;
  const manifest: Manifest = {
    tool: "xaccount",
    formatVersion: 1,
    xaccountVersion: VERSION,
    server: profile.name,
    runtime: { file: RUNTIME_FILE, ...runtimeStamp },
    files: Object.fromEntries(Object.entries(records).sort(([a], [b]) => a.localeCompare(b))),
  };
  const manifestBytes = serializeManifest(manifest);
  const manifestChanged = !old.bytes || !old.bytes.equals(manifestBytes);

  const ops: FileOp[] = changes.map((c) => ({ kind: "write", path: path.join(packageDir, c.file), bytes: encodeSource(c.after) }));
  if (action === "add" || action === "replace") ops.push({ kind: "write", path: runtimePath, bytes: shipped.vendored, mode: 0o644 });
  if (manifestChanged) ops.push({ kind: "write", path: manifestPath(packageDir), bytes: manifestBytes, mode: 0o644 });

  const plan: PatchPlan = {
    profile,
    located,
    tools,
    changes,
    runtime: existing ? { action, shipped: shipped.stamp, existing } : { action, shipped: shipped.stamp },
    manifest,
    manifestChanged,
    hadManifest: old.manifest !== undefined,
    upToDate: ops.length === 0,
    ops,
  };
  if (compiler && changes.length > 0) await verifyPlan(plan, compiler());
  return plan;
}

/** Re-parse and compile every edited file; a failure here is a bug in xaccount, and nothing is written. */
async function verifyPlan(plan: PatchPlan, compiler: Compiler): Promise<void> {
  const files = plan.changes.map((c) => ({ file: c.file, original: c.before, text: c.after }));
  const reparse = reparseProblems(files);
  const fail = (f: { file: string; line: number; message: string }): never => {
    throw failure(
      "patch-verify-failed",
      `the patched ${f.file} would not be valid Python (line ${f.line}: ${f.message}); nothing was written`,
      "this is a bug in xaccount: report it with the server's name and version",
    );
  };
  if (reparse[0]) fail(reparse[0]);
  plan.compile = await compiler.compile(files);
  if (plan.compile.ran && plan.compile.failure) fail(plan.compile.failure);
}

export function writePatch(plan: PatchPlan): void {
  commitFiles(plan.ops);
}

export interface CheckResult {
  packageDir: string;
  patched: boolean;
  problems: string[];
  tools: Array<{ file: string; name: string; status: ToolStatus; reason?: string }>;
}

/** The --check verdict: every tool patched, runtime present and current, manifest present. */
export function checkPlan(plan: PatchPlan): CheckResult {
  const problems: string[] = [];
  for (const t of plan.tools) {
    if (t.status === "unpatched") problems.push(`${t.file}:${t.line}: tool ${t.name} is not patched (lacks ${t.adds.join(", ")})`);
  }
  for (const c of plan.changes) {
    if (!plan.tools.some((t) => t.file === c.file && t.status === "unpatched")) problems.push(`${c.file}: runtime import missing`);
  }
  const { action, existing, shipped } = plan.runtime;
  if (action === "add") problems.push(`${RUNTIME_FILE} is missing from the package`);
  if (action === "replace") {
    problems.push(
      `${RUNTIME_FILE} is stale (${existing ? `from xaccount ${existing.version}` : "no valid header"}; this xaccount ships ${shipped.version} sha256=${shipped.sha256.slice(0, 12)})`,
    );
  }
  if (!plan.hadManifest) problems.push(`${MANIFEST_FILE} is missing: --revert would not know the original bytes`);
  return {
    packageDir: plan.located.packageDir,
    patched: problems.length === 0,
    problems,
    tools: plan.tools.map((t) => ({ file: t.file, name: t.name, status: t.status, ...(t.reason ? { reason: t.reason } : {}) })),
  };
}

export interface RevertPlan {
  located: LocatedServer;
  restored: string[];
  unchanged: string[];
  missing: string[];
  /** Files edited since the patch; restored only with force. */
  edited: string[];
  removes: string[];
  ops: FileOp[];
  wasPatched: boolean;
}

export function planRevert(profile: ServerProfile, located: LocatedServer, opts: { force?: boolean } = {}): RevertPlan {
  const { packageDir } = located;
  const manifest = readManifest(packageDir);
  const plan: RevertPlan = { located, restored: [], unchanged: [], missing: [], edited: [], removes: [], ops: [], wasPatched: !!manifest };
  if (!manifest) return plan;
  for (const [rel, record] of Object.entries(manifest.files)) {
    const abs = path.join(packageDir, rel);
    let current: Buffer;
    try {
      current = readFileSync(abs);
    } catch {
      plan.missing.push(rel);
      continue;
    }
    const hash = sha256(current);
    if (hash === record.originalSha256) {
      plan.unchanged.push(rel);
      continue;
    }
    if (hash !== record.patchedSha256) {
      plan.edited.push(rel);
      if (!opts.force) continue;
    }
    plan.restored.push(rel);
    plan.ops.push({ kind: "write", path: abs, bytes: Buffer.from(record.original, "base64"), mode: statSync(abs).mode & 0o7777 });
  }
  if (plan.edited.length > 0 && !opts.force) {
    throw usageError(
      "patched-file-edited",
      `changed since xaccount patched them, so not reverted: ${plan.edited.map((f) => path.join(packageDir, f)).join(", ")}; nothing was written`,
      `xaccount patch ${profile.name} <path> --revert --force restores the original bytes anyway, discarding those changes`,
    );
  }
  for (const f of [RUNTIME_FILE, MANIFEST_FILE]) {
    plan.removes.push(f);
    plan.ops.push({ kind: "delete", path: path.join(packageDir, f) });
  }
  return plan;
}

export function writeRevert(plan: RevertPlan): void {
  commitFiles(plan.ops);
}
