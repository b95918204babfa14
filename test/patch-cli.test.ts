/** `xaccount patch` through the real CLI binary: exit codes, --json, --dry-run, --diff, --check, --revert. */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { PACKAGE_ROOT } from "../src/version.js";
import { snapshot, tempCopy, treeDiff } from "./helpers/trees.js";

const BIN = path.join(PACKAGE_ROOT, "bin", "xaccount.js");
const FIXTURES = path.join(PACKAGE_ROOT, "fixtures");

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, "patch", ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A temp copy of fixtures/<rel>, removed when the test ends. */
function fixtureCopy(t: TestContext, ...rel: string[]): string {
  const { dir, cleanup } = tempCopy(path.join(FIXTURES, ...rel));
  t.after(cleanup);
  return dir;
}

function iacTree(t: TestContext): { dir: string; pkg: string } {
  const dir = fixtureCopy(t, "iac-future", "input");
  return { dir, pkg: path.join(dir, "awslabs", "aws_iac_mcp_server") };
}

test("a path with no server: exit 2, server-not-found, says where it looked", (t) => {
  const empty = path.join(fixtureCopy(t, "iac-future", "input", "awslabs", "aws_iac_mcp_server"), "nothing-here");
  const r = run("ecs", empty);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /error\[server-not-found\]/);
  assert.ok(r.stderr.includes(path.join(empty, "awslabs", "ecs_mcp_server")), r.stderr);
  assert.equal(r.stdout, "");
});

test("the wrong server: exit 2, wrong-server, names the right command; nothing written", (t) => {
  const tree = iacTree(t);
  const before = snapshot(tree.dir);
  const r = run("ecs", tree.dir);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /error\[wrong-server\]/);
  assert.ok(r.stderr.includes(`xaccount patch iac ${tree.dir}`), r.stderr);
  assert.deepEqual(treeDiff(before, snapshot(tree.dir)), []);
});

test("a source file that does not parse: exit 2 with file:line, nothing written", (t) => {
  const tree = iacTree(t);
  const bad = path.join(tree.pkg, "extra.py");
  writeFileSync(bad, "@mcp.tool()\ndef ok(): pass\n\n\ndef bad(:\n    pass\n");
  const before = snapshot(tree.dir);
  const r = run("iac", tree.dir);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /error\[source-syntax-error\]/);
  assert.ok(r.stderr.includes(`${bad}:5:`), r.stderr);
  assert.deepEqual(treeDiff(before, snapshot(tree.dir)), [], "server.py must not be patched either");
});

