/**
 * Asking a PEP 503 / PEP 691 "simple" index which releases a distribution has, and what Python each
 * needs. The JSON form is asked for first (PyPI and most mirrors answer it); HTML is parsed otherwise.
 * file:// indexes (a folder of `<name>/index.html`) are read from disk.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { compareVersions, isPreRelease, isVersion } from "./versions.js";

export interface Release {
  version: string;
  /** data-requires-python of the release's files (the first one that says). */
  requiresPython: string | undefined;
  /** Every file of the release is yanked. */
  yanked: boolean;
}

interface IndexFile {
  filename: string;
  requiresPython: string | undefined;
  yanked: boolean;
}

/** PEP 503 normalisation: what the index's URL for a project uses. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

export class IndexUnreachable extends Error {}
export class NotOnIndex extends Error {}

export async function fetchReleases(indexUrl: string, distribution: string, timeoutMs: number): Promise<Release[]> {
  const project = normalizeName(distribution);
  const url = `${indexUrl}/${project}/`;
  let body: string;
  let json = false;
  if (url.startsWith("file:")) {
    try {
      body = await readFile(fileURLToPath(new URL("index.html", url)), "utf8");
    } catch {
      throw new NotOnIndex(`${distribution} is not on the index`);
    }
  } else {
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { Accept: "application/vnd.pypi.simple.v1+json, text/html;q=0.1" },
        signal: AbortSignal.timeout(timeoutMs),
        redirect: "follow",
      });
    } catch (err) {
      const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      throw new IndexUnreachable(cause);
    }
    if (res.status === 404) throw new NotOnIndex(`${distribution} is not on the index`);
    if (!res.ok) throw new IndexUnreachable(`HTTP ${res.status} from the index`);
    json = (res.headers.get("content-type") ?? "").includes("json");
    body = await res.text();
  }
  const files = json ? parseJson(body) : parseHtml(body);
  return releasesOf(files, distribution);
}

function parseJson(body: string): IndexFile[] {
  const doc = JSON.parse(body) as { files?: Array<{ filename: string; "requires-python"?: string | null; yanked?: boolean | string }> };
  return (doc.files ?? []).map((f) => ({ filename: f.filename, requiresPython: f["requires-python"] ?? undefined, yanked: Boolean(f.yanked) }));
}

export function parseHtml(body: string): IndexFile[] {
  const files: IndexFile[] = [];
  for (const m of body.matchAll(/<a\s([^>]*)>([^<]*)<\/a>/gi)) {
    const attrs = m[1]!;
    const rp = /data-requires-python="([^"]*)"/i.exec(attrs);
    files.push({
      filename: m[2]!.trim(),
      requiresPython: rp ? decodeEntities(rp[1]!) : undefined,
      yanked: /data-yanked/i.test(attrs),
    });
  }
  return files;
}

function decodeEntities(s: string): string {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");
}

/** The version in a wheel or sdist file name of this distribution, if it is one. */
export function versionOf(filename: string, distribution: string): string | undefined {
  const wheel = /^([^-]+)-([^-]+)-.*\.whl$/.exec(filename);
  if (wheel) return normalizeName(wheel[1]!) === normalizeName(distribution) ? wheel[2] : undefined;
  const sdist = /^(.*)-([^-]+)\.(tar\.gz|zip)$/.exec(filename);
  if (sdist && normalizeName(sdist[1]!) === normalizeName(distribution)) return sdist[2];
  return undefined;
}

export function releasesOf(files: IndexFile[], distribution: string): Release[] {
  const byVersion = new Map<string, Release>();
  for (const f of files) {
    const version = versionOf(f.filename, distribution);
    if (version === undefined || !isVersion(version)) continue;
    const r = byVersion.get(version) ?? { version, requiresPython: undefined, yanked: true };
    r.requiresPython ??= f.requiresPython;
    r.yanked = r.yanked && f.yanked;
    byVersion.set(version, r);
  }
  return [...byVersion.values()].sort((a, b) => compareVersions(a.version, b.version));
}

/** The newest final release that is not yanked: what `@latest` means. */
export function latestRelease(releases: readonly Release[]): Release | undefined {
  return releases.filter((r) => !r.yanked && !isPreRelease(r.version)).at(-1);
}
