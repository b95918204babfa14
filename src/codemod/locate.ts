/**
 * Finding the server's package from whatever path the user gave: a monorepo checkout, the server
 * folder, the package folder, an `awslabs` folder, a virtualenv or a site-packages.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { usageError } from "../errors.js";
import { asPermissionError } from "./fs-errors.js";
import type { ServerProfile } from "./profile.js";
import { shellQuote } from "./shell.js";

/**
 * `~` and `~/...` as the shell would expand them. A quoted path (`'~/x'`, or one an MCP client config
 * passes as an argument) reaches us unexpanded; `~user` forms are left alone.
 */
export function expandHome(p: string): string {
  if (p === "~") return os.homedir();
  if (p.startsWith("~/") || (path.sep === "\\" && p.startsWith("~\\"))) return path.join(os.homedir(), p.slice(2));
  return p;
}

/**
 * The folder the user named, checked: not empty, `~` expanded, existing, a folder (a file is refused
 * rather than searched around: a typo should not patch whatever package sits next to it).
 */
export function userFolder(inputPath: string): string {
  if (inputPath.trim() === "") throw usageError("bad-path", "the path is empty", "give the server's checkout, package folder or virtualenv, e.g. xaccount patch ecs ./.venv");
  const abs = path.resolve(expandHome(inputPath));
  let st;
  try {
    st = statSync(abs);
  } catch (err) {
    const denied = asPermissionError(err, abs, "read");
    if (denied) throw denied;
    throw usageError("bad-path", `${abs} does not exist`, "check the path (a virtualenv, the server's checkout or its package folder)");
  }
  if (!st.isDirectory()) {
    throw usageError("bad-path", `${abs} is a file, not a folder`, `give the folder that holds the server, e.g. ${shellQuote(path.dirname(abs))}`);
  }
  return abs;
}

export interface LocatedServer {
  packageDir: string;
  /** The path the user gave, `~` expanded and absolute: what suggested commands repeat. */
  inputPath: string;
  /** The folder that holds `awslabs/`: the cwd or PYTHONPATH to run the server from this tree. */
  importRoot: string;
  /** The folder with the server's pyproject.toml, when the tree is a source checkout. */
  serverRoot?: string;
  /** The virtualenv's python when the package sits in one's site-packages. */
  venvPython?: string;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isPackage(dir: string): boolean {
  if (!isDir(dir)) return false;
  try {
    return readdirSync(dir).some((f) => f.endsWith(".py"));
  } catch (err) {
    // An unreadable package folder is the package all the same: say why it cannot be patched.
    const denied = asPermissionError(err, dir, "read");
    if (denied) throw denied;
    return false;
  }
}

/** Every folder that would be the package if the path were of each supported kind, best first. */
export function candidateDirs(profile: ServerProfile, inputPath: string): string[] {
  const p = path.resolve(expandHome(inputPath));
  const segs = profile.packagePath.split("/").filter(Boolean);
  const out: string[] = [];
  // p is the package folder, or a folder inside it.
  for (let dir = p, i = 0; i < 4; i++, dir = path.dirname(dir)) {
    if (dir.split(path.sep).slice(-segs.length).join("/") === segs.join("/")) out.push(dir);
  }
  out.push(path.join(p, ...segs));
  if (path.basename(p) === segs[0]) out.push(path.join(path.dirname(p), ...segs));
  out.push(path.join(p, profile.monorepoDir, ...segs), path.join(p, "src", profile.monorepoDir, ...segs));
  for (const venv of [p, path.join(p, ".venv"), path.join(p, "venv")]) {
    for (const lib of ["lib", "lib64"]) {
      const libDir = path.join(venv, lib);
      if (!isDir(libDir)) continue;
      let entries: string[];
      try {
        entries = readdirSync(libDir);
      } catch (err) {
        const denied = asPermissionError(err, libDir, "read");
        if (denied) throw denied;
        continue;
      }
      for (const py of entries.filter((d) => d.startsWith("python")).sort()) {
        out.push(path.join(libDir, py, "site-packages", ...segs));
      }
    }
    out.push(path.join(venv, "Lib", "site-packages", ...segs));
  }
  return [...new Set(out)];
}

export function findPackage(profile: ServerProfile, inputPath: string): string | undefined {
  return candidateDirs(profile, inputPath).find(isPackage);
}

/**
 * Locates `profile`'s package under `inputPath`; when it is absent but another known server is
 * there, says which command to run instead.
 */
export function locateIn(profile: ServerProfile, givenPath: string, known: readonly ServerProfile[]): LocatedServer {
  const inputPath = userFolder(givenPath);
  const packageDir = findPackage(profile, inputPath);
  if (!packageDir) {
    for (const other of known) {
      if (!findPackage(other, inputPath)) continue; // the profile itself finds nothing, as just seen
      throw usageError(
        "wrong-server",
        `${inputPath} holds the ${other.title} (${other.packagePath}), not the ${profile.title}`,
        `run: xaccount patch ${other.name} ${shellQuote(inputPath)}`,
      );
    }
    const looked = candidateDirs(profile, inputPath).slice(0, 8);
    throw usageError(
      "server-not-found",
      `no ${profile.title} package (${profile.packagePath}) under ${path.resolve(inputPath)}; looked in:\n` +
        looked.map((l) => `    ${l}`).join("\n"),
      `give a checkout of the server, its package folder, or a virtualenv with ${profile.distribution} installed ` +
        `(pip download --no-deps --no-binary :all: ${profile.distribution} gets the source)`,
    );
  }
  const importRoot = path.resolve(packageDir, ...profile.packagePath.split("/").filter(Boolean).map(() => ".."));
  const located: LocatedServer = { packageDir, importRoot, inputPath };
  if (existsSync(path.join(importRoot, "pyproject.toml"))) located.serverRoot = importRoot;
  const venv = /^(.*)[\\/](?:lib|lib64)[\\/]python[^\\/]+[\\/]site-packages$/.exec(importRoot)?.[1];
  const venvPython = venv && path.join(venv, "bin", "python");
  if (venvPython && existsSync(venvPython)) located.venvPython = venvPython;
  return located;
}
