/** Pure logic of `xaccount run`: versions, Requires-Python, index choice and pages, targets, options. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { compareVersions, isPreRelease, newest, pythonSatisfies } from "../src/run/versions.js";
import { chooseIndex, indexUrlFromIni, redact } from "../src/run/index-url.js";
import { latestRelease, parseHtml, releasesOf, versionOf } from "../src/run/package-index.js";
import { parseRunTarget } from "../src/run/spec.js";
import { parseDuration, serverEnv } from "../src/commands/run.js";
import { XaError } from "../src/errors.js";
import { findPython } from "../src/run/python.js";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof XaError) return `${err.code}/${err.exitCode}`;
    throw err;
  }
  return "no error";
}

test("versions order as PEP 440 says: numbers, not text; pre-releases before the release", () => {
  assert.ok(compareVersions("0.1.10", "0.1.9") > 0);
  assert.ok(compareVersions("1.0.0rc1", "1.0.0") < 0);
  assert.ok(compareVersions("1.0.0a2", "1.0.0b1") < 0);
  assert.ok(compareVersions("1.0.0.post1", "1.0.0") > 0);
  assert.ok(compareVersions("1.0.0.dev1", "1.0.0a1") < 0);
  assert.equal(compareVersions("1.0", "1.0.0"), 0);
  assert.equal(newest(["0.1.9", "0.1.37", "0.1.4"]), "0.1.37");
  assert.equal(isPreRelease("1.0.0rc1"), true);
  assert.equal(isPreRelease("1.0.0.dev3"), true);
  assert.equal(isPreRelease("1.0.0.post1"), false);
});

test("Requires-Python is matched on the interpreter's minor version", () => {
  assert.equal(pythonSatisfies([3, 13], ">=3.10"), true);
  assert.equal(pythonSatisfies([3, 9], ">=3.10"), false);
  assert.equal(pythonSatisfies([3, 12], ">=3.11,<3.12"), false);
  assert.equal(pythonSatisfies([3, 11], ">=3.11,<3.12"), true);
  assert.equal(pythonSatisfies([3, 13], ">=3.10,<3.14"), true);
  assert.equal(pythonSatisfies([3, 14], ">=3.10,<3.14"), false);
  assert.equal(pythonSatisfies([3, 12], "~=3.10"), true);
  assert.equal(pythonSatisfies([3, 10], "~=3.10.2"), true);
  assert.equal(pythonSatisfies([3, 11], "~=3.10.2"), false);
  assert.equal(pythonSatisfies([3, 12], "!=3.12.*"), false);
  assert.equal(pythonSatisfies([3, 12], "==3.12.*"), true);
  assert.equal(pythonSatisfies([3, 11], "==3.12.*"), false);
  assert.equal(pythonSatisfies([3, 10], undefined), true);
  assert.equal(pythonSatisfies([3, 10], ">3.10"), true, "3.10.1 is > 3.10");
  assert.equal(pythonSatisfies([3, 10], "<3.10.1"), true, "3.10.0 is < 3.10.1");
  assert.equal(pythonSatisfies([3, 10], "<3.10"), false);
});

test("the index: --index-url, then the installer's variable, then pip's config files (later wins, [install] over [global]), then PyPI", () => {
  const files: Record<string, string> = {
    "/etc/xdg/pip/pip.conf": "[global]\nindex-url = https://a.example/simple\n",
    "/etc/pip.conf": "[global]\nindex-url = https://b.example/simple/\n[install]\nindex_url = https://c.example/simple\n",
  };
  const read = (f: string): string | undefined => files[f];
  const env = { HOME: "/nowhere", XDG_CONFIG_DIRS: "/etc/xdg" };
  assert.deepEqual(chooseIndex({ uv: false }, env, read), { url: "https://c.example/simple", from: "/etc/pip.conf" });
  assert.equal(chooseIndex({ uv: false }, { ...env, PIP_INDEX_URL: "https://p.example/simple/" }, read).url, "https://p.example/simple");
  assert.equal(chooseIndex({ uv: true }, { ...env, PIP_INDEX_URL: "https://p.example/simple", UV_INDEX_URL: "https://u.example/simple" }, read).url, "https://u.example/simple");
  assert.equal(chooseIndex({ uv: false }, { ...env, PIP_INDEX_URL: "https://p.example/simple", UV_INDEX_URL: "https://u.example/simple" }, read).url, "https://p.example/simple");
  assert.equal(chooseIndex({ uv: false, indexUrl: "https://flag.example/simple" }, { ...env, PIP_INDEX_URL: "https://p.example" }, read).url, "https://flag.example/simple");
  assert.deepEqual(chooseIndex({ uv: false }, { ...env, PIP_CONFIG_FILE: "/dev/null" }, read), { url: "https://pypi.org/simple", from: "default" });
  assert.equal(indexUrlFromIni("[freeze]\nindex-url = https://x\n"), undefined);
  assert.equal(redact("https://user:secret@host.example/simple"), "https://***@host.example/simple");
});

test("a simple-index page: versions from wheel and sdist names, Requires-Python, yanked files, @latest skips pre-releases", () => {
  const html = `<a href="/f/awslabs_ecs_mcp_server-0.1.36-py3-none-any.whl" data-requires-python="&gt;=3.10">awslabs_ecs_mcp_server-0.1.36-py3-none-any.whl</a>
<a href="/f/awslabs.ecs_mcp_server-0.1.37.tar.gz" data-requires-python="&gt;=3.10,&lt;3.14">awslabs.ecs_mcp_server-0.1.37.tar.gz</a>
<a href="/f/awslabs_ecs_mcp_server-0.1.38rc1-py3-none-any.whl">awslabs_ecs_mcp_server-0.1.38rc1-py3-none-any.whl</a>
<a href="/f/awslabs_ecs_mcp_server-0.1.39-py3-none-any.whl" data-yanked="broken">awslabs_ecs_mcp_server-0.1.39-py3-none-any.whl</a>
<a href="/f/other_pkg-9.9-py3-none-any.whl">other_pkg-9.9-py3-none-any.whl</a>`;
  const releases = releasesOf(parseHtml(html), "awslabs.ecs-mcp-server");
  assert.deepEqual(releases.map((r) => r.version), ["0.1.36", "0.1.37", "0.1.38rc1", "0.1.39"]);
  assert.equal(releases[1]!.requiresPython, ">=3.10,<3.14");
  const latest = latestRelease(releases);
  assert.equal(latest?.version, "0.1.37");
  assert.equal(versionOf("awslabs_aws_iac_mcp_server-1.0.26-py3-none-any.whl", "awslabs.aws-iac-mcp-server"), "1.0.26");
  assert.equal(versionOf("awslabs_aws_iac_mcp_server-1.0.26-py3-none-any.whl", "awslabs.ecs-mcp-server"), undefined);
});

test("run targets: profile names, @version, @latest, awslabs.<name>-mcp-server for other names", () => {
  const ecs = parseRunTarget("ecs@0.1.37");
  assert.equal(ecs.distribution, "awslabs.ecs-mcp-server");
  assert.equal(ecs.version, "0.1.37");
  assert.equal(ecs.profile?.name, "ecs");
  assert.equal(parseRunTarget("iac").version, "latest");
  assert.equal(parseRunTarget("iac@latest").distribution, "awslabs.aws-iac-mcp-server");
  const other = parseRunTarget("aws-documentation@1.2.3");
  assert.equal(other.distribution, "awslabs.aws-documentation-mcp-server");
  // The profile is found by distribution too.
  assert.equal(parseRunTarget("awslabs.ecs-mcp-server@1.0").profile?.name, "ecs");
  assert.equal(code(() => parseRunTarget("ecs@not a version")), "run-target-invalid/2");
  assert.equal(code(() => parseRunTarget("../etc@1.0")), "run-target-invalid/2");
  assert.equal(code(() => parseRunTarget("")), "run-target-invalid/2");
});

test("runtime options become the server's XACCOUNT_* environment; the external id comes from a named variable only", () => {
  const env = serverEnv({ accounts: " prod=111111111111, dev=222222222222 ", roleName: "Reader", sessionName: "me@host", externalIdEnv: "MY_XID" }, { MY_XID: "secret-id-1", AWS_PROFILE: "hub" });
  assert.equal(env.XACCOUNT_ACCOUNTS, "prod=111111111111,dev=222222222222");
  assert.equal(env.XACCOUNT_ALLOWED_ACCOUNTS, "111111111111,222222222222");
  assert.equal(env.XACCOUNT_ROLE_NAME, "Reader");
  assert.equal(env.XACCOUNT_SESSION_NAME, "me@host");
  assert.equal(env.XACCOUNT_EXTERNAL_ID, "secret-id-1");
  assert.equal(env.AWS_PROFILE, "hub", "AWS_PROFILE passes through");
  // The list the server gets is the shared parser's normal form (as `config` writes it): a bare id named
  // later in the list and a repeated entry count once, so names and allowlist agree.
  const merged = serverEnv({ accounts: "111111111111,prod=111111111111,dev=222222222222,dev=222222222222" }, {});
  assert.equal(merged.XACCOUNT_ACCOUNTS, "prod=111111111111,dev=222222222222");
  assert.equal(merged.XACCOUNT_ALLOWED_ACCOUNTS, "111111111111,222222222222");
  assert.equal(code(() => serverEnv({ accounts: "prod=111111111111,prod=222222222222" }, {})), "account-name-invalid/2");
  assert.equal(code(() => serverEnv({ accounts: " , " }, {})), "account-id-invalid/2");
  assert.equal(code(() => serverEnv({ externalIdEnv: "MY_XID" }, {})), "external-id-env-invalid/2");
  assert.equal(code(() => serverEnv({ externalIdEnv: "secret-id-1" }, {})), "external-id-env-invalid/2");
  assert.equal(code(() => serverEnv({ accounts: "prod=12345" }, {})), "account-id-invalid/2");
  assert.equal(code(() => serverEnv({ roleName: "bad role" }, {})), "role-name-invalid/2");
  assert.equal(code(() => serverEnv({ sessionName: "x" }, {})), "session-name-invalid/2");
  assert.equal(serverEnv({}, { XACCOUNT_ALLOWED_ACCOUNTS: "111111111111" }).XACCOUNT_ALLOWED_ACCOUNTS, "111111111111", "no flag: the variable passes through");
});

test("refresh intervals", () => {
  assert.equal(parseDuration(undefined, "--refresh-interval"), 86_400_000);
  assert.equal(parseDuration("0", "--refresh-interval"), 0);
  assert.equal(parseDuration("30m", "--refresh-interval"), 1_800_000);
  assert.equal(parseDuration("12h", "--refresh-interval"), 43_200_000);
  assert.equal(code(() => parseDuration("soon", "--refresh-interval")), "refresh-interval-invalid/2");
});

test("the interpreter: the newest python3.X on PATH the release accepts and that actually runs (a pyenv shim of an inactive version does not)", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "xaccount-pythons-"));
  try {
    const script = (name: string, body: string): void => {
      writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`);
      chmodSync(path.join(dir, name), 0o755);
    };
    script("python3.13", "echo 'pyenv: python3.13: command not found' >&2; exit 127");
    script("python3.12", "echo 3.12");
    script("python3.11", "echo 3.11");
    script("python3.9", "echo 3.9");
    const env = { PATH: dir };
    assert.equal(findPython(">=3.10", env)?.path, path.join(dir, "python3.12"), "3.13 does not run: the next one that fits");
    assert.deepEqual(findPython(">=3.10,<3.12", env)?.minor, [3, 11]);
    assert.equal(findPython(">=3.14", env), undefined);
    // A shim named python3.12 that is really another version is not taken for 3.12.
    script("python3.12", "echo 3.9");
    assert.equal(findPython(">=3.12", env), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
