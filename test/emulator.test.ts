/**
 * The emulator rig itself (src/emulator.ts): it must keep answering while the test process is blocked,
 * e.g. in a spawnSync of the CLI. moto logs a line per request; a log pipe that only this process's event
 * loop drains fills after a few hundred requests and freezes moto until the blocked call times out.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
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
