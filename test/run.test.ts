/**
 * `xaccount run` end to end, as an MCP client would start it: against a package index on loopback
 * (a fake awslabs.ecs-mcp-server built from fixtures/smoke-ecs, its dependencies from a wheelhouse), a
 * private cache, and the emulator for the two accounts. No request reaches real PyPI.
 *
 * Cost: two real installs (~20-30 s each on 2 cores), everything else reuses them. ~1.5 min in all.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from "node:fs";
import { createHash } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CreateClusterCommand, ECSClient } from "@aws-sdk/client-ecs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ADMIN, MOTO_DEFAULT_ACCOUNT, startMoto, type Identity, type Moto } from "./helpers/moto.js";
import { BIN, xaccount } from "./helpers/cli.js";
import { PACKAGE_ROOT } from "../src/version.js";
import { moduleLog } from "./helpers/module-log.js";
import { buildFakeServer, buildGenericServer, deadIndexUrl, ensureWheelhouse, newCacheHome, runEnv, serveIndex, type TestIndex } from "./helpers/run-index.js";

const A = "111111111111";
const B = "222222222222";
const OUTSIDE = "333333333333";
const DIST = "awslabs.ecs-mcp-server";
const INIT = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "t", version: "1" } } });

let moto: Moto;
let host: Identity;
let index: TestIndex;
let dead: string;
let cacheHome: string;
let binDir: string;
const temps: string[] = [];

before(async () => {
  moto = await startMoto();
  const made = await moto.bootstrap([
    { account: MOTO_DEFAULT_ACCOUNT, name: "mcp-host", actions: ["sts:AssumeRole"] },
    ...[A, B].map((account) => ({ account, name: "admin", actions: ADMIN })),
  ]);
  host = made[0]!;
  for (const admin of made.slice(1)) {
    const r = await xaccount(["create-role", "--trust-principal", host.arn], admin.env);
    assert.equal(r.status, 0, r.stderr);
    const ecs = new ECSClient({ region: "us-east-1", endpoint: moto.endpoint, credentials: admin.credentials });
    await ecs.send(new CreateClusterCommand({ clusterName: `cluster-of-${admin.account}` }));
    ecs.destroy();
  }
  const wheels = buildFakeServer(["0.0.1", "0.0.2"]);
  // Two servers no profile file knows: one calling boto3, one making no AWS call.
  const generic = buildGenericServer("fake", ["0.0.3"], { aws: true });
  const noAws = buildGenericServer("noaws", ["0.0.4"], { aws: false });
  // Calls boto3 but does not install it: its virtualenv lacks botocore, which the runtime imports.
  const noDeps = buildGenericServer("nodeps", ["0.0.5"], { aws: true, declaresBoto3: false });
  temps.push(wheels, generic, noAws, noDeps);
  index = await serveIndex([ensureWheelhouse(), wheels, generic, noAws, noDeps]);
  dead = await deadIndexUrl();
  cacheHome = newCacheHome();
  temps.push(cacheHome);
  // `xaccount` on PATH, as a global install puts it: the client config's command is just "xaccount".
  binDir = mkdtempSync(path.join(os.tmpdir(), "xaccount-bin-"));
  temps.push(binDir);
  symlinkSync(BIN, path.join(binDir, "xaccount"));
});

after(async () => {
  await index?.close();
  await moto?.stop();
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

function clientEnv(indexUrl: string, home = cacheHome, extra: Record<string, string> = {}): Record<string, string> {
  return { ...(process.env as Record<string, string>), ...host.env, ...runEnv(indexUrl, home), PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ""}`, ...extra };
}

/** An MCP client whose server entry is { command: "xaccount", args: ["run", ...] } (xaccount on PATH). */
function connect(args: string[], env: Record<string, string>): Promise<{ client: Client; stderr: () => string }> {
  return connectEntry({ command: "xaccount", args }, env);
}

