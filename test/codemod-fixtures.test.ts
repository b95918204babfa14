/**
 * Fixture pairs (jscodeshift __testfixtures__ / libcst assertCodemod style): each fixtures/<case>/
 * holds input/, expected/ (and reverted/ when revert does not give input/ back) and case.json.
 * For each: patch a temp copy, compare byte for byte with expected/, patch again expecting not one
 * byte to change, revert expecting the input bytes. The vendored runtime and the manifest are
 * checked by presence and header, not bytes (they change with every runtime edit).
 * XACCOUNT_UPDATE_FIXTURES=1 writes expected/ from the current engine: review the diff before committing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { PACKAGE_ROOT } from "../src/version.js";
import { getProfile } from "../codemods/index.js";
import { locateServer, planPatch, planRevert, writePatch, writeRevert, MANIFEST_FILE, RUNTIME_FILE } from "../src/codemod/index.js";
import { currentRuntime } from "../src/codemod/vendor.js";
import { snapshot, tempCopy, treeDiff } from "./helpers/trees.js";
import { testPython } from "./helpers/moto.js";

const FIXTURES = path.join(PACKAGE_ROOT, "fixtures");
const BIN = path.join(PACKAGE_ROOT, "bin", "xaccount.js");
const UPDATE = process.env.XACCOUNT_UPDATE_FIXTURES === "1";

interface Case {
  description: string;
  server: string;
  path: string;
  python?: boolean;
  module?: string;
  /** Input already carries a manifest: put the current runtime beside it first. */
  vendorRuntime?: boolean;
  refuse?: { code: string; file: string; line: number };
  /** Run through the CLI instead of the library. */
  cli?: boolean;
}

const isGenerated = (rel: string): boolean => rel.endsWith(`/${RUNTIME_FILE}`) || rel.endsWith(`/${MANIFEST_FILE}`);

