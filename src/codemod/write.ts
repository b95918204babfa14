/**
 * Writing files safely: each file goes to a temp file beside it (same mode) and is renamed over the
 * original, so a reader never sees half a file. All temp files are written before the first rename,
 * which keeps the window in which only some files are patched as small as a few renames.
 */
import { chmodSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

export type FileOp = { kind: "write"; path: string; bytes: Uint8Array; mode?: number } | { kind: "delete"; path: string };

export function commitFiles(ops: readonly FileOp[]): void {
  const staged: Array<{ tmp: string; dest: string }> = [];
  try {
    for (const op of ops) {
      if (op.kind !== "write") continue;
      const tmp = path.join(path.dirname(op.path), `.${path.basename(op.path)}.xaccount-${process.pid}.tmp`);
      writeFileSync(tmp, op.bytes, { flag: "w" });
      chmodSync(tmp, op.mode ?? existingMode(op.path) ?? 0o644);
      staged.push({ tmp, dest: op.path });
    }
  } catch (err) {
    for (const s of staged) rmSync(s.tmp, { force: true });
    throw err;
  }
  for (const s of staged) renameSync(s.tmp, s.dest);
  for (const op of ops) if (op.kind === "delete") rmSync(op.path, { force: true });
}

function existingMode(file: string): number | undefined {
  try {
    return statSync(file).mode & 0o7777;
  } catch {
    return undefined;
  }
}
