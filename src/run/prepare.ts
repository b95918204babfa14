/**
 * From `ecs@0.1.37` to a patched install ready to start, touching the network only when it must:
 * - a pinned version already in the cache starts with no index request at all;
 * - `@latest` asks the index at most once per refresh interval (default a day) and, when the index
 *   cannot be reached, starts the newest cached release and says so on stderr;
 * - a first start installs under a lock, so a second client started at the same time waits and reuses.
 * Each start checks the cached tree: a cheap fingerprint first, the full `patch --check` when it differs.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { failure, usageError } from "../errors.js";
import type { ServerProfile } from "../codemod/profile.js";
import { profileFor } from "../../codemods/index.js";
import { runtimeSourcePath } from "../codemod/vendor.js";
import { VERSION } from "../version.js";
import * as cache from "./cache.js";
import type { InstallRecord } from "./cache.js";
import { chooseIndex, redact } from "./index-url.js";
import { installRelease } from "./install.js";
import { fetchReleases, IndexUnreachable, latestRelease, NotOnIndex, type Release } from "./package-index.js";
import { findExecutable, findPython, pythonsOnPath } from "./python.js";
import type { RunTarget } from "./spec.js";

export interface PrepareOptions {
  env: NodeJS.ProcessEnv;
  indexUrl?: string | undefined;
  /** How long an `@latest` answer from the index is trusted, in ms. */
  refreshMs: number;
  /** --python: use this interpreter instead of searching PATH. */
  python?: string | undefined;
  log: (line: string) => void;
  now?: () => number;
}

export interface Prepared {
  dir: string;
  record: InstallRecord;
  python: string;
}

const INDEX_TIMEOUT_MS = 10_000;

export async function prepare(target: RunTarget, opts: PrepareOptions): Promise<Prepared> {
  // Undefined for a server with no profile file: built from its metadata once installed.
  const profile = target.profile;
  const root = cache.cacheRoot(opts.env);
  const uv = findExecutable("uv", opts.env);
  const now = opts.now ?? Date.now;
  let version = target.version;
  let release: Release | undefined;
  const index = chooseIndex({ indexUrl: opts.indexUrl, uv: uv !== undefined }, opts.env);

  if (version === "latest") {
    const cached = cache.cachedVersions(root, target.distribution);
    const last = cache.readLatest(root, target.distribution);
    if (last && last.index === index.url && now() - last.checkedAt < opts.refreshMs && cached.includes(last.version)) {
      version = last.version;
    } else {
      try {
        const releases = await fetchReleases(index.url, target.distribution, INDEX_TIMEOUT_MS);
        release = latestRelease(releases);
        if (!release) throw new NotOnIndex(`${target.distribution} has no final release on the index`);
        version = release.version;
        cache.writeLatest(root, target.distribution, { checkedAt: now(), version, index: index.url });
      } catch (err) {
        if (!(err instanceof IndexUnreachable)) throw indexError(err, target, index.url);
        const fallback = cached.at(-1);
        if (!fallback) {
          throw failure("index-unreachable", `cannot reach the package index ${redact(index.url)} (${err.message}) and no release of ${target.distribution} is cached`, `check your network or the index (${index.from}); once one start has succeeded, later ones work offline`);
        }
        opts.log(`note: the package index ${redact(index.url)} is unreachable (${err.message}); starting the newest cached release, ${target.distribution} ${fallback}`);
        version = fallback;
      }
    }
  }

  const dir = cache.versionDir(root, target.distribution, version);
  const ready = readyRecord(dir, profile);
  if (ready) return { dir, record: ready, python: venvPython(dir) };

  return cache.withLock(
    root,
    target.distribution,
    version,
    () => opts.log(`waiting for another xaccount installing ${target.distribution} ${version}`),
    async () => {
      // Whoever held the lock may have installed it meanwhile.
      const record = cache.readRecord(dir);
      if (record) {
        const checked = await verifyOrRepatch(dir, record, profile, opts.log);
        if (checked) return { dir, record: checked, python: venvPython(dir) };
        opts.log(`the cached ${target.distribution} ${version} was changed after it was installed; installing it again`);
        cache.removeVersionDir(root, target.distribution, version);
      }
      cache.removeStaleTemps(root, target.distribution);
      if (!release) {
        let releases: Release[];
        try {
          releases = await fetchReleases(index.url, target.distribution, INDEX_TIMEOUT_MS);
        } catch (err) {
          throw indexError(err, target, index.url);
        }
        release = releases.find((r) => r.version === version);
        if (!release) {
          const known = releases.slice(-5).map((r) => r.version).join(", ");
          throw usageError("server-version-not-found", `${target.distribution} has no release ${version} on ${redact(index.url)}`, known ? `recent releases: ${known}; or use @latest` : "check the version, or use @latest");
        }
      }
      const python = pickPython(release, opts);
      const installed = await installRelease({ root, distribution: target.distribution, version, profile, python, indexUrl: index.url, uv, log: opts.log, env: opts.env });
      return { dir, record: installed, python: venvPython(dir) };
    },
  );
}

