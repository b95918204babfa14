/**
 * `xaccount patch <path>` for any AWS Labs server: detection from dist-info and pyproject.toml, the
 * generic profile, `profileFor`, and the no-aws-calls refusal. Trees are written here (small servers
 * laid out like a site-packages or a source checkout); the real PyPI servers are in
 * test/python/test_server_matrix.py.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { PACKAGE_ROOT } from "../src/version.js";
import { snapshot, treeDiff } from "./helpers/trees.js";
import { detectServers, parseScripts, projectKeys, recordPackages, shortName } from "../src/codemod/detect.js";
import { importsAwsSdk } from "../src/codemod/aws-imports.js";
import { profileFor } from "../codemods/index.js";
import { testPython } from "./helpers/moto.js";

const BIN = path.join(PACKAGE_ROOT, "bin", "xaccount.js");

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, "patch", ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "xa-detect-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const TOOL = (sdkImport: string): string =>
  `${sdkImport}
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("demo")


@mcp.tool()
def list_things(name: str) -> str:
    """List the things.

    Args:
        name: which things
    """
    return name


def main() -> None:
    mcp.run()


if __name__ == "__main__":
    main()
`;

/** A site-packages look-alike holding `awslabs.<short>-mcp-server` installed from a wheel. */
function installDistInfo(site: string, short: string, opts: { sdkImport?: string; module?: string; script?: string } = {}): string {
  const module = opts.module ?? `${short.replace(/-/g, "_")}_mcp_server`;
  const pkg = path.join(site, "awslabs", module);
  mkdirSync(pkg, { recursive: true });
  writeFileSync(path.join(site, "awslabs", "__init__.py"), "");
  writeFileSync(path.join(pkg, "__init__.py"), "");
  writeFileSync(path.join(pkg, "server.py"), TOOL(opts.sdkImport ?? "import boto3"));
  const distInfo = path.join(site, `awslabs_${short.replace(/-/g, "_")}_mcp_server-1.2.3.dist-info`);
  mkdirSync(distInfo);
  writeFileSync(path.join(distInfo, "METADATA"), `Metadata-Version: 2.4\nName: awslabs.${short}-mcp-server\nVersion: 1.2.3\n\nA server.\n`);
  writeFileSync(
    path.join(distInfo, "RECORD"),
    `awslabs/${module}/__init__.py,sha256=x,0\nawslabs/${module}/server.py,sha256=x,1\n${path.basename(distInfo)}/METADATA,,\n`,
  );
  writeFileSync(
    path.join(distInfo, "entry_points.txt"),
    `[console_scripts]\nawslabs.${short}-mcp-server = ${opts.script ?? `awslabs.${module}.server:main`}\n`,
  );
  return pkg;
}

test("parsing: console scripts, RECORD packages, [project] keys, short names", () => {
  assert.deepEqual(parseScripts("[console_scripts]\nawslabs.x-mcp-server = awslabs.x_mcp_server.main:main\n[other]\ny = z:w\n", "console_scripts"), [
    { name: "awslabs.x-mcp-server", target: "awslabs.x_mcp_server.main:main" },
  ]);
  assert.deepEqual(parseScripts('[project]\nname = "a"\n[project.scripts]\n"awslabs.x-mcp-server" = "awslabs.x_mcp_server.server:main"\n', "project.scripts"), [
    { name: "awslabs.x-mcp-server", target: "awslabs.x_mcp_server.server:main" },
  ]);
  assert.deepEqual(recordPackages("awslabs/__init__.py,,\nawslabs/x_mcp_server/a/b.py,,\nawslabs/x_mcp_server/__init__.py,,\nx-1.dist-info/RECORD,,\n"), ["awslabs/x_mcp_server"]);
  assert.deepEqual(projectKeys('[build-system]\nname = "no"\n[project]\nname = "awslabs.eks-mcp-server"\nversion = "0.2.1"\n'), { name: "awslabs.eks-mcp-server", version: "0.2.1" });
  assert.equal(shortName("awslabs.aws-healthomics-mcp-server"), "aws-healthomics");
  assert.equal(shortName("awslabs_eks_mcp_server"), "eks");
});

