/** Pure parts of `xaccount test`: input validation, Python choice, reading tool answers, fixes. */
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { XaError } from "../src/errors.js";
import { buildPlan, parseAccounts, parseServerSpec, roleSettings, sanitizeSessionName } from "../src/smoke/plan.js";
import { choosePython } from "../src/smoke/python.js";
import { findClusterArns, serverEnv } from "../src/smoke/server.js";
import { assumeRoleFix, sourceCredentialsFix } from "../src/smoke/checks.js";
import { partitionOf, roleArn } from "../src/aws/assume.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof XaError) return `${err.code}/${err.exitCode}`;
    throw err;
  }
  return undefined;
}

test("account ids: exactly 12 ASCII digits, deduplicated", () => {
  assert.deepEqual(parseAccounts(" 111111111111, 222222222222,111111111111 "), ["111111111111", "222222222222"]);
  assert.deepEqual(parseAccounts(undefined), []);
  for (const bad of ["", ",", "11111111111", "1111111111111", "11111111111x", "١١١١١١١١١١١١", "111111111111 222222222222"]) {
    assert.equal(codeOf(() => parseAccounts(bad)), "account-id-invalid/2", JSON.stringify(bad));
  }
});

test("--server takes ecs:<path> or iac:<path> of an existing path", () => {
  const cwd = process.cwd();
  assert.deepEqual(parseServerSpec("iac:.", cwd), { kind: "iac", path: cwd });
  assert.equal(codeOf(() => parseServerSpec("ecs", cwd)), "server-spec-invalid/2");
  assert.equal(codeOf(() => parseServerSpec("lambda:.", cwd)), "server-spec-invalid/2");
  assert.equal(codeOf(() => parseServerSpec("ecs:/no/such/dir", cwd)), "server-spec-invalid/2");
});

test("role settings mirror the runtime's: flags over XACCOUNT_*, validated", () => {
  assert.deepEqual(roleSettings({}, {}), { roleName: "McpReadOnlyRole", externalId: undefined, sessionName: "xaccount", durationSeconds: 3600 });
  const env = { XACCOUNT_ROLE_NAME: "EnvRole", XACCOUNT_EXTERNAL_ID: "ext-1", XACCOUNT_SESSION_NAME: "me@corp dev", XACCOUNT_DURATION_SECONDS: "900" };
  assert.deepEqual(roleSettings({}, env), { roleName: "EnvRole", externalId: "ext-1", sessionName: "me@corp-dev", durationSeconds: 900 });
  assert.equal(roleSettings({ roleName: "FlagRole", externalId: "flag-id" }, env).roleName, "FlagRole");
  assert.equal(roleSettings({ roleName: "FlagRole", externalId: "flag-id" }, env).externalId, "flag-id");
  assert.equal(codeOf(() => roleSettings({ roleName: "bad/role" }, {})), "role-name-invalid/2");
  assert.equal(codeOf(() => roleSettings({ externalId: "x" }, {})), "external-id-invalid/2");
  assert.equal(codeOf(() => roleSettings({}, { XACCOUNT_DURATION_SECONDS: "60" })), "duration-invalid/2");
  assert.equal(codeOf(() => roleSettings({}, { XACCOUNT_DURATION_SECONDS: "1h" })), "duration-invalid/2");
  assert.equal(sanitizeSessionName("x"), "xaccount");
  assert.equal(sanitizeSessionName("a".repeat(80)).length, 64);
});

test("a missing --python is bad input", () => {
  assert.equal(codeOf(() => buildPlan({ python: "/no/such/python" }, {}, process.cwd())), "python-not-found/2");
});

test("the server's Python: --python, else the venv holding the package, else a .venv above, else python3", () => {
  const have = (...files: string[]) => (p: string) => files.includes(p);
  const pkg = path.join("/srv", "venv", "lib", "python3.12", "site-packages", "awslabs", "ecs_mcp_server");
  assert.equal(choosePython({ explicit: "/x/python", packageDir: pkg, startDir: "/" }, have()).python, "/x/python");
  assert.equal(choosePython({ explicit: undefined, packageDir: pkg, startDir: "/srv" }, have("/srv/venv/bin/python")).python, "/srv/venv/bin/python");
  const checkout = "/repo/src/ecs-mcp-server/awslabs/ecs_mcp_server";
  assert.equal(
    choosePython({ explicit: undefined, packageDir: checkout, startDir: "/repo/src/ecs-mcp-server" }, have("/repo/.venv/bin/python")).python,
    "/repo/.venv/bin/python",
  );
  assert.equal(choosePython({ explicit: undefined, packageDir: checkout, startDir: "/repo/src/ecs-mcp-server" }, have()).python, "python3");
});

test("cluster ARNs are found in either server version's answer shape", () => {
  const a = "arn:aws:ecs:us-east-1:111111111111:cluster/one";
  const b = "arn:aws:ecs:us-east-1:111111111111:cluster/two";
  assert.deepEqual(findClusterArns({ clusterArns: [a, b] }), [a, b]);
  assert.deepEqual(findClusterArns({ clusters: [{ clusterArn: a, clusterName: "one" }], count: 1 }), [a]);
  assert.deepEqual(findClusterArns({ note: "arn:aws:ecs:us-east-1:111111111111:service/x/y" }), []);
});

test("the server gets the role settings, the import root on PYTHONPATH and a region", () => {
  const env = serverEnv({ PYTHONPATH: "/other", XACCOUNT_EXTERNAL_ID: "stale" }, "/srv", { roleName: "R", externalId: undefined, sessionName: "s1", durationSeconds: 900 }, "eu-west-1");
  assert.equal(env.PYTHONPATH, "/srv:/other");
  assert.equal(env.XACCOUNT_ROLE_NAME, "R");
  assert.equal(env.XACCOUNT_DURATION_SECONDS, "900");
  assert.equal(env.XACCOUNT_EXTERNAL_ID, undefined);
  assert.equal(env.AWS_REGION, "eu-west-1");
});

test("role ARNs carry the region's partition", () => {
  assert.equal(partitionOf("cn-north-1"), "aws-cn");
  assert.equal(partitionOf("us-gov-west-1"), "aws-us-gov");
  assert.equal(roleArn("111111111111", "R", "eu-west-1"), "arn:aws:iam::111111111111:role/R");
});

test("fixes name the cause: trust policy with the caller, expired or missing credentials", () => {
  const denied = Object.assign(new Error("not authorized to perform sts:AssumeRole"), { name: "AccessDenied" });
  const fix = assumeRoleFix(denied, "arn:aws:iam::111111111111:role/R", "111111111111", { roleName: "R", externalId: "e", sessionName: "s", durationSeconds: 3600 }, {
    account: "999999999999",
    arn: "arn:aws:iam::999999999999:user/dev",
    userId: "u",
  });
  assert.match(fix, /xaccount create-role --trust-principal arn:aws:iam::999999999999:user\/dev --external-id/);
  assert.match(sourceCredentialsFix(Object.assign(new Error("The security token included in the request is expired"), { name: "ExpiredToken" })), /aws sso login/);
  assert.match(sourceCredentialsFix(Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" })), /configure AWS credentials/);
});
