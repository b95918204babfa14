/**
 * Server detection (src/codemod/detect.ts) in process: the readers of entry_points.txt, METADATA,
 * RECORD and pyproject.toml, the site-packages folders a path can be, and detectServer's refusals.
 * Trees are small look-alikes written under the OS temp folder; no CLI, no Python (the end-to-end
 * cases are in detect-server.test.ts).
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { XaError } from "../src/errors.js";
import { detectServer, detectServers, fromPyproject, fromSitePackages, parseScripts, projectKeys, recordPackages } from "../src/codemod/detect.js";

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "xa-detect-units-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

interface DistOpts {
  folder?: string;
  metadata?: string;
  record?: string;
  topLevel?: string;
  entryPoints?: string;
  /** The package folder to create under the site-packages (none when null). */
  pkg?: string | null;
}

/** A dist-info for `awslabs.<short>-mcp-server` in `site`, with its package folder unless told. */
function dist(site: string, short: string, o: DistOpts = {}): string {
  const module = `${short.replace(/-/g, "_")}_mcp_server`;
  const dir = path.join(site, o.folder ?? `awslabs_${module}-1.0.0.dist-info`);
  mkdirSync(dir, { recursive: true });
  if (o.metadata !== undefined) write(path.join(dir, "METADATA"), o.metadata);
  else write(path.join(dir, "METADATA"), `Metadata-Version: 2.4\nName: awslabs.${short}-mcp-server\nVersion: 1.0.0\n`);
  if (o.record !== undefined) write(path.join(dir, "RECORD"), o.record);
  if (o.topLevel !== undefined) write(path.join(dir, "top_level.txt"), o.topLevel);
  if (o.entryPoints !== undefined) write(path.join(dir, "entry_points.txt"), o.entryPoints);
  const pkg = o.pkg === undefined ? `awslabs/${module}` : o.pkg;
  if (pkg !== null) write(path.join(site, ...pkg.split("/"), "__init__.py"), "");
  return dir;
}

function refusal(fn: () => unknown): XaError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof XaError, String(err));
    return err;
  }
  assert.fail("expected a refusal");
}

test("parseScripts: sections, comments after values, # lines, quoted keys and values, whitespace trimmed", () => {
  const ini = [
    "# a comment line",
    "[gui_scripts]",
    "gui = awslabs.x_mcp_server.gui:main",
    "[console_scripts]",
    "",
    "   # indented comment",
    "awslabs.x-mcp-server = awslabs.x_mcp_server.server:main   # trailing comment",
    "other=awslabs.x_mcp_server.other:run",
    "[console_scripts.extra]",
    "not = this:one",
  ].join("\r\n");
  assert.deepEqual(parseScripts(ini, "console_scripts"), [
    { name: "awslabs.x-mcp-server", target: "awslabs.x_mcp_server.server:main" },
    { name: "other", target: "awslabs.x_mcp_server.other:run" },
  ]);
  // Quotes around a key or a value are not part of it, nor is space inside them.
  assert.deepEqual(parseScripts(`[project.scripts]\n" awslabs.x-mcp-server " = ' awslabs.x_mcp_server.main:main '\n`, "project.scripts"), [
    { name: "awslabs.x-mcp-server", target: "awslabs.x_mcp_server.main:main" },
  ]);
  // A key with a stray quote is skipped, not read as the shorter key after it.
  assert.deepEqual(parseScripts(`[project.scripts]\nx"y = awslabs.x_mcp_server.main:main\n`, "project.scripts"), []);
  assert.deepEqual(parseScripts("[project.scripts]\n", "console_scripts"), []);
});

