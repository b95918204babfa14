/**
 * `create-role` over 20 profiles (20 emulated accounts, moto with IAM enforced), one account after the other
 * (--concurrency 1) and at the default --concurrency (16): making the roles (each run starts from no role:
 * they are deleted between runs, untimed) and a rerun that finds them up to date. Median of
 * XACCOUNT_BENCH_RUNS runs each (default 3) after a warm-up. The profiles are in an AWS config file in a
 * temporary directory, as a user's would be. Prints figures; asserts nothing. The emulator answers in ~ms
 * where IAM takes ~100 ms per call, so against AWS concurrency gains more than these figures show.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { timedXaccount as run } from "../test/helpers/cli.js";
import { ADMIN, MOTO_DEFAULT_ACCOUNT, startMoto, type Identity } from "../test/helpers/moto.js";

const RUNS = Number(process.env.XACCOUNT_BENCH_RUNS ?? 3);
const PROFILES = 20;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const moto = await startMoto();
  const work = mkdtempSync(path.join(os.tmpdir(), "xaccount-bench-create-role-"));
  try {
    const accounts = Array.from({ length: PROFILES }, (_, i) => String(200000000000 + i * 7919));
    const [host, ...admins] = (await moto.bootstrap([
      { account: MOTO_DEFAULT_ACCOUNT, name: "mcp-host", actions: ["sts:AssumeRole"] },
      ...accounts.map((account) => ({ account, name: "admin", actions: ADMIN })),
    ])) as [Identity, ...Identity[]];
    const config = path.join(work, "config");
    writeFileSync(config, admins.map((a, i) => `[profile p${i + 1}]\naws_access_key_id = ${a.credentials.accessKeyId}\naws_secret_access_key = ${a.credentials.secretAccessKey}\nregion = us-east-1\n`).join("\n"));
    const env = { ...moto.env, AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "", AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: path.join(work, "none") };
    const profiles = admins.map((_, i) => `p${i + 1}`).join(",");
    const make = (concurrency: number): string[] => ["create-role", "--trust-principal", host.arn, "--profile", profiles, "--concurrency", String(concurrency)];
    const remove = (): Promise<number> => run(["create-role", "--delete", "--profile", profiles, "--concurrency", "16"], env);

    // Warm-up: the emulator loads each service's code on its first request, which no later run pays.
    await run(make(16), env);
    await remove();
    const figures = new Map<string, number>();
    for (const concurrency of [1, 16]) {
      const created: number[] = [];
      const rerun: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        created.push(await run(make(concurrency), env));
        rerun.push(await run(make(concurrency), env));
        await remove();
      }
      figures.set(`create ${concurrency}`, median(created));
      figures.set(`rerun ${concurrency}`, median(rerun));
    }
    const f = (k: string): number => figures.get(k)!;
    console.log(`xaccount create-role over ${PROFILES} profiles, median of ${RUNS} runs, moto with IAM enforced (process start included)`);
    console.log(`  make the roles, --concurrency 1 (sequential): ${f("create 1").toFixed(0)} ms`);
    console.log(`  make the roles, --concurrency 16:             ${f("create 16").toFixed(0)} ms  (${(f("create 1") / f("create 16")).toFixed(1)}x faster)`);
    console.log(`  rerun, up to date, --concurrency 1:           ${f("rerun 1").toFixed(0)} ms`);
    console.log(`  rerun, up to date, --concurrency 16:          ${f("rerun 16").toFixed(0)} ms  (${(f("rerun 1") / f("rerun 16")).toFixed(1)}x faster)`);
  } finally {
    await moto.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
