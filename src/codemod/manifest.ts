/**
 * The manifest: what xaccount changed in a package, so --check can judge it and --revert can restore
 * the original bytes. Per file: the original bytes (base64), every insertion made (as indices into the
 * original text), and the sha256 of the patched bytes, which tells whether the file changed since.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { applyInserts, patchedRanges, type Insert } from "./apply.js";
import { MANIFEST_FILE } from "./contract.js";
import type { RuntimeStamp } from "./vendor.js";

export interface FileRecord {
  originalSha256: string;
  /** base64 of the original bytes. */
  original: string;
  patchedSha256: string;
  inserts: Insert[];
}

export interface Manifest {
  tool: "xaccount";
  formatVersion: 1;
  xaccountVersion: string;
  server: string;
  /** fileSha256: of the whole vendored file as written (absent in manifests of older xaccount versions). */
  runtime: RuntimeStamp & { file: string; fileSha256?: string };
  /** Keyed by path relative to the package folder, "/" separators. */
  files: Record<string, FileRecord>;
}

export function manifestPath(packageDir: string): string {
  return path.join(packageDir, MANIFEST_FILE);
}

/** The manifest file's bytes (to tell whether a new one differs) and what they parse to, if an xaccount manifest. */
export function loadManifest(packageDir: string): { bytes?: Buffer; manifest?: Manifest } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(manifestPath(packageDir));
  } catch {
    return {};
  }
  try {
    const m = JSON.parse(bytes.toString("utf8")) as Manifest;
    return m.tool === "xaccount" && m.files ? { bytes, manifest: m } : { bytes };
  } catch {
    return { bytes };
  }
}

export function readManifest(packageDir: string): Manifest | undefined {
  return loadManifest(packageDir).manifest;
}

export function serializeManifest(m: Manifest): Buffer {
  return Buffer.from(`${JSON.stringify(m, null, 2)}\n`, "utf8");
}

/** The text xaccount last wrote, rebuilt from the original and the insertions. */
export function patchedText(record: FileRecord): string {
  return applyInserts(Buffer.from(record.original, "base64").toString("utf8"), record.inserts);
}

export type Rebase =
  | { kind: "ok"; original: string; inserts: Insert[] }
  | { kind: "conflict"; detail: string };

/**
 * Before patching `current` again: the text it had before any xaccount insertion, and those
 * insertions in `current`'s coordinates. Three cases:
 * - no record: `current` is the original;
 * - `current` is what we wrote, or differs from it only away from our insertions (upstream or a
 *   person added a tool): map each insertion through a line diff, and take them out;
 * - an insertion cannot be found unchanged: a conflict; the caller refuses.
 * `diffLines` (the diff package's) is only needed in the second case; the caller loads it then.
 * A file that shows no xaccount marks at all was replaced wholesale (a package upgrade): it is the
 * new original.
 */
export type LineDiff = (a: string, b: string) => Array<{ value: string; added?: boolean; removed?: boolean }>;

export function rebase(current: string, record: FileRecord | undefined, hasMarks: boolean, diffLines?: LineDiff): Rebase {
  if (!record) return { kind: "ok", original: current, inserts: [] };
  if (!hasMarks) return { kind: "ok", original: current, inserts: [] };
  const patched = patchedText(record);
  const ranges = patchedRanges(record.inserts);
  let mapped: Array<{ start: number; text: string }>;
  if (patched === current) {
    mapped = ranges.map((r) => ({ start: r.start, text: r.text }));
  } else {
    if (!diffLines) return { kind: "conflict", detail: "changed since the patch (no line diff available to place the earlier insertions)" };
    const segments = unchangedSegments(patched, current, diffLines);
    mapped = [];
    for (const r of ranges) {
      const seg = segments.find((s) => r.start >= s.from && r.end <= s.from + s.length);
      if (!seg) return { kind: "conflict", detail: `the text xaccount inserted (${JSON.stringify(r.text.trim())}) was changed` };
      mapped.push({ start: seg.to + (r.start - seg.from), text: r.text });
    }
  }
  // Take the insertions out of `current`, in order, to get the original.
  const order = mapped.map((m, i) => ({ ...m, i })).sort((a, b) => a.start - b.start || a.i - b.i);
  let original = "";
  let pos = 0;
  const inserts: Insert[] = [];
  for (const m of order) {
    original += current.slice(pos, m.start);
    inserts.push({ at: original.length, text: m.text });
    pos = m.start + m.text.length;
  }
  original += current.slice(pos);
  return { kind: "ok", original, inserts };
}

/** Runs of text equal in `a` and `b`: offset in a, offset in b, length. */
function unchangedSegments(a: string, b: string, diffLines: LineDiff): Array<{ from: number; to: number; length: number }> {
  const out: Array<{ from: number; to: number; length: number }> = [];
  let ia = 0;
  let ib = 0;
  for (const part of diffLines(a, b)) {
    const len = part.value.length;
    if (part.added) ib += len;
    else if (part.removed) ia += len;
    else {
      out.push({ from: ia, to: ib, length: len });
      ia += len;
      ib += len;
    }
  }
  return out;
}

/**
 * Combines the earlier insertions (indices into `original`, re-based from `current`) with new ones
 * planned against `current`, into one list against `original`.
 */
export function mergeInserts(base: { original: string; inserts: Insert[] }, fresh: readonly Insert[]): Insert[] {
  const old = patchedRanges(base.inserts).map((r, i) => ({ ...r, at: base.inserts[i]?.at ?? 0 }));
  const all: Array<{ at: number; key: number; rank: number; text: string }> = [];
  for (const o of old) all.push({ at: o.at, key: o.start, rank: 1, text: o.text });
  for (const n of fresh) {
    let shift = 0;
    for (const o of old) {
      if (o.end <= n.at) shift += o.text.length;
      else if (o.start < n.at) throw new Error("a new insertion falls inside an earlier one");
    }
    all.push({ at: n.at - shift, key: n.at, rank: 0, text: n.text });
  }
  all.sort((a, b) => a.at - b.at || a.key - b.key || a.rank - b.rank);
  return all.map(({ at, text }) => ({ at, text }));
}
