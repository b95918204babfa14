/**
 * Finding the server's package from whatever path the user gave: a monorepo checkout, the server
 * folder, the package folder (or a file in it), an `awslabs` folder, a virtualenv or a site-packages.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { usageError } from "../errors.js";
import type { ServerProfile } from "./profile.js";

export interface LocatedServer {
  packageDir: string;
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
  } catch {
    return false;
  }
}

/** Every folder that would be the package if the path were of each supported kind, best first. */
export function candidateDirs(profile: ServerProfile, inputPath: string): string[] {
  let p = path.resolve(inputPath);
  if (existsSync(p) && !isDir(p)) p = path.dirname(p);
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
      for (const py of readdirSync(libDir).filter((d) => d.startsWith("python")).sort()) {
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
export function locateIn(profile: ServerProfile, inputPath: string, known: readonly ServerProfile[]): LocatedServer {
  const packageDir = findPackage(profile, inputPath);
  if (!packageDir) {
    for (const other of known) {
      if (other.name === profile.name || !findPackage(other, inputPath)) continue;
      throw usageError(
        "wrong-server",
        `${inputPath} holds the ${other.title} (${other.packagePath}), not the ${profile.title}`,
        `run: xaccount patch ${other.name} ${inputPath}`,
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
  const located: LocatedServer = { packageDir, importRoot };
  if (existsSync(path.join(importRoot, "pyproject.toml"))) located.serverRoot = importRoot;
  const venv = /^(.*)[\\/](?:lib|lib64)[\\/]python[^\\/]+[\\/]site-packages$/.exec(importRoot)?.[1];
  const venvPython = venv && path.join(venv, "bin", "python");
  if (venvPython && existsSync(venvPython)) located.venvPython = venvPython;
  return located;
}
