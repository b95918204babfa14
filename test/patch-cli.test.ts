/** `xaccount patch` through the real CLI binary: exit codes, --json, --dry-run, --diff, --check, --revert. */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { PACKAGE_ROOT } from "../src/version.js";
import { snapshot, tempCopy, treeDiff } from "./helpers/trees.js";
import { moduleLog } from "./helpers/module-log.js";
import { vendoredHeader } from "../src/codemod/vendor.js";
import { sha256 } from "../src/codemod/source.js";
import { shellQuote } from "../src/codemod/shell.js";

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

/** What an older xaccount would have left: its own intact runtime, recorded by its manifest. */
function installOlderRuntime(pkg: string): void {
  const body = Buffer.from("# the runtime of xaccount 0.0.1\n");
  const bytes = Buffer.concat([vendoredHeader({ version: "0.0.1", sha256: sha256(body) }), body]);
  writeFileSync(path.join(pkg, "_xaccount.py"), bytes);
  const mp = path.join(pkg, "_xaccount_manifest.json");
  const m = JSON.parse(readFileSync(mp, "utf8")) as { runtime: Record<string, string> };
  m.runtime = { file: "_xaccount.py", version: "0.0.1", sha256: sha256(body), fileSha256: sha256(bytes) };
  writeFileSync(mp, `${JSON.stringify(m, null, 2)}\n`);
}

function iacTree(t: TestContext): { dir: string; pkg: string } {
  const dir = fixtureCopy(t, "iac-future", "input");
  return { dir, pkg: path.join(dir, "awslabs", "aws_iac_mcp_server") };
}

test("a path with no server: exit 2, server-not-found, says where it looked", (t) => {
  const empty = path.join(fixtureCopy(t, "iac-future", "input", "awslabs", "aws_iac_mcp_server"), "nothing-here");
  mkdirSync(empty);
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
  installOlderRuntime(tree.pkg);
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
  // No example values: the old fixed allowlist is gone (config-patch-entry.test.ts checks the real ones).
  assert.ok(!JSON.stringify(server).includes("111111111111,222222222222"), JSON.stringify(server));

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

// ------------------------------------------------------------------------------------ tamper evidence

const runtimeOf = (pkg: string): string => path.join(pkg, "_xaccount.py");

test("--check hashes the vendored runtime: code appended to it exits 1 runtime-modified naming the file; a re-patch refuses it unless --force", (t) => {
  const tree = iacTree(t);
  assert.equal(run("iac", tree.dir).status, 0);
  const rt = runtimeOf(tree.pkg);
  const shipped = readFileSync(rt);
  writeFileSync(rt, Buffer.concat([shipped, Buffer.from("\nimport os\nos.environ['AWS_ACCESS_KEY_ID'] = 'stolen'\n")]));
  const checked = run("iac", tree.dir, "--check");
  assert.equal(checked.status, 1, checked.stderr);
  assert.match(checked.stderr, /error\[runtime-modified\]/);
  assert.ok(checked.stderr.includes(rt), checked.stderr);
  assert.match(checked.stdout, /\[runtime-modified\] _xaccount\.py was modified/);

  const before = snapshot(tree.dir);
  const refused = run("iac", tree.dir);
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, /error\[runtime-modified\]/);
  assert.ok(refused.stderr.includes(rt), refused.stderr);
  assert.match(refused.stderr, /--force/);
  assert.deepEqual(treeDiff(before, snapshot(tree.dir)), [], "a refused re-patch writes nothing");

  const forced = run("iac", tree.dir, "--force");
  assert.equal(forced.status, 0, forced.stderr);
  assert.match(forced.stderr, /warning\[runtime-modified\]: replaced the modified _xaccount\.py/);
  assert.match(forced.stdout, /replaced a modified copy \(--force\)/);
  assert.ok(readFileSync(rt).equals(shipped), "--force puts this xaccount's runtime back");
  assert.equal(run("iac", tree.dir, "--check").status, 0);
});

test("--check trusts no header: a runtime edited with its header's hash recomputed still differs from the manifest's record", (t) => {
  const tree = iacTree(t);
  assert.equal(run("iac", tree.dir).status, 0);
  const rt = runtimeOf(tree.pkg);
  const text = readFileSync(rt, "utf8");
  const headerEnd = text.indexOf("\n", text.indexOf("\n") + 1) + 1;
  const body = `${text.slice(headerEnd)}\nLEAK = True\n`;
  const version = /xaccount (\S+) sha256/.exec(text)?.[1] ?? "";
  writeFileSync(rt, Buffer.concat([vendoredHeader({ version, sha256: sha256(body) }), Buffer.from(body)]));
  const checked = run("iac", tree.dir, "--check");
  assert.equal(checked.status, 1);
  assert.match(checked.stderr, /error\[runtime-modified\]/);
});

test("--check: a hand-edited inserted line exits 1 (patched-file-edited, naming the file), as does a tool that lost its parameter", (t) => {
  const tree = iacTree(t);
  assert.equal(run("iac", tree.dir).status, 0);
  const server = path.join(tree.pkg, "server.py");
  const patched = readFileSync(server, "utf8");

  writeFileSync(server, patched.replace("import AccountId, cross_account  # xaccount", "import AccountId, cross_account as cross_account  # xaccount"));
  const edited = run("iac", tree.dir, "--check");
  assert.equal(edited.status, 1, edited.stderr);
  assert.match(edited.stderr, /error\[patched-file-edited\]/);
  assert.ok(edited.stderr.includes(server), edited.stderr);

  const lost = patched.replace(/(def get_cloudformation_pre_deploy_validation_instructions\()account_id: AccountId = None\)/, "$1)");
  assert.notEqual(lost, patched, "the fixture has the inline parameter this test removes");
  writeFileSync(server, lost);
  const lostParam = run("iac", tree.dir, "--check");
  assert.equal(lostParam.status, 1, lostParam.stderr);
  assert.match(lostParam.stderr, /error\[patched-file-edited\]/);
  assert.ok(lostParam.stderr.includes(server), lostParam.stderr);
  assert.match(lostParam.stdout, /tool get_cloudformation_pre_deploy_validation_instructions is not patched \(lacks account_id\)/);
});

test("--check lists the tools a profile skips, with a warning, and still passes", (t) => {
  const tree = iacTree(t);
  assert.equal(run("iac", tree.dir).status, 0);
  const ok = run("iac", tree.dir, "--check");
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /warning: tool read_iac_documentation_page \(server\.py:\d+\) is not patched and has no account_id: .*remote MCP server/);
  const j = JSON.parse(run("iac", tree.dir, "--check", "--json").stdout) as { skipped: Array<{ name: string }> };
  assert.deepEqual(j.skipped.map((s) => s.name), ["read_iac_documentation_page"]);
});

