/**
 * Just enough PEP 440 for `xaccount run`: order release versions, tell pre-releases apart, and test a
 * Python version against a Requires-Python specifier. Pure functions, no I/O.
 */

interface Parsed {
  release: number[];
  /** -1 = a bare .devN, 0 = a, 1 = b, 2 = rc, 3 = final (no pre-release part). */
  preKind: number;
  preNum: number;
  post: number;
  /** Infinity when there is no .devN (a dev release sorts before its release). */
  dev: number;
}

const VERSION = /^v?(\d+(?:\.\d+)*)(?:[-_.]?(a|alpha|b|beta|c|rc|pre|preview)[-_.]?(\d*))?(?:(?:[-_.]?(?:post|rev|r)[-_.]?(\d*))|-(\d+))?(?:[-_.]?dev[-_.]?(\d*))?(?:\+[a-z0-9.]+)?$/i;

function parse(v: string): Parsed | undefined {
  const m = VERSION.exec(v.trim());
  if (!m) return undefined;
  const kind = m[2]?.toLowerCase();
  const post = m[4] !== undefined ? Number(m[4] || 0) : m[5] !== undefined ? Number(m[5]) : -1;
  // 1.0.dev1 sorts before 1.0a1: a bare dev release comes before every pre-release of its version.
  const preKind = kind === undefined ? (m[6] !== undefined && post < 0 ? -1 : 3) : kind.startsWith("a") ? 0 : kind.startsWith("b") ? 1 : 2;
  return {
    release: m[1]!.split(".").map(Number),
    preKind,
    preNum: Number(m[3] || 0),
    post,
    dev: m[6] !== undefined ? Number(m[6] || 0) : Infinity,
  };
}

export function isVersion(v: string): boolean {
  return parse(v) !== undefined;
}

/** A pre-release or dev release: `@latest` skips them, as pip and uv do by default. */
export function isPreRelease(v: string): boolean {
  const p = parse(v);
  return p !== undefined && (p.preKind !== 3 || p.dev !== Infinity);
}

/** Negative when a < b. Unparseable versions sort first, so they are never picked as the newest. */
export function compareVersions(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  if (!pa || !pb) return pa ? 1 : pb ? -1 : a.localeCompare(b);
  const len = Math.max(pa.release.length, pb.release.length);
  for (let i = 0; i < len; i++) {
    const d = (pa.release[i] ?? 0) - (pb.release[i] ?? 0);
    if (d !== 0) return d;
  }
  const keys: Array<keyof Parsed> = ["preKind", "preNum", "post", "dev"];
  for (const k of keys) {
    const x = pa[k] as number;
    const y = pb[k] as number;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function newest(versions: readonly string[]): string | undefined {
  return [...versions].sort(compareVersions).at(-1);
}

/**
 * Does Python `major.minor` satisfy a Requires-Python specifier such as ">=3.10", ">=3.10,<3.14",
 * "~=3.11", "!=3.12.*"? Only the interpreter's minor version is known without running it, so a clause
 * is taken as satisfied when some patch release of that minor would satisfy it.
 */
export function pythonSatisfies(minor: [number, number], spec: string | undefined): boolean {
  if (spec === undefined || spec.trim() === "") return true;
  return spec
    .split(",")
    .map((c) => c.trim())
    .filter(Boolean)
    .every((clause) => clauseHolds(minor, clause));
}

function clauseHolds([maj, min]: [number, number], clause: string): boolean {
  const m = /^(===|==|!=|~=|>=|<=|>|<)\s*([0-9][0-9.]*)(\.\*)?$/.exec(clause);
  if (!m) return true; // an odd clause does not rule an interpreter out; pip makes the final call
  const op = m[1]!;
  const parts = m[2]!.split(".").map(Number);
  const wildcard = m[3] !== undefined;
  const [a = 0, b = 0, c = 0] = parts;
  // Compare (maj, min) with (a, b); the patch level decides only at the boundary.
  const cmp = maj !== a ? maj - a : min - b;
  const hasPatch = parts.length >= 3 && c > 0;
  switch (op) {
    case ">=":
      return cmp >= 0;
    case ">":
      // >3.10 and >3.10.2 both admit a later 3.10 patch release; >3 admits 3.1+.
      return cmp > 0 || (cmp === 0 && (parts.length >= 2 || hasPatch));
    case "<":
      return cmp < 0 || (cmp === 0 && hasPatch);
    case "<=":
      return cmp <= 0;
    case "==":
    case "===":
      if (parts.length === 1) return maj === a;
      return cmp === 0 && (wildcard || parts.length >= 2);
    case "!=":
      if (wildcard && parts.length === 2) return cmp !== 0;
      return true;
    case "~=": {
      // ~=3.10 means >=3.10,==3.*; ~=3.10.2 means >=3.10.2,==3.10.*
      if (parts.length <= 2) return maj === a && min >= b;
      return maj === a && min === b;
    }
    default:
      return true;
  }
}