test("the entry module: module:function, extras and whitespace read; a target that is not a module path is not followed", (t) => {
  const site = tempDir(t);
  const entry = (short: string, target: string): string | undefined => {
    dist(site, short, { entryPoints: `[console_scripts]\nawslabs.${short}-mcp-server = ${target}\n` });
    return fromSitePackages(site).find((s) => s.distribution === `awslabs.${short}-mcp-server`)?.entryModule;
  };
  assert.equal(entry("a", "awslabs.a_mcp_server.main:main"), "awslabs.a_mcp_server.main");
  assert.equal(entry("b", "awslabs.b_mcp_server.main : main [cli, extra]"), "awslabs.b_mcp_server.main");
  assert.equal(entry("c", "awslabs.c_mcp_server.main"), "awslabs.c_mcp_server.main");
  // Not a module path: the template's <package>.server, not a module read out of the middle.
  assert.equal(entry("d", "1awslabs.d_mcp_server.main:main"), "awslabs.d_mcp_server.server");
  assert.equal(entry("e", "awslabs.e_mcp_server.main:main junk"), "awslabs.e_mcp_server.server");
  assert.equal(entry("f", "awslabs.f_mcp_server.main:main!"), "awslabs.f_mcp_server.server");
  // Another package's script is not this server's entry.
  assert.equal(entry("g", "otherpkg.cli:main"), "awslabs.g_mcp_server.server");
  // Several of its own: the one named like the distribution wins.
  dist(site, "h", { entryPoints: "[console_scripts]\nh-tool = awslabs.h_mcp_server.tool:main\nawslabs_h_mcp_server = awslabs.h_mcp_server.main:main\n" });
  assert.equal(fromSitePackages(site).find((s) => s.distribution === "awslabs.h-mcp-server")?.entryModule, "awslabs.h_mcp_server.main");
});

test("METADATA headers: any case, tabs and trailing space around values; no Version, no version", (t) => {
  const site = tempDir(t);
  dist(site, "a", { metadata: "Metadata-Version: 2.1\r\nname:\tawslabs.a-mcp-server  \r\nVERSION: \t2.0.1\t \r\n\r\nName: not-this\r\n" });
  dist(site, "b", { metadata: "Metadata-Version: 2.1\nName: awslabs.b-mcp-server\n" });
  const [a, b] = fromSitePackages(site);
  assert.equal(a?.distribution, "awslabs.a-mcp-server");
  assert.equal(a?.version, "2.0.1");
  assert.equal(b?.distribution, "awslabs.b-mcp-server");
  assert.ok(b && !("version" in b), JSON.stringify(b));
});

test("recordPackages: awslabs/<pkg> folders with .py files, sorted, once each", () => {
  const record = [
    "awslabs/__init__.py,sha256=a,0",
    "awslabs/zeta_mcp_server/server.py,sha256=b,10",
    "awslabs/alpha_mcp_server/__init__.py,,",
    "awslabs/alpha_mcp_server/sub/x.py,,",
    "awslabs/alpha_mcp_server/__pycache__/x.cpython-311.pyc,,",
    "awslabs/data_only/file.json,,",
    "awslabs/9bad/x.py,,",
    "awslabs_alpha_mcp_server-1.0.dist-info/METADATA,,",
    "",
  ].join("\n");
  assert.deepEqual(recordPackages(record), ["awslabs/alpha_mcp_server", "awslabs/zeta_mcp_server"]);
});

test("fromSitePackages: only awslabs dist-info folders with an AWS Labs Name in their METADATA", (t) => {
  const site = tempDir(t);
  dist(site, "kept");
  // Not an awslabs dist-info folder name: not read, whatever its METADATA says.
  dist(site, "hidden", { folder: "zawslabs_hidden_mcp_server-1.0.dist-info" });
  dist(site, "nometa", { folder: "awslabs_nometa_mcp_server-1.0.dist-info" });
  rmSync(path.join(site, "awslabs_nometa_mcp_server-1.0.dist-info", "METADATA"));
  dist(site, "lib", { folder: "awslabs.lib-1.0.dist-info", metadata: "Name: awslabs.lib\nVersion: 1\n" });
  mkdirSync(path.join(site, "awslabs_notdist_mcp_server"));
  assert.deepEqual(
    fromSitePackages(site).map((s) => [s.distribution, s.source.kind, path.basename(s.source.file)]),
    [["awslabs.kept-mcp-server", "dist-info", "awslabs_kept_mcp_server-1.0.0.dist-info"]],
  );
  assert.deepEqual(fromSitePackages(path.join(site, "missing")), []);
});