/** Makes a fixture input that carries a manifest look freshly patched by this xaccount. */
function freshenRuntime(tree: string, c: Case): void {
  const { packageDir } = locateServer(getProfile(c.server), path.join(tree, c.path));
  const { stamp, vendored } = currentRuntime();
  writeFileSync(path.join(packageDir, RUNTIME_FILE), vendored);
  const mp = path.join(packageDir, MANIFEST_FILE);
  const m = JSON.parse(readFileSync(mp, "utf8")) as { runtime: Record<string, string> };
  m.runtime = { file: RUNTIME_FILE, ...stamp };
  writeFileSync(mp, `${JSON.stringify(m, null, 2)}\n`);
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

for (const name of readdirSync(FIXTURES).sort()) {
  const caseFile = path.join(FIXTURES, name, "case.json");
  if (!existsSync(caseFile)) continue;
  const c = JSON.parse(readFileSync(caseFile, "utf8")) as Case;
  test(`fixture ${name}: ${c.description}`, async () => {
    const input = path.join(FIXTURES, name, "input");
    const { dir, cleanup } = tempCopy(input);
    try {
      if (c.vendorRuntime) freshenRuntime(dir, c);
      const before = snapshot(dir);
      const target = path.join(dir, c.path);
      const profile = getProfile(c.server);

      if (c.refuse) {
        const r = cli(["patch", c.server, target]);
        assert.equal(r.status, 2, r.stderr);
        assert.match(r.stderr, new RegExp(`error\\[${c.refuse.code}\\]`));
        assert.ok(r.stderr.includes(`${path.join(dir, c.refuse.file)}:${c.refuse.line}:`), r.stderr);
        assert.match(r.stderr, /nothing was written/);
        assert.deepEqual(treeDiff(before, snapshot(dir)), [], "a refused patch must write nothing");
        return;
      }

      // 1. patch, compare with expected/
      if (c.cli) {
        const r = cli(["patch", c.server, target]);
        assert.equal(r.status, 0, r.stderr);
      } else {
        await writePatch(await planPatch(profile, locateServer(profile, target)));
      }
      const patched = snapshot(dir);
      const expectedDir = path.join(FIXTURES, name, "expected");
      if (UPDATE) {
        rmSync(expectedDir, { recursive: true, force: true });
        cpSync(dir, expectedDir, { recursive: true, filter: (src) => !isGenerated(src.split(path.sep).join("/")) && !src.includes("__pycache__") });
      }
      assert.deepEqual(treeDiff(snapshot(expectedDir), patched, isGenerated), [], "patched tree differs from expected/");
      const pkg = locateServer(profile, target).packageDir;
      const runtime = readFileSync(path.join(pkg, RUNTIME_FILE), "utf8");
      assert.match(runtime, /^# Vendored by xaccount \S+ sha256=[0-9a-f]{64}\n/);
      const manifest = JSON.parse(readFileSync(path.join(pkg, MANIFEST_FILE), "utf8")) as { files: object; runtime: { sha256: string } };
      assert.equal(manifest.runtime.sha256, currentRuntime().stamp.sha256);

      // 2. patch again: not one byte changes, and the plan says so
      const again = await planPatch(profile, locateServer(profile, target));
      assert.equal(again.upToDate, true, "second run should find nothing to do");
      assert.ok(again.tools.every((t) => t.status !== "unpatched"));
      await writePatch(again);
      assert.deepEqual(treeDiff(patched, snapshot(dir)), []);

      // 3. revert: the input bytes (or reverted/), runtime and manifest gone
      await writeRevert(planRevert(profile, locateServer(profile, target)));
      const revertedDir = path.join(FIXTURES, name, "reverted");
      const want = existsSync(revertedDir) ? snapshot(revertedDir) : before;
      const got = snapshot(dir);
      assert.deepEqual(treeDiff(want, got, isGenerated), [], "revert did not restore the original bytes");
      assert.ok(![...got.keys()].some(isGenerated), "revert must remove the runtime and the manifest");

      if (c.python && c.module) await importCheck(dir, c, profile.extraParams, input);
    } finally {
      cleanup();
    }
  });
}

type Schemas = Record<string, { properties: Record<string, { anyOf?: Array<{ pattern?: string }> }>; required?: string[] }>;

/**
 * After patching again, Python imports the module and FastMCP lists account_id in every tool's schema;
 * every tool keeps exactly the parameters it had in the unpatched input (none lost, none leaked, such as
 * a method's `self` through a pass-through wrapper) and the same required ones.
 */
async function importCheck(dir: string, c: Case, params: readonly string[], input: string): Promise<void> {
  const profile = getProfile(c.server);
  const target = path.join(dir, c.path);
  await writePatch(await planPatch(profile, locateServer(profile, target)));
  const [original, schemas] = listSchemas(locateServer(profile, path.join(input, c.path)).importRoot, locateServer(profile, target).importRoot, c);
  assert.deepEqual(Object.keys(schemas).sort(), Object.keys(original).sort(), "the patched server lists other tools");
  assert.ok(Object.keys(schemas).length > 0);
  for (const [tool, schema] of Object.entries(schemas)) {
    for (const p of params) assert.ok(p in schema.properties, `${tool} lacks ${p} in its input schema`);
    assert.match(JSON.stringify(schema.properties.account_id), /\\\\d\{12\}|\[0-9\]\{12\}/, `${tool}: account_id has no 12-digit pattern`);
    const before = original[tool];
    const added = params.filter((p) => !(before && p in before.properties));
    assert.deepEqual(Object.keys(schema.properties), [...Object.keys(before?.properties ?? {}), ...added], `${tool}: parameters changed`);
    assert.deepEqual(schema.required ?? [], before?.required ?? [], `${tool}: required parameters changed`);
  }
}

/**
 * The tools FastMCP lists for `c.module` imported from the unpatched root, then from the patched one, in
 * one Python process (one interpreter start instead of two: this file runs for every mutant of the engine
 * a mutation run must judge). The package's modules are dropped between the two; the unpatched one goes
 * first because the patched package's runtime installs process-wide hooks when it is imported.
 */
function listSchemas(originalRoot: string, patchedRoot: string, c: Case): [Schemas, Schemas] {
  const top = c.module!.split(".")[0]!;
  const script = [
    "import asyncio, importlib, json, sys",
    `roots, module, top = ${JSON.stringify([originalRoot, patchedRoot])}, ${JSON.stringify(c.module)}, ${JSON.stringify(top)}`,
    "listed = []",
    "for root in roots:",
    "    sys.path.insert(0, root)",
    "    mod = importlib.import_module(module)",
    "    listed.append({t.name: t.inputSchema for t in asyncio.run(mod.mcp.list_tools())})",
    "    sys.path.remove(root)",
    "    for name in [n for n in sys.modules if n == top or n.startswith(top + '.')]:",
    "        del sys.modules[name]",
    "print(json.dumps(listed))",
  ].join("\n");
  // No __pycache__ in the fixture's input folder.
  const r = spawnSync(testPython(), ["-c", script], { encoding: "utf8", env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } });
  assert.equal(r.status, 0, r.stderr);
  const [original, patched] = JSON.parse(r.stdout) as Schemas[];
  assert.ok(original && patched, r.stdout);
  return [original, patched];
}
