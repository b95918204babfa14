/**
 * Installing one release into a temp folder beside its final place, patching it there, then renaming
 * it into place: the version folder appears complete or not at all. `uv` when it is on PATH (fast),
 * else `python -m venv` and pip. Installer output goes to our stderr: stdout belongs to MCP.
 */
import { spawn } from "node:child_process";
import { mkdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { profileFor } from "../../codemods/index.js";
import { failure, XaError } from "../errors.js";
import type { ServerProfile } from "../codemod/profile.js";
import { VERSION } from "../version.js";
import { fingerprint, writeRecord, type InstallRecord } from "./cache.js";
import type { PythonChoice } from "./python.js";

export interface InstallRequest {
  root: string;
  distribution: string;
  version: string;
  /** A profile file's (ecs, iac); undefined: built from the installed release's metadata. */
  profile: ServerProfile | undefined;
  python: PythonChoice;
  indexUrl: string;
  /** uv's path when it is on PATH. */
  uv: string | undefined;
  log: (line: string) => void;
  env: NodeJS.ProcessEnv;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    // stdout of the installer to our stderr (fd 2): nothing reaches the MCP client's pipe.
    const child = spawn(cmd, args, { stdio: ["ignore", 2, 2], env });
    const forward = (sig: NodeJS.Signals): void => {
      child.kill(sig);
    };
    process.on("SIGINT", forward).on("SIGTERM", forward);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      process.off("SIGINT", forward).off("SIGTERM", forward);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

export async function installRelease(req: InstallRequest): Promise<InstallRecord> {
  const { root, distribution, version, python, indexUrl, uv, log } = req;
  const distDir = path.join(root, distribution);
  mkdirSync(distDir, { recursive: true });
  const tmp = path.join(distDir, `.tmp-${version}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  // Interrupted by the user or the client: take the temp folder with us. A SIGKILL cannot be caught;
  // the next install of this distribution removes what it left (cache.removeStaleTemps).
  const cleanup = (): void => rmSync(tmp, { recursive: true, force: true });
  const onSignal = (sig: NodeJS.Signals): void => {
    cleanup();
    process.kill(process.pid, sig);
  };
  process.once("SIGINT", onSignal).once("SIGTERM", onSignal).once("SIGHUP", onSignal);
  try {
    const venv = path.join(tmp, "venv");
    const venvPython = path.join(venv, "bin", "python");
    const requirement = `${distribution}==${version}`;
    const env = { ...req.env, PIP_DISABLE_PIP_VERSION_CHECK: "1", PIP_NO_INPUT: "1" };
    log(`installing ${requirement} with ${uv ? "uv" : "pip"} and python3.${python.minor[1]} (once; later starts reuse it)`);
    let code: number;
    if (uv) {
      code = await run(uv, ["venv", "--quiet", "--python", python.path, venv], env);
      if (code === 0) code = await run(uv, ["pip", "install", "--quiet", "--python", venvPython, "--index-url", indexUrl, requirement], env);
    } else {
      code = await run(python.path, ["-m", "venv", venv], env);
      if (code === 0) code = await run(venvPython, ["-m", "pip", "install", "--quiet", "--index-url", indexUrl, requirement], env);
    }
    if (code !== 0) {
      throw failure(
        "server-install-failed",
        `installing ${requirement} failed (the installer exited ${code}; its messages are above)`,
        "check the index (PIP_INDEX_URL / UV_INDEX_URL) and your network, then run the same command again; nothing was left in the cache",
      );
    }
    // Patched in the temp folder, so the version folder is never seen unpatched.
    const engine = await import("../codemod/index.js");
    // No profile file: the one lookup `patch` uses finds the server in the new venv's dist-info.
    const profile = req.profile ?? profileFor(distribution, venv);
    const located = engine.locateServer(profile, venv);
    await refuseUnpatchable(profile, located, requirement);
    const plan = await engine.planPatch(profile, located, { verify: true });
    await engine.writePatch(plan);
    const verdict = engine.checkPlan(await engine.planPatch(profile, located, { check: true }));
    if (!verdict.patched) {
      throw failure("server-patch-failed", `patching ${requirement} did not leave it fully patched: ${verdict.findings[0]?.message ?? verdict.code}`, "report it with the server name and version");
    }
    const record: InstallRecord = {
      distribution,
      version,
      python: python.path,
      installer: uv ? "uv" : "pip",
      installedAt: new Date().toISOString(),
      packageDir: path.relative(tmp, located.packageDir),
      entryModule: profile.entryModule,
      ...(profile.generic ? { profile: "generic" as const } : {}),
      runtimeSha256: plan.manifest.runtime.sha256,
      patchedBy: VERSION,
      fingerprint: "",
    };
    record.fingerprint = fingerprint(located.packageDir);
    writeRecord(tmp, record);
    const final = path.join(distDir, version);
    renameSync(tmp, final);
    log(`installed and patched ${requirement} (${plan.tools.filter((t) => t.status !== "skipped").length} tools take account_id)`);
    return record;
  } catch (err) {
    cleanup();
    throw err;
  } finally {
    process.off("SIGINT", onSignal).off("SIGTERM", onSignal).off("SIGHUP", onSignal);
  }
}

/**
 * A server `patch` would refuse is not started unpatched either: one that makes no AWS call
 * (no-aws-calls), or one whose virtualenv lacks what the vendored runtime imports
 * (runtime-deps-missing: patched, it would not start). The caller discards the temp install, and the
 * message says why and what to do instead.
 */
async function refuseUnpatchable(profile: ServerProfile, located: import("../codemod/index.js").LocatedServer, requirement: string): Promise<void> {
  const { refuseNoAwsCalls, refuseMissingRuntimeDeps, RUNTIME_REQUIREMENTS } = await import("../commands/patch.js");
  try {
    refuseNoAwsCalls(profile, located);
    refuseMissingRuntimeDeps(located);
  } catch (err) {
    if (!(err instanceof XaError)) throw err;
    const hint =
      err.code === "runtime-deps-missing"
        ? `the release does not install ${RUNTIME_REQUIREMENTS.join(" and ")}, which xaccount's runtime needs; pin a release that does, or install the server yourself with them and use xaccount patch`
        : `start it without xaccount (uvx ${requirement.replace("==", "@")}): it behaves the same for every account`;
    throw new XaError(
      err.code,
      `xaccount run does not start ${requirement}: ${err.message.replace(/; nothing was written$/, "")}; the install was discarded, nothing was started`,
      { hint, exitCode: err.exitCode },
    );
  }
}
