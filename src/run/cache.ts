/**
 * The private cache of installed servers: `$XDG_CACHE_HOME/xaccount/servers/<distribution>/<version>/`
 * (default ~/.cache). A version folder exists only complete: installs happen in a `.tmp-*` sibling that
 * is renamed into place, so an interrupted install leaves no version folder, only a temp one that the
 * next install of that distribution removes.
 *
 * Layout of a version folder: `venv/` (the server's virtualenv) and `xaccount-run.json` (the record).
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { failure } from "../errors.js";
import { compareVersions } from "./versions.js";

export const RECORD_FILE = "xaccount-run.json";

export interface InstallRecord {
  distribution: string;
  version: string;
  /** The interpreter the venv was made from, and its minor version. */
  python: string;
  installer: "uv" | "pip";
  installedAt: string;
  /** The package folder, relative to the version folder. */
  packageDir: string;
  entryModule: string;
  /** "generic" when no profile file patched it: the profile was built from the release's metadata. */
  profile?: "generic";
  /** sha256 of the vendored runtime this tree was patched with: a different runtime means re-patch. */
  runtimeSha256: string;
  /** xaccount's version that patched it, for --list. */
  patchedBy: string;
  /** Cheap fingerprint (stat of every file in the package) taken after the last full check. */
  fingerprint: string;
}

export function cacheRoot(env: NodeJS.ProcessEnv): string {
  if (env.XACCOUNT_CACHE_DIR) return path.join(env.XACCOUNT_CACHE_DIR, "servers");
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), ".cache");
  return path.join(base, "xaccount", "servers");
}

export function versionDir(root: string, distribution: string, version: string): string {
  return path.join(root, distribution, version);
}

export function readRecord(dir: string): InstallRecord | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, RECORD_FILE), "utf8")) as InstallRecord;
  } catch {
    return undefined;
  }
}

export function writeRecord(dir: string, record: InstallRecord): void {
  // Written beside and renamed, so a reader never sees half a record.
  const tmp = path.join(dir, `.${RECORD_FILE}.${process.pid}`);
  writeFileSync(tmp, JSON.stringify(record, null, 2) + "\n");
  renameSync(tmp, path.join(dir, RECORD_FILE));
}

/** The installed versions of a distribution, oldest first. */
export function cachedVersions(root: string, distribution: string): string[] {
  let names: string[];
  try {
    names = readdirSync(path.join(root, distribution));
  } catch {
    return [];
  }
  return names.filter((n) => !n.startsWith(".") && existsSync(path.join(root, distribution, n, RECORD_FILE))).sort(compareVersions);
}

export function cachedDistributions(root: string): string[] {
  try {
    return readdirSync(root).filter((n) => !n.startsWith(".")).sort();
  } catch {
    return [];
  }
}

/**
 * Cheap fingerprint of a tree: every file's path, size and mtime (ns), __pycache__ left out. A change
 * to any file's content almost always changes its size or mtime; when it does not match, the start
 * falls back to the full check, so a mismatch costs time, never safety.
 */
export function fingerprint(dir: string): string {
  const parts: string[] = [];
  const walk = (d: string, rel: string): void => {
    const entries = readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      if (e.name === "__pycache__") continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p, `${rel}${e.name}/`);
      else {
        const st = statSync(p, { bigint: true });
        parts.push(`${rel}${e.name}:${st.size}:${st.mtimeNs}:${st.ino}`);
      }
    }
  };
  walk(dir, "");
  return parts.join("\n");
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * An exclusive lock on one (distribution, version): a file made with O_EXCL holding our pid. A lock
 * whose process is gone is taken over. The second client waits here, then finds the version installed.
 */
export async function withLock<T>(root: string, distribution: string, version: string, onWait: () => void, fn: () => Promise<T>): Promise<T> {
  const dir = path.join(root, distribution);
  mkdirSync(dir, { recursive: true });
  const lock = path.join(dir, `.${version}.lock`);
  let waited = false;
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    try {
      const fd = openSync(lock, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let holder: number;
      let age: number;
      try {
        holder = Number(readFileSync(lock, "utf8"));
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue; // removed between our open and read: try again
      }
      // A lock file with no pid yet is one being written this instant (or by a process killed in that
      // instant: stale after a few seconds).
      const empty = !(Number.isInteger(holder) && holder > 0);
      if ((!empty && !pidAlive(holder)) || (empty && age > 5000)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (!waited) {
        waited = true;
        onWait();
      }
      if (Date.now() > deadline) throw failure("cache-locked", `gave up after 30 minutes waiting for ${lock} (held by pid ${holder})`, "if no xaccount is installing, delete that lock file and run again");
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Temp folders of installs whose process is gone (an install killed part-way); removes them. */
export function removeStaleTemps(root: string, distribution: string): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(path.join(root, distribution));
  } catch {
    return 0;
  }
  for (const n of names) {
    const m = /^\.(?:tmp|trash)-.*-(\d+)$/.exec(n);
    if (m && !pidAlive(Number(m[1]))) {
      rmSync(path.join(root, distribution, n), { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}

/** Moves a folder out of the way in one rename, then deletes it: readers see it whole or not at all. */
export function removeVersionDir(root: string, distribution: string, version: string): void {
  const dir = versionDir(root, distribution, version);
  const trash = path.join(root, distribution, `.trash-${version}-${process.pid}`);
  rmSync(trash, { recursive: true, force: true });
  renameSync(dir, trash);
  rmSync(trash, { recursive: true, force: true });
}

export function isLocked(root: string, distribution: string, version: string): boolean {
  const lock = path.join(root, distribution, `.${version}.lock`);
  try {
    const holder = Number(readFileSync(lock, "utf8"));
    return !Number.isInteger(holder) || pidAlive(holder);
  } catch {
    return false;
  }
}

/** When `@latest` last asked the index, and what it said. */
export interface LatestCheck {
  checkedAt: number;
  version: string;
  index: string;
}

export function readLatest(root: string, distribution: string): LatestCheck | undefined {
  try {
    return JSON.parse(readFileSync(path.join(root, distribution, ".latest.json"), "utf8")) as LatestCheck;
  } catch {
    return undefined;
  }
}

export function writeLatest(root: string, distribution: string, check: LatestCheck): void {
  const dir = path.join(root, distribution);
  mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.latest.json.${process.pid}`);
  writeFileSync(tmp, JSON.stringify(check) + "\n");
  renameSync(tmp, path.join(dir, ".latest.json"));
}
