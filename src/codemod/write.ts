/**
 * Writing a package's files as one crash-safe transaction (write-ahead journal):
 *  1. check every target can be written (permission-denied before anything changes);
 *  2. write the journal (every target's bytes and mode before the change, and what the change is),
 *     fsync it and its folder: from here on a crash can be undone exactly;
 *  3. write every new file to a temp file beside its target and flush them all at once (fdatasync in
 *     parallel: the file system commits them together, ~10x faster here than one after another);
 *  4. rename the temp files over their targets and delete what goes, in the caller's order (patch:
 *     runtime, sources, manifest last), so a reader sees each file whole, old or new;
 *  5. fsync the folders, then remove the journal.
 * A failure in 3 to 5 rolls back from the journal in this process; a crash leaves the journal for the
 * next run, which rolls back (recoverJournal) before doing anything else.
 */
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  fdatasync,
  fdatasyncSync,
  fsync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { failure } from "../errors.js";
import { JOURNAL_FILE } from "./contract.js";
import { asPermissionError } from "./fs-errors.js";
import { sha256 } from "./source.js";

export type FileOp = { kind: "write"; path: string; bytes: Uint8Array; mode?: number } | { kind: "delete"; path: string };

export type Operation = "patch" | "revert";

export interface JournalEntry {
  /** Relative to the package folder, "/" separators. */
  file: string;
  /** base64 of the bytes before the change; null when the file did not exist. */
  before: string | null;
  mode: number | null;
  /** sha256 of the bytes the change writes; null for a deletion. */
  afterSha256: string | null;
}

export interface Journal {
  tool: "xaccount-journal";
  formatVersion: 1;
  operation: Operation;
  pid: number;
  startedAt: string;
  entries: JournalEntry[];
}

export const TEMP_FILE = /^\..+\.xaccount-\d+\.tmp$/;

export function journalPath(packageDir: string): string {
  return path.join(packageDir, JOURNAL_FILE);
}

const tempPath = (dest: string): string => path.join(path.dirname(dest), `.${path.basename(dest)}.xaccount-${process.pid}.tmp`);

/**
 * Test-only fault injection: with XACCOUNT_TEST_CRASH_AFTER_STEP=k the process kills itself (SIGKILL:
 * no handler, no cleanup, like `kill -9` or a power cut for everything already fsynced) right after
 * write step k. Steps: the journal committed; each temp file written; each rename or deletion, in
 * order; the journal removed. test/python/test_crash_safety.py uses it; nothing
 * else should set it.
 */
function crashHook(): () => void {
  const k = Number(process.env.XACCOUNT_TEST_CRASH_AFTER_STEP ?? 0);
  let n = 0;
  return () => {
    n += 1;
    if (k > 0 && n === k) process.kill(process.pid, "SIGKILL");
  };
}

function fsyncPath(p: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(p, "r");
    fsyncSync(fd);
  } catch {
    // A file system that cannot fsync a folder (some network or Windows ones): nothing better to do.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function existingMode(file: string): number | undefined {
  try {
    return statSync(file).mode & 0o7777;
  } catch {
    return undefined;
  }
}

/** Temp file beside `dest`, fsynced, then renamed over it: a reader sees the old or the new bytes, never half. */
function writeDurably(dest: string, bytes: Uint8Array, mode: number): void {
  const tmp = tempPath(dest);
  const fd = openSync(tmp, "w", mode);
  try {
    writeSync(fd, bytes);
    // Data (and size) on disk before the rename: fdatasync, cheaper than fsync, is enough for that.
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, mode); // openSync's mode is filtered by the umask; the original's mode is kept exactly
  renameSync(tmp, dest);
}