interface ServerEntry {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/**
 * The entry `xaccount config <client> <server> --print` prints, read as the client reads its config:
 * `command` is the xaccount on PATH (as a global install puts it), `args` and `env` as printed.
 */
async function printedEntry(server: string, env: Record<string, string>): Promise<ServerEntry> {
  const r = await xaccount(["config", "claude-desktop", server, "--print", "--accounts", `prod=${A},dev=${B}`, "--region", "us-east-1", "--command", path.join(binDir, "xaccount")], env);
  assert.equal(r.status, 0, r.stderr);
  const entries = Object.values((JSON.parse(r.stdout) as { mcpServers: Record<string, ServerEntry> }).mcpServers);
  assert.equal(entries.length, 1, r.stdout);
  return entries[0]!;
}

/** An MCP client started from a config entry: its own environment, plus the entry's env block. */
async function connectEntry(entry: ServerEntry, clientEnvironment: Record<string, string>): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({ command: entry.command, args: entry.args, env: { ...clientEnvironment, ...entry.env }, stderr: "pipe" });
  let stderr = "";
  transport.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: "xaccount-run-test", version: "1" });
  try {
    await client.connect(transport, { timeout: 240_000 });
  } catch (err) {
    throw new Error(`connect failed: ${String(err)}\nstderr:\n${stderr}`, { cause: err });
  }
  return { client, stderr: () => stderr };
}

function text(result: unknown): string {
  const r = result as { content?: Array<{ type: string; text?: string }> };
  return (r.content ?? []).map((c) => c.text ?? "").join("\n");
}

interface RawRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * `xaccount run` with pipes: sends `initialize`, waits for one line of answer (or the exit), then
 * does `then` (default: close stdin, which ends the server).
 */
function rawRun(args: string[], env: Record<string, string>, then?: (pid: number) => void): Promise<RawRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let stderr = "";
    let answered = false;
    child.stdout.on("data", (d: Buffer) => {
      out.push(d);
      if (!answered && Buffer.concat(out).includes("\n")) {
        answered = true;
        if (then) then(child.pid!);
        else child.stdin.end();
      }
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdin.on("error", () => undefined);
    child.stdin.write(`${INIT}\n`);
    child.on("error", reject);
    child.on("close", (status, signal) => resolve({ status, signal, stdout: Buffer.concat(out), stderr }));
  });
}

function fileDownloads(version: string): number {
  return index.requests.filter((r) => r.startsWith(`GET /files/awslabs_ecs_mcp_server-${version}-`)).length;
}

test("two MCP clients configured exactly as `xaccount config --print` says start `xaccount run ecs@0.0.2` at once: one install, account_id in the schema, answers from two accounts", async () => {
  // Issue 11 §5: nothing hand-written; the client's command, args and env are the printed entry's.
  const entry = await printedEntry("ecs@0.0.2", clientEnv(index.url));
  const [one, two] = await Promise.all([connectEntry(entry, clientEnv(index.url)), connectEntry(entry, clientEnv(index.url))]);
  try {
    assert.equal(fileDownloads("0.0.2"), 1, `one install for both clients; index saw:\n${index.requests.join("\n")}`);
    assert.match(one.stderr() + two.stderr(), /waiting for another xaccount installing awslabs\.ecs-mcp-server 0\.0\.2/);
    for (const { client } of [one, two]) {
      const { tools } = await client.listTools();
      const tool = tools.find((t) => t.name === "ecs_resource_management");
      assert.ok(tool, tools.map((t) => t.name).join(", "));
      assert.ok(tool.inputSchema.properties && "account_id" in tool.inputSchema.properties, JSON.stringify(tool.inputSchema));
    }
    for (const [account, other] of [[A, B], [B, A]] as const) {
      const r = await one.client.callTool({ name: "ecs_resource_management", arguments: { api_operation: "ListClusters", account_id: account } });
      assert.match(text(r), new RegExp(`cluster-of-${account}`), text(r));
      assert.doesNotMatch(text(r), new RegExp(`cluster-of-${other}`));
    }
    // --accounts is the allowlist: any other account is refused before an AssumeRole.
    const refused = await two.client.callTool({ name: "ecs_resource_management", arguments: { api_operation: "ListClusters", account_id: OUTSIDE } });
    assert.match(text(refused), /\[xaccount:account-not-allowed\]/);
  } finally {
    await Promise.all([one.client.close(), two.client.close()]);
  }
  const versions = readdirSync(path.join(cacheHome, "xaccount", "servers", DIST));
  assert.deepEqual(versions.filter((n) => !n.startsWith(".")), ["0.0.2"], "one version folder and no temp folder left");
  assert.deepEqual(versions.filter((n) => n.startsWith(".tmp-")), []);
});

