/**
 * Registration forms the engine cannot (or must not) patch: each is reported with its file, line and
 * reason, `--check` fails on it, and the profile can say why it is fine (unpatchedTools, ownAccountId).
 * The forms it does patch are fixtures (fixtures/reg-*); these are the refusals and the reports.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { PACKAGE_ROOT } from "../src/version.js";
import { iac } from "../codemods/iac.js";
import { checkPlan, locateServer, planPatch, writePatch } from "../src/codemod/index.js";
import type { ServerProfile } from "../src/codemod/profile.js";
import { parsePython } from "../src/codemod/parse.js";
import { findTools } from "../src/codemod/find-tools.js";
import { PackageIndex } from "../src/codemod/package-index.js";
import { snapshot, treeDiff } from "./helpers/trees.js";

const BIN = path.join(PACKAGE_ROOT, "bin", "xaccount.js");
const PKG = "awslabs/aws_iac_mcp_server";

/** An IaC-shaped package holding `files` (relative to the package folder). */
function tree(files: Record<string, string>): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), "xa-reg-"));
  mkdirSync(path.join(dir, PKG), { recursive: true });
  writeFileSync(path.join(dir, "awslabs", "__init__.py"), "");
  writeFileSync(path.join(dir, PKG, "__init__.py"), "");
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, PKG, rel)), { recursive: true });
    writeFileSync(path.join(dir, PKG, rel), text);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const skipped = (src: string): Array<{ name: string; line: number; kind: string; reason: string }> => findTools(parsePython(src).rootNode).skipped;

const GENERATED = [
  "from mcp.server.fastmcp import FastMCP",
  "mcp = FastMCP('x')",
  "",
  "@mcp.tool()",
  "def plain(a: int) -> int:",
  "    return a",
  "",
  "def make_tool(op):",
  "    def f(**kw):",
  "        return op",
  "    return f",
  "",
  "for op in OPERATIONS:",
  "    mcp.tool(name=op)(make_tool(op))",
  "",
].join("\n");

test("a tool made at run time is patched around, reported with file:line and reason, and fails --check", async () => {
  const { dir, cleanup } = tree({ "server.py": GENERATED });
  try {
    const patch = cli(["patch", "iac", dir]);
    assert.equal(patch.status, 0, patch.stderr);
    assert.match(patch.stdout, /server\.py:14\): .*make_tool/, patch.stdout);
    const check = cli(["patch", "iac", dir, "--check"]);
    assert.equal(check.status, 1, check.stdout + check.stderr);
    assert.match(check.stderr, /error\[tool-unresolved\]/);
    // Line 16 now: the patch put the runtime import and @cross_account above it.
    assert.match(check.stdout, /\[tool-unresolved\] server\.py:16: tool .* would run without cross-account access: registered the result of calling make_tool/);
  } finally {
    cleanup();
  }
});

test("the profile's unpatchedTools makes --check accept an unresolved registration, with its reason", async () => {
  const { dir, cleanup } = tree({ "server.py": GENERATED });
  try {
    const before = checkPlan(await planPatch(iac, locateServer(iac, dir)));
    const name = before.skipped[0]?.name ?? "";
    assert.equal(before.code, "not-patched");
    const profile: ServerProfile = { ...iac, unpatchedTools: { [name]: "generated from the service model; covered at start-up" } };
    await writePatch(await planPatch(profile, locateServer(profile, dir)));
    assert.equal(checkPlan(await planPatch(iac, locateServer(iac, dir))).code, "tool-unresolved");
    const after = checkPlan(await planPatch(profile, locateServer(profile, dir)));
    assert.equal(after.patched, true, after.problems.join("\n"));
    assert.match(after.skipped[0]?.reason ?? "", /the profile says: generated from the service model/);
  } finally {
    cleanup();
  }
});

const BILLING = [
  "from mcp.server.fastmcp import FastMCP",
  "mcp = FastMCP('billing')",
  "",
  "@mcp.tool(name='budgets')",
  "async def budgets(account_id: str | None = None, max_results: int = 10) -> dict:",
  "    return {'account': account_id}",
  "",
  "@mcp.tool(name='cost')",
  "async def cost(granularity: str = 'DAILY') -> dict:",
  "    return {}",
  "",
].join("\n");

test("a tool with its own account_id keeps it, is reported, and --check fails until the profile says what it means", async () => {
  const { dir, cleanup } = tree({ "server.py": BILLING });
  try {
    const patch = cli(["patch", "iac", dir]);
    assert.equal(patch.status, 0, patch.stderr);
    assert.match(patch.stdout, /budgets \(server\.py:5\): already has an account_id parameter of its own/);
    const check = cli(["patch", "iac", dir, "--check"]);
    assert.equal(check.status, 1, check.stdout + check.stderr);
    assert.match(check.stderr, /error\[tool-own-account-id\]/);
    // The warning says the tool keeps an account_id of its own, not that it has none.
    assert.match(check.stdout, /warning: tool budgets \(server\.py:\d+\) keeps an account_id of its own: /);
    assert.doesNotMatch(check.stdout, /budgets \(server\.py:\d+\) is not patched and has no account_id/);

    const profile: ServerProfile = { ...iac, ownAccountId: { budgets: "the linked account the budgets belong to" } };
    const plan = await planPatch(profile, locateServer(profile, dir));
    const budgets = plan.tools.find((t) => t.name === "budgets");
    assert.equal(budgets?.status, "skipped");
    assert.match(budgets?.reason ?? "", /the linked account the budgets belong to/);
    assert.equal(checkPlan(plan).patched, true, checkPlan(plan).problems.join("\n"));
  } finally {
    cleanup();
  }
});

