/**
 * `xaccount test` end to end against the emulator: the CLI runs as a child process, as a user runs it,
 * against a small FastMCP server shaped like the ECS server (fixtures/smoke-ecs), patched by
 * `xaccount patch` in a temporary folder. Two accounts each hold their own cluster, so a tool call
 * that ran in the wrong account shows up as the wrong cluster.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateClusterCommand, ECSClient } from "@aws-sdk/client-ecs";
import { PACKAGE_ROOT } from "../src/version.js";
import { startMoto, testPython, type Moto } from "./helpers/moto.js";

const BIN = path.join(PACKAGE_ROOT, "bin", "xaccount.js");
const FIXTURE = path.join(PACKAGE_ROOT, "fixtures", "smoke-ecs");
const A = "111111111111";
const B = "222222222222";

let moto: Moto;
let work: string;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function xaccount(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** Credentials in `account` (moto hands out keys for the account named in the role ARN). */
async function credentialsIn(account: string) {
  const sts = new STSClient({ region: "us-east-1" });
  const out = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/bootstrap`, RoleSessionName: "setup" }));
  sts.destroy();
  const c = out.Credentials!;
  return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken };
}

/** The role the runtime assumes, created in the account itself, and one cluster named after the account. */
async function setUpAccount(account: string): Promise<void> {
  const credentials = await credentialsIn(account);
  const iam = new IAMClient({ region: "us-east-1", credentials });
  await iam.send(
    new CreateRoleCommand({
      RoleName: "McpReadOnlyRole",
      AssumeRolePolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "sts:AssumeRole" }],
      }),
    }),
  );
  iam.destroy();
  const ecs = new ECSClient({ region: "us-east-1", credentials });
  await ecs.send(new CreateClusterCommand({ clusterName: `cluster-of-${account}` }));
  ecs.destroy();
}

function copyFixture(name: string): string {
  const dir = path.join(work, name);
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

before(async () => {
  moto = await startMoto();
  Object.assign(process.env, moto.env);
  work = mkdtempSync(path.join(os.tmpdir(), "xaccount-smoke-"));
  await setUpAccount(A);
  await setUpAccount(B);
});

after(async () => {
  await moto?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

interface JsonCheck {
  name: string;
  ok: boolean;
  skipped: boolean;
  durationMs: number;
  detail: string;
  fix: string | null;
}

test("a patched server passes every check across two accounts, each call answered by its own account", async () => {
  const server = copyFixture("patched");
  const patched = await xaccount(["patch", "ecs", server], moto.env);
  assert.equal(patched.status, 0, `patch failed:\n${patched.stdout}\n${patched.stderr}`);
  // The server's own .venv is found without --python, as for a checkout set up with `uv sync`.
  symlinkSync(path.dirname(path.dirname(testPython())), path.join(server, ".venv"));

  const run = await xaccount(["test", "--server", `ecs:${server}`, "--accounts", `${A},${B}`, "--json"], moto.env);
  assert.equal(run.status, 0, `expected exit 0:\n${run.stdout}\n${run.stderr}`);
  const report = JSON.parse(run.stdout) as { ok: boolean; accounts: string[]; checks: JsonCheck[] };
  assert.equal(report.ok, true);
  assert.deepEqual(report.accounts, [A, B]);
  for (const check of report.checks) {
    assert.equal(check.ok, true, `${check.name}: ${check.detail}`);
    assert.equal(typeof check.durationMs, "number");
    assert.equal(check.fix, null);
  }
  const names = report.checks.map((c) => c.name);
  // 1 identity + 2 assume + 2x2 read-only + patched + starts + schema + 2 calls
  assert.equal(report.checks.length, 12, names.join("\n"));
  assert.ok(names.some((n) => n.startsWith("source identity")));
  for (const account of [A, B]) {
    const other = account === A ? B : A;
    assert.ok(names.includes(`assume arn:aws:iam::${account}:role/McpReadOnlyRole`));
    assert.ok(names.includes(`ecs:ListClusters in ${account} us-east-1`));
    assert.ok(names.includes(`cloudformation:ListStacks in ${account} us-east-1`));
    const call = report.checks.find((c) => c.name === `ecs_resource_management answers from ${account}`);
    assert.ok(call, `no call check for ${account}`);
    assert.match(call.detail, new RegExp(`cluster-of-${account}`));
    assert.doesNotMatch(call.detail, new RegExp(`cluster-of-${other}`));
  }
  const start = report.checks.find((c) => c.name.startsWith("server starts"));
  assert.match(start!.detail, /\.venv/);
});

test("an unpatched server fails check 4 with exit 1 and says how to fix it", async () => {
  const server = copyFixture("unpatched");
  const run = await xaccount(["test", "--server", `ecs:${server}`, "--accounts", `${A},${B}`, "--python", testPython()], moto.env);
  assert.equal(run.status, 1, `expected exit 1:\n${run.stdout}\n${run.stderr}`);
  // Checks 1-3 still pass: the failure is the server's alone.
  assert.match(run.stdout, /^PASS source identity/m);
  assert.match(run.stdout, new RegExp(`^PASS ecs:ListClusters in ${B} us-east-1`, "m"));
  assert.match(run.stdout, /^FAIL ecs server at .* is fully patched/m);
  assert.match(run.stdout, /^FAIL every tool's input schema has account_id/m);
  assert.match(run.stdout, /lack account_id: .*ecs_resource_management/);
  // The unpatched tool ignores account_id: the call meant for A or B answers from the default account.
  assert.match(run.stdout, /^FAIL ecs_resource_management answers from /m);
  assert.match(run.stdout, /fix: run `xaccount patch ecs /);
  assert.match(run.stderr, /error\[smoke-test-failed\]/);
});