test("with the index unreachable, a cached pinned version starts with no note, and @latest falls back to the newest cached release", async () => {
  const pinned = await rawRun(["run", "ecs@0.0.2"], clientEnv(dead));
  assert.equal(pinned.status, 0, pinned.stderr);
  assert.equal(pinned.stderr, "", "a cached pinned version says nothing and asks nothing");
  const latest = await rawRun(["run", "ecs@latest"], clientEnv(dead));
  assert.equal(latest.status, 0, latest.stderr);
  assert.match(latest.stderr, /index .* is unreachable .*starting the newest cached release, awslabs\.ecs-mcp-server 0\.0\.2/);
  // stdout carries the protocol alone: every line is a JSON-RPC message, the first the initialize answer.
  for (const r of [pinned, latest]) {
    const lines = r.stdout.toString("utf8").split("\n").filter(Boolean);
    assert.ok(lines.length >= 1);
    for (const line of lines) assert.equal((JSON.parse(line) as { jsonrpc: string }).jsonrpc, "2.0", line);
    assert.equal((JSON.parse(lines[0]!) as { id: number }).id, 1);
  }
});

test("the server's exit code is ours, and a signal we get reaches the server", async () => {
  const exited = await rawRun(["run", "ecs@0.0.2"], clientEnv(dead, cacheHome, { FAKE_SERVER_EXIT: "3" }));
  assert.equal(exited.status, 3, exited.stderr);
  assert.equal(exited.stdout.length, 0);
  const killed = await rawRun(["run", "ecs@0.0.2"], clientEnv(dead), (pid) => process.kill(pid, "SIGTERM"));
  // The server died of the forwarded SIGTERM (or exited on it): either way not our 0 and not a hang.
  assert.ok(killed.status === 143 || killed.status === 0 || killed.signal === "SIGTERM", `status ${killed.status} signal ${killed.signal}\n${killed.stderr}`);
  assert.notEqual(killed.status, 0, "the server should not exit cleanly on SIGTERM here");
});

test("a killed install leaves no version folder; the next start removes its temp folder and installs", async () => {
  const home = newCacheHome();
  temps.push(home);
  const distDir = path.join(home, "xaccount", "servers", DIST);
  const child = spawn(process.execPath, [BIN, "run", "ecs@0.0.1"], { env: clientEnv(index.url, home), stdio: ["pipe", "ignore", "ignore"], detached: true });
  // Kill it (and its installer) once pip is at work in the temp folder.
  const deadline = Date.now() + 120_000;
  let tmp: string | undefined;
  while (Date.now() < deadline) {
    tmp = existsSync(distDir) ? readdirSync(distDir).find((n) => n.startsWith(".tmp-0.0.1-")) : undefined;
    if (tmp && existsSync(path.join(distDir, tmp, "venv", "bin", "python"))) break;
    await sleep(100);
  }
  assert.ok(tmp, "the install never started");
  process.kill(-child.pid!, "SIGKILL");
  await new Promise((r) => child.on("close", r));
  await sleep(300);
  assert.ok(!existsSync(path.join(distDir, "0.0.1")), "no version folder after a killed install");
  const listed = await xaccount(["run", "--list"], clientEnv(index.url, home));
  assert.match(listed.stdout, /No servers cached/);

  const again = await rawRun(["run", "ecs@0.0.1"], clientEnv(index.url, home));
  assert.equal(again.status, 0, again.stderr);
  assert.equal((JSON.parse(again.stdout.toString().split("\n")[0]!) as { id: number }).id, 1);
  assert.deepEqual(readdirSync(distDir).filter((n) => n.startsWith(".tmp-")), [], "the killed install's temp folder is gone");
  assert.ok(existsSync(path.join(distDir, "0.0.1", "xaccount-run.json")));
});

test("--list shows the cached versions and --prune keeps the newest", async () => {
  const distDir = path.join(cacheHome, "xaccount", "servers", DIST);
  // An older release beside 0.0.2 (a record is what makes a folder a cached version).
  mkdirSync(path.join(distDir, "0.0.1b1"));
  writeFileSync(path.join(distDir, "0.0.1b1", "xaccount-run.json"), readFileSync(path.join(distDir, "0.0.2", "xaccount-run.json")));
  const listed = await xaccount(["run", "--list"], clientEnv(dead));
  assert.equal(listed.status, 0, listed.stderr);
  assert.match(listed.stdout, /awslabs\.ecs-mcp-server\t0\.0\.2\tpython python3\.11, pip, patched by xaccount [^\n]*\n {2}awslabs\.ecs-mcp-server\t0\.0\.1b1\t/);
  const pruned = await xaccount(["run", "--prune"], clientEnv(dead));
  assert.equal(pruned.status, 0, pruned.stderr);
  assert.match(pruned.stdout, /removed awslabs\.ecs-mcp-server 0\.0\.1b1/);
  assert.deepEqual(readdirSync(distDir).filter((n) => !n.startsWith(".")), ["0.0.2"]);
});