test("fromSitePackages: the package folder from RECORD or top_level.txt only when it exists, else the default", (t) => {
  const site = tempDir(t);
  // RECORD names a folder that is not there and one that is: the one that is.
  dist(site, "a", { pkg: "awslabs/a_impl", record: "awslabs/gone_pkg/x.py,,\nawslabs/a_impl/server.py,,\n" });
  // top_level.txt names the folder (RECORD has none).
  dist(site, "b", { pkg: "awslabs/b_impl", record: "", topLevel: "awslabs\nawslabs/b_impl\n" });
  // Nothing names an existing folder: awslabs/<name>_mcp_server.
  dist(site, "c", { pkg: null, record: "awslabs/gone/x.py,,\n", topLevel: "awslabs/also_gone\n" });
  assert.deepEqual(
    fromSitePackages(site).map((s) => [s.packagePath, s.entryModule]),
    [
      ["awslabs/a_impl", "awslabs.a_impl.server"],
      ["awslabs/b_impl", "awslabs.b_impl.server"],
      ["awslabs/c_mcp_server", "awslabs.c_mcp_server.server"],
    ],
  );
});

test("projectKeys: [project] name and version only; other tables, root keys and comments are not them", () => {
  assert.deepEqual(projectKeys('name = "awslabs.root-mcp-server"\n[project]\nversion = "1.0"\n'), { version: "1.0" });
  assert.deepEqual(projectKeys('[project]\nname = "awslabs.x-mcp-server"\n# version = "0.0.0"\ndynamic = ["version"]\n[tool.x]\nversion = "9"\n'), {
    name: "awslabs.x-mcp-server",
  });
  assert.deepEqual(projectKeys("[project]\nname='awslabs.x-mcp-server'\nversion  =  '2'\n"), { name: "awslabs.x-mcp-server", version: "2" });
});

test("fromPyproject: the guessed package folder, else another awslabs/<pkg> with __init__.py, else the guess", (t) => {
  const root = tempDir(t);
  const project = (dir: string, extra = ""): void => write(path.join(dir, "pyproject.toml"), `[project]\nname = "awslabs.my-thing-mcp-server"\n${extra}`);
  const guessed = path.join(root, "guessed");
  project(guessed, 'version = "0.3.0"\n');
  write(path.join(guessed, "awslabs", "my_thing_mcp_server", "__init__.py"), "");
  write(path.join(guessed, "awslabs", "another", "__init__.py"), "");
  assert.deepEqual(fromPyproject(guessed), {
    distribution: "awslabs.my-thing-mcp-server",
    version: "0.3.0",
    packagePath: "awslabs/my_thing_mcp_server",
    entryModule: "awslabs.my_thing_mcp_server.server",
    source: { kind: "pyproject", file: path.join(guessed, "pyproject.toml") },
  });
  const other = path.join(root, "other");
  project(other, '[project.scripts]\n"awslabs.my-thing-mcp-server" = "awslabs.renamed.cli:main"\n');
  mkdirSync(path.join(other, "awslabs", "not_a_package"), { recursive: true });
  write(path.join(other, "awslabs", "renamed", "__init__.py"), "");
  const found = fromPyproject(other);
  assert.equal(found?.packagePath, "awslabs/renamed");
  assert.equal(found?.entryModule, "awslabs.renamed.cli");
  assert.ok(found && !("version" in found));
  const bare = path.join(root, "bare");
  project(bare);
  assert.equal(fromPyproject(bare)?.packagePath, "awslabs/my_thing_mcp_server");
  write(path.join(root, "notours", "pyproject.toml"), '[project]\nname = "requests"\n');
  assert.equal(fromPyproject(path.join(root, "notours")), undefined);
  assert.equal(fromPyproject(path.join(root, "missing")), undefined);
});

