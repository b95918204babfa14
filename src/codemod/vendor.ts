/**
 * The runtime copy inside the patched package: codemods/runtime/_xaccount.py with a header naming the
 * xaccount version and the sha256 of the body, so --check can tell a stale copy from a current one.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { PACKAGE_ROOT, VERSION } from "../version.js";
import { failure } from "../errors.js";
import { sha256 } from "./source.js";

export interface RuntimeStamp {
  version: string;
  sha256: string;
}

const HEADER = /^# Vendored by xaccount (\S+) sha256=([0-9a-f]{64})\n/;

export function runtimeSourcePath(): string {
  return path.join(PACKAGE_ROOT, "codemods", "runtime", "_xaccount.py");
}

/** The runtime this xaccount ships: its stamp and the file to vendor, header included. */
export function currentRuntime(): { stamp: RuntimeStamp; vendored: Buffer } {
  let body: Buffer;
  try {
    body = readFileSync(runtimeSourcePath());
  } catch {
    throw failure(
      "runtime-missing",
      `this xaccount install has no runtime module (${runtimeSourcePath()})`,
      "reinstall xaccount (npm install -g xaccount); from a checkout, run it from the repository root",
    );
  }
  const stamp = { version: VERSION, sha256: sha256(body) };
  return { stamp, vendored: Buffer.concat([vendoredHeader(stamp), body]) };
}

export function vendoredHeader(stamp: RuntimeStamp): Buffer {
  return Buffer.from(
    `# Vendored by xaccount ${stamp.version} sha256=${stamp.sha256}\n` +
      "# Do not edit: `xaccount patch` replaces this file and `xaccount patch --revert` removes it.\n",
    "utf8",
  );
}

/**
 * True when the vendored copy is exactly what some xaccount wrote: its header, then a body whose sha256
 * is the one the header names. The header alone proves nothing (anyone can append code below it), so
 * the body is hashed.
 */
export function isIntact(vendored: Buffer): boolean {
  const stamp = readStamp(vendored);
  if (!stamp) return false;
  const header = vendoredHeader(stamp);
  return vendored.subarray(0, header.length).equals(header) && sha256(vendored.subarray(header.length)) === stamp.sha256;
}

/** The stamp of a vendored copy, or undefined when it has no (valid) header. */
export function readStamp(vendored: Buffer): RuntimeStamp | undefined {
  const m = HEADER.exec(vendored.subarray(0, 200).toString("utf8"));
  return m ? { version: m[1] as string, sha256: m[2] as string } : undefined;
}

/** -1, 0, 1 comparing dotted numeric versions ("0.10.0" > "0.9.1"); pre-release tails are ignored. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.+-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return Math.sign(d);
  }
  return 0;
}

/**
 * add: none there. keep: the very copy we ship. replace: an intact copy from an older (or another build
 * of this) xaccount. keep-newer: an intact copy from a newer xaccount. modified: not what any xaccount
 * wrote (edited body, edited or missing header), or not the bytes the manifest recorded at patch time:
 * this file handles credentials, so it is never silently kept nor silently overwritten.
 */
export type RuntimeAction = "add" | "replace" | "keep" | "keep-newer" | "modified";

/** What to do with the copy in the package given the one we ship (and the file hash the manifest recorded). */
export function runtimeAction(existing: Buffer | undefined, current: RuntimeStamp, recordedSha256?: string): RuntimeAction {
  if (!existing) return "add";
  if (!isIntact(existing)) return "modified";
  if (recordedSha256 !== undefined && sha256(existing) !== recordedSha256) return "modified";
  const stamp = readStamp(existing) as RuntimeStamp;
  if (stamp.sha256 === current.sha256) return "keep";
  return compareVersions(stamp.version, current.version) > 0 ? "keep-newer" : "replace";
}