test("a cached release patched by an older runtime is re-patched once by this xaccount, then starts", async () => {
  const dir = path.join(cacheHome, "xaccount", "servers", DIST, "0.0.2");
  const recordFile = path.join(dir, "xaccount-run.json");
  const record = JSON.parse(readFileSync(recordFile, "utf8")) as { packageDir: string; runtimeSha256: string };
  // What an older xaccount would have vendored: another runtime body, stamped consistently with its own sha.
  const vendored = path.join(dir, record.packageDir, "_xaccount.py");
  const current = readFileSync(vendored, "utf8");
  const body = current.split("\n").slice(2).join("\n") + "\n# an older runtime\n";
  const sha = createHash("sha256").update(body).digest("hex");
  const file = `# Vendored by xaccount 0.0.1 sha256=${sha}\n# Do not edit: \`xaccount patch\` replaces this file and \`xaccount patch --revert\` removes it.\n${body}`;
  writeFileSync(vendored, file);
  // ... and recorded in its manifest, as that xaccount would have.
  const manifestFile = path.join(dir, record.packageDir, "_xaccount_manifest.json");
  const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as { runtime: Record<string, string> };
  manifest.runtime = { ...manifest.runtime, version: "0.0.1", sha256: sha, fileSha256: createHash("sha256").update(file).digest("hex") };
  writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
  writeFileSync(recordFile, JSON.stringify({ ...record, runtimeSha256: sha, patchedBy: "0.0.1" }));
  const r = await rawRun(["run", "ecs@0.0.2"], clientEnv(dead));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /re-patching awslabs\.ecs-mcp-server 0\.0\.2 for xaccount .*'s runtime/);
  assert.equal(readFileSync(vendored, "utf8"), current, "this xaccount's runtime is back in place");
  assert.equal((JSON.parse(readFileSync(recordFile, "utf8")) as { runtimeSha256: string }).runtimeSha256, record.runtimeSha256);
  // Once: the next start takes the fast path and says nothing.
  const again = await rawRun(["run", "ecs@0.0.2"], clientEnv(dead));
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.stderr, "");
});

test("a release cached with a generic profile is checked again once this xaccount has a profile file for it", async () => {
  const dir = path.join(cacheHome, "xaccount", "servers", DIST, "0.0.2");
  const recordFile = path.join(dir, "xaccount-run.json");
  const record = JSON.parse(readFileSync(recordFile, "utf8")) as Record<string, unknown>;
  assert.equal(record.profile, undefined, "ecs has a profile file: its install is not generic");
  // As an xaccount without the ecs profile file would have left it.
  writeFileSync(recordFile, JSON.stringify({ ...record, profile: "generic" }));
  const r = await rawRun(["run", "ecs@0.0.2"], clientEnv(dead));
  assert.equal(r.status, 0, r.stderr);
  // The full check ran with the profile file (the fast path would have left the record as it was).
  assert.equal((JSON.parse(readFileSync(recordFile, "utf8")) as Record<string, unknown>).profile, undefined);
  const again = await rawRun(["run", "ecs@0.0.2"], clientEnv(dead));
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.stderr, "");
});

test("a cached tree changed after install is noticed: it is not started, and is installed again", async () => {
  const dir = path.join(cacheHome, "xaccount", "servers", DIST, "0.0.2");
  const record = JSON.parse(readFileSync(path.join(dir, "xaccount-run.json"), "utf8")) as { packageDir: string };
  // Someone puts the unpatched file back into the cached server: its tool would run without account_id.
  const patched = path.join(dir, record.packageDir, "modules", "resource_management.py");
  copyFileSync(path.join(PACKAGE_ROOT, "fixtures", "smoke-ecs", "awslabs", "ecs_mcp_server", "modules", "resource_management.py"), patched);
  const r = await rawRun(["run", "ecs@0.0.2"], clientEnv(dead));
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stdout.length, 0, "the edited server did not start");
  assert.match(r.stderr, /was changed after it was installed; installing it again/);
  assert.match(r.stderr, /error\[index-unreachable\]/);
  assert.ok(!existsSync(dir), "the edited tree is gone from the cache");
});