test("a tree patched without a manifest record (a crash of an older xaccount, a deleted manifest) is refused, never re-recorded as original", (t) => {
  const dir = fixtureCopy(t, "ecs-nested", "input");
  const pkg = path.join(dir, "src", "ecs-mcp-server", "awslabs", "ecs_mcp_server");
  const original = snapshot(dir);
  assert.equal(run("ecs", dir).status, 0);
  // What the issue saw after kill -9: some files patched, one not, no runtime, no manifest.
  rmSync(path.join(pkg, "_xaccount_manifest.json"));
  rmSync(runtimeOf(pkg));
  const troubleshooting = "modules/troubleshooting.py";
  writeFileSync(path.join(pkg, troubleshooting), original.get(`src/ecs-mcp-server/awslabs/ecs_mcp_server/${troubleshooting}`) as Buffer);
  const before = snapshot(dir);
  const repatch = run("ecs", dir);
  assert.equal(repatch.status, 2, repatch.stdout);
  assert.match(repatch.stderr, /error\[manifest-incomplete\]/);
  assert.ok(repatch.stderr.includes(path.join(pkg, "modules", "resource_management.py")), repatch.stderr);
  const revert = run("ecs", dir, "--revert");
  assert.equal(revert.status, 2, revert.stdout);
  assert.match(revert.stderr, /error\[manifest-incomplete\]/);
  const check = run("ecs", dir, "--check");
  assert.equal(check.status, 1);
  assert.match(check.stderr, /error\[manifest-incomplete\]/);
  assert.deepEqual(treeDiff(before, snapshot(dir)), [], "nothing written");
});

// ------------------------------------------------------------------------------------ errors and edges

