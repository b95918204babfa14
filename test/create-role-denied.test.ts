/**
 * AccessDenied, for real: moto enforcing IAM (the emulator's default; its bootstrap makes the users, then
 * every request is checked against the caller's IAM policies). create-role must name the permission the
 * caller lacks, exit 1 without a stack trace, and say what exists in the account.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { GetRoleCommand, IAMClient, ListRolePoliciesCommand } from "@aws-sdk/client-iam";
import { MOTO_DEFAULT_ACCOUNT, startMoto, type Moto } from "./helpers/moto.js";
import { PACKAGE_ROOT } from "../src/version.js";

const BIN = path.join(PACKAGE_ROOT, "bin", "xaccount.js");
let moto: Moto;
let tmp: string;
const users: Record<string, { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string }> = {};

before(async () => {
  moto = await startMoto();
  tmp = mkdtempSync(path.join(tmpdir(), "xaccount-denied-"));
  const made = await moto.bootstrap([
    { account: MOTO_DEFAULT_ACCOUNT, name: "admin", actions: ["iam:*", "sts:*"] },
    // May read and create the role, but not write its policies.
    { account: MOTO_DEFAULT_ACCOUNT, name: "limited", actions: ["sts:GetCallerIdentity", "iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:CreateRole", "iam:TagRole"] },
    // No IAM permission at all (sts:GetCallerIdentity is never refused).
    { account: MOTO_DEFAULT_ACCOUNT, name: "nobody", actions: ["sts:GetCallerIdentity"] },
  ]);
  for (const u of made) users[u.name] = { AWS_ACCESS_KEY_ID: u.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: u.credentials.secretAccessKey };
});
after(async () => {
  await moto?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function cli(args: string[], creds: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env = {
    PATH: process.env.PATH ?? "", HOME: tmp, NO_COLOR: "1", AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: path.join(tmp, "none"), AWS_SHARED_CREDENTIALS_FILE: path.join(tmp, "none"),
    AWS_REGION: "us-east-1", AWS_ENDPOINT_URL: moto.endpoint, ...creds,
  };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, "create-role", ...args], { env, encoding: "utf8" }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === "number" ? err.code : null) : 0, stdout, stderr });
    });
  });
}

function adminIam(): IAMClient {
  const c = users.admin as { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string };
  return new IAMClient({ region: "us-east-1", endpoint: moto.endpoint, credentials: { accessKeyId: c.AWS_ACCESS_KEY_ID, secretAccessKey: c.AWS_SECRET_ACCESS_KEY } });
}

test("enforcement is on: moto's default credentials are refused now", async () => {
  const r = await cli(["--trust-account", "111111111111"], { AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing" });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /error\[aws-credentials\]/);
});

test("a caller without iam:PutRolePolicy: exit 1 naming it, and the report says exactly what exists", async () => {
  const r = await cli([], users.limited as Record<string, string>);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /error\[aws-access-denied\]: arn:aws:iam::123456789012:user\/limited may not call iam:PutRolePolicy/);
  assert.match(r.stderr, /hint: grant iam:PutRolePolicy/);
  assert.match(r.stderr, /in account 123456789012: role arn:aws:iam::123456789012:role\/McpReadOnlyRole exists; trust policy up to date; policy xaccount-ecs-read-only missing; policy xaccount-iac-read-only missing/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  // What the report says is what the account holds.
  const iam = adminIam();
  assert.ok((await iam.send(new GetRoleCommand({ RoleName: "McpReadOnlyRole" }))).Role);
  assert.deepEqual((await iam.send(new ListRolePoliciesCommand({ RoleName: "McpReadOnlyRole" }))).PolicyNames, []);

  // Someone with the permission finishes the job, and the limited caller then finds it up to date.
  const admin = await cli(["--trust-principal", "arn:aws:iam::123456789012:user/limited"], users.admin as Record<string, string>);
  assert.equal(admin.status, 0, admin.stderr);
  assert.match(admin.stdout, /add policy xaccount-ecs-read-only/);
  const again = await cli([], users.limited as Record<string, string>);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /up to date/);
});

test("a caller with no IAM permissions is told the first one it lacks, and nothing changes", async () => {
  const r = await cli(["--role-name", "OtherRole"], users.nobody as Record<string, string>);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /error\[aws-access-denied\]: .* may not call (sts:GetCallerIdentity|iam:GetRole)/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  await assert.rejects(adminIam().send(new GetRoleCommand({ RoleName: "OtherRole" })), /NoSuchEntity|cannot be found/);
});

test("assumeRoleInAccount: AccessDenied names the role, the caller and the fix", async () => {
  const { assumeRoleInAccount } = await import("../src/aws/sts.js");
  const saved = { ...process.env };
  Object.assign(process.env, { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: "us-east-1", ...(users.limited as Record<string, string>) });
  try {
    await assert.rejects(assumeRoleInAccount({ accountId: "555555555555", externalId: "ext-1" }), (e: Error & { code?: string; hint?: string }) => {
      assert.equal(e.code, "assume-role-denied");
      assert.match(e.message, /arn:aws:iam::123456789012:user\/limited may not assume arn:aws:iam::555555555555:role\/McpReadOnlyRole/);
      assert.match(e.hint ?? "", /xaccount create-role --trust-principal arn:aws:iam::123456789012:user\/limited --external-id/);
      return true;
    });
  } finally {
    process.env = saved;
  }
});