test("any AWS Labs server: `run fake@0.0.3` (no profile file) is patched from its installed dist-info; its tool takes account_id and answers from each account", async () => {
  const { client, stderr } = await connect(["run", "fake@0.0.3", "--accounts", `prod=${A},dev=${B}`], clientEnv(index.url));
  try {
    const { tools } = await client.listTools();
    const tool = tools.find((t) => t.name === "list_clusters");
    assert.ok(tool, tools.map((t) => t.name).join(", "));
    const props = tool.inputSchema.properties ?? {};
    assert.ok("account_id" in props && "max_results" in props, JSON.stringify(tool.inputSchema));
    for (const [account, other] of [[A, B], [B, A]] as const) {
      const r = await client.callTool({ name: "list_clusters", arguments: { account_id: account } });
      assert.match(text(r), new RegExp(`cluster-of-${account}`), `${text(r)}\n${stderr()}`);
      assert.doesNotMatch(text(r), new RegExp(`cluster-of-${other}`));
    }
    const refused = await client.callTool({ name: "list_clusters", arguments: { account_id: OUTSIDE } });
    assert.match(text(refused), /\[xaccount:account-not-allowed\]/);
  } finally {
    await client.close();
  }
  const record = JSON.parse(readFileSync(path.join(cacheHome, "xaccount", "servers", "awslabs.fake-mcp-server", "0.0.3", "xaccount-run.json"), "utf8")) as { entryModule: string; profile?: string };
  assert.equal(record.entryModule, "awslabs.fake_mcp_server.server");
  assert.equal(record.profile, "generic");
  // The warm start takes the fast path (no index, nothing said).
  const warm = await rawRun(["run", "fake@0.0.3"], clientEnv(dead));
  assert.equal(warm.status, 0, warm.stderr);
  assert.equal(warm.stderr, "");
});

test("a server that makes no AWS call is refused with no-aws-calls: not started unpatched, its install discarded", async () => {
  const r = await rawRun(["run", "noaws@0.0.4", "--accounts", A], clientEnv(index.url));
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout.length, 0, "nothing answered: the server was not started");
  assert.match(r.stderr, /error\[no-aws-calls\]: xaccount run does not start awslabs\.noaws-mcp-server==0\.0\.4: .*makes no AWS call.*the install was discarded/);
  assert.match(r.stderr, /uvx awslabs\.noaws-mcp-server@0\.0\.4/);
  const distDir = path.join(cacheHome, "xaccount", "servers", "awslabs.noaws-mcp-server");
  assert.deepEqual(existsSync(distDir) ? readdirSync(distDir).filter((n) => !n.endsWith(".lock")) : [], [], "no version folder, no temp folder");
});

test("a release whose virtualenv lacks what the runtime imports is refused with runtime-deps-missing: not started, its install discarded", async () => {
  const r = await rawRun(["run", "nodeps@0.0.5", "--accounts", A], clientEnv(index.url));
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout.length, 0, "nothing was started");
  assert.match(r.stderr, /error\[runtime-deps-missing\]: xaccount run does not start awslabs\.nodeps-mcp-server==0\.0\.5: .*botocore.*the install was discarded/);
  const distDir = path.join(cacheHome, "xaccount", "servers", "awslabs.nodeps-mcp-server");
  assert.deepEqual(existsSync(distDir) ? readdirSync(distDir).filter((n) => !n.endsWith(".lock")) : [], []);
});

test("a bad --accounts list is refused before anything is installed or asked of the index", async () => {
  const home = newCacheHome();
  temps.push(home);
  const before = index.requests.length;
  const r = await xaccount(["run", "fake@0.0.3", "--accounts", `prod=${A},prod=${B}`], clientEnv(index.url, home));
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /error\[account-name-invalid\]: --accounts names two accounts "prod"/);
  assert.equal(index.requests.length, before, "no request reached the index");
  assert.ok(!existsSync(path.join(home, "xaccount")), "nothing cached");
});

test("a warm start loads the run command alone: no other command, no AWS SDK, no patch engine, no tree-sitter", async (t) => {
  // Every module the CLI process resolves (speed is the bench's; this is what loads).
  const modules = moduleLog();
  t.after(() => modules.remove());
  const r = await rawRun(["run", "fake@0.0.3"], clientEnv(dead, cacheHome, { NODE_OPTIONS: modules.nodeOptions }));
  assert.equal(r.status, 0, r.stderr);
  const loaded = modules.loaded();
  assert.ok(loaded.some((u) => u.endsWith("/dist/src/commands/run.js")), loaded.join("\n"));
  const unwanted = loaded.filter((u) => /\/dist\/src\/commands\/(?!run\.js)|tree-sitter|@aws-sdk|\/dist\/src\/codemod\/(index|engine|parse)\.js/.test(u));
  assert.deepEqual([...new Set(unwanted)], []);
});
