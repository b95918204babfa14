/**
 * `npm run bench`: runs every benchmark and prints its figures. Benchmarks measure, they do not assert:
 * each one prints what it saw on this machine.
 *   bench/*.py          run with the test virtualenv's Python (the runtime's cost per call, ...)
 *   dist/bench/*.bench.js  run with Node (the time to patch a real server, the warm-start overhead of
 *                          `xaccount run` over the server started directly: run-start.bench.js, ...)
 *     create-role.bench.js: create-role over 20 profiles, sequential (--concurrency 1) vs concurrent (16)
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { PACKAGE_ROOT } from "../src/version.js";
import { testPython } from "../test/helpers/moto.js";

const only = process.argv[2];
const benchSrc = path.join(PACKAGE_ROOT, "bench");
const benchDist = path.join(PACKAGE_ROOT, "dist", "bench");
const runs: Array<[string, string[]]> = [
  ...readdirSync(benchSrc)
    .filter((f) => f.endsWith(".py"))
    .map((f): [string, string[]] => [testPython(), [path.join(benchSrc, f)]]),
  ...readdirSync(benchDist)
    .filter((f) => f.endsWith(".bench.js"))
    .map((f): [string, string[]] => [process.execPath, [path.join(benchDist, f)]]),
].filter(([, args]) => !only || args.some((a) => a.includes(only)));

let failed = 0;
for (const [cmd, args] of runs) {
  console.log(`\n### ${path.basename(args[0] ?? "")}`);
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: PACKAGE_ROOT });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
