/** Where `patch` finds the package: every kind of path the user may give. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { getProfile } from "../codemods/index.js";
import { locateServer } from "../src/codemod/index.js";
import { expandHome } from "../src/codemod/locate.js";
import { parseServerSpec } from "../src/smoke/plan.js";
import { XaError } from "../src/errors.js";

function makePackage(root: string, packagePath: string): string {
  const dir = path.join(root, ...packagePath.split("/"));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "__init__.py"), "");
  return dir;
}

test("locates the package from a monorepo, the server folder, the package and a virtualenv; refuses a file, an empty or missing path", () => {
  const ecs = getProfile("ecs");
  const root = mkdtempSync(path.join(os.tmpdir(), "xa-locate-"));
  try {
    const server = path.join(root, "mcp", "src", "ecs-mcp-server");
    const pkg = makePackage(server, ecs.packagePath);
    writeFileSync(path.join(server, "pyproject.toml"), "");
    writeFileSync(path.join(pkg, "main.py"), "");
    for (const p of [path.join(root, "mcp"), server, pkg, path.join(server, "awslabs")]) {
      const found = locateServer(ecs, p);
      assert.equal(found.packageDir, pkg, p);
      assert.equal(found.importRoot, server);
      assert.equal(found.serverRoot, server);
    }
    const venv = path.join(root, "venv");
    const site = path.join(venv, "lib", "python3.11", "site-packages");
    const vpkg = makePackage(site, ecs.packagePath);
    mkdirSync(path.join(venv, "bin"));
    writeFileSync(path.join(venv, "bin", "python"), "");
    for (const p of [venv, site]) {
      const found = locateServer(ecs, p);
      assert.equal(found.packageDir, vpkg);
      assert.equal(found.importRoot, site);
      assert.equal(found.venvPython, path.join(venv, "bin", "python"));
    }
    assert.throws(
      () => locateServer(getProfile("iac"), venv),
      (e: unknown) => e instanceof XaError && e.code === "wrong-server" && e.hint === `run: xaccount patch ecs ${venv}`,
    );
    // `~` is the home folder, as the shell would have expanded it (for `--server ecs:~/...` of test too).
    const home = process.env.HOME;
    process.env.HOME = root;
    try {
      assert.equal(expandHome("~"), root);
      assert.equal(expandHome("~/venv"), path.join(root, "venv"));
      assert.equal(expandHome("a/~/b"), "a/~/b");
      assert.equal(locateServer(ecs, "~/venv").packageDir, vpkg);
      assert.equal(locateServer(ecs, "~/venv").inputPath, venv);
      // `xaccount test --server ecs:~/venv` (its parser is in src/smoke/plan.ts and uses the same expansion).
      assert.deepEqual(parseServerSpec("ecs:~/venv", "/elsewhere"), { kind: "ecs", path: venv });
    } finally {
      process.env.HOME = home;
    }
    mkdirSync(path.join(root, "elsewhere"));
    assert.throws(
      () => locateServer(ecs, path.join(root, "elsewhere")),
      (e: unknown) => e instanceof XaError && e.code === "server-not-found" && e.exitCode === 2,
    );
    // A file is refused, not searched around; so are an empty path and one that does not exist.
    const refused = (p: string, what: RegExp): void =>
      assert.throws(() => locateServer(ecs, p), (e: unknown) => e instanceof XaError && e.code === "bad-path" && e.exitCode === 2 && what.test(e.message), p);
    refused(path.join(pkg, "main.py"), /main\.py is a file, not a folder/);
    refused("", /empty/);
    refused("  ", /empty/);
    refused(path.join(root, "missing"), /missing does not exist/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