function venvPython(dir: string): string {
  return path.join(dir, "venv", "bin", "python");
}

function indexError(err: unknown, target: RunTarget, indexUrl: string): Error {
  if (err instanceof NotOnIndex) {
    return usageError("server-not-on-index", `${target.distribution} is not on the package index ${redact(indexUrl)}`, "check the server name (ecs, iac, or <name> for awslabs.<name>-mcp-server) and the index (PIP_INDEX_URL / UV_INDEX_URL)");
  }
  if (err instanceof IndexUnreachable) {
    return failure("index-unreachable", `cannot reach the package index ${redact(indexUrl)} (${err.message}) to install ${target.distribution}`, "check your network or PIP_INDEX_URL / UV_INDEX_URL; releases already cached start offline");
  }
  return err instanceof Error ? err : new Error(String(err));
}

function pickPython(release: Release, opts: PrepareOptions): { path: string; minor: [number, number] } {
  if (opts.python) {
    const m = /python(\d)\.(\d+)$/.exec(opts.python);
    return { path: opts.python, minor: m ? [Number(m[1]), Number(m[2])] : [3, 0] };
  }
  const found = findPython(release.requiresPython, opts.env);
  if (!found) {
    const have = pythonsOnPath(opts.env);
    throw failure(
      "run-python-not-found",
      `${release.version} needs Python ${release.requiresPython ?? "3"} and no matching python3.X is on PATH${have.length ? ` (found ${have.join(", ")})` : ""}`,
      "install a matching Python (or pass --python <interpreter>), or install uv, which fetches one",
    );
  }
  return found;
}

/**
 * A record whose tree still matches its fingerprint and whose runtime is this xaccount's: ready to
 * start without loading the patch engine. Anything else goes through the lock and the full check.
 */
function readyRecord(dir: string, profile: ServerProfile | undefined): InstallRecord | undefined {
  const record = cache.readRecord(dir);
  // A generic profile's entry module came from the installed metadata, which the record holds.
  if (!record || (profile !== undefined && record.entryModule !== profile.entryModule)) return undefined;
  // Patched with a profile built from metadata, and this xaccount has a profile file for the server
  // (its hazards, its own account_id tools, its extra parameters): check it against the file first.
  if (profile !== undefined && record.profile === "generic") return undefined;
  if (record.runtimeSha256 !== currentRuntimeSha()) return undefined;
  try {
    return cache.fingerprint(path.join(dir, record.packageDir)) === record.fingerprint ? record : undefined;
  } catch {
    return undefined;
  }
}

let runtimeSha: string | undefined;
function currentRuntimeSha(): string {
  // Loaded lazily: only the sha of the runtime file is needed, not the engine.
  runtimeSha ??= runtimeShaNow();
  return runtimeSha;
}

function runtimeShaNow(): string {
  return createHash("sha256").update(readFileSync(runtimeSourcePath())).digest("hex");
}

/**
 * The full check (`patch --check`), and a re-patch when only the runtime is out of date. Returns the
 * updated record, or undefined when the tree was changed in a way a re-patch must not paper over.
 */
async function verifyOrRepatch(dir: string, record: InstallRecord, fileProfile: ServerProfile | undefined, log: (l: string) => void): Promise<InstallRecord | undefined> {
  const engine = await import("../codemod/index.js");
  const packageDir = path.join(dir, record.packageDir);
  let located;
  let profile: ServerProfile;
  try {
    // The same lookup as the install: a profile file, else the installed release's metadata.
    profile = fileProfile ?? profileFor(record.distribution, path.join(dir, "venv"));
    located = engine.locateServer(profile, path.join(dir, "venv"));
  } catch {
    return undefined;
  }
  if (located.packageDir !== packageDir) return undefined;
  engine.recoverInterrupted(located);
  let plan = await engine.planPatch(profile, located, { check: true });
  let verdict = engine.checkPlan(plan);
  if (!verdict.patched && verdict.code === "not-patched" && plan.manifest.runtime.sha256 !== record.runtimeSha256) {
    // A new xaccount with a new runtime: patch again in place (journaled by the engine).
    log(`re-patching ${record.distribution} ${record.version} for xaccount ${VERSION}'s runtime`);
    plan = await engine.planPatch(profile, located, { verify: true });
    await engine.writePatch(plan);
    verdict = engine.checkPlan(await engine.planPatch(profile, located, { check: true }));
  }
  if (!verdict.patched) return undefined;
  const { profile: _checkedWith, ...rest } = record;
  const updated: InstallRecord = {
    ...rest,
    // Checked with a profile file now: the record no longer says "generic", so the fast path returns.
    ...(profile.generic ? { profile: "generic" as const } : {}),
    runtimeSha256: plan.manifest.runtime.sha256,
    patchedBy: VERSION,
    fingerprint: cache.fingerprint(packageDir),
  };
  cache.writeRecord(dir, updated);
  return updated;
}
