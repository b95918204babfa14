/**
 * The codemod engine's decisions, one table per function, for the files mutation testing found least
 * checked by fast tests (issue 14): detect, engine, plan, write, package-index, locate, manifest and
 * vendor. In-process (temp folders, no emulator, no Python): `npm run mutate -- codemod` runs them for
 * every mutant of those files. The crash-safe writer (write.ts) is tested on temp folders, its crash
 * points through a child process that kills itself at each step, as the Python crash test does.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs, { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { XaError } from "../src/errors.js";
import { parsePython, type Node } from "../src/codemod/parse.js";
import { findTools } from "../src/codemod/find-tools.js";
import { applyInserts } from "../src/codemod/apply.js";
import { hasDecorator, planFile, planImport, planParams } from "../src/codemod/plan.js";
import {
  defaultPackagePath,
  detectServer,
  detectServers,
  fromPyproject,
  fromSitePackages,
  isAwslabsServer,
  normalizeDistribution,
  parseScripts,
  projectKeys,
  recordPackages,
  shortName,
} from "../src/codemod/detect.js";
import { candidateDirs, expandHome, findPackage, locateIn } from "../src/codemod/locate.js";
import { loadManifest, mergeInserts, rebase } from "../src/codemod/manifest.js";
import { compareVersions, currentRuntime, readStamp, runtimeAction } from "../src/codemod/vendor.js";
import { oneLine, PackageIndex, type ModuleSource } from "../src/codemod/package-index.js";
import { asPermissionError } from "../src/codemod/fs-errors.js";
import { commitFiles, recoverJournal, TEMP_FILE, type FileOp, type Journal } from "../src/codemod/write.js";
import { checkPlan, planPatch, planRevert, recoverInterrupted, writePatch, type PatchPlan } from "../src/codemod/engine.js";
import type { LocatedServer } from "../src/codemod/locate.js";
import type { ServerProfile } from "../src/codemod/profile.js";
import { judgeSkip, packageSources } from "../src/codemod/scan.js";
import type { ToolVerdict } from "../src/codemod/plan.js";
import { JOURNAL_FILE, MANIFEST_FILE, RUNTIME_FILE } from "../src/codemod/contract.js";
import { sha256 } from "../src/codemod/source.js";

function tempDir(t: TestContext, prefix = "xa-decide-"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function put(file: string, text: string | Buffer): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

const isCode = (code: string) => (e: unknown): boolean => e instanceof XaError && e.code === code;

// ---------------------------------------------------------------------------------------------------
// write.ts: the crash-safe transaction
// ---------------------------------------------------------------------------------------------------

test("TEMP_FILE: only the `.<name>.xaccount-<pid>.tmp` names xaccount writes", () => {
  const cases: Array<[string, boolean]> = [
    [".server.py.xaccount-123.tmp", true],
    [".a.xaccount-1.tmp", true],
    ["..xaccount-1.tmp", false], // no name between the dot and .xaccount
    ["server.py.xaccount-123.tmp", false], // not hidden: someone else's file
    ["x.server.py.xaccount-123.tmp", false],
    [".server.py.xaccount-.tmp", false],
    [".server.py.xaccount-12a.tmp", false],
    [".server.py.xaccount-123.tmp.bak", false],
    [".server.py.xaccount-123.tmpx", false],
    [".server.py.xaccount-123xtmp", false],
    [".server.pyxxaccount-123.tmp", false],
    [".server.py.xaccount123.tmp", false],
  ];
  for (const [name, expected] of cases) assert.equal(TEMP_FILE.test(name), expected, name);
});

/** A package folder with files, and what commitFiles is then asked to do. */
function writeScene(t: TestContext): { pkg: string; a: string; b: string; c: string; ops: FileOp[] } {
  const pkg = tempDir(t, "xa-write-");
  const a = put(path.join(pkg, "a.py"), "A before\n");
  chmodSync(a, 0o640);
  const b = path.join(pkg, "sub", "b.py"); // new
  mkdirSync(path.dirname(b));
  const c = put(path.join(pkg, "c.py"), "C goes\n");
  const ops: FileOp[] = [
    { kind: "write", path: a, bytes: Buffer.from("A after\n") },
    { kind: "write", path: b, bytes: Buffer.from("B new\n"), mode: 0o666 },
    { kind: "delete", path: c },
  ];
  return { pkg, a, b, c, ops };
}

const mode = (f: string): number => statSync(f).mode & 0o7777;
const listing = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: "utf8" }).map((f) => f.split(path.sep).join("/")).sort();

test("commitFiles: writes, creates and deletes in one go, modes kept exactly (umask aside), no journal or temp left", async (t) => {
  const { pkg, a, b, c, ops } = writeScene(t);
  const umask = process.umask(0o022);
  t.after(() => process.umask(umask));
  await commitFiles(pkg, "patch", ops);
  assert.equal(readFileSync(a, "utf8"), "A after\n");
  assert.equal(mode(a), 0o640, "an existing file keeps its mode");
  assert.equal(readFileSync(b, "utf8"), "B new\n");
  assert.equal(mode(b), 0o666, "the mode asked for, not the umask's");
  assert.equal(existsSync(c), false);
  assert.deepEqual(listing(pkg), ["a.py", "sub", "sub/b.py"]);
  // A new file without a mode is 0644 whatever the umask.
  process.umask(0o077);
  const d = path.join(pkg, "d.py");
  await commitFiles(pkg, "patch", [{ kind: "write", path: d, bytes: Buffer.from("D\n") }]);
  assert.equal(mode(d), 0o644);
  // Deleting what is not there is done already.
  await commitFiles(pkg, "revert", [{ kind: "delete", path: c }]);
  // Nothing to do touches nothing, not even a folder that is not there.
  await commitFiles(path.join(pkg, "missing"), "patch", []);
  assert.equal(existsSync(path.join(pkg, "missing")), false);
});

test("commitFiles: after the renames, every folder that got or lost a file is fsynced (the renames survive a power cut)", { skip: !existsSync("/proc/self/fd") && "needs /proc to name a descriptor's folder" }, async (t) => {
  const { pkg, ops } = writeScene(t);
  // Spy on the fsync commitFiles calls (a live binding of node:fs): which folders it is asked to flush.
  const flushed: string[] = [];
  const real = fs.fsync;
  t.mock.method(fs, "fsync", (fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
    if (fs.fstatSync(fd).isDirectory()) flushed.push(fs.readlinkSync(`/proc/self/fd/${fd}`));
    real(fd, cb);
  });
  syncBuiltinESMExports();
  t.after(() => {
    t.mock.restoreAll();
    syncBuiltinESMExports();
  });
  await commitFiles(pkg, "patch", ops);
  const resolved = (p: string): string => fs.realpathSync(p);
  assert.deepEqual([...new Set(flushed)].sort(), [resolved(pkg), resolved(path.join(pkg, "sub"))].sort());
});

test("commitFiles: a failure after files were renamed rolls every file back, removes its temps and journal, and throws", async (t) => {
  const { pkg, a, c } = writeScene(t);
  // The same file twice: both share one temp file, so the second rename finds none (ENOENT) after the
  // first rename has replaced a.py.
  const ops: FileOp[] = [
    { kind: "delete", path: c },
    { kind: "write", path: a, bytes: Buffer.from("first\n") },
    { kind: "write", path: a, bytes: Buffer.from("second\n") },
  ];
  await assert.rejects(commitFiles(pkg, "patch", ops), (e: NodeJS.ErrnoException) => e.code === "ENOENT");
  assert.equal(readFileSync(a, "utf8"), "A before\n");
  assert.equal(mode(a), 0o640);
  assert.equal(readFileSync(c, "utf8"), "C goes\n", "the deleted file is back");
  assert.deepEqual(listing(pkg), ["a.py", "c.py", "sub"]);
});

test("commitFiles: a temp file that cannot be created (name too long) leaves everything as it was", async (t) => {
  const { pkg, a } = writeScene(t);
  const long = path.join(pkg, `${"x".repeat(240)}.py`); // fine as a name, too long with the temp suffix
  await assert.rejects(
    commitFiles(pkg, "patch", [
      { kind: "write", path: a, bytes: Buffer.from("A after\n") },
      { kind: "write", path: long, bytes: Buffer.from("L\n") },
    ]),
    (e: NodeJS.ErrnoException) => e.code === "ENAMETOOLONG",
  );
  assert.equal(readFileSync(a, "utf8"), "A before\n");
  assert.deepEqual(listing(pkg), ["a.py", "c.py", "sub"]);
  // A target that cannot be read (a folder): its own error, before the journal.
  await assert.rejects(commitFiles(pkg, "patch", [{ kind: "write", path: path.join(pkg, "sub"), bytes: Buffer.from("x") }]), (e: NodeJS.ErrnoException) => e.code === "EISDIR");
  assert.deepEqual(listing(pkg), ["a.py", "c.py", "sub"]);
});

const WRITE_JS = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "src", "codemod", "write.js");

/** commitFiles in a child process with XACCOUNT_TEST_CRASH_AFTER_STEP=k. */
function crashAt(pkg: string, ops: FileOp[], k: number): { status: number | null; signal: NodeJS.Signals | null; stderr: string } {
  const plain = ops.map((op) => (op.kind === "write" ? { ...op, bytes: Buffer.from(op.bytes).toString("base64") } : op));
  const script = `import { commitFiles } from ${JSON.stringify(WRITE_JS)};
const ops = ${JSON.stringify(plain)}.map((op) => (op.kind === "write" ? { ...op, bytes: Buffer.from(op.bytes, "base64") } : op));
await commitFiles(${JSON.stringify(pkg)}, "revert", ops);`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    env: { ...process.env, XACCOUNT_TEST_CRASH_AFTER_STEP: String(k) },
  });
  return { status: r.status, signal: r.signal, stderr: r.stderr };
}

test("crash at each write step: the journal is there from step 1, then each temp, rename and deletion in order; recovery undoes exactly what was done", (t) => {
  // Steps: 1 journal; 2 temp a; 3 temp b; 4 rename a; 5 rename b; 6 delete c; 7 journal removed.
  const expectations: Array<{ k: number; files: string[]; a: string; done: number; temps: number }> = [
    { k: 1, files: [JOURNAL_FILE, "a.py", "c.py", "sub"], a: "A before\n", done: 0, temps: 0 },
    { k: 2, files: [`.a.py.xaccount-PID.tmp`, JOURNAL_FILE, "a.py", "c.py", "sub"], a: "A before\n", done: 0, temps: 1 },
    { k: 3, files: [`.a.py.xaccount-PID.tmp`, JOURNAL_FILE, "a.py", "c.py", "sub", "sub/.b.py.xaccount-PID.tmp"], a: "A before\n", done: 0, temps: 2 },
    { k: 4, files: [JOURNAL_FILE, "a.py", "c.py", "sub", "sub/.b.py.xaccount-PID.tmp"], a: "A after\n", done: 1, temps: 1 },
    { k: 5, files: [JOURNAL_FILE, "a.py", "c.py", "sub", "sub/b.py"], a: "A after\n", done: 2, temps: 0 },
    { k: 6, files: [JOURNAL_FILE, "a.py", "sub", "sub/b.py"], a: "A after\n", done: 3, temps: 0 },
  ];
  for (const e of expectations) {
    const { pkg, a, c, ops } = writeScene(t);
    const cMode = mode(c);
    const r = crashAt(pkg, ops, e.k);
    assert.equal(r.signal, "SIGKILL", `step ${e.k}: ${r.stderr}`);
    assert.deepEqual(listing(pkg).map((f) => f.replace(/xaccount-\d+\.tmp$/, "xaccount-PID.tmp")), e.files, `step ${e.k}`);
    assert.equal(readFileSync(a, "utf8"), e.a, `step ${e.k}`);
    const journal = JSON.parse(readFileSync(path.join(pkg, JOURNAL_FILE), "utf8")) as Journal;
    assert.equal(journal.operation, "revert");
    assert.deepEqual(journal.entries, [
      { file: "a.py", before: Buffer.from("A before\n").toString("base64"), mode: 0o640, afterSha256: sha256(Buffer.from("A after\n")) },
      { file: "sub/b.py", before: null, mode: null, afterSha256: sha256(Buffer.from("B new\n")) },
      { file: "c.py", before: Buffer.from("C goes\n").toString("base64"), mode: cMode, afterSha256: null },
    ]);
    const rec = recoverJournal(pkg);
    assert.deepEqual(rec && { ...rec, pid: rec.pid > 0 }, { operation: "revert", pid: true, done: e.done, total: 3, strayTemps: e.temps }, `step ${e.k}`);
    assert.deepEqual(listing(pkg), ["a.py", "c.py", "sub"], `step ${e.k}: back as it was`);
    assert.equal(readFileSync(a, "utf8"), "A before\n");
    assert.equal(mode(a), 0o640);
    assert.equal(recoverJournal(pkg), undefined, "nothing left to recover");
  }
  // Killed after the journal is removed (step 7): the transaction is complete, nothing to recover.
  const last = writeScene(t);
  assert.equal(crashAt(last.pkg, last.ops, 7).signal, "SIGKILL");
  assert.deepEqual(listing(last.pkg), ["a.py", "sub", "sub/b.py"]);
  assert.equal(recoverJournal(last.pkg), undefined);
  // A step past the last: no crash.
  const none = writeScene(t);
  const done = crashAt(none.pkg, none.ops, 8);
  assert.equal(done.status, 0, done.stderr);
  assert.deepEqual(listing(none.pkg), ["a.py", "sub", "sub/b.py"]);
});