/** Every target writable (file and folder), checked before the first byte changes. */
function preflight(packageDir: string, ops: readonly FileOp[]): void {
  const dirs = new Set([packageDir, ...ops.map((op) => path.dirname(op.path))]);
  for (const dir of dirs) {
    try {
      accessSync(dir, constants.W_OK | constants.X_OK);
    } catch (err) {
      throw asPermissionError(err, dir, "write") ?? err;
    }
  }
  for (const op of ops) {
    try {
      accessSync(op.path, constants.W_OK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw asPermissionError(err, op.path, "write") ?? err;
    }
  }
}

function readBefore(file: string): Buffer | null {
  try {
    return readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw asPermissionError(err, file, "read") ?? err;
  }
}

function makeJournal(packageDir: string, operation: Operation, ops: readonly FileOp[]): Journal {
  return {
    tool: "xaccount-journal",
    formatVersion: 1,
    operation,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    entries: ops.map((op) => {
      const before = readBefore(op.path);
      return {
        file: path.relative(packageDir, op.path).split(path.sep).join("/"),
        before: before ? before.toString("base64") : null,
        mode: before ? (existingMode(op.path) ?? null) : null,
        afterSha256: op.kind === "write" ? sha256(op.bytes) : null,
      };
    }),
  };
}

/** fsync (or fdatasync) of an open descriptor on the thread pool, so several run at once. */
function flush(fd: number, dataOnly: boolean): Promise<void> {
  return new Promise((resolve, reject) => (dataOnly ? fdatasync : fsync)(fd, (err) => (err ? reject(err) : resolve())));
}

async function flushDirs(dirs: Iterable<string>): Promise<void> {
  await Promise.all(
    [...dirs].map(async (dir) => {
      let fd: number | undefined;
      try {
        fd = openSync(dir, "r");
        await flush(fd, false);
      } catch {
        // A file system that cannot fsync a folder: nothing better to do.
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    }),
  );
}

/** Applies `ops` in order as one transaction (see the file comment). */
export async function commitFiles(packageDir: string, operation: Operation, ops: readonly FileOp[]): Promise<void> {
  if (ops.length === 0) return;
  preflight(packageDir, ops);
  const journal = makeJournal(packageDir, operation, ops);
  const step = crashHook();
  const jp = journalPath(packageDir);
  writeDurably(jp, Buffer.from(JSON.stringify(journal), "utf8"), 0o644);
  fsyncPath(packageDir);
  step();
  const staged = new Map<FileOp, string>();
  const open: number[] = [];
  let current = jp;
  try {
    for (const op of ops) {
      if (op.kind !== "write") continue;
      current = op.path;
      const tmp = tempPath(op.path);
      const mode = op.mode ?? existingMode(op.path) ?? 0o644;
      const fd = openSync(tmp, "w", mode);
      open.push(fd);
      staged.set(op, tmp);
      writeSync(fd, op.bytes);
      chmodSync(tmp, mode); // openSync's mode is filtered by the umask; the original's mode is kept exactly
      step();
    }
    current = packageDir;
    await Promise.all(open.map((fd) => flush(fd, true)));
    for (const fd of open.splice(0)) closeSync(fd);
    for (const op of ops) {
      current = op.path;
      const tmp = staged.get(op);
      if (tmp) renameSync(tmp, op.path);
      else rmSync(op.path, { force: true });
      staged.delete(op);
      step();
    }
    await flushDirs(new Set(ops.map((op) => path.dirname(op.path))));
  } catch (err) {
    for (const fd of open) closeSync(fd);
    for (const tmp of staged.values()) rmSync(tmp, { force: true });
    rollBack(packageDir, journal);
    rmSync(jp, { force: true });
    throw asPermissionError(err, current, "write") ?? err;
  }
  // Not fsynced: should a power cut bring the journal back, the next run rolls back a complete patch,
  // which is a consistent state too (and patches again); one fsync less on every patch.
  rmSync(jp, { force: true });
  step();
}

export interface Recovery {
  operation: Operation;
  pid: number;
  /** Changes of the interrupted run that had been made (and are now undone). */
  done: number;
  total: number;
  strayTemps: number;
}

function readJournal(packageDir: string): Journal | undefined {
  let raw: Buffer;
  try {
    raw = readFileSync(journalPath(packageDir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw asPermissionError(err, journalPath(packageDir), "read") ?? err;
  }
  try {
    const j = JSON.parse(raw.toString("utf8")) as Journal;
    if (j.tool === "xaccount-journal" && Array.isArray(j.entries)) return j;
  } catch {
    // fall through
  }
  // Written by rename after an fsync, so never half-written by us: something else damaged it.
  throw failure(
    "patch-interrupted",
    `${journalPath(packageDir)} is not a readable xaccount journal, so an interrupted patch cannot be undone; nothing was written`,
    "reinstall the server package (pip install --force-reinstall --no-deps <distribution>==<version>), delete that file, and patch again",
  );
}

export function hasJournal(packageDir: string): boolean {
  try {
    statSync(journalPath(packageDir));
    return true;
  } catch {
    return false;
  }
}

/** Restores every journaled file to its bytes and mode before the transaction (idempotent). */
function rollBack(packageDir: string, journal: Journal): number {
  let done = 0;
  for (const e of [...journal.entries].reverse()) {
    const abs = path.join(packageDir, ...e.file.split("/"));
    const now = readBefore(abs);
    const nowSha = now ? sha256(now) : null;
    if (nowSha === e.afterSha256 && !(e.before === null && now === null)) done += 1;
    if (e.before === null) {
      if (now !== null) rmSync(abs, { force: true });
      continue;
    }
    const before = Buffer.from(e.before, "base64");
    if (now && now.equals(before) && existingMode(abs) === e.mode) continue;
    writeDurably(abs, before, e.mode ?? 0o644);
  }
  for (const dir of new Set(journal.entries.map((e) => path.dirname(path.join(packageDir, ...e.file.split("/")))))) fsyncPath(dir);
  return done;
}

/** The package folder and every folder under it (bytecode caches and hidden folders aside). */
function packageDirs(root: string): string[] {
  const out = [root];
  for (let i = 0; i < out.length; i++) {
    let entries;
    try {
      entries = readdirSync(out[i] as string, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (e.isDirectory() && e.name !== "__pycache__" && !e.name.startsWith(".")) out.push(path.join(out[i] as string, e.name));
    }
  }
  return out;
}

/** Removes `.<name>.xaccount-<pid>.tmp` files a crash left in `dirs`; returns how many. */
function sweepTemps(dirs: Iterable<string>): number {
  let n = 0;
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (TEMP_FILE.test(name)) {
        rmSync(path.join(dir, name), { force: true });
        n += 1;
      }
    }
  }
  return n;
}

/**
 * Finishes what a crashed run left: rolls the journaled transaction back to the exact bytes before it,
 * removes stray temp files, then the journal. Undefined when there was nothing to recover.
 */
export function recoverJournal(packageDir: string): Recovery | undefined {
  const journal = readJournal(packageDir);
  if (!journal) {
    // A crash while the journal itself was being written leaves only its temp file, and an xaccount from
    // before the journal left its temp files anywhere in the package: nothing to roll back, only to sweep.
    const strayTemps = sweepTemps(packageDirs(packageDir));
    return strayTemps ? { operation: "patch", pid: 0, done: 0, total: 0, strayTemps } : undefined;
  }
  const done = rollBack(packageDir, journal);
  const dirs = new Set([packageDir, ...journal.entries.map((e) => path.dirname(path.join(packageDir, ...e.file.split("/"))))]);
  const strayTemps = sweepTemps(dirs);
  rmSync(journalPath(packageDir), { force: true });
  fsyncPath(packageDir);
  return { operation: journal.operation, pid: journal.pid, done, total: journal.entries.length, strayTemps };
}
