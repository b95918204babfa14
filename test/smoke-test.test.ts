/**
 * `xaccount test` end to end against the emulator with IAM enforced: the CLI runs as a child process, as a
 * user runs it, against a small FastMCP server shaped like the ECS server (fixtures/smoke-ecs), patched by
 * `xaccount patch` in a temporary folder. Each account's role is made by `xaccount create-role` run as
 * that account's administrator, trusting the MCP host; `xaccount test` and the server run as the host, a
 * user allowed sts:AssumeRole and nothing else. Two accounts each hold their own cluster, so a tool call
 * that ran in the wrong account shows up as the wrong cluster.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CreateClusterCommand, ECSClient } from "@aws-sdk/client-ecs";
import { PACKAGE_ROOT } from "../src/version.js";
import { ADMIN, MOTO_DEFAULT_ACCOUNT, startMoto, testPython, type Identity, type Moto } from "./helpers/moto.js";
import { xaccount } from "./helpers/cli.js";

const FIXTURE = path.join(PACKAGE_ROOT, "fixtures", "smoke-ecs");
const A = "111111111111";
const B = "222222222222";
/** Has the role (made with --server iac only) and no cluster. */
const C = "333333333333";
/** The MCP host's account: moto's default. */
const HOME = MOTO_DEFAULT_ACCOUNT;

let moto: Moto;
let work: string;
/** The MCP host: may call sts:AssumeRole, nothing else. */
let host: Identity;
/** Administrators of each account, by account id. */
const admins = new Map<string, Identity>();

/** The role, made by `xaccount create-role` as the account's administrator, trusting the MCP host. */
async function createRole(account: string, ...extra: string[]): Promise<void> {
  const r = await xaccount(["create-role", "--trust-principal", host.arn, ...extra], admins.get(account)!.env);
  assert.equal(r.status, 0, `create-role in ${account}:\n${r.stdout}\n${r.stderr}`);
}

async function createCluster(account: string, name = `cluster-of-${account}`): Promise<void> {
  const ecs = new ECSClient({ region: "us-east-1", endpoint: moto.endpoint, credentials: admins.get(account)!.credentials });
  await ecs.send(new CreateClusterCommand({ clusterName: name }));
  ecs.destroy();
}

