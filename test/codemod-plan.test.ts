/** Unit tests of the pure parts of the codemod: rules, planning, insert arithmetic, manifest rebase. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePython, firstSyntaxProblem } from "../src/codemod/parse.js";
import { findTools } from "../src/codemod/find-tools.js";
import { planFile } from "../src/codemod/plan.js";
import { applyInserts, patchedRanges } from "../src/codemod/apply.js";
import { mergeInserts, rebase, type FileRecord } from "../src/codemod/manifest.js";
import { compareVersions, runtimeAction, vendoredHeader } from "../src/codemod/vendor.js";
import { sha256 } from "../src/codemod/source.js";
import { diffLines } from "diff";
import { pythonCompile } from "../src/codemod/verify.js";
import type { ExtraParam } from "../src/codemod/profile.js";

const OPTS = { params: ["account_id"] as ExtraParam[], runtimeModule: "pkg._xaccount" };

function patch(src: string, params: ExtraParam[] = ["account_id"]): string {
  const tree = parsePython(src);
  const plan = planFile(src, tree.rootNode, findTools(tree.rootNode), { ...OPTS, params });
  return applyInserts(src, plan.inserts);
}

function tools(src: string): ReturnType<typeof findTools> {
  return findTools(parsePython(src).rootNode);
}

test("prompts and resources are not tools; tool names come from name= or the first string", () => {
  const found = tools(
    [
      "@mcp.prompt('p')",
      "def p(): pass",
      "@mcp.resource('r://x')",
      "def r(): pass",
      "@mcp.tool(name='named')",
      "def a(): pass",
      "@mcp.tool('pos')",
      "def b(): pass",
      "@x.y.tool",
      "def c(): pass",
      "mcp.prompt('q')(p)",
    ].join("\n"),
  );
  assert.deepEqual(
    found.tools.map((t) => [t.name, t.funcName]),
    [
      ["named", "a"],
      ["pos", "b"],
      ["c", "c"],
    ],
  );
});

test("call registration: local defs are tools, imported names and proxies are skipped with a reason", () => {
  const found = tools(
    [
      "from .other import imported",
      "def f(a): pass",
      "mcp.add_tool(f)",
      "mcp.add_tool(imported)",
      "async def setup():",
      "    proxied = await create_local_proxied_tool(remote, local_tool_name='read_docs')",
      "    mcp.add_tool(proxied)",
      "mcp.mount(create_proxy('https://x'), namespace='kb')",
      "sub = FastMCP('sub')",
      "mcp.mount(sub, namespace='local')",
    ].join("\n"),
  );
  assert.deepEqual(found.tools.map((t) => t.funcName), ["f"]);
  const reasons = Object.fromEntries(found.skipped.map((s) => [s.name, s.reason]));
  assert.match(reasons.imported ?? "", /another module/);
  assert.match(reasons.read_docs ?? "", /proxied from a remote MCP server/);
  assert.match(reasons["kb_*"] ?? "", /remote MCP server mounted/);
  assert.equal(reasons["local_*"], undefined, "a local sub-server's tools are found by their own decorators");
});

test("parameters go before **kwargs and after keyword-only ones, inline or one per line", () => {
  assert.match(patch("@mcp.tool\ndef f(a, *, b, **kw): pass\n"), /def f\(a, \*, b, account_id: AccountId = None, \*\*kw\)/);
  assert.match(patch("@mcp.tool\ndef f(): pass\n"), /def f\(account_id: AccountId = None\)/);
  assert.match(
    patch("@mcp.tool\ndef f(\n    a,\n    b\n):\n    pass\n", ["account_id", "region"]),
    / {4}b,\n {4}account_id: AccountId = None,\n {4}region: Region = None\n\):/,
  );
});

test("a tool with its own account_id is skipped; one patched before is reported patched", () => {
  const src = "from pkg._xaccount import AccountId, cross_account  # xaccount\n@mcp.tool\ndef own(account_id: str): pass\n@mcp.tool\n@cross_account\ndef done(account_id: AccountId = None): pass\n";
  const tree = parsePython(src);
  const plan = planFile(src, tree.rootNode, findTools(tree.rootNode), OPTS);
  assert.deepEqual(plan.inserts, []);
  assert.deepEqual(plan.tools.map((t) => [t.name, t.status]), [["own", "skipped"], ["done", "patched"]]);
});

test("the import goes after the docstring and __future__, never before", () => {
  const out = patch('"""Doc."""\nfrom __future__ import annotations\n\n@mcp.tool\ndef f(): pass\n');
  assert.ok(out.startsWith('"""Doc."""\nfrom __future__ import annotations\nfrom pkg._xaccount import AccountId, cross_account  # xaccount\n'), out);
  const noImports = patch('"""Only a docstring."""\n@mcp.tool\ndef f(): pass\n');
  assert.ok(noImports.startsWith('"""Only a docstring."""\nfrom pkg._xaccount'), noImports);
});

test("non-ASCII before an edit point: indices stay aligned with tree-sitter's", () => {
  const src = "# 🚀 ⚠️ ñ 日本\nX = '𝔘𝔫𝔦𝔠𝔬𝔡𝔢'\n@mcp.tool\ndef f(a='é🚀'): pass\n";
  const out = patch(src);
  assert.match(out, /def f\(a='é🚀', account_id: AccountId = None\): pass/);
  assert.equal(firstSyntaxProblem(parsePython(out)), undefined);
});

test("docstring: entries added in the section's style, none without a section", () => {
  const google = patch('@mcp.tool\ndef f(a):\n    """Do.\n\n    Args:\n        a (int): the a\n\n    Returns:\n        x\n    """\n');
  assert.match(google, / {8}a \(int\): the a\n {8}account_id \(str, optional\): 12-digit/);
  const none = patch('@mcp.tool\ndef f(a):\n    """Just a summary."""\n');
  assert.ok(!/account_id:/.test(none.split('"""')[1] ?? ""));
});

test("syntax problems are located by line and 1-based column, a missing token named", () => {
  assert.deepEqual(firstSyntaxProblem(parsePython("x = 1\n\ndef f(:\n    pass\n")), { line: 3, column: 7, what: 'missing ")"' });
  assert.deepEqual(firstSyntaxProblem(parsePython("x = 1\ndef f(a b): pass\n")), { line: 2, column: 9, what: "syntax error" });
  assert.equal(firstSyntaxProblem(parsePython("x = 1\n")), undefined);
});

test("applyInserts keeps the given order at one index; patchedRanges says where each landed", () => {
  const ins = [
    { at: 3, text: "B" },
    { at: 1, text: "A" },
    { at: 3, text: "C" },
  ];
  assert.equal(applyInserts("xyzw", ins), "xAyzBCw");
  assert.deepEqual(
    patchedRanges(ins).map((r) => [r.start, r.end]),
    [
      [4, 5],
      [1, 2],
      [5, 6],
    ],
  );
  assert.equal(applyInserts("xyzw", []), "xyzw");
  assert.deepEqual(patchedRanges([]), []);
});

function record(original: string, inserts: Array<{ at: number; text: string }>): FileRecord {
  const patched = applyInserts(original, inserts);
  return { original: Buffer.from(original).toString("base64"), originalSha256: sha256(original), patchedSha256: sha256(patched), inserts };
}

test("rebase: unchanged, edited away from our insertions, edited inside one, replaced wholesale", () => {
  const original = "line1\ndef f(a):\n    pass\n";
  const inserts = [{ at: 6, text: "@cross_account\n" }, { at: 14, text: ", account_id=None" }];
  const rec = record(original, inserts);
  const patched = applyInserts(original, inserts);

  const same = rebase(patched, rec, true);
  assert.deepEqual(same, { kind: "ok", original, inserts });

  const added = `${patched}\ndef g(b):\n    pass\n`;
  const r = rebase(added, rec, true, diffLines);
  assert.equal(r.kind, "ok");
  if (r.kind === "ok") {
    assert.equal(r.original, `${original}\ndef g(b):\n    pass\n`);
    const fresh = [{ at: added.length - 10, text: ", account_id=None" }];
    const merged = mergeInserts(r, fresh);
    assert.equal(applyInserts(r.original, merged), applyInserts(added, fresh));
  }

  const broken = patched.replace("@cross_account", "@cross_acount");
  assert.equal(rebase(broken, rec, true, diffLines).kind, "conflict");

  const upgraded = "brand new upstream file\n";
  assert.deepEqual(rebase(upgraded, rec, false), { kind: "ok", original: upgraded, inserts: [] });
});

test("runtime versions: newer replaces older, never the reverse; a copy not as vendored is modified", () => {
  assert.equal(compareVersions("0.10.0", "0.9.9"), 1);
  assert.equal(compareVersions("1.0.0", "1.0"), 0);
  const vendored = (v: string, body: string): Buffer => {
    const b = Buffer.from(body);
    return Buffer.concat([vendoredHeader({ version: v, sha256: sha256(b) }), b]);
  };
  const cur = { version: "0.2.0", sha256: sha256("current body\n") };
  assert.equal(runtimeAction(undefined, cur), "add");
  assert.equal(runtimeAction(vendored("0.2.0", "current body\n"), cur), "keep");
  assert.equal(runtimeAction(vendored("0.1.0", "old body\n"), cur), "replace");
  assert.equal(runtimeAction(vendored("0.3.0", "new body\n"), cur), "keep-newer");
  // The header is not trusted: a body that is not the one it names, or no header at all, is modified.
  const appended = Buffer.concat([vendored("0.2.0", "current body\n"), Buffer.from("import os; os.system('x')\n")]);
  assert.equal(runtimeAction(appended, cur), "modified");
  assert.equal(runtimeAction(Buffer.from("no header\n"), cur), "modified");
  const lying = Buffer.from(`# Vendored by xaccount 0.2.0 sha256=${cur.sha256}\nother body\n`);
  assert.equal(runtimeAction(lying, cur), "modified");
  // Intact but not the bytes the manifest recorded at patch time: modified.
  const ok = vendored("0.2.0", "current body\n");
  assert.equal(runtimeAction(ok, cur, sha256(ok)), "keep");
  assert.equal(runtimeAction(ok, cur, "0".repeat(64)), "modified");
});

test("python compile check: a patched text that breaks is caught by line; one whose original never compiled is not judged", async () => {
  const bad = await pythonCompile([{ file: "m.py", original: "def f(a):\n    pass\n", text: "def f(a,, b):\n    pass\n" }]);
  assert.equal(bad.ran, true, "python3 is expected on the test machine");
  if (bad.ran) assert.deepEqual([bad.failure?.file, bad.failure?.line], ["m.py", 1]);
  const good = await pythonCompile([{ file: "m.py", original: "x = 1\n", text: "x = 1\ny = 2\n" }]);
  assert.deepEqual(good, { ran: true });
  const unknown = await pythonCompile([{ file: "m.py", original: "def (:\n", text: "def ((:\n" }]);
  assert.deepEqual(unknown, { ran: true });
});
