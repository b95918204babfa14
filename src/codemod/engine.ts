/**
 * The patch, check and revert operations: read the package, plan everything in memory, verify it,
 * and only then write (write* functions). Server-specific knowledge comes in through the profile.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { VERSION } from "../version.js";
import { failure, usageError } from "../errors.js";
import { applyInserts } from "./apply.js";
import { DECORATOR, IMPORT_MARKER, JOURNAL_FILE, MANIFEST_FILE, RUNTIME_FILE, runtimeImportModule } from "./contract.js";
import { guarded } from "./fs-errors.js";
import { patchCommand } from "./shell.js";
import type { FoundTools, ToolSite } from "./find-tools.js";
import { PackageIndex } from "./package-index.js";
import { Resolver } from "./resolve.js";
import { judgeSkip, packageSources, scanPackage } from "./scan.js";
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
import { planFile, type ToolStatus, type ToolVerdict } from "./plan.js";
import type { ServerProfile } from "./profile.js";
import { encodeSource, sha256 } from "./source.js";
import { choosePython, reparseProblems, startCompiler, type CompileResult, type Compiler } from "./verify.js";
import { currentRuntime, readStamp, runtimeAction, type RuntimeAction, type RuntimeStamp } from "./vendor.js";
import { commitFiles, hasJournal, recoverJournal, type FileOp, type Recovery } from "./write.js";

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
  runtime: { action: RuntimeAction; shipped: RuntimeStamp; existing?: RuntimeStamp; forced?: boolean };
  manifest: Manifest;
  manifestChanged: boolean;
  /** The package held a valid xaccount manifest before this plan. */
  hadManifest: boolean;
  /** Nothing to write: every tool patched, runtime current, manifest up to date. */
  upToDate: boolean;
  compile?: CompileResult;
  /** --check only: files whose xaccount insertions were changed by hand (a patch refuses these). */
  conflicts: Array<{ file: string; detail: string }>;
  /** --check only: files carrying xaccount edits that no manifest records (a patch refuses these). */
  unrecorded: string[];
  /** Internal: what writePatch writes. */
  ops: FileOp[];
}


const hasMarks = (text: string): boolean => text.includes(IMPORT_MARKER) || new RegExp(`@${DECORATOR}\\b`).test(text);