test("a pass-through wrapper that cannot be traced: --check fails too, and the profile can accept it", async () => {
  const src = [
    "import functools",
    "from mcp.server.fastmcp import FastMCP",
    "mcp = FastMCP('x')",
    "def deco(func):",
    "    @functools.wraps(func)",
    "    async def wrapper(*args, **kwargs):",
    "        return await func(*args, **kwargs)",
    "    mcp.tool()(wrapper)",
    "    return wrapper",
    "@mcp.tool()",
    "def plain(a: int) -> int:",
    "    return a",
    "TABLE = {'x': deco}",
    "",
  ].join("\n");
  const { dir, cleanup } = tree({ "server.py": src });
  try {
    const before = snapshot(dir);
    const patch = cli(["patch", "iac", dir]);
    assert.equal(patch.status, 2, patch.stdout);
    assert.match(patch.stderr, /error\[tool-wrapper-unresolved\].*server\.py:8: .*pass-through wrapper/);
    assert.deepEqual(treeDiff(before, snapshot(dir)), [], "a refused patch writes nothing");
    const check = cli(["patch", "iac", dir, "--check"]);
    assert.equal(check.status, 1);
    assert.match(check.stdout, /\[tool-wrapper-unresolved\]/);
    const plan = await planPatch(iac, locateServer(iac, dir), { check: true });
    const name = plan.tools.find((t) => t.skip === "wrapper")?.name ?? "";
    const profile: ServerProfile = { ...iac, unpatchedTools: { [name]: "a test wrapper" } };
    await writePatch(await planPatch(profile, locateServer(profile, dir)));
    assert.equal(checkPlan(await planPatch(profile, locateServer(profile, dir))).patched, true);
  } finally {
    cleanup();
  }
});

test("unresolvable forms are reported, each with a reason that names it, never dropped", () => {
  const cases: Array<[string, RegExp]> = [
    ["for f in load_tools():\n    mcp.add_tool(f)\n", /loops over load_tools\(\)/],
    ["tools = []\nfor f in tools:\n    mcp.add_tool(f)\n", /loops over tools.*empty|changed at run time/],
    ["deco = mcp.tool(name='x')\ndeco(f)\n", /kept in a value/],
    ["mcp.tool(lambda a: a)\n", /lambda/],
    ["class C:\n    def __init__(self, mcp):\n        mcp.tool(self.missing)\n", /C defines no method missing/],
    ["import os\nfor n in names:\n    mcp.tool(getattr(os, n))\n", /getattr\(os, n\)/],
    ["mcp.add_tool(t.fn)\n", /Tool object/],
    ["from functools import partial\ndef f(a, b): pass\nmcp.tool()(partial(f, 1))\n", /partial/],
  ];
  for (const [src, reason] of cases) {
    const s = skipped(src);
    if (src.includes("t.fn")) {
      // Resolved at the package level (engine): findTools hands it on as a `.fn` registration.
      assert.deepEqual(findTools(parsePython(src).rootNode).toolObjectFns, [1]);
      continue;
    }
    assert.equal(s.length, 1, `${src}: ${JSON.stringify(s)}`);
    assert.equal(s[0]?.kind, "unresolved", src);
    assert.match(s[0]?.reason ?? "", reason, src);
    assert.ok((s[0]?.line ?? 0) >= 1);
  }
});

test("a Tool object's .fn with no Tool.from_function in the package is reported at package level", async () => {
  const { dir, cleanup } = tree({
    "server.py": "from mcp.server.fastmcp import FastMCP\nmcp = FastMCP('x')\n@mcp.tool()\ndef a() -> int:\n    return 1\nfor t in TOOLS:\n    mcp.add_tool(t.fn)\n",
  });
  try {
    const plan = await planPatch(iac, locateServer(iac, dir));
    const fn = plan.tools.find((t) => t.name === "<tool>.fn");
    assert.equal(fn?.skip, "unresolved");
    assert.equal(fn?.line, 7);
    assert.equal(checkPlan(plan).findings.some((f) => f.code === "tool-unresolved"), true);
  } finally {
    cleanup();
  }
});

test("relative and absolute imports resolve to the package's modules, from a module and from an __init__", () => {
  const files = ["__init__.py", "server.py", "tools/__init__.py", "tools/vpc/__init__.py", "tools/vpc/list.py", "utils.py"];
  const index = new PackageIndex("awslabs.x", files, (rel) => ({ rel, root: parsePython("").rootNode }));
  assert.equal(index.resolveSpec("server.py", ".tools"), "awslabs.x.tools");
  assert.equal(index.resolveSpec("server.py", "."), "awslabs.x");
  assert.equal(index.resolveSpec("tools/vpc/list.py", "..utils"), "awslabs.x.tools.utils");
  assert.equal(index.resolveSpec("tools/vpc/list.py", "...utils"), "awslabs.x.utils");
  assert.equal(index.resolveSpec("tools/vpc/__init__.py", ".list"), "awslabs.x.tools.vpc.list");
  assert.equal(index.resolveSpec("tools/vpc/__init__.py", ".."), "awslabs.x.tools");
  assert.equal(index.resolveSpec("server.py", "..outside"), undefined, "above the package");
  assert.equal(index.resolveSpec("server.py", "awslabs.x.tools.vpc"), "awslabs.x.tools.vpc");
  assert.equal(index.resolveSpec("server.py", "awslabs.other"), undefined);
  assert.equal(index.fileOf("awslabs.x.tools.vpc"), "tools/vpc/__init__.py");
  assert.equal(index.moduleOf("tools/vpc/list.py"), "awslabs.x.tools.vpc.list");
});
