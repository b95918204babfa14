/**
 * The Python a release runs on: the newest `python3.X` on PATH whose minor version satisfies the
 * release's Requires-Python. Candidates are found by name (pyenv shims and distribution packages both
 * name their interpreters this way), then each is run once to ask its version: a pyenv shim exists for
 * every installed version but fails for one that is not activated. Only a first install pays for this.
 */
import { spawnSync } from "node:child_process";
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

/** The interpreter's own (major, minor), or undefined when it does not run. */
export function askVersion(python: string, env: NodeJS.ProcessEnv): [number, number] | undefined {
  const r = spawnSync(python, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], { env, encoding: "utf8", timeout: 20_000 });
  const m = r.status === 0 ? /^(\d+)\.(\d+)\s*$/.exec(r.stdout) : null;
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export function findPython(requiresPython: string | undefined, env: NodeJS.ProcessEnv, ask = askVersion): PythonChoice | undefined {
  for (const minor of MINORS) {
    if (!pythonSatisfies([3, minor], requiresPython)) continue;
    const found = onPath(`python3.${minor}`, env);
    if (!found) continue;
    const actual = ask(found, env);
    if (actual && pythonSatisfies(actual, requiresPython)) return { path: found, minor: actual };
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