/** Python files of the package that may hold tools: sorted, relative, "/" separators. */
function pythonFiles(packageDir: string, skipDirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const dir = path.join(packageDir, rel);
    for (const entry of guarded(dir, "read", () => readdirSync(dir, { withFileTypes: true }))) {
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

export interface PatchOptions {
  /** Compile the edited files with Python (default true). */
  verify?: boolean;
  /** Plan for --check: hand edits and unrecorded files are reported in the plan instead of refused. */
  check?: boolean;
  /** Replace a modified vendored runtime instead of refusing. */
  force?: boolean;
}

/** The suggested command for this tree, quoted. */
const command = (profile: ServerProfile, located: LocatedServer, ...options: string[]): string =>
  patchCommand(profile.name, located.inputPath, ...options);

/** A journal left by a crash: the tree is half-written; only recoverInterrupted may touch it. */
function refuseInterrupted(profile: ServerProfile, located: LocatedServer): void {
  if (!hasJournal(located.packageDir)) return;
  throw usageError(
    "patch-interrupted",
    `an xaccount patch or revert of ${located.packageDir} was interrupted (${JOURNAL_FILE} is there), so its files are half-written; nothing was read`,
    `run ${command(profile, located)} (rolls the interrupted run back, then patches) or ${command(profile, located, "--revert")}`,
  );
}

/**
 * Undoes a run that crashed part-way (its journal is still there): every file back to its exact bytes
 * before that run, stray temp files removed. We roll back rather than forward because the bytes before
 * are always known and always valid, while a forward finish would repeat a plan made by another
 * version of the tree. Undefined when nothing was interrupted.
 */
export function recoverInterrupted(located: LocatedServer): Recovery | undefined {
  // A rollback the user may not write (a read-only install) is permission-denied like any write.
  return guarded(located.packageDir, "write", () => recoverJournal(located.packageDir));
}

export async function planPatch(profile: ServerProfile, located: LocatedServer, opts: PatchOptions = {}): Promise<PatchPlan> {
  refuseInterrupted(profile, located);
  const old = guarded(manifestPath(located.packageDir), "read", () => loadManifest(located.packageDir));
  // Python starts at the first file that needs an edit, so its start-up overlaps with parsing
  // the rest; a run with nothing to change never starts it.
  let compiler: Compiler | undefined;
  const lazy = opts.verify !== false ? () => (compiler ??= startCompiler(choosePython(located.venvPython))) : undefined;
  try {
    return await planPatchWith(profile, located, old, lazy, opts);
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
  opts: PatchOptions,
): Promise<PatchPlan> {
  const { packageDir } = located;
  const records: Record<string, FileRecord> = {};
  const tools: ToolReport[] = [];
  const changes: FileChange[] = [];
  const conflicts: PatchPlan["conflicts"] = [];
  const unrecorded: string[] = [];
  const runtimeModule = runtimeImportModule(profile.packagePath);

  const files = pythonFiles(packageDir, profile.skipDirs ?? []);
  const sources = packageSources(packageDir);
  const index = new PackageIndex(profile.packagePath.split("/").join("."), files, sources.parse, sources.bytesText);
  const resolver = new Resolver(index);
  // 1. Every registration in the package, resolved to the defs it names, wherever they are: a tool
  // registered in server.py may be defined in tools/x.py, so edits are grouped by the def's file.
  const scan = scanPackage(files, index, resolver);
  const plans = new Map<string, FoundTools>();
  const empty = (): FoundTools => ({ tools: [], skipped: [], toolObjectFns: [], factoryTools: 0, factoryProblems: 0 });
  const foundFor = (rel: string): FoundTools => {
    const had = plans.get(rel);
    if (had) return had;
    const f = empty();
    plans.set(rel, f);
    return f;
  };
  for (const [rel, found] of scan.byFile) {
    foundFor(rel).skipped.push(...found.skipped);
    for (const t of found.tools) {
      const into = foundFor(t.file).tools;
      const same = into.findIndex((x) => x.func.startIndex === t.func.startIndex);
      if (same < 0) into.push(t);
      else if ((into[same] as ToolSite).name === (into[same] as ToolSite).funcName && t.name !== t.funcName) into[same] = t;
    }
  }
  for (const [rel, lines] of scan.toolObjectFns) {
    // `mcp.add_tool(tool.fn, ...)`: the function of a Tool object. Every Tool.from_function of the
    // package was resolved above, so its function is a tool already; with none, nothing accounts for it.
    if (scan.factoryTools > 0 && scan.factoryProblems === 0) continue;
    for (const line of lines) {
      foundFor(rel).skipped.push({
        name: "<tool>.fn",
        line,
        reason: "registers the function of a Tool object (.fn) and not every Tool.from_function of the package could be resolved",
        kind: "unresolved",
      });
    }
  }

  for (const rel of files) {
    const record = old.manifest?.files[rel];
    if (!plans.has(rel) && !record && !hasMarks(sources.bytesText(rel))) continue;
    const raw = sources.raw(rel);
    const text = sources.text(rel);
    const tree = sources.parse(rel).tree;
    // In any order: planFile sorts its verdicts by line, and inserts are applied by position.
    const found = plans.get(rel) ?? empty();
    const plan = planFile(text, tree.rootNode, found, { params: profile.extraParams, runtimeModule });
    for (const t of plan.tools) tools.push({ file: rel, ...judgeSkip(profile, t) });
    const marked = hasMarks(text);
    if (marked && !record) {
      // Edits whose original bytes nobody kept (a crash of an xaccount without the journal, a deleted
      // manifest): recording this text as "original" would make --revert leave it importing a runtime
      // it removes. Refused, never recorded (a patch refuses the whole plan after this loop).
      unrecorded.push(rel);
      continue;
    }
    // The diff package is loaded only when a patched file changed since (it costs start-up time).
    const needsDiff = record && marked && sha256(raw) !== record.patchedSha256;
    const base = rebase(text, record, marked, needsDiff ? (await import("diff")).diffLines : undefined);
    if (base.kind === "conflict") {
      if (opts.check) {
        conflicts.push({ file: rel, detail: base.detail });
        continue;
      }
      throw usageError(
        "patched-file-edited",
        `${path.join(packageDir, rel)} changed since xaccount patched it: ${base.detail}`,
        `revert first (${command(profile, located, "--revert", "--force")} restores the original bytes), or reinstall the package`,
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
  if (unrecorded.length > 0 && !opts.check) {
    throw usageError(
      "manifest-incomplete",
      `${unrecorded.map((f) => path.join(packageDir, f)).join(", ")} carr${unrecorded.length > 1 ? "y" : "ies"} xaccount edits that ${MANIFEST_FILE} does not record, so their original bytes are unknown; nothing was written`,
      `reinstall the server package (pip install --force-reinstall --no-deps ${profile.distribution}==<version>), then ${command(profile, located)}`,
    );
  }
  const wrapper = tools.find((t) => t.skip === "wrapper" && !t.acknowledged);
  if (wrapper && !opts.check) {
    // Decorating the wrapper would pass --check and still leave the real tool without account_id.
    throw usageError(
      "tool-wrapper-unresolved",
      `${path.join(packageDir, wrapper.file)}:${wrapper.line}: tool ${wrapper.name}: ${wrapper.reason ?? "a pass-through wrapper"}; nothing was written`,
      `the functions a pass-through wrapper wraps are patched, never the wrapper: register them through direct calls of its factory, or, if this tool is correct without account_id, say why in the profile's unpatchedTools`,
    );
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
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") guarded(runtimePath, "read", () => { throw err; });
    existingBytes = undefined;
  }
  const existing = existingBytes && readStamp(existingBytes);
  const action = runtimeAction(existingBytes, shipped.stamp, old.manifest?.runtime.fileSha256);
  const forced = action === "modified" && opts.force === true;
  if (action === "modified" && !opts.force && !opts.check) {
    throw usageError(
      "runtime-modified",
      `${runtimePath} is not the runtime xaccount vendored (its bytes differ from ${existingBytes && readStamp(existingBytes) ? "its header's hash or the manifest's record" : "anything xaccount writes: no valid header"}); this file handles credentials; nothing was written`,
      `look at what changed in it; to replace it with this xaccount's runtime: ${command(profile, located, "--force")}`,
    );
  }
  const writesRuntime = action === "add" || action === "replace" || forced;
  const kept = action === "keep" || action === "keep-newer";
  const runtimeStamp = action === "keep-newer" && existing ? existing : shipped.stamp;
  const runtimeFileSha = kept && existingBytes ? sha256(existingBytes) : sha256(shipped.vendored);
  const manifest: Manifest = {
    tool: "xaccount",
    formatVersion: 1,
    xaccountVersion: VERSION,
    server: profile.name,
    runtime: { file: RUNTIME_FILE, ...runtimeStamp, fileSha256: runtimeFileSha },
    files: Object.fromEntries(Object.entries(records).sort(([a], [b]) => a.localeCompare(b))),
  };
  const manifestBytes = serializeManifest(manifest);
  const manifestChanged = !old.bytes || !old.bytes.equals(manifestBytes);

  // The order a crash could expose: the runtime before any file that imports it, the manifest last.
  const ops: FileOp[] = [];
  if (writesRuntime) ops.push({ kind: "write", path: runtimePath, bytes: shipped.vendored, mode: 0o644 });
  for (const c of changes) ops.push({ kind: "write", path: path.join(packageDir, c.file), bytes: encodeSource(c.after) });
  if (manifestChanged) ops.push({ kind: "write", path: manifestPath(packageDir), bytes: manifestBytes, mode: 0o644 });

  const plan: PatchPlan = {
    profile,
    located,
    tools,
    changes,
    runtime: { action, shipped: shipped.stamp, ...(existing ? { existing } : {}), ...(forced ? { forced } : {}) },
    manifest,
    manifestChanged,
    hadManifest: old.manifest !== undefined,
    upToDate: ops.length === 0,
    conflicts,
    unrecorded,
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

export async function writePatch(plan: PatchPlan): Promise<void> {
  await commitFiles(plan.located.packageDir, "patch", plan.ops);
}

/** What --check found wrong, by kind: the code names the TROUBLESHOOTING section. */
export type CheckCode =
  | "runtime-modified"
  | "patched-file-edited"
  | "manifest-incomplete"
  | "not-patched"
  | "tool-wrapper-unresolved"
  | "tool-unresolved"
  | "tool-own-account-id";

export interface CheckFinding {
  code: CheckCode;
  /** Relative to the package folder. */
  file: string;
  message: string;
}

export interface CheckResult {
  packageDir: string;
  patched: boolean;
  /** The findings' messages, as lines. */
  problems: string[];
  findings: CheckFinding[];
  /** The most serious finding's code (tampering first), when not patched. */
  code?: CheckCode;
  tools: Array<{ file: string; name: string; status: ToolStatus; reason?: string }>;
  /** Tools the profile does not patch (no Python body here): listed so a CI gate sees them. */
  skipped: Array<{ file: string; name: string; line: number; reason: string; kind?: ToolReport["skip"]; acknowledged?: boolean }>;
}

const SEVERITY: readonly CheckCode[] = [
  "runtime-modified",
  "patched-file-edited",
  "manifest-incomplete",
  "not-patched",
  "tool-wrapper-unresolved",
  "tool-unresolved",
  "tool-own-account-id",
];

/**
 * The --check verdict: the vendored runtime byte-identical to what the manifest recorded and to what this
 * xaccount ships, every inserted edit still there as written, every tool patched, the manifest present.
 */
export function checkPlan(plan: PatchPlan): CheckResult {
  const findings: CheckFinding[] = [];
  const add = (code: CheckCode, file: string, message: string): void => {
    findings.push({ code, file, message });
  };
  const { action, existing, shipped } = plan.runtime;
  if (action === "modified") {
    add(
      "runtime-modified",
      RUNTIME_FILE,
      `${RUNTIME_FILE} was modified since xaccount vendored it (its sha256 matches neither the manifest's record nor its own header): it handles credentials`,
    );
  }
  for (const c of plan.conflicts) add("patched-file-edited", c.file, `${c.file}: ${c.detail}`);
  for (const f of plan.unrecorded) add("manifest-incomplete", f, `${f} carries xaccount edits that ${MANIFEST_FILE} does not record: --revert could not restore it`);
  for (const t of plan.tools) {
    if (t.status === "unpatched") add("not-patched", t.file, `${t.file}:${t.line}: tool ${t.name} is not patched (lacks ${t.adds.join(", ")})`);
    // A tool the running server would expose without (our) account_id, for a reason the profile does not accept.
    if (t.status === "skipped" && !t.acknowledged) {
      const code = t.skip === "wrapper" ? "tool-wrapper-unresolved" : t.skip === "unresolved" ? "tool-unresolved" : t.skip === "own-account-id" ? "tool-own-account-id" : undefined;
      if (code) add(code, t.file, `${t.file}:${t.line}: tool ${t.name} would run without cross-account access: ${t.reason ?? ""}`);
    }
  }
  for (const c of plan.changes) {
    if (!plan.tools.some((t) => t.file === c.file && t.status === "unpatched")) add("not-patched", c.file, `${c.file}: runtime import missing`);
  }
  if (action === "add") add("not-patched", RUNTIME_FILE, `${RUNTIME_FILE} is missing from the package`);
  if (action === "replace") {
    add(
      "not-patched",
      RUNTIME_FILE,
      `${RUNTIME_FILE} is stale (${existing ? `from xaccount ${existing.version}` : "no valid header"}; this xaccount ships ${shipped.version} sha256=${shipped.sha256.slice(0, 12)})`,
    );
  }
  if (!plan.hadManifest) add("not-patched", MANIFEST_FILE, `${MANIFEST_FILE} is missing: --revert would not know the original bytes`);
  const code = SEVERITY.find((c) => findings.some((f) => f.code === c));
  return {
    packageDir: plan.located.packageDir,
    patched: findings.length === 0,
    problems: findings.map((f) => f.message),
    findings,
    ...(code ? { code } : {}),
    tools: plan.tools.map((t) => ({ file: t.file, name: t.name, status: t.status, ...(t.reason ? { reason: t.reason } : {}) })),
    skipped: plan.tools
      .filter((t) => t.status === "skipped")
      .map((t) => ({
        file: t.file,
        name: t.name,
        line: t.line,
        reason: t.reason ?? "",
        ...(t.skip ? { kind: t.skip } : {}),
        ...(t.acknowledged ? { acknowledged: true } : {}),
      })),
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

/** Files of the package that carry xaccount's marks but no manifest record (so no known original). */
function unrecordedFiles(profile: ServerProfile, packageDir: string, manifest: Manifest | undefined): string[] {
  return pythonFiles(packageDir, profile.skipDirs ?? []).filter((rel) => {
    if (manifest?.files[rel]) return false;
    const abs = path.join(packageDir, rel);
    const raw = guarded(abs, "read", () => readFileSync(abs)).toString("latin1");
    return hasMarks(raw);
  });
}

export function planRevert(profile: ServerProfile, located: LocatedServer, opts: { force?: boolean } = {}): RevertPlan {
  refuseInterrupted(profile, located);
  const { packageDir } = located;
  const manifest = guarded(manifestPath(packageDir), "read", () => readManifest(packageDir));
  const unrecorded = unrecordedFiles(profile, packageDir, manifest);
  if (unrecorded.length > 0) {
    // Reverting the rest would remove the runtime these files import, and their originals are unknown.
    throw usageError(
      "manifest-incomplete",
      `${unrecorded.map((f) => path.join(packageDir, f)).join(", ")} carr${unrecorded.length > 1 ? "y" : "ies"} xaccount edits that ${MANIFEST_FILE} does not record, so their original bytes are unknown; nothing was written`,
      `reinstall the server package to get the original files back (pip install --force-reinstall --no-deps ${profile.distribution}==<version>)`,
    );
  }
  const plan: RevertPlan = { located, restored: [], unchanged: [], missing: [], edited: [], removes: [], ops: [], wasPatched: !!manifest };
  if (!manifest) return plan;
  for (const [rel, record] of Object.entries(manifest.files)) {
    const abs = path.join(packageDir, rel);
    let current: Buffer;
    try {
      current = readFileSync(abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") guarded(abs, "read", () => { throw err; });
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
      `${command(profile, located, "--revert", "--force")} restores the original bytes anyway, discarding those changes`,
    );
  }
  // Sources first, then the runtime they imported, the manifest last (as a crash would expose them).
  for (const f of [RUNTIME_FILE, MANIFEST_FILE]) {
    plan.removes.push(f);
    plan.ops.push({ kind: "delete", path: path.join(packageDir, f) });
  }
  return plan;
}

export async function writeRevert(plan: RevertPlan): Promise<void> {
  await commitFiles(plan.located.packageDir, "revert", plan.ops);
}