test("a patch whose result Python cannot compile is refused (patch-verify-failed, exit 1), nothing written", (t) => {
  // tree-sitter parses the patched text, but Python refuses a parameter that the body declares global:
  // `SyntaxError: name 'account_id' is parameter and global`. The original compiles.
  const tree = iacTree(t);
  const extra = path.join(tree.pkg, "extra.py");
  writeFileSync(
    extra,
    "from awslabs.aws_iac_mcp_server.server import mcp\n\naccount_id = None\n\n\n@mcp.tool()\ndef whoami() -> str:\n    global account_id\n    return str(account_id)\n",
  );
  const before = snapshot(tree.dir);
  const r = run("iac", tree.dir);
  assert.equal(r.status, 1, r.stdout);
  assert.match(r.stderr, /error\[patch-verify-failed\]: the patched extra\.py would not be valid Python \(line \d+: name 'account_id' is parameter and global\)/);
  assert.deepEqual(treeDiff(before, snapshot(tree.dir)), []);
});

test("--diff prints only the diff on stdout (report on stderr); on an up-to-date tree an empty diff, exit 0; --diff --json is refused", (t) => {
  const tree = iacTree(t);
  const diff = run("iac", tree.dir, "--diff");
  assert.equal(diff.status, 0, diff.stderr);
  for (const line of diff.stdout.replace(/\n$/, "").split("\n")) assert.match(line, /^(---|\+\+\+|@@|[-+ ]|=+$|Index: )/, line);
  assert.match(diff.stderr, /Dry run, nothing written/);
  assert.equal(run("iac", tree.dir).status, 0);
  const none = run("iac", tree.dir, "--diff");
  assert.equal(none.status, 0, none.stderr);
  assert.equal(none.stdout, "");
  const both = run("iac", tree.dir, "--diff", "--json");
  assert.equal(both.status, 2);
  assert.match(both.stderr, /error\[bad-option\]: --diff and --json cannot be combined/);
});

test("--revert --dry-run previews what a revert restores and removes, writing nothing", (t) => {
  const tree = iacTree(t);
  assert.equal(run("iac", tree.dir).status, 0);
  const before = snapshot(tree.dir);
  const r = run("iac", tree.dir, "--revert", "--dry-run");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Dry run, nothing written/);
  assert.match(r.stdout, /would restore server\.py/);
  assert.match(r.stdout, /would remove _xaccount\.py/);
  assert.deepEqual(treeDiff(before, snapshot(tree.dir)), []);
});

test("paths: empty, missing and file paths are refused (bad-path); ~ is expanded", (t) => {
  const tree = iacTree(t);
  const empty = run("iac", "");
  assert.equal(empty.status, 2);
  assert.match(empty.stderr, /error\[bad-path\]: the path is empty/);
  const missing = run("iac", path.join(tree.dir, "nope"));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /error\[bad-path\]: .*nope does not exist/);
  const file = run("iac", path.join(tree.pkg, "server.py"));
  assert.equal(file.status, 2);
  assert.match(file.stderr, /error\[bad-path\]: .*server\.py is a file, not a folder/);
  const home = spawnSync(process.execPath, [BIN, "patch", "iac", "~/awslabs", "--json"], { encoding: "utf8", env: { ...process.env, HOME: tree.dir, NO_COLOR: "1" } });
  assert.equal(home.status, 0, home.stderr);
  assert.equal((JSON.parse(home.stdout) as { packageDir: string }).packageDir, tree.pkg);
});

test("suggested commands are shell-quoted: copied from the output, they work on a path with a space and a quote", (t) => {
  const parent = fixtureCopy(t, "iac-future");
  const odd = path.join(parent, "my venv's copy");
  renameSync(path.join(parent, "input"), odd);
  const dry = run("iac", odd, "--dry-run");
  assert.equal(dry.status, 0, dry.stderr);
  const suggested = /Run without --dry-run\/--diff to write: (xaccount patch .*)$/m.exec(dry.stdout)?.[1];
  assert.ok(suggested, dry.stdout);
  const xaccount = `${shellQuote(process.execPath)} ${shellQuote(BIN)}`;
  const patched = spawnSync("sh", ["-c", suggested.replace(/^xaccount /, `${xaccount} `)], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  assert.equal(patched.status, 0, patched.stderr);
  const start = /^ {7}(cd .* -m awslabs\.aws_iac_mcp_server\.server)$/m.exec(patched.stdout)?.[1];
  assert.ok(start?.startsWith(`cd ${shellQuote(odd)} && `), patched.stdout);
  const check = /^Check: (xaccount patch .* --check)/m.exec(run("iac", odd, "--revert").stdout)?.[1];
  assert.ok(check, "revert suggests a check");
  const checked = spawnSync("sh", ["-c", check.replace(/^xaccount /, `${xaccount} `)], { encoding: "utf8" });
  assert.equal(checked.status, 1, `${checked.stdout}${checked.stderr}`);
  assert.match(checked.stderr, /error\[not-patched\]/, "the quoted path reached the right tree");
});

/** Runs the CLI as an unprivileged user when the tests run as root (root ignores file modes). */
function runAs(uid: number | undefined, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, "patch", ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", HOME: os.tmpdir() },
    ...(uid !== undefined ? { uid, gid: uid } : {}),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The tree handed to a user who may not write it (nobody, 65534, when we are root): folders r-x. */
function unprivileged(t: TestContext, dir: string): number | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const nobody = 65534;
  chownTree(dir, nobody);
  let p = dir;
  while (p !== path.dirname(p)) {
    const mode = statSync(p).mode;
    if ((mode & 0o005) !== 0o005 && p.startsWith(os.tmpdir())) chmodSync(p, mode | 0o005);
    p = path.dirname(p);
  }
  return nobody;
}

function chownTree(dir: string, uid: number): void {
  chownSync(dir, uid, uid);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) chownTree(p, uid);
    else chownSync(p, uid, uid);
  }
}

