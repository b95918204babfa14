/**
 * Which Python runs the server: --python, else the server's own virtualenv, else python3.
 * The server's venv is the one whose site-packages holds the package (an installed server), or a
 * `.venv` at or above the server root (a checkout set up with `uv sync` or `python -m venv .venv`).
 */
import { existsSync } from "node:fs";
import path from "node:path";

export interface PythonChoice {
  python: string;
  /** Why this one, for the check's detail line. */
  reason: string;
}

export interface PythonSearch {
  explicit: string | undefined;
  /** The venv python the engine found for a package in a site-packages, if any. */
  venvPython?: string | undefined;
  packageDir: string;
  /** Where to start looking for a `.venv` (the server root if known, else the import root). */
  startDir: string;
}

const VENV_PYTHONS = [path.join("bin", "python"), path.join("Scripts", "python.exe")];

export function choosePython(search: PythonSearch, exists: (p: string) => boolean = existsSync): PythonChoice {
  if (search.explicit) return { python: search.explicit, reason: "--python" };
  if (search.venvPython && exists(search.venvPython)) {
    return { python: search.venvPython, reason: "the virtualenv the package is installed in" };
  }

  // <venv>/lib/pythonX.Y/site-packages/<package> (or <venv>/Lib/site-packages on Windows)
  const parts = search.packageDir.split(path.sep);
  const site = parts.lastIndexOf("site-packages");
  if (site > 0) {
    const libIndex = parts[site - 1]?.toLowerCase() === "lib" ? site - 1 : site - 2;
    const venv = parts.slice(0, libIndex).join(path.sep) || path.sep;
    const found = venvPython(venv, exists);
    if (found) return { python: found, reason: `the virtualenv the package is installed in (${venv})` };
  }

  let dir = path.resolve(search.startDir);
  for (;;) {
    const found = venvPython(path.join(dir, ".venv"), exists);
    if (found) return { python: found, reason: `the server's .venv (${path.join(dir, ".venv")})` };
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return { python: "python3", reason: "no virtualenv found for the server; python3 from PATH" };
}

function venvPython(venv: string, exists: (p: string) => boolean): string | undefined {
  for (const rel of VENV_PYTHONS) {
    const candidate = path.join(venv, rel);
    if (exists(candidate)) return candidate;
  }
  return undefined;
}
