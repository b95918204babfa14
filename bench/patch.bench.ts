/**
 * Time to patch the real ECS MCP server (awslabs.ecs-mcp-server 0.1.37 from PyPI) with the CLI, as a
 * ratio to a bare `node -e 0` on the same machine (median of several runs each), and peak memory.
 * Target: within 3x a bare Node start. Prints figures; asserts nothing.
 * The sdist is cached in .cache/servers/ (downloaded with pip on first use, never committed).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { PACKAGE_ROOT } from "../src/version.js";
import { testPython } from "../test/helpers/moto.js";

const DIST = "awslabs.ecs-mcp-server";
const VERSION = "0.1.37";
const SDIST = `awslabs_ecs_mcp_server-${VERSION}.tar.gz`;
const RUNS = Number(process.env.XACCOUNT_BENCH_RUNS ?? 7);
const BIN = path.join(PACKAGE_ROOT, "bin", "xaccount.js");
const CACHE = path.join(PACKAGE_ROOT, ".cache");

function findSdist(): string {
  const walk = (dir: string, depth: number): string | undefined => {
    if (!existsSync(dir) || depth < 0) return undefined;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isFile() && e.name === SDIST) return p;
      if (e.isDirectory()) {
        const hit = walk(p, depth - 1);
        if (hit) return hit;
      }
    }
    return undefined;
  };
  const cached = walk(CACHE, 3);
  if (cached) return cached;
  const dest = path.join(CACHE, "servers");
  mkdirSync(dest, { recursive: true });
  const r = spawnSync(testPython(), ["-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", "-d", dest, `${DIST}==${VERSION}`], {
    stdio: "inherit",
  });
  if (r.status !== 0 || !existsSync(path.join(dest, SDIST))) throw new Error(`could not download ${DIST}==${VERSION} with pip`);
  return path.join(dest, SDIST);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function timed(args: string[]): { ms: number; status: number | null } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) process.stderr.write(r.stderr);
  return { ms, status: r.status };
}

/** Peak resident memory (KiB) of the process tree, via GNU time when present, else Node's own figure. */
function peakKiB(args: string[]): number | undefined {
  if (existsSync("/usr/bin/time")) {
    const r = spawnSync("/usr/bin/time", ["-f", "XA_MAXRSS=%M", process.execPath, ...args], { encoding: "utf8" });
    const m = /XA_MAXRSS=(\d+)/.exec(r.stderr);
    if (m) return Number(m[1]);
  }
  const wrapper = `process.on("exit",()=>process.stderr.write("XA_MAXRSS="+process.resourceUsage().maxRSS+"\\n"));process.argv.splice(1,0,${JSON.stringify(BIN)});await import(${JSON.stringify(new URL(`file://${BIN}`).href)});`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", wrapper, ...args.slice(1)], { encoding: "utf8" });
  const m = /XA_MAXRSS=(\d+)/.exec(r.stderr);
  return m ? Number(m[1]) : undefined;
}

const work = mkdtempSync(path.join(os.tmpdir(), "xa-bench-"));
try {
  const sdist = findSdist();
  const src = path.join(work, "src");
  mkdirSync(src);
  const tar = spawnSync("tar", ["xzf", sdist, "-C", src]);
  if (tar.status !== 0) throw new Error(`tar failed on ${sdist}`);
  const tree = path.join(src, `awslabs_ecs_mcp_server-${VERSION}`);

  timed(["-e", "0"]); // warm the file cache
  const bare: number[] = [];
  const patch: number[] = [];
  const noop: number[] = [];
  const check: number[] = [];
  let tools = "";
  for (let i = 0; i < RUNS; i++) {
    bare.push(timed(["-e", "0"]).ms);
    const copy = path.join(work, `run${i}`);
    cpSync(tree, copy, { recursive: true });
    const p = timed([BIN, "patch", "ecs", copy]);
    if (p.status !== 0) throw new Error(`patch exited ${p.status}`);
    patch.push(p.ms);
    noop.push(timed([BIN, "patch", "ecs", copy]).ms);
    check.push(timed([BIN, "patch", "ecs", copy, "--check"]).ms);
    if (i === 0) {
      const j = spawnSync(process.execPath, [BIN, "patch", "ecs", copy, "--json"], { encoding: "utf8" });
      const parsed = JSON.parse(j.stdout) as { toolsPatched: unknown[]; toolsSkipped: unknown[] };
      tools = `${parsed.toolsPatched.length} tools patched, ${parsed.toolsSkipped.length} skipped`;
    }
    rmSync(copy, { recursive: true, force: true });
  }
  const copy = path.join(work, "mem");
  cpSync(tree, copy, { recursive: true });
  const rss = peakKiB([BIN, "patch", "ecs", copy]);
  const bareRss = peakKiB(["-e", "0"]);

  const b = median(bare);
  const fmt = (ms: number): string => `${ms.toFixed(0)} ms (${(ms / b).toFixed(2)}x node -e 0)`;
  console.log(`patch ${DIST} ${VERSION} (${tools}), median of ${RUNS} runs on ${os.cpus().length} CPU(s):`);
  console.log(`  node -e 0              ${b.toFixed(0)} ms`);
  console.log(`  patch (writes)         ${fmt(median(patch))}   target <= 3x`);
  console.log(`  patch again (no-op)    ${fmt(median(noop))}`);
  console.log(`  patch --check          ${fmt(median(check))}`);
  if (rss !== undefined) {
    console.log(`  peak memory (patch)    ${(rss / 1024).toFixed(0)} MiB` + (bareRss ? ` (node -e 0: ${(bareRss / 1024).toFixed(0)} MiB)` : ""));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