test("detectServers: a virtualenv's lib and lib64 python*, .venv, venv, Windows Lib/site-packages, a path inside site-packages", (t) => {
  const root = tempDir(t);
  const names = (p: string): string[] => detectServers(p).map((s) => s.distribution);
  dist(path.join(root, "v1", "lib", "python3.12", "site-packages"), "one");
  dist(path.join(root, "v1", "lib64", "python3.11", "site-packages"), "two");
  mkdirSync(path.join(root, "v1", "lib", "notpython", "site-packages", "awslabs_x_mcp_server-1.dist-info"), { recursive: true });
  assert.deepEqual(names(path.join(root, "v1")), ["awslabs.one-mcp-server", "awslabs.two-mcp-server"]);
  dist(path.join(root, "p1", ".venv", "lib", "python3.11", "site-packages"), "dotvenv");
  assert.deepEqual(names(path.join(root, "p1")), ["awslabs.dotvenv-mcp-server"]);
  dist(path.join(root, "p2", "venv", "lib", "python3.11", "site-packages"), "plainvenv");
  assert.deepEqual(names(path.join(root, "p2")), ["awslabs.plainvenv-mcp-server"]);
  dist(path.join(root, "win", "Lib", "site-packages"), "windows");
  assert.deepEqual(names(path.join(root, "win")), ["awslabs.windows-mcp-server"]);
  // A folder inside a site-packages (not a package folder) finds that site-packages' servers.
  const site = path.join(root, "v3", "lib", "python3.11", "site-packages");
  dist(site, "inside");
  mkdirSync(path.join(site, "some", "deep", "folder", "below"), { recursive: true });
  assert.deepEqual(names(path.join(site, "some", "deep", "folder", "below")), ["awslabs.inside-mcp-server"]);
  // A site-packages inside another one's tree is itself, not the outer one.
  const outer = path.join(root, "outer", "site-packages");
  dist(outer, "outer");
  const inner = path.join(outer, "vendored", "site-packages");
  dist(inner, "inner");
  assert.deepEqual(names(inner), ["awslabs.inner-mcp-server"]);
});

test("detectServers: one entry per normalized distribution; a package folder keeps only its server", (t) => {
  const site = tempDir(t);
  dist(site, "dup", { folder: "awslabs_dup_mcp_server-1.0.dist-info", metadata: "Name: awslabs.dup-mcp-server\nVersion: 1.0\n" });
  dist(site, "dup", { folder: "awslabs.dup_mcp_server-2.0.dist-info", metadata: "Name: awslabs_dup.mcp-server\nVersion: 2.0\n" });
  dist(site, "other");
  assert.deepEqual(
    detectServers(site).map((s) => [s.distribution, s.version]),
    [
      ["awslabs_dup.mcp-server", "2.0"],
      ["awslabs.other-mcp-server", "1.0.0"],
    ],
  );
  const inPkg = path.join(site, "awslabs", "other_mcp_server", "tools");
  mkdirSync(inPkg);
  assert.deepEqual(
    detectServers(inPkg).map((s) => s.distribution),
    ["awslabs.other-mcp-server"],
  );
  assert.deepEqual(
    detectServers(path.join(site, "awslabs", "other_mcp_server")).map((s) => s.distribution),
    ["awslabs.other-mcp-server"],
  );
});

test("detectServer: none is server-not-found; several with no name is ambiguous-server; a name picks one or is wrong-server", (t) => {
  const empty = tempDir(t);
  assert.equal(refusal(() => detectServer(empty)).code, "server-not-found");
  assert.equal(refusal(() => detectServer(empty, "x")).code, "server-not-found");
  const site = tempDir(t);
  dist(site, "alpha", { metadata: "Name: awslabs.alpha-mcp-server\n" });
  dist(site, "beta");
  const ambiguous = refusal(() => detectServer(site));
  assert.equal(ambiguous.code, "ambiguous-server");
  assert.equal(ambiguous.exitCode, 2);
  assert.equal(ambiguous.hint, `name the one to patch: xaccount patch alpha ${site}`);
  assert.equal(detectServer(site, "beta").distribution, "awslabs.beta-mcp-server");
  assert.equal(detectServer(site, "AWSLABS_ALPHA_MCP_SERVER").distribution, "awslabs.alpha-mcp-server");
  const wrong = refusal(() => detectServer(site, "gamma"));
  assert.equal(wrong.code, "wrong-server");
  assert.equal(wrong.exitCode, 2);
  assert.match(wrong.hint ?? "", new RegExp(`xaccount patch alpha ${site.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`));
  // A name that fits two servers (one's short name is the other's distribution) is ambiguous, not wrong.
  const two = tempDir(t);
  dist(two, "y");
  dist(two, "awslabs-y-mcp-server");
  assert.equal(refusal(() => detectServer(two, "awslabs-y-mcp-server")).code, "ambiguous-server");
});
