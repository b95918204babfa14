/**
 * The Python a release runs on: the newest `python3.X` on PATH whose minor version satisfies the
 * release's Requires-Python. Found by name (no interpreter is started to ask its version), so it costs
 * a few stat calls; pyenv shims and distribution packages both name their interpreters this way.
 */
import { accessSync, constants } from "node:fs";
import path from "node:path";
import { pythonSatisfies } from "./versions.js";

const MINORS = [16, 15, 14, 13, 12, 11, 10, 9, 8];

export interface PythonChoice {
  path: string;
  minor: [number, number];
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function findPython(requiresPython: string | undefined, env: NodeJS.ProcessEnv): PythonChoice | undefined {
  for (const minor of MINORS) {
    const v: [number, number] = [3, minor];
    if (!pythonSatisfies(v, requiresPython)) continue;
    const found = onPath(`python3.${minor}`, env);
    if (found) return { path: found, minor: v };
  }
  return undefined;
}

/** The names looked for, for the error message when none fits. */
export function pythonsOnPath(env: NodeJS.ProcessEnv): string[] {
  return MINORS.map((m) => `python3.${m}`).filter((n) => onPath(n, env) !== undefined);
}

export function findExecutable(name: string, env: NodeJS.ProcessEnv): string | undefined {
  return onPath(name, env);
}