function copyFixture(name: string): string {
  const dir = path.join(work, name);
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

before(async () => {
  moto = await startMoto();
  work = mkdtempSync(path.join(os.tmpdir(), "xaccount-smoke-"));
  const made = await moto.bootstrap([
    { account: HOME, name: "mcp-host", actions: ["sts:AssumeRole"] },
    ...[HOME, A, B, C].map((account) => ({ account, name: "admin", actions: ADMIN })),
  ]);
  host = made[0]!;
  for (const id of made.slice(1)) admins.set(id.account, id);
  for (const account of [HOME, A, B]) await createRole(account);
  // A role from the IaC set alone must still pass every read `xaccount test` makes.
  await createRole(C, "--server", "iac");
  await createCluster(A);
  await createCluster(B);
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
  const patched = await xaccount(["patch", "ecs", server], host.env);
  assert.equal(patched.status, 0, `patch failed:\n${patched.stdout}\n${patched.stderr}`);
  // The server's own .venv is found without --python, as for a checkout set up with `uv sync`.
  symlinkSync(path.dirname(path.dirname(testPython())), path.join(server, ".venv"));

  const run = await xaccount(["test", "--server", `ecs:${server}`, "--accounts", `${A},${B}`, "--json"], host.env);
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
  const run = await xaccount(["test", "--server", `ecs:${server}`, "--accounts", `${A},${B}`, "--python", testPython()], host.env);
  assert.equal(run.status, 1, `expected exit 1:\n${run.stdout}\n${run.stderr}`);
  // Checks 1-3 still pass: the failure is the server's alone.
  assert.match(run.stdout, /^PASS source identity/m);
  assert.match(run.stdout, new RegExp(`^PASS ecs:ListClusters in ${B} us-east-1`, "m"));
  assert.match(run.stdout, /^FAIL ecs server at .* is fully patched/m);
  assert.match(run.stdout, /^FAIL every tool's input schema has account_id/m);
  assert.match(run.stdout, /lack account_id: .*ecs_resource_management/);
  // The unpatched tool ignores account_id: the call meant for A or B runs as the host, which may not list clusters.
  assert.match(run.stdout, /^FAIL ecs_resource_management answers from /m);
  assert.match(run.stdout, /fix: run `xaccount patch ecs /);
  assert.match(run.stderr, /error\[smoke-test-failed\]/);
});

test("a malformed account id exits 2 before any AWS call", async () => {
  // An endpoint nobody listens on: any AWS call would fail as a check (exit 1), not as bad input.
  const env = { ...host.env, AWS_ENDPOINT_URL: "http://127.0.0.1:9" };
  for (const bad of ["12345", "1111111111112", "11111111111a", "１１１１１１１１１１１１"]) {
    const run = await xaccount(["test", "--accounts", `${A},${bad}`], env);
    assert.equal(run.status, 2, `${bad}: ${run.stderr}`);
    assert.match(run.stderr, /error\[account-id-invalid\]/);
    assert.equal(run.stdout, "", "no check ran");
  }
});

test("a bad --server spec exits 2", async () => {
  const env = { ...host.env, AWS_ENDPOINT_URL: "http://127.0.0.1:9" };
  const noKind = await xaccount(["test", "--server", FIXTURE], env);
  assert.equal(noKind.status, 2);
  assert.match(noKind.stderr, /error\[server-spec-invalid\]/);
  const missing = await xaccount(["test", "--server", `ecs:${path.join(work, "nowhere")}`], env);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /error\[server-spec-invalid\]/);
});

test("--json without --server carries every check, and failures carry their fix", async () => {
  // Account checks only; an unreachable region endpoint is not needed: a wrong endpoint fails identity.
  const ok = await xaccount(["test", "--json"], host.env);
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

  const down = await xaccount(["test", "--json", "--accounts", A], { ...host.env, AWS_ENDPOINT_URL: "http://127.0.0.1:9" });
  assert.equal(down.status, 1);
  const failed = JSON.parse(down.stdout) as { ok: boolean; checks: JsonCheck[] };
  assert.equal(failed.ok, false);
  assert.equal(failed.checks[0]!.ok, false);
  assert.match(failed.checks[0]!.detail, /could not reach AWS/);
  assert.match(failed.checks[0]!.fix ?? "", /AWS_ENDPOINT_URL/);
});

/** Patches a copy of the fixture; `.venv` lets `test` find the Python without --python. */
async function patchedCopy(name: string): Promise<string> {
  const server = copyFixture(name);
  const patched = await xaccount(["patch", "ecs", server], host.env);
  assert.equal(patched.status, 0, `patch failed:\n${patched.stdout}\n${patched.stderr}`);
  symlinkSync(path.dirname(path.dirname(testPython())), path.join(server, ".venv"));
  return server;
}

test("a server that answers from the wrong account fails 'answers from', even with as many clusters there", async () => {
  // The host's own account holds exactly one cluster, like A: comparing only the number of clusters, or
  // not comparing accounts at all, would pass this server.
  await createCluster(HOME, "cluster-of-home");
  const [reader] = await moto.bootstrap([{ account: HOME, name: "mcp-host-reader", actions: ["sts:AssumeRole", "ecs:ListClusters"] }]);
  const server = await patchedCopy("wrong-account");
  // The runtime's activation does nothing: every call runs with the server's own credentials. The vendored
  // file stays untouched (`test` refuses a tampered runtime before it starts the server): the server's
  // Python loads a sitecustomize that disables the activation at start-up instead.
  const runtime = path.join(server, "awslabs", "ecs_mcp_server", "_xaccount.py");
  assert.ok(existsSync(runtime) && /^def _activation_for\(/m.test(readFileSync(runtime, "utf8")), "the vendored runtime still has _activation_for");
  const breaker = mkdtempSync(path.join(os.tmpdir(), "xaccount-breaker-"));
  writeFileSync(
    path.join(breaker, "sitecustomize.py"),
    "import awslabs.ecs_mcp_server._xaccount as runtime\n" +
      "runtime._activation_for = lambda account_id, region, sts_region=None: None  # broken on purpose\n",
  );
  try {
    await createRole(HOME, "--trust-principal", reader!.arn);
    const run = await xaccount(["test", "--server", `ecs:${server}`, "--accounts", A, "--json"], { ...reader!.env, PYTHONPATH: breaker });
    assert.equal(run.status, 1, `expected exit 1:\n${run.stdout}\n${run.stderr}`);
    const report = JSON.parse(run.stdout) as { checks: JsonCheck[] };
    const call = report.checks.find((c) => c.name === `ecs_resource_management answers from ${A}`)!;
    assert.equal(call.ok, false, call.detail);
    assert.equal(call.skipped, false);
    assert.match(call.detail, /answered from another account: arn:aws:ecs:us-east-1:123456789012:cluster\/cluster-of-home/);
    // Everything before it passed: the failure is the answer's account alone.
    for (const c of report.checks.filter((c) => c !== call)) assert.equal(c.ok, true, `${c.name}: ${c.detail}`);
  } finally {
    rmSync(breaker, { recursive: true, force: true });
    await createRole(HOME);
    const { ECSClient: Ecs, DeleteClusterCommand } = await import("@aws-sdk/client-ecs");
    const ecs = new Ecs({ region: "us-east-1", endpoint: moto.endpoint, credentials: admins.get(HOME)!.credentials });
    await ecs.send(new DeleteClusterCommand({ cluster: "cluster-of-home" }));
    ecs.destroy();
  }
});

test("a call that proves nothing (no cluster in the account) is SKIP with its reason, counted apart, never PASS", async () => {
  const server = await patchedCopy("skip");
  const run = await xaccount(["test", "--server", `ecs:${server}`, "--accounts", `${A},${C}`], host.env);
  assert.equal(run.status, 0, `a SKIP is not a failure:\n${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, new RegExp(`^SKIP ecs_resource_management answers from ${C} `, "m"));
  assert.match(run.stdout, /the tool listed 0 clusters, .*nothing tells which account answered/);
  assert.match(run.stdout, new RegExp(`to prove it: create a cluster in ${C} us-east-1`));
  assert.match(run.stdout, new RegExp(`^PASS ecs_resource_management answers from ${A} `, "m"));
  assert.match(run.stdout, /no check failed, but 1 proved nothing: see SKIP above \(11 passed, 0 failed, 1 skipped in /);
  const json = JSON.parse((await xaccount(["test", "--server", `ecs:${server}`, "--accounts", C, "--json"], host.env)).stdout) as { ok: boolean; skipped: number; passed: number; checks: JsonCheck[] };
  assert.equal(json.ok, true);
  assert.equal(json.skipped, 1);
  assert.equal(json.checks.filter((c) => c.skipped).length, 1);
});

test("a role made with --server iac alone passes the reads `xaccount test` makes (ecs:ListClusters, cloudformation:ListStacks)", async () => {
  const run = await xaccount(["test", "--accounts", C, "--json"], host.env);
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  const report = JSON.parse(run.stdout) as { checks: JsonCheck[] };
  assert.deepEqual(report.checks.map((c) => [c.name, c.ok]), [
    ["source identity (sts:GetCallerIdentity)", true],
    [`assume arn:aws:iam::${C}:role/McpReadOnlyRole`, true],
    [`ecs:ListClusters in ${C} us-east-1`, true],
    [`cloudformation:ListStacks in ${C} us-east-1`, true],
  ]);
});

test("--profile: the checks and the server run as that profile, not as the environment's keys", async () => {
  const server = await patchedCopy("profile");
  const dir = mkdtempSync(path.join(work, "profile-"));
  const files = { AWS_SHARED_CREDENTIALS_FILE: path.join(dir, "credentials"), AWS_CONFIG_FILE: path.join(dir, "config") };
  writeFileSync(files.AWS_SHARED_CREDENTIALS_FILE, `[mcp-host]\naws_access_key_id = ${host.credentials.accessKeyId}\naws_secret_access_key = ${host.credentials.secretAccessKey}\n`);
  writeFileSync(files.AWS_CONFIG_FILE, "[profile mcp-host]\nregion = us-east-1\n");
  // The environment's keys are an administrator's of A: with --profile they must not be used anywhere.
  const env = { ...admins.get(A)!.env, ...files };
  const run = await xaccount(["test", "--profile", "mcp-host", "--server", `ecs:${server}`, "--accounts", `${A},${B}`, "--json"], env);
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  const report = JSON.parse(run.stdout) as { checks: JsonCheck[] };
  assert.match(report.checks[0]!.detail, new RegExp(`^${host.arn} in account ${HOME}`));
  assert.ok(report.checks.every((c) => c.ok), run.stdout);
  const missing = await xaccount(["test", "--profile", "nobody", "--accounts", A], env);
  assert.equal(missing.status, 1);
  assert.match(missing.stdout, /^FAIL source identity/m);
});
