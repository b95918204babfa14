/**
 * `xaccount test` over 1 and over 50 emulated accounts (moto with IAM enforced, on this machine), with the
 * default --concurrency (16) and with --concurrency 1 (one account after the other, as before), median of
 * XACCOUNT_BENCH_RUNS runs each (default 3) after a warm-up run, and the ratio 50/1 (issue 12's goal: under 5x, not 50x). Also the time `create-role` took to
 * make the 50 roles at --concurrency 16 (the setup). Prints figures; asserts nothing. The emulator answers in ~ms where
 * AWS takes ~100 ms per call, so real runs gain more from concurrency than these figures show.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { timedXaccount as run } from "../test/helpers/cli.js";
import { ADMIN, MOTO_DEFAULT_ACCOUNT, startMoto, type Identity } from "../test/helpers/moto.js";

const RUNS = Number(process.env.XACCOUNT_BENCH_RUNS ?? 3);
const MANY = 50;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timed(args: string[], env: Record<string, string>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await run(args, env));
  return median(times);
}

async function main(): Promise<void> {
  const moto = await startMoto();
  const work = mkdtempSync(path.join(os.tmpdir(), "xaccount-bench-org-"));
  try {
    const accounts = Array.from({ length: MANY }, (_, i) => String(100000000000 + i * 7919));
    const [host, ...admins] = (await moto.bootstrap([
      { account: MOTO_DEFAULT_ACCOUNT, name: "mcp-host", actions: ["sts:AssumeRole"] },
      ...accounts.map((account) => ({ account, name: "admin", actions: ADMIN })),
    ])) as [Identity, ...Identity[]];
    const credentials = path.join(work, "credentials");
    writeFileSync(credentials, admins.map((a) => `[a${a.account}]\naws_access_key_id = ${a.credentials.accessKeyId}\naws_secret_access_key = ${a.credentials.secretAccessKey}\n`).join("\n"));
    writeFileSync(path.join(work, "config"), "");
    const profileEnv = { ...moto.env, AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "", AWS_SHARED_CREDENTIALS_FILE: credentials, AWS_CONFIG_FILE: path.join(work, "config") };
    const profiles = admins.map((a) => `a${a.account}`);
    const made = await run(["create-role", "--trust-principal", host.arn, "--profile", profiles.join(","), "--concurrency", "16"], profileEnv);

    // Warm-up: the emulator loads each service's code on its first request, which no later run pays.
    await run(["test", "--accounts", accounts.join(","), "--json"], host.env);
    const one = await timed(["test", "--accounts", accounts[0]!, "--json"], host.env);
    const fifty = await timed(["test", "--accounts", accounts.join(","), "--json"], host.env);
    const fiftySeq = await timed(["test", "--accounts", accounts.join(","), "--json", "--concurrency", "1"], host.env);
    const bare = await timed(["--version"], {});

    console.log(`xaccount test, median of ${RUNS} runs, moto with IAM enforced (process start included; xaccount --version: ${bare.toFixed(0)} ms)`);
    console.log(`  1 account:                          ${one.toFixed(0)} ms`);
    console.log(`  ${MANY} accounts, --concurrency 16:       ${fifty.toFixed(0)} ms  (${(fifty / one).toFixed(1)}x one account; goal < 5x)`);
    console.log(`  ${MANY} accounts, --concurrency 1:        ${fiftySeq.toFixed(0)} ms  (${(fiftySeq / one).toFixed(1)}x one account)`);
    console.log(`create-role over ${MANY} profiles, --concurrency 16 (the roles made, once): ${made.toFixed(0)} ms`);
  } finally {
    await moto.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