function chmodTree(dir: string, dirMode: number): void {
  chmodSync(dir, dirMode);
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) chmodTree(path.join(dir, e.name), dirMode);
}

test("a read-only package (as a system-wide install is to its users): permission-denied naming the folder and the fix; nothing written", (t) => {
  // Real denials: as root (CI here) the CLI runs as nobody, for whom r-x folders really are read-only.
  const tree = iacTree(t);
  const uid = unprivileged(t, tree.dir);
  const before = snapshot(tree.dir);
  chmodTree(tree.dir, 0o555);
  let r: ReturnType<typeof runAs>;
  try {
    r = runAs(uid, "iac", tree.dir);
  } finally {
    chmodTree(tree.dir, 0o755);
  }
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr, new RegExp(`error\\[permission-denied\\]: cannot write ${tree.pkg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: permission denied \\(EACCES\\); nothing was written`));
  assert.match(r.stderr, /hint: run xaccount as the package's owner/);
  assert.deepEqual(treeDiff(before, snapshot(tree.dir)), []);
});

test("an unreadable file or folder of the package: permission-denied naming it; nothing written", (t) => {
  const tree = iacTree(t);
  const uid = unprivileged(t, tree.dir);
  const server = path.join(tree.pkg, "server.py");
  chmodSync(server, 0o000);
  let file: ReturnType<typeof runAs>;
  try {
    file = runAs(uid, "iac", tree.dir);
  } finally {
    chmodSync(server, 0o644);
  }
  assert.equal(file.status, 2, file.stdout + file.stderr);
  assert.match(file.stderr, /error\[permission-denied\]: cannot read .*server\.py: permission denied/);
  chmodSync(tree.pkg, 0o300);
  let folder: ReturnType<typeof runAs>;
  try {
    folder = runAs(uid, "iac", tree.dir);
  } finally {
    chmodSync(tree.pkg, 0o755);
  }
  assert.equal(folder.status, 2, folder.stdout + folder.stderr);
  assert.match(folder.stderr, /error\[permission-denied\]: cannot read .*aws_iac_mcp_server: permission denied/);
  chmodSync(tree.pkg, 0o755);
  assert.ok(!existsSync(runtimeOf(tree.pkg)));
});

test("an immutable file (chattr +i, which stops root too): permission-denied before any byte changes", (t) => {
  const tree = iacTree(t);
  const server = path.join(tree.pkg, "server.py");
  if (spawnSync("chattr", ["+i", server]).status !== 0) {
    t.skip("chattr +i is not available here");
    return;
  }
  const before = snapshot(tree.dir);
  let r: ReturnType<typeof run>;
  try {
    r = run("iac", tree.dir);
  } finally {
    spawnSync("chattr", ["-i", server]);
  }
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr, new RegExp(`error\\[permission-denied\\]: cannot write .*server\\.py: permission denied \\(EPERM\\)`));
  assert.deepEqual(treeDiff(before, snapshot(tree.dir)), []);
});

// ------------------------------------------------------------------------------------ crash recovery

