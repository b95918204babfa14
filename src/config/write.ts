/**
 * The I/O of `xaccount config`: read a client's file, keep a backup, replace it atomically.
 * A reader (the client itself, starting) sees the old file or the new one, never half of one.
 */
import { randomBytes } from "node:crypto";
import { closeSync, copyFileSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import path from "node:path";
import { failure } from "../errors.js";

/** The file's text, or undefined when there is none. A folder or an unreadable file is refused. */
export function readConfig(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  try {
    if (statSync(file).isDirectory()) throw failure("config-write-failed", `${file} is a folder, not a configuration file`, "pass the file with --config-file PATH");
    return readFileSync(file, "utf8");
  } catch (err) {
    if (err instanceof Error && "code" in err) throw ioFailure(file, err as NodeJS.ErrnoException, "read");
    throw err;
  }
}

/** A symlinked config (dotfiles managers) is written where it points, so the link stays a link. */
export function writeTarget(file: string): string {
  return existsSync(file) && lstatSync(file).isSymbolicLink() ? realpathSync(file) : file;
}

/** `<file>.<UTC time>.xaccount.bak`, a new name each time, beside the file. */
export function backupName(file: string, now: Date, exists: (p: string) => boolean = existsSync): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  for (let n = 0; ; n++) {
    const candidate = `${file}.${stamp}${n ? `-${n}` : ""}.xaccount.bak`;
    if (!exists(candidate)) return candidate;
  }
}

export interface Written {
  /** Undefined when there was no file to back up. */
  backup?: string | undefined;
  path: string;
}

/** Backs up the old file (when there is one), then writes `text` through a temp file and a rename. */
export function writeConfig(file: string, text: string, now = new Date()): Written {
  const target = writeTarget(file);
  const dir = path.dirname(target);
  let backup: string | undefined;
  const temp = path.join(dir, `.${path.basename(target)}.xaccount-${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    const mode = existsSync(target) ? statSync(target).mode & 0o777 : 0o600;
    if (existsSync(target)) {
      backup = backupName(target, now);
      copyFileSync(target, backup);
    }
    const fd = openSync(temp, "wx", mode);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (err) {
    rmSync(temp, { force: true });
    if (err instanceof Error && "code" in err) throw ioFailure(target, err as NodeJS.ErrnoException, "write");
    throw err;
  }
  return { backup, path: target };
}

function ioFailure(file: string, err: NodeJS.ErrnoException, verb: string) {
  return failure(
    "config-write-failed",
    `could not ${verb} ${file}: ${err.code ?? ""} ${err.message.replace(/^[A-Z]+: /, "")}`.trim(),
    err.code === "EACCES" || err.code === "EPERM" ? "check the file's and its folder's permissions, or use --print and paste the entry yourself" : "use --config-file PATH, or --print and paste the entry yourself",
  );
}