test("asPermissionError: a refused read and a refused write each get the hint that fixes them; other errors are not ours", () => {
  const denied = Object.assign(new Error("no"), { code: "EACCES" });
  const read = asPermissionError(denied, "/p/x.py", "read");
  assert.deepEqual([read?.code, read?.message], ["permission-denied", "cannot read /p/x.py: permission denied (EACCES); nothing was written"]);
  assert.match(read?.hint ?? "", /as a user who can read the server's files/);
  assert.match(asPermissionError(denied, "/p/x.py", "write")?.hint ?? "", /as the package's owner/);
  assert.equal(asPermissionError(Object.assign(new Error("gone"), { code: "ENOENT" }), "/p/x.py", "read"), undefined);
  assert.equal(asPermissionError(new Error("no code"), "/p/x.py", "read"), undefined);
  // EPERM (an immutable file, or a file system that refuses chmod) and EROFS are the user's to fix too.
  const perm = asPermissionError(Object.assign(new Error("no"), { code: "EPERM" }), "/p/x.py", "write");
  assert.deepEqual([perm?.code, perm?.message], ["permission-denied", "cannot write /p/x.py: permission denied (EPERM); nothing was written"]);
  const ro = asPermissionError(Object.assign(new Error("no"), { code: "EROFS" }), "/p/x.py", "write");
  assert.deepEqual([ro?.code, ro?.message], ["permission-denied", "cannot write /p/x.py: the file system is read-only; nothing was written"]);
});

test("commitFiles for a user who may not write: permission-denied naming the folder or the file, before anything changes", (t) => {
  // Run as an unprivileged user (root may write anything): uid 65534 when the tests run as root.
  const asRoot = process.getuid?.() === 0;
  const base = mkdtempSync(path.join(os.tmpdir(), "xa-perm-"));
  chmodSync(base, 0o755);
  const roDir = path.join(base, "ro-dir");
  put(path.join(roDir, "a.py"), "A\n");
  chmodSync(roDir, 0o555);
  const rwDir = path.join(base, "rw-dir");
  put(path.join(rwDir, "ro.py"), "R\n");
  chmodSync(path.join(rwDir, "ro.py"), 0o444);
  chmodSync(rwDir, 0o777);
  t.after(() => {
    chmodSync(roDir, 0o755);
    rmSync(base, { recursive: true, force: true });
  });
  const attempt = (pkg: string, ops: FileOp[]): { code?: string; message?: string; done?: boolean } => {
    const plain = ops.map((op) => (op.kind === "write" ? { ...op, bytes: Buffer.from(op.bytes).toString("base64") } : op));
    const script = `import { commitFiles } from ${JSON.stringify(WRITE_JS)};
const ops = ${JSON.stringify(plain)}.map((op) => (op.kind === "write" ? { ...op, bytes: Buffer.from(op.bytes, "base64") } : op));
try { await commitFiles(${JSON.stringify(pkg)}, "patch", ops); console.log(JSON.stringify({ done: true })); }
catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", ...(asRoot ? { uid: 65534, gid: 65534 } : {}) });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { code?: string; message?: string };
  };
  const before = [listing(roDir), listing(rwDir)];
  assert.deepEqual(attempt(roDir, [{ kind: "write", path: path.join(roDir, "a.py"), bytes: Buffer.from("B\n") }]), {
    code: "permission-denied",
    message: `cannot write ${roDir}: permission denied (EACCES); nothing was written`,
  });
  // The folder may be written, the file not: named after the new file that is not there yet (no error for it).
  assert.deepEqual(
    attempt(rwDir, [
      { kind: "write", path: path.join(rwDir, "new.py"), bytes: Buffer.from("N\n") },
      { kind: "write", path: path.join(rwDir, "ro.py"), bytes: Buffer.from("B\n") },
    ]),
    { code: "permission-denied", message: `cannot write ${path.join(rwDir, "ro.py")}: permission denied (EACCES); nothing was written` },
  );
  assert.deepEqual([listing(roDir), listing(rwDir)], before);
  assert.equal(readFileSync(path.join(rwDir, "ro.py"), "utf8"), "R\n");
});

/** A journal written by hand: the states a crash can leave, file by file. */
function journalOf(entries: Journal["entries"]): string {
  const j: Journal = { tool: "xaccount-journal", formatVersion: 1, operation: "patch", pid: 4242, startedAt: "2026-01-01T00:00:00.000Z", entries };
  return JSON.stringify(j);
}

test("recoverJournal: each entry back to its bytes and mode; `done` counts only the changes that had been made", (t) => {
  const pkg = tempDir(t, "xa-recover-");
  const b64 = (s: string): string => Buffer.from(s).toString("base64");
  const sha = (s: string): string => sha256(Buffer.from(s));
  put(path.join(pkg, "written.py"), "new\n"); // the write happened
  put(path.join(pkg, "pending.py"), "old\n"); // the write did not happen
  put(path.join(pkg, "created.py"), "new\n"); // a new file was created
  // never-created.py: a new file that was not created yet
  // deleted.py: a deletion that happened
  put(path.join(pkg, "kept.py"), "old\n"); // a deletion that did not happen
  put(path.join(pkg, "moded.py"), "same\n"); // bytes back but mode not
  chmodSync(path.join(pkg, "moded.py"), 0o600);
  put(path.join(pkg, "nomode.py"), "new\n"); // journal without a mode: 0644
  // absent.py: a deletion of a file that never existed
  put(path.join(pkg, "sub", ".x.py.xaccount-99.tmp"), "stray");
  put(path.join(pkg, "elsewhere", ".y.py.xaccount-99.tmp"), "not in a journaled folder");
  put(path.join(pkg, "not-ours.xaccount-99.tmp"), "someone's");
  put(
    path.join(pkg, JOURNAL_FILE),
    journalOf([
      { file: "written.py", before: b64("old\n"), mode: 0o640, afterSha256: sha("new\n") },
      { file: "pending.py", before: b64("old\n"), mode: 0o644, afterSha256: sha("new\n") },
      { file: "created.py", before: null, mode: null, afterSha256: sha("new\n") },
      { file: "never-created.py", before: null, mode: null, afterSha256: sha("new\n") },
      { file: "deleted.py", before: b64("gone\n"), mode: 0o600, afterSha256: null },
      { file: "kept.py", before: b64("old\n"), mode: 0o644, afterSha256: null },
      { file: "moded.py", before: b64("same\n"), mode: 0o640, afterSha256: sha("new\n") },
      { file: "nomode.py", before: b64("old\n"), mode: null, afterSha256: sha("new\n") },
      { file: "absent.py", before: null, mode: null, afterSha256: null },
      { file: "sub/x.py", before: null, mode: null, afterSha256: sha("x\n") },
      { file: "nodir/new.py", before: null, mode: null, afterSha256: sha("x\n") },
    ]),
  );
  const umask = process.umask(0o077);
  t.after(() => process.umask(umask));
  const rec = recoverJournal(pkg);
  // written, created, deleted, nomode: 4 made; pending, never-created, kept, moded, absent, sub/x, nodir/new: not.
  assert.deepEqual(rec, { operation: "patch", pid: 4242, done: 4, total: 11, strayTemps: 1 });
  const text = (f: string): string | undefined => (existsSync(path.join(pkg, f)) ? readFileSync(path.join(pkg, f), "utf8") : undefined);
  assert.deepEqual(
    ["written.py", "pending.py", "created.py", "never-created.py", "deleted.py", "kept.py", "moded.py", "nomode.py", "absent.py"].map((f) => [f, text(f)]),
    [
      ["written.py", "old\n"],
      ["pending.py", "old\n"],
      ["created.py", undefined],
      ["never-created.py", undefined],
      ["deleted.py", "gone\n"],
      ["kept.py", "old\n"],
      ["moded.py", "same\n"],
      ["nomode.py", "old\n"],
      ["absent.py", undefined],
    ],
  );
  assert.deepEqual(
    ["written.py", "deleted.py", "moded.py", "nomode.py"].map((f) => [f, mode(path.join(pkg, f))]),
    [
      ["written.py", 0o640],
      ["deleted.py", 0o600],
      ["moded.py", 0o640],
      ["nomode.py", 0o644],
    ],
  );
  assert.equal(existsSync(path.join(pkg, JOURNAL_FILE)), false);
  assert.equal(existsSync(path.join(pkg, "sub", ".x.py.xaccount-99.tmp")), false);
  assert.equal(existsSync(path.join(pkg, "elsewhere", ".y.py.xaccount-99.tmp")), true, "only the journaled folders are swept");
  assert.equal(existsSync(path.join(pkg, "not-ours.xaccount-99.tmp")), true);
});

test("recoverJournal: entries are undone last first (a file changed twice ends at its first `before`)", (t) => {
  const pkg = tempDir(t, "xa-recover-");
  const b64 = (s: string): string => Buffer.from(s).toString("base64");
  put(path.join(pkg, "a.py"), "v3\n");
  put(
    path.join(pkg, JOURNAL_FILE),
    journalOf([
      { file: "a.py", before: b64("v1\n"), mode: 0o644, afterSha256: sha256(Buffer.from("v2\n")) },
      { file: "a.py", before: b64("v2\n"), mode: 0o644, afterSha256: sha256(Buffer.from("v3\n")) },
    ]),
  );
  assert.equal(recoverJournal(pkg)?.done, 2, "both changes had been made");
  assert.equal(readFileSync(path.join(pkg, "a.py"), "utf8"), "v1\n");
});

test("recoverJournal without a journal: sweeps xaccount temp files from the whole package (caches and hidden folders aside)", (t) => {
  const pkg = tempDir(t, "xa-recover-");
  assert.equal(recoverJournal(pkg), undefined, "nothing there: nothing to report");
  put(path.join(pkg, "a.py"), "");
  const stray = [".a.py.xaccount-1.tmp", `.${JOURNAL_FILE}.xaccount-7.tmp`, "tools/.t.py.xaccount-2.tmp", "tools/deep/.u.py.xaccount-3.tmp"];
  for (const f of stray) put(path.join(pkg, f), "x");
  const left = ["__pycache__/.c.py.xaccount-4.tmp", ".hidden/.h.py.xaccount-5.tmp", "tools/keep.tmp"];
  for (const f of left) put(path.join(pkg, f), "x");
  assert.deepEqual(recoverJournal(pkg), { operation: "patch", pid: 0, done: 0, total: 0, strayTemps: 4 });
  for (const f of stray) assert.equal(existsSync(path.join(pkg, f)), false, f);
  for (const f of left) assert.equal(existsSync(path.join(pkg, f)), true, f);
});

test("recoverJournal: a journal that is not ours or not JSON is refused as patch-interrupted, touching nothing", (t) => {
  for (const bad of ["{", "null", '{"tool":"other","entries":[]}', '{"tool":"xaccount-journal","entries":{}}', '{"tool":"xaccount-journal"}']) {
    const pkg = tempDir(t, "xa-recover-");
    put(path.join(pkg, JOURNAL_FILE), bad);
    put(path.join(pkg, ".a.py.xaccount-1.tmp"), "x");
    assert.throws(() => recoverJournal(pkg), (e: unknown) => isCode("patch-interrupted")(e) && (e as XaError).exitCode === 1, bad);
    assert.deepEqual(listing(pkg), [".a.py.xaccount-1.tmp", JOURNAL_FILE], bad);
  }
});

/** Mocks `name` of node:fs (a live binding: write.ts sees it) for the rest of test `t`. */
function mockFs<K extends "accessSync" | "readFileSync" | "fsyncSync" | "fdatasync">(t: TestContext, name: K, impl: (typeof fs)[K]): void {
  t.mock.method(fs, name, impl as never);
  syncBuiltinESMExports();
  t.after(() => {
    t.mock.restoreAll();
    syncBuiltinESMExports();
  });
}

const denied = (p: string): NodeJS.ErrnoException => Object.assign(new Error(`EACCES: permission denied, '${p}'`), { code: "EACCES", path: p });
const hasProcFd = existsSync("/proc/self/fd");
/** The path an open descriptor names (Linux). */
const fdPath = (fd: number): string => fs.readlinkSync(`/proc/self/fd/${fd}`);

test("crash hook: XACCOUNT_TEST_CRASH_AFTER_STEP=k sends SIGKILL (no handler can run) after step k, and only then", async (t) => {
  const kills: unknown[][] = [];
  t.mock.method(process, "kill", (...args: unknown[]) => {
    kills.push(args);
    return true;
  });
  const saved = process.env.XACCOUNT_TEST_CRASH_AFTER_STEP;
  t.after(() => {
    if (saved === undefined) delete process.env.XACCOUNT_TEST_CRASH_AFTER_STEP;
    else process.env.XACCOUNT_TEST_CRASH_AFTER_STEP = saved;
  });
  const { pkg, ops } = writeScene(t);
  process.env.XACCOUNT_TEST_CRASH_AFTER_STEP = "2";
  await commitFiles(pkg, "patch", ops);
  assert.deepEqual(kills, [[process.pid, "SIGKILL"]]);
});

test("commitFiles and recoverJournal leave no descriptor open (a patch of many files must not run out of them)", { skip: !hasProcFd && "needs /proc to count descriptors" }, async (t) => {
  const open = (): number => readdirSync("/proc/self/fd").length;
  // A first transaction: whatever the runtime opens once for good (thread pool, io_uring) is open before counting.
  const warm = writeScene(t);
  await commitFiles(warm.pkg, "patch", warm.ops);
  const before = open();
  const { pkg, ops } = writeScene(t);
  await commitFiles(pkg, "patch", ops);
  put(path.join(pkg, "a.py"), "A after crash\n");
  put(path.join(pkg, JOURNAL_FILE), journalOf([{ file: "a.py", before: Buffer.from("A\n").toString("base64"), mode: 0o644, afterSha256: null }]));
  recoverJournal(pkg);
  assert.equal(open(), before);
});

test("the journal's folder is fsynced once the journal is written, and recovery fsyncs every journaled folder", { skip: !hasProcFd && "needs /proc to name a descriptor's folder" }, async (t) => {
  const synced: string[] = [];
  const real = fs.fsyncSync;
  mockFs(t, "fsyncSync", (fd: number) => {
    if (fs.fstatSync(fd).isDirectory()) synced.push(fdPath(fd));
    real(fd);
  });
  const { pkg, ops } = writeScene(t);
  const resolved = (p: string): string => fs.realpathSync(p);
  await commitFiles(pkg, "patch", ops);
  assert.deepEqual(synced, [resolved(pkg)], "the journal's rename is durable before any change");
  synced.length = 0;
  put(path.join(pkg, JOURNAL_FILE), journalOf([{ file: "sub/b.py", before: null, mode: null, afterSha256: null }]));
  recoverJournal(pkg);
  assert.deepEqual([...new Set(synced)].sort(), [resolved(pkg), resolved(path.join(pkg, "sub"))].sort());
});

test("commitFiles: every temp file's data is flushed before it is renamed over its target", { skip: !hasProcFd && "needs /proc to name a descriptor's file" }, async (t) => {
  const { pkg, ops } = writeScene(t);
  const flushed: string[] = [];
  const real = fs.fdatasync;
  mockFs(t, "fdatasync", ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
    flushed.push(path.relative(fs.realpathSync(pkg), fdPath(fd)).replace(/xaccount-\d+\.tmp$/, "xaccount-PID.tmp"));
    real(fd, cb);
  }) as typeof fs.fdatasync);
  await commitFiles(pkg, "patch", ops);
  assert.deepEqual(flushed.sort(), [".a.py.xaccount-PID.tmp", "sub/.b.py.xaccount-PID.tmp"]);
});

test("commitFiles: a folder the user may not write is permission-denied before anything changes (in-process)", async (t) => {
  const { pkg, a, ops } = writeScene(t);
  const real = fs.accessSync;
  mockFs(t, "accessSync", (p: fs.PathLike, m?: number) => {
    if (p === path.join(pkg, "sub")) throw denied(p);
    real(p, m);
  });
  await assert.rejects(commitFiles(pkg, "patch", ops), (e: unknown) => isCode("permission-denied")(e) && (e as XaError).message === `cannot write ${path.join(pkg, "sub")}: permission denied (EACCES); nothing was written`);
  assert.equal(readFileSync(a, "utf8"), "A before\n");
  assert.deepEqual(listing(pkg), ["a.py", "c.py", "sub"]);
});

test("commitFiles: a target that cannot be read (deleting a folder) fails with its own error before the journal", async (t) => {
  const { pkg } = writeScene(t);
  await assert.rejects(commitFiles(pkg, "patch", [{ kind: "delete", path: path.join(pkg, "sub") }]), (e: NodeJS.ErrnoException) => e.code === "EISDIR");
  assert.deepEqual(listing(pkg), ["a.py", "c.py", "sub"]);
});

test("recoverJournal: a journal that cannot be read is not taken for no journal (its own error, or permission-denied)", (t) => {
  const pkg = tempDir(t, "xa-recover-");
  mkdirSync(path.join(pkg, JOURNAL_FILE));
  assert.throws(() => recoverJournal(pkg), (e: NodeJS.ErrnoException) => e.code === "EISDIR");
  rmSync(path.join(pkg, JOURNAL_FILE), { recursive: true });
  put(path.join(pkg, JOURNAL_FILE), journalOf([]));
  const real = fs.readFileSync;
  mockFs(t, "readFileSync", ((p: fs.PathOrFileDescriptor, o?: never) => {
    if (p === path.join(pkg, JOURNAL_FILE)) throw denied(p);
    return real(p, o);
  }) as typeof fs.readFileSync);
  assert.throws(() => recoverJournal(pkg), (e: unknown) => isCode("permission-denied")(e) && (e as XaError).message.startsWith(`cannot read ${path.join(pkg, JOURNAL_FILE)}:`));
});

test("recoverJournal: a file the crash had not reached (bytes and mode as before) is left alone, not rewritten", (t) => {
  const pkg = tempDir(t, "xa-recover-");
  const a = put(path.join(pkg, "a.py"), "old\n");
  chmodSync(a, 0o644);
  const ino = statSync(a).ino;
  put(path.join(pkg, JOURNAL_FILE), journalOf([{ file: "a.py", before: Buffer.from("old\n").toString("base64"), mode: 0o644, afterSha256: sha256(Buffer.from("new\n")) }]));
  assert.equal(recoverJournal(pkg)?.done, 0);
  assert.equal(statSync(a).ino, ino);
});

// ---------------------------------------------------------------------------------------------------
// detect.ts: which server a path holds
// ---------------------------------------------------------------------------------------------------

/** An installed `awslabs.<short>-mcp-server` in `site`: its package folder and dist-info. */
function install(site: string, short: string, opts: { module?: string; record?: string[]; topLevel?: string; scripts?: string; folder?: string } = {}): string {
  const module = opts.module ?? `${short.replace(/-/g, "_")}_mcp_server`;
  const pkg = put(path.join(site, "awslabs", module, "__init__.py"), "");
  const info = path.join(site, opts.folder ?? `awslabs_${short.replace(/-/g, "_")}_mcp_server-1.0.dist-info`);
  put(path.join(info, "METADATA"), `Metadata-Version: 2.1\nName: awslabs.${short}-mcp-server\nVersion: 1.0\n`);
  put(path.join(info, "RECORD"), (opts.record ?? [`awslabs/${module}/__init__.py,sha256=x,0`]).join("\n") + "\n");
  if (opts.topLevel !== undefined) put(path.join(info, "top_level.txt"), opts.topLevel);
  if (opts.scripts !== undefined) put(path.join(info, "entry_points.txt"), opts.scripts);
  return path.dirname(pkg);
}

test("server names: awslabs.<name>-mcp-server in PEP 503 spellings, its short name and default package folder", () => {
  const cases: Array<[string, boolean, string, string]> = [
    ["awslabs.eks-mcp-server", true, "eks", "awslabs/eks_mcp_server"],
    ["  awslabs_aws_healthomics_mcp_server \n", true, "aws-healthomics", "awslabs/aws_healthomics_mcp_server"],
    ["AWSLABS-Cost.Explorer-MCP-Server", true, "cost-explorer", "awslabs/cost_explorer_mcp_server"],
    ["awslabs..x__y-mcp-server", false, "awslabs-x-y-mcp-server", "awslabs/awslabs_x_y_mcp_server_mcp_server"],
    ["awslabs.eks-mcp-server-extras", false, "awslabs-eks-mcp-server-extras", "awslabs/awslabs_eks_mcp_server_extras_mcp_server"],
    ["my-awslabs.eks-mcp-server", false, "my-awslabs-eks-mcp-server", "awslabs/my_awslabs_eks_mcp_server_mcp_server"],
    ["awslabs.-mcp-server", false, "awslabs-mcp-server", "awslabs/awslabs_mcp_server_mcp_server"],
    ["awslabs.eks-mcp", false, "awslabs-eks-mcp", "awslabs/awslabs_eks_mcp_mcp_server"],
  ];
  for (const [name, ok, short, pkg] of cases) {
    assert.deepEqual([isAwslabsServer(name), shortName(name), defaultPackagePath(name)], [ok, short, pkg], name);
  }
  assert.equal(normalizeDistribution("A.b_-C..d"), "a-b-c-d");
});

test("fromSitePackages: only *.dist-info folders named awslabs* count; the package folder is the first RECORD/top_level one that exists", (t) => {
  const site = tempDir(t, "xa-site-");
  // The package folder is named in RECORD, not the default awslabs/demo_mcp_server.
  install(site, "demo", { module: "renamed_pkg", record: ["awslabs/gone_pkg/x.py,,", "awslabs/renamed_pkg/__init__.py,,"] });
  // Only top_level.txt names it.
  install(site, "top", { module: "top_pkg", record: [], topLevel: "awslabs\nawslabs/top_pkg\n" });
  // Neither names one that exists: the default.
  put(path.join(site, "awslabs_bare_mcp_server-2.0.dist-info", "METADATA"), "Name: awslabs.bare-mcp-server\n");
  // Not an installed distribution's record: a backup of one, an egg-info, a folder not named awslabs*.
  put(path.join(site, "awslabs_old_mcp_server-0.1.dist-info.bak", "METADATA"), "Name: awslabs.old-mcp-server\n");
  put(path.join(site, "awslabs_egg_mcp_server-0.1.egg-info", "METADATA"), "Name: awslabs.egg-mcp-server\n");
  put(path.join(site, "vendored_copy-1.0.dist-info", "METADATA"), "Name: awslabs.copy-mcp-server\n");
  // Named awslabs* but not a server, or no METADATA.
  put(path.join(site, "awslabs.core-1.0.dist-info", "METADATA"), "Name: awslabs.core\n");
  mkdirSync(path.join(site, "awslabs_empty_mcp_server-1.0.dist-info"));
  const found = fromSitePackages(site).map((s) => [s.distribution, s.version ?? null, s.packagePath, s.entryModule, path.basename(s.source.file)]);
  assert.deepEqual(new Set(fromSitePackages(site).map((s) => s.source.kind)), new Set(["dist-info"]));
  assert.deepEqual(found, [
    ["awslabs.bare-mcp-server", null, "awslabs/bare_mcp_server", "awslabs.bare_mcp_server.server", "awslabs_bare_mcp_server-2.0.dist-info"],
    ["awslabs.demo-mcp-server", "1.0", "awslabs/renamed_pkg", "awslabs.renamed_pkg.server", "awslabs_demo_mcp_server-1.0.dist-info"],
    ["awslabs.top-mcp-server", "1.0", "awslabs/top_pkg", "awslabs.top_pkg.server", "awslabs_top_mcp_server-1.0.dist-info"],
  ]);
  assert.deepEqual(fromSitePackages(path.join(site, "missing")), []);
});

test("entry module: the console script of this package named like the distribution, else its first one, else <package>.server", (t) => {
  const cases: Array<[string, string]> = [
    ["[console_scripts]\nother = awslabs.demo_mcp_server.cli:run\nawslabs.demo-mcp-server = awslabs.demo_mcp_server.main:main\n", "awslabs.demo_mcp_server.main"],
    ["[console_scripts]\nfirst = awslabs.demo_mcp_server.first:main\nsecond = awslabs.demo_mcp_server.second:main\n", "awslabs.demo_mcp_server.first"],
    ["[console_scripts]\nawslabs.demo-mcp-server = awslabs.demo_mcp_server:main\n", "awslabs.demo_mcp_server"],
    // Another package's script (even one whose name starts like this package's) is not this server's.
    ["[console_scripts]\nawslabs.demo-mcp-server = awslabs.demo_mcp_server_extra.main:main\nx = elsewhere.mod:main\n", "awslabs.demo_mcp_server.server"],
    ["[console_scripts]\nawslabs.demo-mcp-server = awslabs.demo_mcp_server.plain\n", "awslabs.demo_mcp_server.plain"],
    ["[console_scripts]\nawslabs.demo-mcp-server = awslabs.demo_mcp_server.cli : main [extra]\n", "awslabs.demo_mcp_server.cli"],
    ["[console_scripts]\nawslabs.demo-mcp-server = 1bad.module:main\nx = awslabs.demo_mcp_server.ok:main\n", "awslabs.demo_mcp_server.ok"],
    ["[gui_scripts]\nawslabs.demo-mcp-server = awslabs.demo_mcp_server.gui:main\n", "awslabs.demo_mcp_server.server"],
    ["", "awslabs.demo_mcp_server.server"],
  ];
  for (const [scripts, entry] of cases) {
    const site = tempDir(t, "xa-site-");
    install(site, "demo", { scripts });
    assert.equal(fromSitePackages(site)[0]?.entryModule, entry, scripts);
    // The same table read from a source tree's pyproject.toml.
    const src = tempDir(t, "xa-src-");
    put(path.join(src, "awslabs", "demo_mcp_server", "__init__.py"), "");
    const table = scripts.replace("[console_scripts]", "[project.scripts]").replace("[gui_scripts]", "[project.gui-scripts]");
    put(path.join(src, "pyproject.toml"), `[project]\nname = "awslabs.demo-mcp-server"\nversion = "3.1"\n${table}`);
    assert.deepEqual([fromPyproject(src)?.entryModule, fromPyproject(src)?.version], [entry, "3.1"], `pyproject: ${scripts}`);
  }
});

test("projectKeys: name and version of [project] only; fromPyproject: the package folder that exists", (t) => {
  assert.deepEqual(projectKeys('name = "top"\n[tool.poetry]\nname = "poetry"\nversion = "9"\n[project]\nname = \'awslabs.a-mcp-server\'\n[tool.x]\nversion = "8"\n'), {
    name: "awslabs.a-mcp-server",
  });
  assert.deepEqual(projectKeys("[project]\n  version = '1.2'\n  name=\"n\"\n"), { version: "1.2", name: "n" });
  assert.deepEqual(projectKeys(""), {});
  const src = tempDir(t, "xa-src-");
  assert.equal(fromPyproject(src), undefined, "no pyproject.toml");
  put(path.join(src, "pyproject.toml"), '[project]\nname = "not-a-server"\n');
  assert.equal(fromPyproject(src), undefined);
  put(path.join(src, "pyproject.toml"), '[project]\nname = "awslabs.odd-mcp-server"\n');
  assert.deepEqual(fromPyproject(src), {
    distribution: "awslabs.odd-mcp-server",
    packagePath: "awslabs/odd_mcp_server",
    entryModule: "awslabs.odd_mcp_server.server",
    source: { kind: "pyproject", file: path.join(src, "pyproject.toml") },
  });
  // The default folder is absent: the awslabs/ folder that is a package (has __init__.py).
  mkdirSync(path.join(src, "awslabs", "aaa_not_a_package"), { recursive: true });
  put(path.join(src, "awslabs", "odd_pkg", "__init__.py"), "");
  assert.equal(fromPyproject(src)?.packagePath, "awslabs/odd_pkg");
  put(path.join(src, "awslabs", "odd_mcp_server", "x.py"), "");
  assert.equal(fromPyproject(src)?.packagePath, "awslabs/odd_mcp_server");
});

test("detectServers: every layout of a virtualenv, a site-packages, a folder deep inside a package; each server once", (t) => {
  const root = tempDir(t, "xa-layouts-");
  const layouts: Array<[string, string]> = [
    ["lib/python3.12/site-packages", "."],
    ["lib64/python3.11/site-packages", "."],
    ["Lib/site-packages", "."],
    [".venv/lib/python3.12/site-packages", "."],
    ["venv/lib64/python3.10/site-packages", "."],
  ];
  for (const [i, [site, from]] of layouts.entries()) {
    const venv = path.join(root, `v${i}`);
    const pkg = install(path.join(venv, site), "demo");
    for (const p of [path.join(venv, from), path.join(venv, site), pkg, path.join(pkg, "a", "b", "c")]) {
      mkdirSync(p, { recursive: true });
      const found = detectServers(p);
      assert.deepEqual(found.map((s) => [s.distribution, s.packagePath]), [["awslabs.demo-mcp-server", "awslabs/demo_mcp_server"]], p);
    }
  }
  // A lib folder's entries not named python* are not site-packages of the virtualenv.
  const odd = path.join(root, "odd");
  install(path.join(odd, "lib", "node", "site-packages"), "demo");
  assert.deepEqual(detectServers(odd), []);
  // Two servers in one site-packages: a folder inside either names that one.
  const two = path.join(root, "two", "lib", "python3.12", "site-packages");
  const first = install(two, "first");
  install(two, "second");
  assert.deepEqual(detectServers(path.join(root, "two")).map((s) => s.distribution), ["awslabs.first-mcp-server", "awslabs.second-mcp-server"]);
  const deep = path.join(first, "tools", "sub", "deeper");
  mkdirSync(deep, { recursive: true });
  assert.deepEqual(detectServers(deep).map((s) => s.distribution), ["awslabs.first-mcp-server"]);
  // A folder named like a site-packages but not one ("mysite-packages") is not taken for one.
  const mysite = path.join(root, "mysite-packages");
  const pkg = install(mysite, "third");
  const inMysite = path.join(pkg, "x", "y", "z");
  mkdirSync(inMysite, { recursive: true });
  assert.deepEqual(detectServers(inMysite), []);
});

test("detectServer: one found, one named, or a coded refusal (server-not-found, wrong-server, ambiguous-server)", (t) => {
  const site = tempDir(t, "xa-site-");
  const empty = tempDir(t, "xa-empty-");
  assert.throws(() => detectServer(empty), isCode("server-not-found"));
  assert.throws(() => detectServer(empty, "demo"), isCode("server-not-found"), "nothing there: not found, whatever the name");
  install(site, "demo");
  assert.equal(detectServer(site).distribution, "awslabs.demo-mcp-server");
  assert.equal(detectServer(site, "demo").distribution, "awslabs.demo-mcp-server");
  assert.equal(detectServer(site, "awslabs.demo-mcp-server").distribution, "awslabs.demo-mcp-server");
  assert.equal(detectServer(site, "AWSLABS_DEMO_MCP_SERVER").distribution, "awslabs.demo-mcp-server");
  assert.equal(detectServer(site, "awslabs_-demo-_mcp.server").distribution, "awslabs.demo-mcp-server", "runs of separators are one");
  assert.throws(() => detectServer(site, "other"), (e: unknown) => isCode("wrong-server")(e) && (e as XaError).hint === `run: xaccount patch demo ${site}`);
  install(site, "more");
  assert.throws(() => detectServer(site), (e: unknown) => isCode("ambiguous-server")(e) && /holds 2 AWS Labs MCP servers: demo \(awslabs\.demo-mcp-server 1\.0\), more/.test((e as XaError).message));
  assert.equal(detectServer(site, "more").distribution, "awslabs.more-mcp-server");
});

test("parseScripts, recordPackages: comments, quotes, sections; only .py files of awslabs/<identifier>/", () => {
  assert.deepEqual(
    parseScripts("[console_scripts]  \n# off = a:b\nx = a.b:c  # why\n'y' = \"d.e:f\"\nz=g:h [extra]\nbroken line\n\n[other]\nw = i:j\n", "console_scripts"),
    [
      { name: "x", target: "a.b:c" },
      { name: "y", target: "d.e:f" },
      { name: "z", target: "g:h [extra]" },
    ],
  );
  assert.deepEqual(parseScripts("x = a:b\n", "console_scripts"), [], "outside any section");
  assert.deepEqual(
    recordPackages(
      [
        "awslabs/b_pkg/x.py,sha256=1,2",
        "awslabs/a_pkg/sub/y.py,,",
        "awslabs/a_pkg/z.py,,",
        "awslabs/c_pkg/data.json,,",
        "awslabs/d_pkg/x.pyc,,",
        "awslabs/9bad/x.py,,",
        "awslabs/top.py,,",
        "other/e_pkg/x.py,,",
        "\"awslabs/f_pkg/a,b.py\",,",
        "awslabs/g_pkg/x.py",
        "lib/awslabs/h_pkg/x.py,,",
      ].join("\r\n"),
    ),
    ["awslabs/a_pkg", "awslabs/b_pkg", "awslabs/g_pkg"],
  );
});

test("detectServers: a source tree from its root or up to three folders below; a site-packages-like tree from two below its package", (t) => {
  const root = tempDir(t, "xa-src-");
  put(path.join(root, "pyproject.toml"), '[project]\nname = "awslabs.src-mcp-server"\n');
  const pkg = path.join(root, "awslabs", "src_mcp_server");
  put(path.join(pkg, "__init__.py"), "");
  for (const [p, found] of [
    [root, true],
    [path.join(root, "awslabs"), true],
    [pkg, true],
    [path.join(pkg, "sub"), true],
    [path.join(pkg, "sub", "deeper"), false],
  ] as const) {
    mkdirSync(p, { recursive: true });
    assert.deepEqual(detectServers(p).map((s) => s.source.kind), found ? ["pyproject"] : [], p);
  }
  // Laid out like a site-packages, without the name: the folders above count for the server holding the path.
  const tree = tempDir(t, "xa-tree-");
  const demo = install(tree, "demo");
  const extra = install(tree, "extra", { module: "demo_mcp_server_x" });
  for (const [p, names] of [
    [demo, ["awslabs.demo-mcp-server"]],
    [path.join(demo, "a"), ["awslabs.demo-mcp-server"]],
    [path.join(demo, "a", "b"), []],
    [extra, ["awslabs.extra-mcp-server"]],
    [path.join(extra, "a"), ["awslabs.extra-mcp-server"]],
    // a folder beside the servers' packages holds none of them
    [path.join(tree, "awslabs", "docs"), []],
    [path.join(tree, "docs"), []],
  ] as const) {
    mkdirSync(p, { recursive: true });
    assert.deepEqual(detectServers(p).map((s) => s.distribution), names, p);
  }
});

// ---------------------------------------------------------------------------------------------------
// engine.ts: what a patch plans and what --check reports
// ---------------------------------------------------------------------------------------------------

const PROFILE: ServerProfile = {
  name: "demo",
  title: "Demo MCP server",
  distribution: "awslabs.demo-mcp-server",
  packagePath: "awslabs/demo_mcp_server",
  monorepoDir: "demo-mcp-server",
  entryModule: "awslabs.demo_mcp_server.server",
  extraParams: ["account_id"],
};

const TOOL = (name: string, params = "x: str"): string => `@mcp.tool()\ndef ${name}(${params}) -> str:\n    return "${name}"\n`;
const SERVER = (body: string): string => `from mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP("demo")\n\n\n${body}`;

/** A source tree with the demo package holding `files`; where the engine finds it. */
function demoTree(t: TestContext, files: Record<string, string>): LocatedServer {
  const root = tempDir(t, "xa-engine-");
  const packageDir = path.join(root, "awslabs", "demo_mcp_server");
  put(path.join(packageDir, "__init__.py"), "");
  for (const [rel, text] of Object.entries(files)) put(path.join(packageDir, rel), text);
  return { packageDir, inputPath: root, importRoot: root };
}

const plan = (located: LocatedServer, opts: { check?: boolean; force?: boolean } = {}, profile: ServerProfile = PROFILE): Promise<PatchPlan> =>
  planPatch(profile, located, { verify: false, ...opts });
const toolRows = (p: PatchPlan): string[] => p.tools.map((t) => `${t.file}:${t.line} ${t.name} ${t.status}${t.skip ? ` ${t.skip}` : ""}`);

test("engine: the Python files scanned skip hidden folders, bytecode caches, the profile's skipDirs and the runtime", async (t) => {
  const located = demoTree(t, {
    "server.py": SERVER(TOOL("top")),
    "tools/more.py": SERVER(TOOL("nested")),
    ".hidden/h.py": SERVER(TOOL("hidden")),
    "tools/.cache/c.py": SERVER(TOOL("cached")),
    "__pycache__/p.py": SERVER(TOOL("pycache")),
    "tests/t.py": SERVER(TOOL("tested")),
    "tools/tests/u.py": SERVER(TOOL("deeper_tests")),
    "notes.txt": SERVER(TOOL("text")),
  });
  const p = await plan(located, {}, { ...PROFILE, skipDirs: ["tests"] });
  assert.deepEqual(toolRows(p), ["server.py:7 top unpatched", "tools/more.py:7 nested unpatched", "tools/tests/u.py:7 deeper_tests unpatched"]);
  assert.deepEqual(p.changes.map((c) => c.file), ["server.py", "tools/more.py", "tools/tests/u.py"]);
  // The runtime file is never scanned for tools, even one that is not xaccount's (--check reports it modified).
  put(path.join(located.packageDir, RUNTIME_FILE), SERVER(TOOL("runtime")));
  const checked = await plan(located, { check: true }, { ...PROFILE, skipDirs: ["tests"] });
  assert.equal(checked.tools.some((x) => x.name === "runtime"), false);
  assert.equal(checked.runtime.action, "modified");
});

test("engine: files are planned in the order of their sorted paths, not of a walk that enters a folder before a file named like it", async (t) => {
  // A walk lists the folder "tools" (and so tools/more.py) before tools.py; sorted paths put tools.py first.
  const located = demoTree(t, { "tools.py": SERVER(TOOL("flat")), "tools/more.py": SERVER(TOOL("nested")) });
  const p = await plan(located);
  assert.deepEqual(p.changes.map((c) => c.file), ["tools.py", "tools/more.py"]);
});

test("engine: a function registered twice (from two modules) is one tool, under the name given explicitly, the first such name", async (t) => {
  const reg = (call: string): string => `from .server import mcp\nfrom .tools import f\n\n${call}\n`;
  for (const [first, second, name] of [
    ["mcp.add_tool(f)", 'mcp.add_tool(f, name="nice")', "nice"],
    ['mcp.add_tool(f, name="nice")', "mcp.add_tool(f)", "nice"],
    ['mcp.add_tool(f, name="first")', 'mcp.add_tool(f, name="second")', "first"],
    ["mcp.add_tool(f)", "mcp.add_tool(f)", "f"],
  ] as const) {
    // a.py is scanned before z.py; the def is in tools.py
    const located = demoTree(t, {
      "server.py": SERVER(""),
      "tools.py": "def f(x: str) -> str:\n    return x\n",
      "a.py": reg(first),
      "z.py": reg(second),
    });
    const p = await plan(located);
    const label = `${first} / ${second}`;
    assert.deepEqual(p.tools.map((x) => [x.file, x.name, x.funcName, x.status]), [["tools.py", name, "f", "unpatched"]], label);
    assert.deepEqual(p.changes.map((c) => c.file), ["tools.py"], label);
    assert.equal((p.changes[0]?.after.match(/account_id: AccountId = None/g) ?? []).length, 1, label);
    assert.equal((p.changes[0]?.after.match(/@cross_account/g) ?? []).length, 1, label);
  }
});

test("engine: a file with no tool, record or mark is not decoded (a latin-1 helper blocks nothing); marks alone make it unrecorded", async (t) => {
  const located = demoTree(t, { "server.py": SERVER(TOOL("one")) });
  put(path.join(located.packageDir, "legacy.py"), Buffer.from("# caf\xe9\nx = 1\n", "latin1"));
  assert.deepEqual(toolRows(await plan(located)), ["server.py:7 one unpatched"]);
  // A file carrying only xaccount's import marker and no tool: its original is unknown all the same.
  put(path.join(located.packageDir, "helper.py"), "x = 1  # xaccount\n");
  await assert.rejects(plan(located), isCode("manifest-incomplete"));
  assert.deepEqual((await plan(located, { check: true })).unrecorded, ["helper.py"]);
});

test("engine: no patchable tool is no-tools-found, naming the skipped ones", async (t) => {
  const none = demoTree(t, { "server.py": SERVER("def helper():\n    pass\n") });
  await assert.rejects(plan(none), (e: unknown) => isCode("no-tools-found")(e) && !/only/.test((e as XaError).message));
  const own = demoTree(t, { "server.py": SERVER(TOOL("bill", "account_id: str") + "\n\n" + TOOL("bill2", "account_id: str")) });
  await assert.rejects(plan(own), (e: unknown) => isCode("no-tools-found")(e) && /\(only 2 skipped: bill, bill2\)$/.test((e as XaError).message));
  // One patchable tool beside a skipped one is enough.
  const mixed = demoTree(t, { "server.py": SERVER(TOOL("bill", "account_id: str") + "\n\n" + TOOL("list_things")) });
  assert.deepEqual(toolRows(await plan(mixed)), ["server.py:7 bill skipped own-account-id", "server.py:12 list_things unpatched"]);
});

test("engine: a hand-edited insertion is patched-file-edited for a patch, a conflict for --check", async (t) => {
  const located = demoTree(t, { "server.py": SERVER(TOOL("one")) });
  await writePatch(await plan(located));
  const file = path.join(located.packageDir, "server.py");
  writeFileSync(file, readFileSync(file, "utf8").replace("account_id: AccountId = None", "account_id: AccountId = 'x'"));
  await assert.rejects(plan(located), (e: unknown) => isCode("patched-file-edited")(e) && (e as XaError).exitCode === 2);
  const checked = await plan(located, { check: true });
  assert.deepEqual(checked.conflicts.map((c) => c.file), ["server.py"]);
  assert.deepEqual(checkPlan(checked).findings.map((f) => [f.code, f.file]), [["patched-file-edited", "server.py"]]);
});

test("engine: a modified runtime is refused, reported by --check, and replaced only with --force", async (t) => {
  const located = demoTree(t, { "server.py": SERVER(TOOL("one")) });
  await writePatch(await plan(located));
  const runtime = path.join(located.packageDir, RUNTIME_FILE);
  writeFileSync(runtime, `${readFileSync(runtime, "utf8")}\n# edited\n`);
  await assert.rejects(plan(located), isCode("runtime-modified"));
  const checked = await plan(located, { check: true });
  assert.equal(checked.runtime.action, "modified");
  assert.equal(checked.runtime.forced, undefined, "--check forces nothing");
  assert.equal(checked.ops.some((op) => op.path === runtime), false);
  assert.deepEqual(checkPlan(checked).findings.map((f) => [f.code, f.file]), [["runtime-modified", RUNTIME_FILE]]);
  const forced = await plan(located, { force: true });
  assert.equal(forced.runtime.forced, true);
  // The manifest already records the runtime xaccount ships: only the runtime is written.
  assert.deepEqual(forced.ops.map((op) => [op.kind, path.basename(op.path)]), [["write", RUNTIME_FILE]]);
  await writePatch(forced);
  assert.ok(readFileSync(runtime).equals(currentRuntime().vendored));
});

test("checkPlan: each finding once, with its code and file: unpatched tools, a missing import, the runtime, the manifest", async (t) => {
  const located = demoTree(t, { "server.py": SERVER(TOOL("one") + "\n\n" + TOOL("two")), "other.py": SERVER(TOOL("three")) });
  const fresh = checkPlan(await plan(located, { check: true }));
  assert.deepEqual(
    fresh.findings.map((f) => [f.code, f.file, f.message]),
    [
      ["not-patched", "other.py", "other.py:7: tool three is not patched (lacks account_id)"],
      ["not-patched", "server.py", "server.py:7: tool one is not patched (lacks account_id)"],
      ["not-patched", "server.py", "server.py:12: tool two is not patched (lacks account_id)"],
      ["not-patched", RUNTIME_FILE, `${RUNTIME_FILE} is missing from the package`],
      ["not-patched", MANIFEST_FILE, `${MANIFEST_FILE} is missing: --revert would not know the original bytes`],
    ],
  );
  assert.equal(fresh.patched, false);
  assert.equal(fresh.code, "not-patched");
  await writePatch(await plan(located));
  assert.deepEqual(checkPlan(await plan(located, { check: true })), {
    packageDir: located.packageDir,
    patched: true,
    problems: [],
    findings: [],
    tools: ["other.py three", "server.py one", "server.py two"].map((x) => ({ file: x.split(" ")[0], name: x.split(" ")[1], status: "patched" })),
    skipped: [],
  });
});

test("engine: the ops of a first patch (runtime, sources, manifest last), then up to date; an upstream edit away from ours is re-planned", async (t) => {
  const located = demoTree(t, { "server.py": SERVER(TOOL("one")), "util.py": "def helper():\n    pass\n" });
  const first = await plan(located);
  assert.equal(first.hadManifest, false);
  assert.equal(first.compile, undefined, "verify: false starts no Python");
  assert.equal(first.upToDate, false);
  assert.equal(first.manifestChanged, true);
  assert.equal(first.runtime.action, "add");
  assert.deepEqual(
    first.ops.map((op) => [op.kind, path.relative(located.packageDir, op.path), op.kind === "write" ? (op.mode ?? null) : null]),
    [
      ["write", RUNTIME_FILE, 0o644],
      ["write", "server.py", null],
      ["write", MANIFEST_FILE, 0o644],
    ],
  );
  assert.deepEqual(Object.keys(first.manifest.files), ["server.py"], "a file without tools is not recorded");
  assert.equal(first.manifest.runtime.fileSha256, sha256(currentRuntime().vendored));
  await writePatch(first);
  const again = await plan(located);
  assert.deepEqual([again.upToDate, again.ops.length, again.changes.length, again.manifestChanged, again.hadManifest, again.runtime.action], [true, 0, 0, false, true, "keep"]);
  // Upstream adds a tool at the end of the patched file: the earlier insertions are kept, the new tool patched.
  const file = path.join(located.packageDir, "server.py");
  writeFileSync(file, `# upstream note\n${readFileSync(file, "utf8")}\n\n${TOOL("two")}`);
  const upgraded = await plan(located);
  assert.deepEqual(upgraded.changes.map((c) => c.file), ["server.py"]);
  assert.deepEqual(toolRows(upgraded), ["server.py:10 one patched", "server.py:15 two unpatched"]);
  assert.deepEqual(upgraded.ops.map((op) => path.basename(op.path)), ["server.py", MANIFEST_FILE]);
  await writePatch(upgraded);
  assert.equal((readFileSync(file, "utf8").match(/@cross_account/g) ?? []).length, 2);
  // The record rebuilds the original: the upstream text without any xaccount insertion.
  const record = (await plan(located)).manifest.files["server.py"];
  assert.equal(Buffer.from(record?.original ?? "", "base64").toString(), `# upstream note\n${SERVER(TOOL("one"))}\n\n${TOOL("two")}`);
  // util.py gets a tool and is patched; then upstream replaces it wholesale without one: no record is kept for it.
  writeFileSync(path.join(located.packageDir, "util.py"), SERVER(TOOL("three")));
  await writePatch(await plan(located));
  assert.deepEqual(Object.keys((await plan(located)).manifest.files), ["server.py", "util.py"]);
  writeFileSync(path.join(located.packageDir, "util.py"), "def helper():\n    pass\n");
  const replaced = await plan(located);
  assert.deepEqual(Object.keys(replaced.manifest.files), ["server.py"]);
  assert.deepEqual(replaced.changes, []);
  assert.deepEqual(replaced.ops.map((op) => path.basename(op.path)), [MANIFEST_FILE]);
});

test("engine: an intact runtime from a newer xaccount is kept (and recorded as is), an older one replaced", async (t) => {
  const located = demoTree(t, { "server.py": SERVER(TOOL("one")) });
  const runtime = path.join(located.packageDir, RUNTIME_FILE);
  const { vendored, stamp } = currentRuntime();
  // Another xaccount's runtime: another body, its header naming that body's sha256.
  const ours = vendored.subarray(vendored.indexOf("\n", vendored.indexOf("\n") + 1) + 1);
  const body = Buffer.concat([ours, Buffer.from("# another build\n")]);
  const as = (version: string): Buffer =>
    Buffer.concat([Buffer.from(`# Vendored by xaccount ${version} sha256=${sha256(body)}\n# Do not edit: \`xaccount patch\` replaces this file and \`xaccount patch --revert\` removes it.\n`), body]);
  writeFileSync(runtime, as("999.0.0"));
  const newer = await plan(located);
  assert.equal(newer.runtime.action, "keep-newer");
  assert.deepEqual(newer.runtime.existing, { version: "999.0.0", sha256: sha256(body) });
  assert.deepEqual([newer.manifest.runtime.version, newer.manifest.runtime.sha256, newer.manifest.runtime.fileSha256], ["999.0.0", sha256(body), sha256(as("999.0.0"))]);
  assert.equal(newer.ops.some((op) => op.path === runtime), false);
  // --force overrides a modified runtime, never a newer intact one.
  const forced = await plan(located, { force: true });
  assert.equal(forced.runtime.action, "keep-newer");
  assert.equal(forced.runtime.forced, undefined);
  assert.equal(forced.ops.some((op) => op.path === runtime), false);
  // The very runtime we ship under another version's header: kept as it is, and recorded as it is.
  const sameBody = Buffer.concat([Buffer.from(`# Vendored by xaccount 0.0.9 sha256=${stamp.sha256}\n# Do not edit: \`xaccount patch\` replaces this file and \`xaccount patch --revert\` removes it.\n`), ours]);
  writeFileSync(runtime, sameBody);
  const same = await plan(located);
  assert.equal(same.runtime.action, "keep");
  assert.equal(same.manifest.runtime.fileSha256, sha256(sameBody));
  assert.equal(same.ops.some((op) => op.path === runtime), false);
  writeFileSync(runtime, as("0.0.1"));
  const older = await plan(located);
  assert.equal(older.runtime.action, "replace");
  assert.deepEqual([older.manifest.runtime.version, older.manifest.runtime.sha256, older.manifest.runtime.fileSha256], [stamp.version, stamp.sha256, sha256(vendored)]);
  assert.equal(older.ops[0]?.path, runtime);
  // A runtime path that cannot be read as a file is an error, not a missing runtime.
  rmSync(runtime);
  mkdirSync(runtime);
  await assert.rejects(plan(located), (e: NodeJS.ErrnoException) => e.code === "EISDIR");
});

test("engine: xaccount edits no manifest records are manifest-incomplete (listed by --check); a journal is patch-interrupted", async (t) => {
  const marked = (extra: string): string => SERVER(TOOL("one")) + extra;
  const one = demoTree(t, { "server.py": marked("# xaccount\n") });
  await assert.rejects(plan(one), (e: unknown) => isCode("manifest-incomplete")(e) && / carries xaccount edits/.test((e as XaError).message));
  const two = demoTree(t, { "server.py": marked("@cross_account\ndef g(): pass\n"), "other.py": marked("x = 1  # xaccount\n"), "plain.py": marked("@cross_accounts\ndef h(): pass\n") });
  await assert.rejects(plan(two), (e: unknown) => isCode("manifest-incomplete")(e) && / carry xaccount edits/.test((e as XaError).message));
  const checked = await plan(two, { check: true });
  assert.deepEqual(checked.unrecorded, ["other.py", "server.py"]);
  assert.deepEqual(checked.changes.map((c) => c.file), ["plain.py"]);
  // A crashed run's journal: nothing is read until it is recovered.
  put(path.join(one.packageDir, JOURNAL_FILE), journalOf([]));
  await assert.rejects(plan(one), (e: unknown) => isCode("patch-interrupted")(e) && (e as XaError).exitCode === 2);
  assert.throws(() => planRevert(PROFILE, one), isCode("patch-interrupted"));
  assert.deepEqual(recoverInterrupted(one), { operation: "patch", pid: 4242, done: 0, total: 0, strayTemps: 0 });
  assert.equal(recoverInterrupted(one), undefined);
});

test("planRevert: per recorded file restored, unchanged, missing or edited (restored only with force); then runtime and manifest go", async (t) => {
  const files = { "a.py": SERVER(TOOL("a")), "b.py": SERVER(TOOL("b")), "c.py": SERVER(TOOL("c")), "d.py": SERVER(TOOL("d")) };
  const located = demoTree(t, files);
  assert.deepEqual(planRevert(PROFILE, located), { located, restored: [], unchanged: [], missing: [], edited: [], removes: [], ops: [], wasPatched: false });
  await writePatch(await plan(located));
  const at = (f: string): string => path.join(located.packageDir, f);
  writeFileSync(at("b.py"), files["b.py"]); // back to the original by hand
  rmSync(at("c.py"));
  writeFileSync(at("d.py"), `${readFileSync(at("d.py"), "utf8")}# edited\n`);
  chmodSync(at("a.py"), 0o600);
  assert.throws(() => planRevert(PROFILE, located), (e: unknown) => isCode("patched-file-edited")(e) && (e as XaError).message.includes(at("d.py")));
  const forced = planRevert(PROFILE, located, { force: true });
  assert.deepEqual([forced.restored, forced.unchanged, forced.missing, forced.edited, forced.removes, forced.wasPatched], [["a.py", "d.py"], ["b.py"], ["c.py"], ["d.py"], [RUNTIME_FILE, MANIFEST_FILE], true]);
  assert.deepEqual(
    forced.ops.map((op) => [op.kind, path.basename(op.path), op.kind === "write" ? [op.mode, Buffer.from(op.bytes).toString()] : null]),
    [
      ["write", "a.py", [0o600, files["a.py"]]],
      ["write", "d.py", [0o644 & ~process.umask(), files["d.py"]]],
      ["delete", RUNTIME_FILE, null],
      ["delete", MANIFEST_FILE, null],
    ],
  );
  // Marks in a file the manifest does not record: its original is unknown, nothing is reverted.
  writeFileSync(at("e.py"), "x = 1  # xaccount\n");
  assert.throws(() => planRevert(PROFILE, located, { force: true }), (e: unknown) => isCode("manifest-incomplete")(e) && / carries /.test((e as XaError).message));
  // A recorded file that cannot be read (a folder now) is an error, not a missing file.
  rmSync(at("e.py"));
  rmSync(at("a.py"));
  mkdirSync(at("a.py"));
  assert.throws(() => planRevert(PROFILE, located, { force: true }), (e: NodeJS.ErrnoException) => e.code === "EISDIR");
});

test("engine: `add_tool(x.fn)` is a tool named <tool>.fn, skipped as unresolved, unless every Tool.from_function resolved", async (t) => {
  const fn = "for t in TOOLS:\n    mcp.add_tool(t.fn)\n";
  const located = demoTree(t, { "server.py": SERVER(TOOL("one") + fn) });
  const p = await plan(located, { check: true });
  assert.deepEqual(toolRows(p), ["server.py:7 one unpatched", "server.py:10 <tool>.fn skipped unresolved"]);
  assert.match(p.tools.find((x) => x.name === "<tool>.fn")?.reason ?? "", /not every Tool\.from_function of the package could be resolved/, "the skip says why");
  const resolved = demoTree(t, { "server.py": SERVER(`def two(x: str) -> str:\n    return x\n\n\nTOOLS = [Tool.from_function(two)]\n${fn}`) });
  assert.deepEqual(toolRows(await plan(resolved, { check: true })), ["server.py:6 two unpatched"]);
  // One Tool.from_function resolved and one not: the .fn is still unaccounted for.
  const partly = demoTree(t, { "server.py": SERVER(`def two(x: str) -> str:\n    return x\n\n\nTOOLS = [Tool.from_function(two), Tool.from_function(make())]\n${fn}`) });
  assert.deepEqual(toolRows(await plan(partly, { check: true })), ["server.py:6 two unpatched", "server.py:10 Tool.from_function(make()) skipped unresolved", "server.py:12 <tool>.fn skipped unresolved"]);
});

/** An executable stand-in for Python: notes that it ran, reads the sources, answers as told. */
function fakePython(t: TestContext, dir: string, exit: number, out = ""): { marker: string } {
  const marker = path.join(dir, "python-ran");
  const file = put(path.join(dir, "fake-python"), `#!/bin/sh\ntouch '${marker}'\ncat > /dev/null\nprintf '%s' '${out}'\nexit ${exit}\n`);
  chmodSync(file, 0o755);
  const saved = process.env.XACCOUNT_PYTHON;
  process.env.XACCOUNT_PYTHON = file;
  t.after(() => {
    if (saved === undefined) delete process.env.XACCOUNT_PYTHON;
    else process.env.XACCOUNT_PYTHON = saved;
  });
  return { marker };
}

test("engine: Python compiles a plan with changes, refuses one it rejects, and is never started with verify off or nothing to change", async (t) => {
  const located = demoTree(t, { "server.py": SERVER(TOOL("one")) });
  const ok = fakePython(t, tempDir(t, "xa-py-"), 0);
  const verified = await planPatch(PROFILE, located);
  assert.deepEqual(verified.compile, { ran: true });
  assert.equal(existsSync(ok.marker), true);
  const off = fakePython(t, tempDir(t, "xa-py-"), 0);
  assert.equal((await planPatch(PROFILE, located, { verify: false })).compile, undefined);
  assert.equal(existsSync(off.marker), false, "verify: false");
  fakePython(t, tempDir(t, "xa-py-"), 3, JSON.stringify({ file: "server.py", line: 9, message: "invalid syntax" }));
  await assert.rejects(
    planPatch(PROFILE, located),
    (e: unknown) => isCode("patch-verify-failed")(e) && (e as XaError).exitCode === 1 && /the patched server\.py would not be valid Python \(line 9: invalid syntax\)/.test((e as XaError).message),
  );
  await writePatch(verified);
  const idle = fakePython(t, tempDir(t, "xa-py-"), 0);
  const upToDate = await planPatch(PROFILE, located);
  assert.equal(upToDate.upToDate, true);
  assert.equal(upToDate.compile, undefined);
  assert.equal(existsSync(idle.marker), false, "nothing to change: Python never started");
});

const ENGINE_JS = path.join(path.dirname(WRITE_JS), "engine.js");

test("engine: writePatch and writeRevert journal their operation (what a recovery reports)", (t) => {
  const located = demoTree(t, { "server.py": SERVER(TOOL("one")) });
  const step = (op: "patch" | "revert"): string => {
    const call =
      op === "patch"
        ? "await e.writePatch(await e.planPatch(profile, located, { verify: false }));"
        : "await e.writeRevert(e.planRevert(profile, located));";
    const script = `const e = await import(${JSON.stringify(ENGINE_JS)});
const profile = ${JSON.stringify(PROFILE)}; const located = ${JSON.stringify(located)};
${call}`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", env: { ...process.env, XACCOUNT_TEST_CRASH_AFTER_STEP: "1" } });
    assert.equal(r.signal, "SIGKILL", r.stderr);
    return (recoverInterrupted(located) as { operation: string }).operation;
  };
  assert.equal(step("patch"), "patch");
  return plan(located).then(async (p) => {
    await writePatch(p);
    assert.equal(step("revert"), "revert");
  });
});

test("locateIn: another known server's package there is wrong-server (naming it); its own profile in the list is not", (t) => {
  const root = tempDir(t, "xa-locate-");
  put(path.join(root, "awslabs", "other_mcp_server", "server.py"), "");
  const other: ServerProfile = { ...PROFILE, name: "other", title: "Other MCP server", packagePath: "awslabs/other_mcp_server", monorepoDir: "other-mcp-server" };
  assert.throws(() => locateIn(PROFILE, root, [PROFILE, other]), (e: unknown) => isCode("wrong-server")(e) && (e as XaError).hint === `run: xaccount patch other ${root}`);
  assert.throws(() => locateIn(PROFILE, root, [PROFILE]), (e: unknown) => isCode("server-not-found")(e) && (e as XaError).message.includes(path.join(root, "awslabs", "demo_mcp_server")));
  assert.equal(locateIn(other, root, [PROFILE, other]).packageDir, path.join(root, "awslabs", "other_mcp_server"));
  // A folder without a .py file is not the package.
  mkdirSync(path.join(root, "awslabs", "demo_mcp_server", "data"), { recursive: true });
  assert.throws(() => locateIn(PROFILE, root, [PROFILE]), isCode("server-not-found"));
});

test("checkPlan (pure): findings by kind and the most serious code; a changed file with no unpatched tool lacks its import", () => {
  const { stamp } = currentRuntime();
  const tool = (file: string, name: string, status: "patched" | "unpatched" | "skipped", extra: Record<string, unknown> = {}): PatchPlan["tools"][number] => ({
    file,
    name,
    line: 3,
    status,
    adds: status === "unpatched" ? ["account_id"] : [],
    ...extra,
  });
  const base = {
    located: { packageDir: "/p", inputPath: "/p", importRoot: "/" },
    runtime: { action: "keep", shipped: stamp },
    conflicts: [],
    unrecorded: [],
    tools: [],
    changes: [],
    hadManifest: true,
  };
  const run = (over: Record<string, unknown>): ReturnType<typeof checkPlan> => checkPlan({ ...base, ...over } as unknown as PatchPlan);
  const rows = (over: Record<string, unknown>): string[] => run(over).findings.map((f) => `${f.code} ${f.file}: ${f.message}`);
  assert.deepEqual(rows({ tools: [tool("a.py", "t", "patched")] }), []);
  assert.deepEqual(rows({ tools: [tool("a.py", "t", "patched"), tool("b.py", "u", "unpatched")], changes: [{ file: "a.py" }, { file: "b.py" }] }), [
    "not-patched b.py: b.py:3: tool u is not patched (lacks account_id)",
    "not-patched a.py: a.py: runtime import missing",
  ]);
  assert.deepEqual(
    rows({
      tools: [
        tool("a.py", "w", "skipped", { skip: "wrapper", reason: "wraps" }),
        tool("a.py", "r", "skipped", { skip: "unresolved", reason: "unknown" }),
        tool("a.py", "o", "skipped", { skip: "own-account-id", reason: "billing" }),
        tool("a.py", "ok", "skipped", { skip: "unresolved", reason: "known", acknowledged: true }),
        tool("a.py", "remote", "skipped", { skip: "remote", reason: "proxy" }),
        tool("a.py", "nr", "skipped", { skip: "unresolved" }),
      ],
    }),
    [
      "tool-wrapper-unresolved a.py: a.py:3: tool w would run without cross-account access: wraps",
      "tool-unresolved a.py: a.py:3: tool r would run without cross-account access: unknown",
      "tool-own-account-id a.py: a.py:3: tool o would run without cross-account access: billing",
      "tool-unresolved a.py: a.py:3: tool nr would run without cross-account access: ",
    ],
  );
  const replace = rows({ runtime: { action: "replace", shipped: stamp, existing: { version: "0.0.1", sha256: "a".repeat(64) } } });
  assert.deepEqual(replace, [`not-patched ${RUNTIME_FILE}: ${RUNTIME_FILE} is stale (from xaccount 0.0.1; this xaccount ships ${stamp.version} sha256=${stamp.sha256.slice(0, 12)})`]);
  assert.deepEqual(rows({ runtime: { action: "replace", shipped: stamp } }), [
    `not-patched ${RUNTIME_FILE}: ${RUNTIME_FILE} is stale (no valid header; this xaccount ships ${stamp.version} sha256=${stamp.sha256.slice(0, 12)})`,
  ]);
  assert.deepEqual(rows({ runtime: { action: "keep-newer", shipped: stamp } }), []);
  assert.deepEqual(rows({ hadManifest: false }), [`not-patched ${MANIFEST_FILE}: ${MANIFEST_FILE} is missing: --revert would not know the original bytes`]);
  // The code is the most serious kind found, whatever the order of the findings.
  const severity: Array<[Record<string, unknown>, string | undefined]> = [
    [{}, undefined],
    [{ tools: [tool("a.py", "o", "skipped", { skip: "own-account-id" })] }, "tool-own-account-id"],
    [{ tools: [tool("a.py", "o", "skipped", { skip: "own-account-id" }), tool("a.py", "r", "skipped", { skip: "unresolved" })] }, "tool-unresolved"],
    [{ tools: [tool("a.py", "r", "skipped", { skip: "unresolved" }), tool("a.py", "w", "skipped", { skip: "wrapper" })] }, "tool-wrapper-unresolved"],
    [{ tools: [tool("a.py", "w", "skipped", { skip: "wrapper" }), tool("a.py", "u", "unpatched")] }, "not-patched"],
    [{ hadManifest: false, unrecorded: ["a.py"] }, "manifest-incomplete"],
    [{ unrecorded: ["a.py"], conflicts: [{ file: "b.py", detail: "x" }] }, "patched-file-edited"],
    [{ conflicts: [{ file: "b.py", detail: "x" }], runtime: { action: "modified", shipped: stamp } }, "runtime-modified"],
  ];
  for (const [over, code] of severity) {
    const r = run(over);
    assert.equal(r.code, code, JSON.stringify(over));
    assert.equal(r.patched, code === undefined);
    assert.equal(r.problems.length, r.findings.length);
  }
  const skipped = run({ tools: [tool("a.py", "ok", "skipped", { skip: "unresolved", reason: "known", acknowledged: true }), tool("a.py", "bare", "skipped")] });
  assert.deepEqual(skipped.skipped, [
    { file: "a.py", name: "ok", line: 3, reason: "known", kind: "unresolved", acknowledged: true },
    { file: "a.py", name: "bare", line: 3, reason: "" },
  ]);
  assert.deepEqual(skipped.tools, [
    { file: "a.py", name: "ok", status: "skipped", reason: "known" },
    { file: "a.py", name: "bare", status: "skipped" },
  ]);
});

test("packageSources: each file parsed once (the same tree every time); a file that is not UTF-8 is source-syntax-error", (t) => {
  const dir = tempDir(t, "xa-sources-");
  put(path.join(dir, "a.py"), "x = 1\n");
  put(path.join(dir, "legacy.py"), Buffer.from("# caf\xe9\n", "latin1"));
  const sources = packageSources(dir);
  assert.equal(sources.parse("a.py"), sources.parse("a.py"));
  assert.throws(
    () => sources.text("legacy.py"),
    (e: unknown) => isCode("source-syntax-error")(e) && (e as XaError).message === "legacy.py: not valid UTF-8; nothing was written",
  );
});

test("judgeSkip: the profile acknowledges an own account_id, an unresolved or a wrapper skip by name, nothing else", () => {
  const profile: ServerProfile = { ...PROFILE, ownAccountId: { bill: "the payer account" }, unpatchedTools: { gen: "generated", wrap: "a wrapper", far: "remote" } };
  const skipped = (name: string, skip: NonNullable<ToolVerdict["skip"]>): ToolVerdict => ({ name, line: 1, status: "skipped", adds: [], skip, reason: `why ${name}` });
  assert.deepEqual(judgeSkip(profile, skipped("bill", "own-account-id")), {
    ...skipped("bill", "own-account-id"),
    acknowledged: true,
    reason: "has its own account_id (the payer account, says the profile): kept as it is, no cross-account access",
  });
  assert.deepEqual(judgeSkip(profile, skipped("other", "own-account-id")), {
    ...skipped("other", "own-account-id"),
    reason:
      "already has an account_id parameter of its own, which may mean something else (a billing or linked account): kept as it is, not made cross-account; list it in the profile's ownAccountId with what it means",
  });
  assert.deepEqual(judgeSkip(profile, skipped("gen", "unresolved")), { ...skipped("gen", "unresolved"), acknowledged: true, reason: "why gen; the profile says: generated" });
  assert.deepEqual(judgeSkip(profile, skipped("wrap", "wrapper")), { ...skipped("wrap", "wrapper"), acknowledged: true, reason: "why wrap; the profile says: a wrapper" });
  // A remote tool has no Python body to patch whatever the profile says; a listed name alone does nothing.
  assert.deepEqual(judgeSkip(profile, skipped("far", "remote")), skipped("far", "remote"));
  assert.deepEqual(judgeSkip(profile, skipped("nobody", "unresolved")), skipped("nobody", "unresolved"));
});

// ---------------------------------------------------------------------------------------------------
// plan.ts: where each insertion goes
// ---------------------------------------------------------------------------------------------------

const PLAN_OPTS = { params: ["account_id"] as const, runtimeModule: "pkg._xaccount" };
const IMPORT = "from pkg._xaccount import AccountId, cross_account  # xaccount";

function firstDef(root: Node): Node {
  const walk = (n: Node): Node | undefined => (n.type === "function_definition" ? n : n.namedChildren.map(walk).find((x) => x));
  const def = walk(root);
  assert.ok(def);
  return def;
}

test("hasDecorator: a decorator named so, bare or dotted; never the def's own name or a longer name", () => {
  const cases: Array<[string, boolean]> = [
    ["@cross_account\ndef f(): pass\n", true],
    ["@mcp.tool()\n@x.cross_account\ndef f(): pass\n", true],
    ["@cross_account\nasync def f(): pass\n", true],
    ["@mycross_account\ndef f(): pass\n", false],
    ["@cross_account_x\ndef f(): pass\n", false],
    ["@mcp.tool()\ndef cross_account(): pass\n", false], // the def's own name is not a decorator
    ["def f(): pass\n", false],
    ["class C:\n    @cross_account\n    def f(self): pass\n", true],
  ];
  for (const [src, expected] of cases) assert.equal(hasDecorator(firstDef(parsePython(src).rootNode), "cross_account"), expected, src);
});

/** planParams' insertions for the first def of src, applied. */
function withParams(src: string, decls = ["account_id: AccountId = None"]): string {
  const params = firstDef(parsePython(src).rootNode).childForFieldName("parameters");
  assert.ok(params);
  return applyInserts(src, planParams(src, params, decls, "\n"));
}

test("planParams: the list's own layout, its trailing comma, comments and blanks after the last item, **kwargs last", () => {
  const D = "account_id: AccountId = None";
  const cases: Array<[string, string]> = [
    ["def f(): pass", `def f(${D}): pass`],
    ["def f(a, b): pass", `def f(a, b, ${D}): pass`],
    ["def f(a, **kw): pass", `def f(a, ${D}, **kw): pass`],
    ["def f(a, **kw: Any): pass", `def f(a, ${D}, **kw: Any): pass`],
    ["def f(\n    a,\n    **kw,\n): pass", `def f(\n    a,\n    ${D},\n    **kw,\n): pass`],
    ["def f(\n    a, **kw\n): pass", `def f(\n    a, ${D}, **kw\n): pass`],
    // trailing comma: after it (and after blanks or a comment that end its line)
    ["def f(\n    a,\n    b,\n): pass", `def f(\n    a,\n    b,\n    ${D},\n): pass`],
    ["def f(\n    a,\n    b,   \n): pass", `def f(\n    a,\n    b,   \n    ${D},\n): pass`],
    ["def f(\n    a,\n    b,  # last\n): pass", `def f(\n    a,\n    b,  # last\n    ${D},\n): pass`],
    ["def f(\n    a,\n    b,): pass", `def f(\n    a,\n    b,\n    ${D},): pass`],
    // no trailing comma: one added after the last item, the new one without
    ["def f(\n    a,\n    b\n): pass", `def f(\n    a,\n    b,\n    ${D}\n): pass`],
    ["def f(\n    a,\n    b  # last\n): pass", `def f(\n    a,\n    b,  # last\n    ${D}\n): pass`],
    ["def f(\n    a,\n    b): pass", `def f(\n    a,\n    b,\n    ${D}): pass`],
    // aligned under the last item when it does not start its line (tabs kept as tabs)
    ["def f(a,\n      b, c): pass", `def f(a,\n      b, c,\n         ${D}): pass`],
    ["def f(a,\n\tb, c): pass", `def f(a,\n\tb, c,\n\t   ${D}): pass`],
    ["def f(a,  # one\n      b): pass", `def f(a,  # one\n      b,\n      ${D}): pass`],
  ];
  for (const [src, expected] of cases) assert.equal(withParams(src), expected, src);
  assert.equal(withParams("def f(\n    a,\n    b\n): pass", [D, "region: Region = None"]), `def f(\n    a,\n    b,\n    ${D},\n    region: Region = None\n): pass`);
  assert.equal(withParams("def f(a): pass", []), "def f(a): pass");
});

test("planImport: after the leading imports, the docstring, or at the top; only the names the runtime import lacks", () => {
  const cases: Array<[string, string | undefined]> = [
    ["import os\n\ndef f(): pass\n", `import os\n${IMPORT}\n\ndef f(): pass\n`],
    ["from __future__ import annotations\nimport os\ndef f(): pass\nimport late\n", `from __future__ import annotations\nimport os\n${IMPORT}\ndef f(): pass\nimport late\n`],
    ["import os\n@mcp.tool()\ndef f(): pass\nimport late\n", `import os\n${IMPORT}\n@mcp.tool()\ndef f(): pass\nimport late\n`],
    ["import os\nclass C: pass\nimport late\n", `import os\n${IMPORT}\nclass C: pass\nimport late\n`],
    ['"""Doc."""\n\ndef f(): pass\n', `"""Doc."""\n${IMPORT}\n\ndef f(): pass\n`],
    ['# header\n"""Doc."""\ndef f(): pass\n', `# header\n"""Doc."""\n${IMPORT}\ndef f(): pass\n`],
    ['x = "not a docstring" + y\ndef f(): pass\n', `${IMPORT}\nx = "not a docstring" + y\ndef f(): pass\n`],
    ["# c\ndef f(): pass", `# c\n${IMPORT}\ndef f(): pass`],
    ["def f(): pass", `${IMPORT}\ndef f(): pass`],
    ["# only a comment", `# only a comment\n${IMPORT}\n`],
    ["# only a comment\n", `# only a comment\n${IMPORT}\n`],
    ["", `${IMPORT}\n`],
    ["import os", `import os\n${IMPORT}`],
    ["import os\n", `import os\n${IMPORT}\n`],
    ["import os  # why\nx = 1\n", `import os  # why\n${IMPORT}\nx = 1\n`],
    // an import of the runtime already there: only what it lacks, after it
    ["import os\nfrom pkg._xaccount import cross_account  # xaccount\nimport sys\n", `import os\nfrom pkg._xaccount import cross_account  # xaccount\nfrom pkg._xaccount import AccountId  # xaccount\nimport sys\n`],
    ["from ._xaccount import AccountId as A, cross_account\n", undefined],
    ["from pkg._xaccount import AccountId, cross_account  # xaccount\n", undefined],
    // a module merely named like it is not the runtime
    ["from pkg._xaccount_extra import AccountId, cross_account\n", `from pkg._xaccount_extra import AccountId, cross_account\n${IMPORT}\n`],
    ["from pkg.not_xaccount import AccountId, cross_account\n", `from pkg.not_xaccount import AccountId, cross_account\n${IMPORT}\n`],
    // the runtime imported as a top-level module (a server run from its own folder) is the runtime too
    ["from _xaccount import AccountId, cross_account\n", undefined],
  ];
  for (const [src, expected] of cases) {
    const ins = planImport(src, parsePython(src).rootNode, PLAN_OPTS, "\n");
    assert.equal(ins && applyInserts(src, [ins]), expected, JSON.stringify(src));
  }
  const crlf = "import os\r\n";
  const ins = planImport(crlf, parsePython(crlf).rootNode, PLAN_OPTS, "\r\n");
  assert.equal(ins && applyInserts(crlf, [ins]), `import os\r\n${IMPORT}\r\n`);
});

test("planFile: the import goes wherever a tool is or gets patched; a file of only skipped tools gets none", () => {
  const patchOf = (src: string): string => {
    const root = parsePython(src).rootNode;
    return applyInserts(src, planFile(src, root, findTools(root), PLAN_OPTS).inserts);
  };
  const patched = "@mcp.tool()\n@cross_account\ndef f(account_id: AccountId = None): pass\n";
  assert.equal(patchOf(patched), `${IMPORT}\n${patched}`, "patched tools whose import was removed get it back");
  const own = "@mcp.tool()\ndef f(account_id: str): pass\n";
  assert.equal(patchOf(own), own);
  assert.equal(patchOf("x = 1\n"), "x = 1\n");
  // Verdicts in line order, the skipped registrations among them.
  const src = "from .x import g\n\n@mcp.tool()\ndef f(): pass\n\nmcp.add_tool(g)\n\n@mcp.tool()\ndef h(account_id, b): pass\n";
  const root = parsePython(src).rootNode;
  assert.deepEqual(
    planFile(src, root, findTools(root), PLAN_OPTS).tools.map((v) => `${v.line} ${v.name} ${v.status}${v.skip ? ` ${v.skip}` : ""}`),
    ["4 f unpatched", "6 g skipped unresolved", "9 h skipped own-account-id"],
  );
  assert.equal(patchOf("@mcp.tool()\ndef f(): pass\n"), `${IMPORT}\n@mcp.tool()\n@cross_account\ndef f(account_id: AccountId = None): pass\n`);
  // Patched for account_id alone, now patched for region as well: the parameter is added, the
  // decorator is not repeated.
  const ecs = { params: ["account_id", "region"] as const, runtimeModule: "pkg._xaccount" };
  const once = `from pkg._xaccount import AccountId, Region, cross_account  # xaccount\n${patched}`;
  const root2 = parsePython(once).rootNode;
  assert.equal(
    applyInserts(once, planFile(once, root2, findTools(root2), ecs).inserts),
    `from pkg._xaccount import AccountId, Region, cross_account  # xaccount\n@mcp.tool()\n@cross_account\ndef f(account_id: AccountId = None, region: Region = None): pass\n`,
  );
});

// ---------------------------------------------------------------------------------------------------
// package-index.ts: what a module-level name is bound to
// ---------------------------------------------------------------------------------------------------

function indexOf(files: Record<string, string>, loads: string[] = []): PackageIndex {
  const parsed = new Map<string, ModuleSource>();
  return new PackageIndex("pkg", Object.keys(files), (rel) => {
    loads.push(rel);
    const had = parsed.get(rel);
    if (had) return had;
    const src = { rel, root: parsePython(files[rel] as string).rootNode };
    parsed.set(rel, src);
    return src;
  });
}

const bindingRow = (b: ReturnType<PackageIndex["lookup"]>): string =>
  b.kind === "def" ? `def ${b.file}` : b.kind === "module" ? `module ${b.module}` : b.kind === "value" ? `value ${b.file} ${b.value.text}` : b.kind === "external" ? `external ${b.text}` : b.kind === "unknown" ? `unknown ${b.why}` : `class ${b.file}`;

test("PackageIndex: bindings in try/except/else/finally and if/elif/else blocks, the first branch that binds", () => {
  const index = indexOf({
    "__init__.py": "",
    "impl.py": "def f(): pass\ndef g(): pass\ndef h(): pass\ndef k(): pass\n@decorated\ndef d(): pass\nclass C: pass\n",
    "server.py": [
      "try:",
      "    import fast",
      "except ImportError:",
      "    from .impl import f",
      "try:",
      "    pass",
      "except (ValueError, TypeError) as e:",
      "    pass",
      "else:",
      "    from .impl import g",
      "finally:",
      "    fin = 1",
      "if TYPE_CHECKING:",
      "    from .impl import h",
      "elif other:",
      "    from .impl import k",
      "    h = 2",
      "else:",
      "    el = 3",
      "",
    ].join("\n"),
  });
  const rows = ["f", "g", "fin", "h", "k", "el", "fast", "nothing"].map((n) => `${n}: ${bindingRow(index.lookup("pkg.server", n))}`);
  assert.deepEqual(["d", "C", "f", "nothing"].map((n) => `${n}: ${bindingRow(index.lookup("pkg.impl", n))}`), [
    "d: def impl.py",
    "C: class impl.py",
    "f: def impl.py",
    "nothing: unknown pkg.impl defines no nothing",
  ]);
  assert.deepEqual(index.lookup("pkg.missing", "x"), { kind: "unknown", why: "x is defined in another module (pkg.missing) that is not among this package's files" });
  assert.deepEqual(rows, [
    "f: def impl.py",
    "g: def impl.py",
    "fin: value server.py 1",
    "h: def impl.py",
    "k: def impl.py",
    "el: value server.py 3",
    "fast: external import fast",
    "nothing: unknown pkg.server defines no nothing",
  ]);
});

test("PackageIndex: re-exports are followed 9 deep, no deeper", () => {
  const chain = (n: number): Record<string, string> => {
    const files: Record<string, string> = { "__init__.py": "" };
    for (let i = 0; i < n; i++) files[`m${i}.py`] = `from .m${i + 1} import f\n`;
    files[`m${n}.py`] = "def f(): pass\n";
    return files;
  };
  assert.equal(bindingRow(indexOf(chain(9)).lookup("pkg.m0", "f")), "def m9.py");
  assert.equal(bindingRow(indexOf(chain(10)).lookup("pkg.m0", "f")), "unknown f: too many re-exports to follow");
});

test("PackageIndex: imports of submodules and aliases; a submodule is found without parsing the package's __init__", () => {
  const loads: string[] = [];
  const index = indexOf(
    {
      "__init__.py": "from .server import main\n",
      "tools.py": "def t(): pass\n",
      "server.py": "from . import tools\nfrom .tools import t as renamed\nimport pkg.tools as aliased\nimport os.path as osp\nimport pkg\nimport json\nfrom os import sep\n",
    },
    loads,
  );
  const rows = ["tools", "renamed", "aliased", "osp", "pkg", "json", "sep", "t"].map((n) => `${n}: ${bindingRow(index.lookup("pkg.server", n))}`);
  assert.deepEqual(rows, [
    "tools: module pkg.tools",
    "renamed: def tools.py",
    "aliased: module pkg.tools",
    "osp: external import os.path as osp",
    "pkg: module pkg",
    "json: external import json",
    "sep: external from os import sep",
    "t: unknown pkg.server defines no t",
  ]);
  assert.equal(loads.includes("__init__.py"), false, loads.join(","));
});

test("PackageIndex: a submodule named through its package, with or without an __init__.py; absolute specs of the package", () => {
  const index = indexOf({ "__init__.py": "x = 1\n", "sub.py": "def f(): pass\n", "ns/inner.py": "def g(): pass\n" });
  // `pkg.sub` where pkg/__init__.py never names sub, and a namespace folder (no __init__.py).
  assert.equal(bindingRow(index.lookup("pkg", "sub")), "module pkg.sub");
  assert.equal(bindingRow(index.lookup("pkg.ns", "inner")), "module pkg.ns.inner");
  assert.equal(bindingRow(index.lookup("pkg.ns", "other")), "unknown other is defined in another module (pkg.ns) that is not among this package's files");
  assert.equal(index.resolveSpec("sub.py", "pkg"), "pkg");
  assert.equal(index.resolveSpec("sub.py", "pkg.ns.inner"), "pkg.ns.inner");
  assert.equal(index.resolveSpec("sub.py", "pkgx"), undefined);
  assert.equal(index.resolveSpec("sub.py", "."), "pkg");
  assert.equal(index.resolveSpec("sub.py", ".."), undefined);
});

test("oneLine: whitespace runs as one space; longer than 60 characters cut to 57 and an ellipsis", () => {
  const cases: Array<[string, string]> = [
    ["a\n   b\tc", "a b c"],
    ["x".repeat(59), "x".repeat(59)],
    ["x".repeat(60), "x".repeat(60)],
    ["x".repeat(61), `${"x".repeat(57)}...`],
    [`${"y".repeat(58)}\n\n  z`, `${"y".repeat(58)} z`],
  ];
  for (const [text, expected] of cases) assert.equal(oneLine(text), expected, text);
});

// ---------------------------------------------------------------------------------------------------
// locate.ts, manifest.ts, vendor.ts
// ---------------------------------------------------------------------------------------------------

test("expandHome: `~` and `~/...` only (`~\\` only on Windows); never `~user` or a `~` elsewhere", () => {
  const home = os.homedir();
  assert.equal(expandHome("~"), home);
  assert.equal(expandHome("~/a/b"), path.join(home, "a/b"));
  assert.equal(expandHome("~\\a"), path.sep === "\\" ? path.join(home, "a") : "~\\a");
  for (const p of ["~user/x", "a/~/b", "/abs/~", "", "~~/x"]) assert.equal(expandHome(p), p);
});

test("candidateDirs: every kind of path, in order; only python* folders of a virtualenv's lib", (t) => {
  const root = tempDir(t, "xa-cands-");
  for (const d of ["lib/python3.12", "lib/python3.11", "lib/other", "lib64/python3.10", ".venv/lib/python3.9", "venv/lib/pythonX"]) mkdirSync(path.join(root, d), { recursive: true });
  const segs = ["awslabs", "demo_mcp_server"];
  const j = (...p: string[]): string => path.join(root, ...p, ...segs);
  assert.deepEqual(candidateDirs(PROFILE, root), [
    j(),
    j("demo-mcp-server"),
    j("src", "demo-mcp-server"),
    j("lib", "python3.11", "site-packages"),
    j("lib", "python3.12", "site-packages"),
    j("lib64", "python3.10", "site-packages"),
    j("Lib", "site-packages"),
    j(".venv", "lib", "python3.9", "site-packages"),
    j(".venv", "Lib", "site-packages"),
    j("venv", "lib", "pythonX", "site-packages"),
    j("venv", "Lib", "site-packages"),
  ]);
  // The package folder itself (or one inside it, up to 3 levels), an awslabs/ folder; slashes around the
  // profile's packagePath do not matter.
  const pkg = path.join(root, ...segs);
  for (const profile of [PROFILE, { ...PROFILE, packagePath: "/awslabs/demo_mcp_server/" }]) {
    assert.equal(candidateDirs(profile, pkg)[0], pkg);
    assert.equal(candidateDirs(profile, path.join(pkg, "a", "b", "c"))[0], pkg);
    assert.equal(candidateDirs(profile, path.join(pkg, "a", "b", "c", "d")).includes(pkg), false);
    assert.ok(candidateDirs(profile, path.join(root, "awslabs")).includes(pkg));
  }
});

test("candidateDirs, findPackage: a folder that refuses a listing is permission-denied naming it; one that fails otherwise is passed over", (t) => {
  // Root may list any folder: the refusals are made by a stand-in for readdirSync (a live binding of node:fs),
  // restored before the temp folder is removed (after hooks run in the order they are added).
  const failing = new Map<string, string>();
  const real = fs.readdirSync;
  t.mock.method(fs, "readdirSync", ((p: fs.PathLike, ...rest: unknown[]) => {
    const code = failing.get(String(p));
    if (code) throw Object.assign(new Error(code), { code });
    return (real as (...a: unknown[]) => unknown)(p, ...rest);
  }) as typeof fs.readdirSync);
  syncBuiltinESMExports();
  t.after(() => {
    t.mock.restoreAll();
    syncBuiltinESMExports();
  });
  const root = tempDir(t, "xa-cands-");
  const lib = path.join(root, "lib");
  mkdirSync(path.join(lib, "python3.12"), { recursive: true });
  const pkg = path.dirname(put(path.join(root, "awslabs", "demo_mcp_server", "__init__.py"), ""));
  const denied = (dir: string) => (e: unknown): boolean => isCode("permission-denied")(e) && (e as XaError).message === `cannot read ${dir}: permission denied (EACCES); nothing was written`;
  const site = path.join(lib, "python3.12", "site-packages", "awslabs", "demo_mcp_server");
  assert.ok(candidateDirs(PROFILE, root).includes(site));
  failing.set(lib, "EACCES");
  assert.throws(() => candidateDirs(PROFILE, root), denied(lib));
  failing.set(lib, "EIO");
  assert.equal(candidateDirs(PROFILE, root).includes(site), false);
  failing.clear();
  assert.equal(findPackage(PROFILE, root), pkg);
  failing.set(pkg, "EACCES");
  assert.throws(() => findPackage(PROFILE, root), denied(pkg));
  failing.set(pkg, "EIO");
  assert.equal(findPackage(PROFILE, root), undefined);
});

test("locateIn: the import root, the source checkout's root, and the virtualenv's python only when it exists", (t) => {
  const root = tempDir(t, "xa-locate-");
  const site = path.join(root, "venv", "lib", "python3.12", "site-packages");
  const pkg = put(path.join(site, "awslabs", "demo_mcp_server", "server.py"), "");
  const loose = { ...PROFILE, packagePath: "awslabs/demo_mcp_server/" };
  assert.deepEqual(locateIn(loose, path.join(root, "venv"), []), { packageDir: path.dirname(pkg), importRoot: site, inputPath: path.join(root, "venv") });
  put(path.join(root, "venv", "bin", "python"), "");
  assert.equal(locateIn(PROFILE, path.join(root, "venv"), []).venvPython, path.join(root, "venv", "bin", "python"));
  const src = path.join(root, "src");
  put(path.join(src, "awslabs", "demo_mcp_server", "server.py"), "");
  assert.deepEqual(locateIn(PROFILE, src, []), { packageDir: path.join(src, "awslabs", "demo_mcp_server"), importRoot: src, inputPath: src });
  put(path.join(src, "pyproject.toml"), "");
  assert.equal(locateIn(PROFILE, src, []).serverRoot, src);
});

test("loadManifest: bytes always when the file is there; a manifest only when it is xaccount's", (t) => {
  const pkg = tempDir(t, "xa-manifest-");
  assert.deepEqual(loadManifest(pkg), {});
  const cases: Array<[string, boolean]> = [
    ['{"tool":"xaccount","files":{}}', true],
    ['{"tool":"other","files":{}}', false],
    ['{"tool":"xaccount"}', false],
    ["[]", false],
    ["not json", false],
  ];
  for (const [text, ours] of cases) {
    writeFileSync(path.join(pkg, MANIFEST_FILE), text);
    const m = loadManifest(pkg);
    assert.equal(m.bytes?.toString(), text);
    assert.equal(m.manifest !== undefined, ours, text);
  }
});

test("mergeInserts: a new insertion before, at either edge of, or after an earlier one; never inside it", () => {
  // original "0123456789"; earlier insertion "XYZ" at 5 -> current "01234XYZ56789" (XYZ at 5..8)
  const base = { original: "0123456789", inserts: [{ at: 5, text: "XYZ" }] };
  const cases: Array<[number, Array<{ at: number; text: string }>]> = [
    [2, [{ at: 2, text: "n" }, { at: 5, text: "XYZ" }]],
    [5, [{ at: 5, text: "n" }, { at: 5, text: "XYZ" }]],
    [8, [{ at: 5, text: "XYZ" }, { at: 5, text: "n" }]],
    [10, [{ at: 5, text: "XYZ" }, { at: 7, text: "n" }]],
  ];
  for (const [at, expected] of cases) {
    const merged = mergeInserts(base, [{ at, text: "n" }]);
    assert.deepEqual(merged, expected, String(at));
    const current = applyInserts(base.original, base.inserts);
    assert.equal(applyInserts(base.original, merged), applyInserts(current, [{ at, text: "n" }]), String(at));
  }
  for (const at of [6, 7]) assert.throws(() => mergeInserts(base, [{ at, text: "n" }]), /falls inside an earlier one/, String(at));
});

test("rebase: no record or no marks is the original as is; a changed text without a line diff is a conflict; insertions in any order", () => {
  const record = (original: string, inserts: Array<{ at: number; text: string }>) => ({
    originalSha256: "",
    original: Buffer.from(original).toString("base64"),
    patchedSha256: "",
    inserts,
  });
  assert.deepEqual(rebase("abc", undefined, true), { kind: "ok", original: "abc", inserts: [] });
  assert.deepEqual(rebase("abc", record("xyz", [{ at: 1, text: "Q" }]), false), { kind: "ok", original: "abc", inserts: [] });
  const r = record("abc", [{ at: 2, text: "Y" }, { at: 1, text: "X" }]); // patched: aXbYc
  assert.deepEqual(rebase("aXbYc", r, true), { kind: "ok", original: "abc", inserts: [{ at: 1, text: "X" }, { at: 2, text: "Y" }] });
  assert.deepEqual(rebase("aXbYc!", r, true), { kind: "conflict", detail: "changed since the patch (no line diff available to place the earlier insertions)" });
});

test("rebase with a line diff: insertions are mapped through edits above them, one starting right where an edit ends included", async () => {
  const { diffLines } = await import("diff");
  const record = (original: string, inserts: Array<{ at: number; text: string }>) => ({
    originalSha256: "",
    original: Buffer.from(original).toString("base64"),
    patchedSha256: "",
    inserts,
  });
  // Patched "A\nINS\nB\n": the line above the insertion is edited, so the unchanged run starts at the insertion.
  assert.deepEqual(rebase("Z\nINS\nB\n", record("A\nB\n", [{ at: 2, text: "INS\n" }]), true, diffLines), {
    kind: "ok",
    original: "Z\nB\n",
    inserts: [{ at: 2, text: "INS\n" }],
  });
  // Patched "A\nB\nINS\nC\n": an unchanged run, an edit that grows a line, then the run holding the insertion.
  assert.deepEqual(rebase("A\nBBB\nINS\nC\n", record("A\nB\nC\n", [{ at: 4, text: "INS\n" }]), true, diffLines), {
    kind: "ok",
    original: "A\nBBB\nC\n",
    inserts: [{ at: 6, text: "INS\n" }],
  });
  // Patched "A\nINS\nB\n": the line below the insertion is edited, so the unchanged run ends with it.
  assert.deepEqual(rebase("A\nINS\nX\n", record("A\nB\n", [{ at: 2, text: "INS\n" }]), true, diffLines), {
    kind: "ok",
    original: "A\nX\n",
    inserts: [{ at: 2, text: "INS\n" }],
  });
});

test("compareVersions: numeric parts, missing ones are 0, tails after - or + ignored as text", () => {
  const cases: Array<[string, string, number]> = [
    ["1.0.1", "1.0", 1],
    ["1.0", "1.0.1", -1],
    ["1.0.0", "1", 0],
    ["0.2", "0.10", -1],
    ["0.10.0", "0.9.9", 1],
    ["2", "10", -1],
    ["1.2.3", "1.2.3", 0],
    ["1.2.3-rc1", "1.2.3", 0],
    ["1.2.3+5", "1.2.3", 1],
    ["1.2.4", "1.2.3+9", 1],
  ];
  for (const [a, b, expected] of cases) assert.equal(compareVersions(a, b), expected, `${a} vs ${b}`);
});

test("runtimeAction: add, keep, replace, keep-newer, modified", () => {
  const { stamp, vendored } = currentRuntime();
  assert.equal(runtimeAction(undefined, stamp), "add");
  assert.equal(runtimeAction(vendored, stamp), "keep");
  assert.equal(runtimeAction(vendored, stamp, sha256(vendored)), "keep");
  assert.equal(runtimeAction(vendored, stamp, "0".repeat(64)), "modified");
  assert.equal(runtimeAction(Buffer.concat([vendored, Buffer.from("#\n")]), stamp), "modified");
  assert.equal(runtimeAction(vendored, { version: "0.0.1", sha256: "f".repeat(64) }), "keep-newer");
  assert.equal(runtimeAction(vendored, { version: "999.0.0", sha256: "f".repeat(64) }), "replace");
  assert.equal(runtimeAction(vendored, { version: stamp.version, sha256: "f".repeat(64) }), "replace");
});

test("readStamp: the header counts only as the file's first line", () => {
  const { stamp, vendored } = currentRuntime();
  assert.deepEqual(readStamp(vendored), stamp);
  assert.equal(readStamp(Buffer.concat([Buffer.from("#!/usr/bin/env python3\n"), vendored])), undefined);
  assert.equal(readStamp(Buffer.from(vendored.toString("utf8").replace(/sha256=[0-9a-f]+/, "sha256=" + "0".repeat(63)))), undefined);
});