test("--check: 1 with the list on an unpatched tree, 0 after patch, 1 when the runtime is stale or the manifest gone", (t) => {
  const tree = iacTree(t);
  const unpatched = run("iac", tree.dir, "--check");
  assert.equal(unpatched.status, 1);
  assert.match(unpatched.stderr, /error\[not-patched\]/);
  assert.match(unpatched.stdout, /tool validate_cloudformation_template is not patched/);
  assert.match(unpatched.stdout, /_xaccount\.py is missing/);

  assert.equal(run("iac", tree.dir).status, 0);
  const ok = run("iac", tree.dir, "--check");
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /is patched by this xaccount/);

  // An older vendored runtime is stale; re-patching replaces it.
  const rt = path.join(tree.pkg, "_xaccount.py");
  writeFileSync(rt, readFileSync(rt, "utf8").replace(/^# Vendored by xaccount \S+ sha256=[0-9a-f]{64}/, `# Vendored by xaccount 0.0.1 sha256=${"0".repeat(64)}`));
  const stale = run("iac", tree.dir, "--check");
  assert.equal(stale.status, 1);
  assert.match(stale.stdout, /_xaccount\.py is stale \(from xaccount 0\.0\.1/);
  const repatch = run("iac", tree.dir, "--json");
  assert.equal(repatch.status, 0);
  assert.equal((JSON.parse(repatch.stdout) as { runtime: { action: string } }).runtime.action, "replace");
  assert.equal(run("iac", tree.dir, "--check").status, 0);

  // Without the manifest --revert would not know the original bytes.
  rmSync(path.join(tree.pkg, "_xaccount_manifest.json"));
  const noManifest = run("iac", tree.dir, "--check");
  assert.equal(noManifest.status, 1);
  assert.match(noManifest.stdout, /_xaccount_manifest\.json is missing/);
});

test("--json: files, tools patched and skipped with reasons, runtime, next steps", (t) => {
  const tree = iacTree(t);
  const r = run("iac", tree.dir, "--json");
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as {
    mode: string;
    written: boolean;
    files: Array<{ file: string; changed: boolean; tools: Array<{ name: string; status: string; added: string[] }> }>;
    toolsPatched: Array<{ name: string; added: string[] }>;
    toolsSkipped: Array<{ name: string; reason: string }>;
    runtime: { action: string; version: string; sha256: string };
    next: { start: string; mcpServers: { mcpServers: Record<string, { command: string; args: string[]; env: Record<string, string> }> } };
  };
  assert.equal(j.mode, "patch");
  assert.equal(j.written, true);
  assert.deepEqual(j.toolsPatched.map((x) => x.name).sort(), [
    "get_cloudformation_pre_deploy_validation_instructions",
    "search_cdk_documentation",
    "troubleshoot_cloudformation_deployment",
    "validate_cloudformation_template",
  ]);
  assert.ok(j.toolsPatched.every((x) => x.added.join() === "account_id"));
  assert.deepEqual(j.toolsSkipped.map((x) => x.name), ["read_iac_documentation_page"]);
  assert.match(j.toolsSkipped[0]?.reason ?? "", /remote MCP server/);
  assert.equal(j.files[0]?.file, "server.py");
  assert.equal(j.runtime.action, "add");
  assert.match(j.runtime.sha256, /^[0-9a-f]{64}$/);
  const server = j.next.mcpServers.mcpServers["awslabs.aws-iac-mcp-server"];
  assert.deepEqual(server?.args, ["-m", "awslabs.aws_iac_mcp_server.server"]);
  assert.equal(server?.env.PYTHONPATH, tree.dir);
  assert.ok(Object.keys(server?.env ?? {}).some((k) => k.startsWith("XACCOUNT_")));

  const again = JSON.parse(run("iac", tree.dir, "--json").stdout) as { alreadyPatched: boolean; written: boolean };
  assert.equal(again.alreadyPatched, true);
  assert.equal(again.written, false);
});

test("--dry-run and --diff write nothing; --diff prints a plain unified diff off a terminal", (t) => {
  const tree = iacTree(t);
  const before = snapshot(tree.dir);
  const dry = run("iac", tree.dir, "--dry-run");
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /Dry run, nothing written/);
  const diff = run("iac", tree.dir, "--diff");
  assert.equal(diff.status, 0, diff.stderr);
  assert.deepEqual(treeDiff(before, snapshot(tree.dir)), []);
  assert.match(diff.stdout, /^--- a\/server\.py/m);
  assert.match(diff.stdout, /^\+\+\+ b\/server\.py/m);
  assert.match(diff.stdout, /^\+@cross_account$/m);
  assert.match(diff.stdout, /^-def get_cloudformation_pre_deploy_validation_instructions\(\) -> str:$/m);
  assert.ok(!diff.stdout.includes("\u001b["), "no colour codes off a terminal");
});

test("human report: tools per file, skipped with reason, next steps with python -m and mcpServers", (t) => {
  const dir = fixtureCopy(t, "ecs-nested", "input");
  const r = run("ecs", dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /modules\/resource_management\.py\n\s+✓ ecs_resource_management \(line \d+, \+ account_id, region\)/);
  assert.match(r.stdout, /aws_knowledge_\*.*remote MCP server/);
  assert.match(r.stdout, /python3 -m awslabs\.ecs_mcp_server\.main/);
  assert.match(r.stdout, /"mcpServers"/);
  const again = run("ecs", dir);
  assert.match(again.stdout, /already patched/);
});

test("--revert refuses a file edited since the patch, names it and --force; --force restores bytes and mode", (t) => {
  const tree = iacTree(t);
  const server = path.join(tree.pkg, "server.py");
  chmodSync(server, 0o750);
  const original = snapshot(tree.dir);
  assert.equal(run("iac", tree.dir).status, 0);
  assert.equal(statSync(server).mode & 0o777, 0o750, "the patch keeps the file's mode");
  writeFileSync(server, `${readFileSync(server, "utf8")}# a hand edit\n`);
  const refused = run("iac", tree.dir, "--revert");
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /error\[patched-file-edited\]/);
  assert.ok(refused.stderr.includes(server), refused.stderr);
  assert.match(refused.stderr, /--force/);
  assert.ok(readFileSync(path.join(tree.pkg, "_xaccount.py")).length > 0, "a refused revert removes nothing");

  const forced = run("iac", tree.dir, "--revert", "--force");
  assert.equal(forced.status, 0, forced.stderr);
  assert.deepEqual(treeDiff(original, snapshot(tree.dir)), []);
  assert.equal(statSync(server).mode & 0o777, 0o750, "the revert keeps the file's mode");
  const nothing = run("iac", tree.dir, "--revert");
  assert.equal(nothing.status, 0);
  assert.match(nothing.stdout, /nothing to revert/);
});