test("AWS SDK imports: boto3, botocore, aioboto3, aiobotocore in any import form; not a mention in text", () => {
  for (const yes of ["import boto3", "from botocore.config import Config", "  import aioboto3", "import os, boto3", "from aiobotocore.session import get_session"]) {
    assert.ok(importsAwsSdk(`x = 1\n${yes}\n`), yes);
  }
  for (const no of ["# import boto3", 'doc = "uses boto3"', "import boto3x", "from mypkg import boto3_helpers"]) {
    assert.ok(!importsAwsSdk(`x = 1\n${no}\n`), no);
  }
});

test("patch <path>: a site-packages with one AWS Labs server is detected from its dist-info and patched", (t) => {
  const site = tempDir(t);
  const pkg = installDistInfo(site, "fancy-thing", { script: "awslabs.fancy_thing_mcp_server.server:main" });
  const r = run(site, "--json");
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { server: string; packageDir: string; toolsPatched: Array<{ name: string; added: string[] }>; next: { start: string } };
  assert.equal(report.server, "fancy-thing");
  assert.equal(report.packageDir, pkg);
  assert.deepEqual(report.toolsPatched, [{ file: "server.py", name: "list_things", added: ["account_id"] }]);
  assert.match(report.next.start, /-m awslabs\.fancy_thing_mcp_server\.server$/);
  assert.match(readFileSync(path.join(pkg, "server.py"), "utf8"), /account_id: AccountId = None/);
  // The short name works too, and --check agrees the tree is patched.
  assert.equal(run("fancy-thing", site, "--check").status, 0);
  // The package folder itself names its server.
  assert.equal(run(pkg, "--check").status, 0);
});

test("the entry module is the console script's module (memcached's is main.py, not server.py)", (t) => {
  const site = tempDir(t);
  installDistInfo(site, "cache-thing", { script: "awslabs.cache_thing_mcp_server.main:main" });
  assert.equal(detectServers(site)[0]?.entryModule, "awslabs.cache_thing_mcp_server.main");
});

test("a source tree: pyproject.toml names the server and its script", (t) => {
  const root = tempDir(t);
  mkdirSync(path.join(root, "awslabs", "src_thing_mcp_server"), { recursive: true });
  writeFileSync(path.join(root, "awslabs", "__init__.py"), "");
  writeFileSync(path.join(root, "awslabs", "src_thing_mcp_server", "__init__.py"), "");
  writeFileSync(path.join(root, "awslabs", "src_thing_mcp_server", "server.py"), TOOL("from botocore.config import Config"));
  writeFileSync(
    path.join(root, "pyproject.toml"),
    '[project]\nname = "awslabs.src-thing-mcp-server"\nversion = "0.0.1"\n\n[project.scripts]\n"awslabs.src-thing-mcp-server" = "awslabs.src_thing_mcp_server.server:main"\n',
  );
  const profile = profileFor(root);
  assert.equal(profile.distribution, "awslabs.src-thing-mcp-server");
  assert.equal(profile.packagePath, "awslabs/src_thing_mcp_server");
  assert.deepEqual(profile.extraParams, ["account_id"]);
  const r = run(path.join(root, "awslabs", "src_thing_mcp_server"), "--dry-run");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /would patch the AWS Labs Src Thing MCP server/);
});

