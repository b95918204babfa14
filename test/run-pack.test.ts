/**
 * What `npm pack` would publish (npm pack --dry-run, no scripts, from the built dist/): the CLI and its
 * runtime, the licence and docs; no tests, benches, demo or emulator code, no TypeScript sources, and no
 * source map that needs a file the tarball lacks. And an unbuilt checkout says to build. ~3 s.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PACKAGE_ROOT } from "../src/version.js";

interface PackEntry {
  path: string;
}

function packedFiles(): string[] {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: PACKAGE_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const [pack] = JSON.parse(out) as Array<{ files: PackEntry[] }>;
  return pack!.files.map((f) => f.path).sort();
}

test("the tarball holds the CLI, its runtime, LICENSE and docs, and nothing only tests or the demo use", () => {
  const files = packedFiles();
  for (const required of ["package.json", "LICENSE", "README.md", "TROUBLESHOOTING.md", "bin/xaccount.js", "dist/src/cli.js", "dist/src/entry.js", "dist/src/commands/run.js", "dist/src/run/prepare.js", "dist/codemods/index.js", "codemods/runtime/_xaccount.py"]) {
    assert.ok(files.includes(required), `${required} is missing from the tarball`);
  }
  const forbidden = files.filter((f) => /^(dist\/(test|bench)\/|test\/|fixtures\/|scripts\/|src\/|bench\/|\.venv|\.cache)/.test(f) || /^dist\/src\/(demo|emulator)\./.test(f) || f.endsWith(".ts"));
  assert.deepEqual(forbidden, [], "test, bench, demo-only or source files in the tarball");
});

test("every source map in the tarball carries its sources inline, so none points at a file the tarball lacks", () => {
  const files = packedFiles();
  const maps = files.filter((f) => f.endsWith(".map"));
  assert.ok(maps.length > 0);
  for (const m of maps) {
    const map = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, m), "utf8")) as { sources: string[]; sourcesContent?: Array<string | null> };
    assert.equal(map.sourcesContent?.length, map.sources.length, `${m} has no inline sources`);
    assert.ok(map.sourcesContent!.every((s) => typeof s === "string" && s.length > 0), `${m} lacks a source's content`);
  }
  // A .js that names a map names one that ships.
  for (const js of files.filter((f) => f.endsWith(".js"))) {
    const ref = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(path.join(PACKAGE_ROOT, js), "utf8"));
    if (ref) assert.ok(files.includes(path.posix.join(path.posix.dirname(js), ref[1]!)), `${js} points at ${ref[1]}, not in the tarball`);
  }
});

test("package.json has the publishing metadata, and LICENSE is the licence it names", () => {
  const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as Record<string, unknown>;
  assert.equal(pkg.license, "Apache-2.0");
  assert.match(readFileSync(path.join(PACKAGE_ROOT, "LICENSE"), "utf8"), /^Apache License\s+Version 2\.0, January 2004/);
  for (const key of ["repository", "homepage", "bugs", "keywords", "bin", "engines"]) assert.ok(pkg[key], `package.json lacks ${key}`);
});

test("an unbuilt checkout says to run npm run build, not a module-not-found stack", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "xaccount-unbuilt-"));
  try {
    cpSync(path.join(PACKAGE_ROOT, "bin"), path.join(dir, "bin"), { recursive: true });
    cpSync(path.join(PACKAGE_ROOT, "package.json"), path.join(dir, "package.json"));
    const r = spawnSync(process.execPath, [path.join(dir, "bin", "xaccount.js"), "--help"], { encoding: "utf8" });
    assert.equal(r.status, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /xaccount: error: this checkout has not been built.*\n\s+hint: run npm run build/);
    assert.doesNotMatch(r.stderr, /ERR_MODULE_NOT_FOUND|at /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