test("a malformed account id exits 2 before any AWS call", async () => {
  // An endpoint nobody listens on: any AWS call would fail as a check (exit 1), not as bad input.
  const env = { ...moto.env, AWS_ENDPOINT_URL: "http://127.0.0.1:9" };
  for (const bad of ["12345", "1111111111112", "11111111111a", "１１１１１１１１１１１１"]) {
    const run = await xaccount(["test", "--accounts", `${A},${bad}`], env);
    assert.equal(run.status, 2, `${bad}: ${run.stderr}`);
    assert.match(run.stderr, /error\[account-id-invalid\]/);
    assert.equal(run.stdout, "", "no check ran");
  }
});

test("a bad --server spec exits 2", async () => {
  const env = { ...moto.env, AWS_ENDPOINT_URL: "http://127.0.0.1:9" };
  const noKind = await xaccount(["test", "--server", FIXTURE], env);
  assert.equal(noKind.status, 2);
  assert.match(noKind.stderr, /error\[server-spec-invalid\]/);
  const missing = await xaccount(["test", "--server", `ecs:${path.join(work, "nowhere")}`], env);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /error\[server-spec-invalid\]/);
});

test("--json without --server carries every check, and failures carry their fix", async () => {
  // Account checks only; an unreachable region endpoint is not needed: a wrong endpoint fails identity.
  const ok = await xaccount(["test", "--json"], moto.env);
  assert.equal(ok.status, 0, ok.stderr);
  assert.doesNotMatch(ok.stderr, /NodeVersionSupportWarning/, "the SDK's Node-version warning is not the user's concern");
  const report = JSON.parse(ok.stdout) as { ok: boolean; accounts: string[]; checks: JsonCheck[] };
  assert.deepEqual(report.accounts, ["123456789012"], "defaults to the caller's account");
  assert.deepEqual(
    report.checks.map((c) => c.name),
    [
      "source identity (sts:GetCallerIdentity)",
      "assume arn:aws:iam::123456789012:role/McpReadOnlyRole",
      "ecs:ListClusters in 123456789012 us-east-1",
      "cloudformation:ListStacks in 123456789012 us-east-1",
    ],
  );

  const down = await xaccount(["test", "--json", "--accounts", A], { ...moto.env, AWS_ENDPOINT_URL: "http://127.0.0.1:9" });
  assert.equal(down.status, 1);
  const failed = JSON.parse(down.stdout) as { ok: boolean; checks: JsonCheck[] };
  assert.equal(failed.ok, false);
  assert.equal(failed.checks[0]!.ok, false);
  assert.match(failed.checks[0]!.detail, /could not reach AWS/);
  assert.match(failed.checks[0]!.fix ?? "", /AWS_ENDPOINT_URL/);
});