test("a server that imports no AWS SDK is refused with no-aws-calls (exit 2), nothing written", (t) => {
  const site = tempDir(t);
  installDistInfo(site, "docs-thing", { sdkImport: "import httpx" });
  const before = snapshot(site);
  for (const mode of [[], ["--dry-run"], ["--check"]]) {
    const r = run(site, ...mode);
    assert.equal(r.status, 2, `${mode.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /error\[no-aws-calls\]: .*makes no AWS call/);
    assert.equal(r.stdout, "");
  }
  assert.deepEqual(treeDiff(before, snapshot(site)), []);
});

test("several servers in one site-packages: ambiguous-server lists them; a name picks one; a wrong name is wrong-server", (t) => {
  const site = tempDir(t);
  installDistInfo(site, "alpha");
  installDistInfo(site, "beta");
  const before = snapshot(site);
  const r = run(site);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /error\[ambiguous-server\]: .*2 AWS Labs MCP servers: alpha \(awslabs\.alpha-mcp-server 1\.2\.3\), beta/);
  assert.deepEqual(treeDiff(before, snapshot(site)), []);
  const wrong = run("gamma", site);
  assert.equal(wrong.status, 2);
  assert.match(wrong.stderr, /error\[wrong-server\]/);
  const beta = run("awslabs.beta-mcp-server", site, "--json");
  assert.equal(beta.status, 0, beta.stderr);
  assert.match(readFileSync(path.join(site, "awslabs", "beta_mcp_server", "server.py"), "utf8"), /account_id/);
  assert.doesNotMatch(readFileSync(path.join(site, "awslabs", "alpha_mcp_server", "server.py"), "utf8"), /account_id/);
});

test("a path with no AWS Labs server: server-not-found; a profile name alone: bad-path", (t) => {
  const dir = tempDir(t);
  const r = run(dir);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /error\[server-not-found\]: no AWS Labs MCP server/);
  const alone = run("ecs");
  assert.equal(alone.status, 2);
  assert.match(alone.stderr, /error\[bad-path\]: no path after the server name "ecs"/);
});

test("profileFor: profile files by name and by detected distribution; others get the generic profile", (t) => {
  assert.equal(profileFor("ecs").name, "ecs");
  assert.throws(() => profileFor("nope"), /unknown server "nope"/);
  const site = tempDir(t);
  installDistInfo(site, "ecs", { module: "ecs_mcp_server" });
  // awslabs.ecs-mcp-server has a profile file: it wins over the generic profile (region, notes).
  assert.deepEqual(profileFor(site).extraParams, ["account_id", "region"]);
  installDistInfo(site, "eks");
  assert.equal(profileFor("eks", site).title, "AWS Labs EKS MCP server");
});

/** A virtualenv layout whose python is `python`, with one AWS Labs server installed. */
function venvWith(t: TestContext, python: string): { venv: string; site: string } {
  const venv = tempDir(t);
  const site = path.join(venv, "lib", "python3.11", "site-packages");
  mkdirSync(site, { recursive: true });
  mkdirSync(path.join(venv, "bin"));
  symlinkSync(python, path.join(venv, "bin", "python"));
  installDistInfo(site, "venv-thing");
  return { venv, site };
}

test("a virtualenv whose Python cannot import botocore/pydantic is refused (runtime-deps-missing): patched, the server would not start", (t) => {
  // A Python with no site-packages at all (-S -I): botocore and pydantic cannot be imported, as in a
  // virtualenv that lacks them; everything else is the test Python.
  const bin = tempDir(t);
  const noDeps = path.join(bin, "python-without-deps");
  writeFileSync(noDeps, `#!/bin/sh\nexec ${testPython()} -S -I "$@"\n`, { mode: 0o755 });
  const bare = venvWith(t, noDeps);
  const before = snapshot(bare.venv);
  const r = run(bare.venv);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /error\[runtime-deps-missing\]: the server's Python .*bin\/python cannot import .*No module named/);
  assert.match(r.stderr, /pip install botocore 'pydantic>=2\.5'/);
  assert.deepEqual(treeDiff(before, snapshot(bare.venv)), []);
  // The same tree with a Python that has them (the test virtualenv's) patches.
  const good = venvWith(t, testPython());
  const ok = run(good.venv);
  assert.equal(ok.status, 0, ok.stderr);
});
