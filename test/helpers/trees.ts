/** File-tree helpers for the codemod tests: copy, snapshot and compare trees byte for byte. */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Every file under dir: relative path ("/" separators) -> bytes. */
export function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (e.name !== "__pycache__") walk(r);
      } else out.set(r, readFileSync(path.join(dir, r)));
    }
  };
  walk("");
  return out;
}

/** Differences between two snapshots, ignoring paths `skip` accepts; [] when equal. */
export function treeDiff(a: Map<string, Buffer>, b: Map<string, Buffer>, skip: (rel: string) => boolean = () => false): string[] {
  const out: string[] = [];
  for (const [k, v] of a) {
    if (skip(k)) continue;
    const w = b.get(k);
    if (!w) out.push(`only in first: ${k}`);
    else if (!v.equals(w)) out.push(`differs: ${k}`);
  }
  for (const k of b.keys()) if (!skip(k) && !a.has(k)) out.push(`only in second: ${k}`);
  return out;
}

export function tempCopy(src: string, prefix = "xa-fixture-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  cpSync(src, dir, { recursive: true });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
