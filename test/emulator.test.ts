/**
 * The emulator rig itself (src/emulator.ts): it must keep answering while the test process is blocked,
 * e.g. in a spawnSync of the CLI. moto logs a line per request; a log pipe that only this process's event
 * loop drains fills after a few hundred requests and freezes moto until the blocked call times out.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { startMoto, testPython } from "./helpers/moto.js";

test("moto keeps answering while this process is blocked in spawnSync (its log does not fill a pipe)", async () => {
  const moto = await startMoto({ permissive: "counts plain GetCallerIdentity requests of dummy keys; IAM is not what is tested" });
  try {
    // 1,500 requests write far more than a 64 KiB pipe holds; each of moto's log lines is ~100 bytes.
    const script = [
      "import boto3",
      "sts = boto3.client('sts', region_name='us-east-1')",
      "for _ in range(1500): sts.get_caller_identity()",
      "print('done')",
    ].join("\n");
    const run = spawnSync(testPython(), ["-c", script], {
      env: { ...process.env, ...moto.env },
      encoding: "utf8",
      timeout: 120_000,
    });
    assert.equal(run.signal, null, `the requests hung until the timeout: moto froze\n${run.stderr}`);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), "done");
  } finally {
    await moto.stop();
  }
});

test("a moto server dies with the process that started it, even one killed with SIGKILL (no orphan holds its port)", async () => {
  // The parent: a Node process that starts moto through src/emulator.ts, prints its endpoint and waits.
  const emulator = new URL("../src/emulator.js", import.meta.url).href;
  const script = `const { startMoto } = await import(${JSON.stringify(emulator)});
const moto = await startMoto(${JSON.stringify(testPython())});
console.log(moto.endpoint);
setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let out = "";
    parent.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("\n")) resolve(out.trim());
    });
    parent.once("exit", (code) => reject(new Error(`the parent exited (${code}) before moto answered`)));
  });
  const answers = async (): Promise<boolean> => {
    try {
      return (await fetch(`${endpoint}/moto-api/`)).ok;
    } catch {
      return false;
    }
  };
  assert.equal(await answers(), true, "moto answers while its parent lives");
  parent.kill("SIGKILL");
  const deadline = Date.now() + 20_000;
  while ((await answers()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  assert.equal(await answers(), false, `moto at ${endpoint} still answers after its parent was killed`);
});
