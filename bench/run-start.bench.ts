/**
 * Warm-start overhead of `xaccount run ecs@0.1.37` over starting the same cached, patched server directly
 * (`<cache>/venv/bin/python -m awslabs.ecs_mcp_server.main`): time from spawn to the MCP `initialize`
 * answer, median of XACCOUNT_BENCH_RUNS (default 7) after a warm-up, each way. Goal: overhead < 150 ms.
 * Also the cost of one fast-path check (record + fingerprint of the package's files) in-process.
 *
 * The first run installs the real server from PyPI (or PIP_INDEX_URL) into .cache/bench-run/ through
 * `xaccount run` itself, with the test suite's dependency lock as constraints; later runs need no network.
 * Prints figures; asserts nothing.
 */
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { PACKAGE_ROOT } from "../src/version.js";
import { cacheRoot, fingerprint, readRecord, versionDir } from "../src/run/cache.js";

const BIN = path.join(PACKAGE_ROOT, "bin", "xaccount.js");
const RUNS = Number(process.env.XACCOUNT_BENCH_RUNS ?? 7);
const VERSION = "0.1.37";
const DIST = "awslabs.ecs-mcp-server";
const env: NodeJS.ProcessEnv = {
  ...process.env,
  XDG_CACHE_HOME: path.join(PACKAGE_ROOT, ".cache", "bench-run"),
  PIP_CONSTRAINT: path.join(PACKAGE_ROOT, "test", "python", "server-locks", `${DIST}-${VERSION}.txt`),
  FASTMCP_LOG_LEVEL: "ERROR",
  AWS_REGION: "us-east-1",
};
const INIT = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "bench", version: "1" } } });

/** ms from spawn to the first line on stdout (the initialize answer); then stdin is closed. */
function timeToInitialize(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let ms = -1;
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (ms < 0 && out.includes("\n")) {
        ms = Number(process.hrtime.bigint() - t0) / 1e6;
        child.stdin.end();
      }
    });
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", () => (ms >= 0 ? resolve(ms) : reject(new Error(`${cmd} ${args.join(" ")} gave no answer:\n${err}`))));
    child.stdin.write(`${INIT}\n`);
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const dir = versionDir(cacheRoot(env), DIST, VERSION);
if (!readRecord(dir)) {
  console.log(`installing ${DIST} ${VERSION} into ${dir} through xaccount run (once)...`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [BIN, "run", `ecs@${VERSION}`], { env, input: `${INIT}\n`, stdio: ["pipe", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error(`xaccount run exited ${r.status}`);
  console.log(`first start (install + patch + start): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
const python = path.join(dir, "venv", "bin", "python");
const viaRun: number[] = [];
const direct: number[] = [];
await timeToInitialize(process.execPath, [BIN, "run", `ecs@${VERSION}`]);
await timeToInitialize(python, ["-m", "awslabs.ecs_mcp_server.main"]);
for (let i = 0; i < RUNS; i++) {
  // Interleaved, so a busy moment on the machine hits both sides.
  viaRun.push(await timeToInitialize(process.execPath, [BIN, "run", `ecs@${VERSION}`]));
  direct.push(await timeToInitialize(python, ["-m", "awslabs.ecs_mcp_server.main"]));
}
const record = readRecord(dir)!;
const fpRuns: number[] = [];
for (let i = 0; i < 20; i++) {
  const t0 = process.hrtime.bigint();
  fingerprint(path.join(dir, record.packageDir));
  fpRuns.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
const nodeOnly: number[] = [];
const runEntry: number[] = [];
const bareNode: number[] = [];
for (let i = 0; i < RUNS; i++) {
  let t0 = process.hrtime.bigint();
  spawnSync(process.execPath, [BIN, "--version"], { env });
  nodeOnly.push(Number(process.hrtime.bigint() - t0) / 1e6);
  // What `run` loads (alone, src/entry.ts): --help stops after loading, before any work.
  t0 = process.hrtime.bigint();
  spawnSync(process.execPath, [BIN, "run", "--help"], { env });
  runEntry.push(Number(process.hrtime.bigint() - t0) / 1e6);
  t0 = process.hrtime.bigint();
  spawnSync(process.execPath, ["-e", "0"], { env });
  bareNode.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
const [r, d] = [median(viaRun), median(direct)];
console.log(`time to the MCP initialize answer, median of ${RUNS} (ecs ${VERSION}, warm cache):`);
console.log(`  xaccount run ecs@${VERSION}:     ${r.toFixed(0)} ms`);
console.log(`  the cached server directly:     ${d.toFixed(0)} ms`);
console.log(`  overhead of xaccount run:       ${(r - d).toFixed(0)} ms  (goal < 150 ms)`);
console.log(`  of which: node + the run entry's load (xaccount run --help): ${median(runEntry).toFixed(0)} ms (the full CLI, xaccount --version: ${median(nodeOnly).toFixed(0)} ms), node alone (node -e 0): ${median(bareNode).toFixed(0)} ms; fingerprint of the package: ${median(fpRuns).toFixed(1)} ms`);
console.log(`  machine load average: ${(await import("node:os")).loadavg()[0]!.toFixed(1)} on ${(await import("node:os")).cpus().length} cores (figures scale with it)`);