test("a journal left by a crash: --dry-run refuses (patch-interrupted); patch rolls back exactly, says so in one line, removes stray temp files, then patches", (t) => {
  const tree = iacTree(t);
  const original = snapshot(tree.dir);
  // Steps: 1 journal; 2-4 the temp files of the runtime, server.py and the manifest; 5-6 the runtime and
  // server.py renamed: killed before the manifest's rename.
  const crashed = spawnSync(process.execPath, [BIN, "patch", "iac", tree.dir], { encoding: "utf8", env: { ...process.env, XACCOUNT_TEST_CRASH_AFTER_STEP: "6" } });
  assert.equal(crashed.signal, "SIGKILL");
  assert.ok(existsSync(path.join(tree.pkg, "_xaccount_journal.json")), "the crash left the journal");
  assert.equal(readdirSync(tree.pkg).filter((f) => /^\._xaccount_manifest\.json\.xaccount-\d+\.tmp$/.test(f)).length, 1, "and a temp file");
  const dry = run("iac", tree.dir, "--dry-run");
  assert.equal(dry.status, 2);
  assert.match(dry.stderr, /error\[patch-interrupted\]/);
  const patched = run("iac", tree.dir);
  assert.equal(patched.status, 0, patched.stderr);
  const warnings = patched.stderr.split("\n").filter((l) => l.includes("warning[patch-interrupted]"));
  assert.equal(warnings.length, 1, patched.stderr);
  assert.match(warnings[0] ?? "", /a patch of .* was interrupted after 2 of 3 file change\(s\) and left 1 temp file\(s\); rolled back to the exact bytes before it; patching again/);
  assert.deepEqual(readdirSync(tree.pkg).filter((f) => f.endsWith(".tmp") || f.includes("journal")), []);
  assert.equal(run("iac", tree.dir, "--check").status, 0);
  assert.equal(run("iac", tree.dir, "--revert").status, 0);
  assert.deepEqual(treeDiff(original, snapshot(tree.dir)), [], "byte for byte, no journal, no temp file");
});

test("--check after a crash rolls the interrupted patch back too (one warning line), then judges the restored tree", (t) => {
  const tree = iacTree(t);
  const original = snapshot(tree.dir);
  const crashed = spawnSync(process.execPath, [BIN, "patch", "iac", tree.dir], { encoding: "utf8", env: { ...process.env, XACCOUNT_TEST_CRASH_AFTER_STEP: "5" } });
  assert.equal(crashed.signal, "SIGKILL");
  const checked = run("iac", tree.dir, "--check");
  assert.equal(checked.status, 1, checked.stderr);
  assert.match(checked.stderr, /warning\[patch-interrupted\]: a patch of .* was interrupted after 1 of 3 file change\(s\) and left 2 temp file\(s\); rolled back to the exact bytes before it; checking the restored tree/);
  assert.match(checked.stderr, /error\[not-patched\]/);
  assert.deepEqual(treeDiff(original, snapshot(tree.dir)), []);
});

test("temp files an older xaccount left anywhere in the package (no journal) are removed by the next patch, saying so", (t) => {
  const dir = fixtureCopy(t, "ecs-nested", "input");
  const pkg = path.join(dir, "src", "ecs-mcp-server", "awslabs", "ecs_mcp_server");
  const stray = [path.join(pkg, ".main.py.xaccount-4242.tmp"), path.join(pkg, "modules", ".express.py.xaccount-4242.tmp")];
  for (const f of stray) writeFileSync(f, "half a file");
  const r = run("ecs", dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /warning\[patch-interrupted\]: removed 2 temp file\(s\) left in .* by an interrupted xaccount run/);
  for (const f of stray) assert.ok(!existsSync(f), f);
});

test("patch loads alone: its own command and engine, no other command and no AWS SDK", (t) => {
  // Every module the CLI process resolves (as run.test.ts checks for `run`).
  const modules = moduleLog();
  t.after(() => modules.remove());
  const tree = iacTree(t);
  const r = spawnSync(process.execPath, [BIN, "patch", "iac", tree.dir, "--dry-run"], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", NODE_OPTIONS: modules.nodeOptions },
  });
  assert.equal(r.status, 0, r.stderr);
  const loaded = modules.loaded();
  assert.ok(loaded.some((u) => u.endsWith("/dist/src/commands/patch.js")), loaded.join("\n"));
  assert.ok(loaded.some((u) => u.endsWith("/dist/src/codemod/parse.js")), "the engine did the dry run");
  const unwanted = loaded.filter((u) => /\/dist\/src\/commands\/(?!patch\.js)|@aws-sdk|\/dist\/src\/cli\.js/.test(u));
  assert.deepEqual([...new Set(unwanted)], []);
});
