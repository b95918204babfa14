/**
 * Which modules a CLI process loads: a loader hook, registered through NODE_OPTIONS, appends every
 * URL the process resolves to a file. Used to prove that a command loads alone (no other command, no
 * AWS SDK, no tree-sitter), which is what keeps `run` and `patch` quick to start.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

export interface ModuleLog {
  /** For the child's NODE_OPTIONS. */
  nodeOptions: string;
  /** Every URL resolved so far, in order (repeats kept). */
  loaded(): string[];
  /** Removes the hook and its log. */
  remove(): void;
}

export function moduleLog(): ModuleLog {
  const dir = mkdtempSync(path.join(os.tmpdir(), "xaccount-modules-"));
  const log = path.join(dir, "modules.txt");
  const hook = path.join(dir, "hook.mjs");
  const register = path.join(dir, "register.mjs");
  writeFileSync(log, "");
  writeFileSync(hook, `import { appendFileSync } from "node:fs";\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(log)}, r.url + "\\n"); return r; }\n`);
  writeFileSync(register, `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`);
  return {
    nodeOptions: `--import ${register}`,
    loaded: () => readFileSync(log, "utf8").split("\n").filter(Boolean),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
