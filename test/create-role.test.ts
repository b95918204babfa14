/**
 * `xaccount create-role` end to end: the real CLI (`node bin/xaccount.js`) as a child process against
 * moto's server with IAM enforced, reading back what it did with the SDK. moto maps credentials to
 * accounts: keys made with iam:CreateAccessKey belong to the account they were made in, and keys from
 * sts:AssumeRole belong to the account in the role ARN, so several "accounts" are several sets of
 * credentials. Each test starts from a reset emulator with one bootstrapped administrator (`admin`); every
 * identity create-role runs as is an IAM user or role session with the IAM permissions it needs.
 */
import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  AttachRolePolicyCommand, CreateAccessKeyCommand, CreatePolicyCommand, CreateRoleCommand, CreateUserCommand,
  GetRoleCommand, GetRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand, ListPoliciesCommand,
  ListRolePoliciesCommand, ListRolesCommand, PutRolePolicyCommand, PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { ADMIN, startMoto, testPython, type Identity, type Moto } from "./helpers/moto.js";
import { PACKAGE_ROOT } from "../src/version.js";
import { permissionPolicy } from "../src/aws/policies.js";

const BIN = path.join(PACKAGE_ROOT, "bin", "xaccount.js");
const DEFAULT_ACCOUNT = "123456789012"; // moto's
const ROLE = "McpReadOnlyRole";

let moto: Moto;
let tmp: string;
/** An administrator of moto's default account, made again after each reset. */
let admin: Identity;

before(async () => {
  moto = await startMoto();
  tmp = mkdtempSync(path.join(tmpdir(), "xaccount-create-role-"));
});
after(async () => {
  await moto?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});
beforeEach(async () => {
  await moto.reset();
  admin = (await moto.bootstrap([{ account: DEFAULT_ACCOUNT, name: "admin", actions: ADMIN }]))[0]!;
});

interface Creds { accessKeyId: string; secretAccessKey: string; sessionToken?: string | undefined }
interface Run { status: number | null; stdout: string; stderr: string }

function credsEnv(c: Creds): Record<string, string> {
  return { AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey, ...(c.sessionToken ? { AWS_SESSION_TOKEN: c.sessionToken } : {}) };
}

/** Runs the CLI with only the emulator's env (plus `extra`): nothing from the developer's AWS setup. */
function cli(args: string[], extra: Record<string, string> = {}): Promise<Run> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: tmp,
    AWS_CONFIG_FILE: path.join(tmp, "no-config"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(tmp, "no-credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    NO_COLOR: "1",
    ...moto.env,
    ...extra,
  };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, "create-role", ...args], { env, encoding: "utf8" }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === "number" ? err.code : null) : 0, stdout, stderr });
    });
  });
}

function iam(c?: Creds): IAMClient {
  return new IAMClient({ region: "us-east-1", endpoint: moto.endpoint, credentials: c ?? admin.credentials });
}

/** What create-role needs: IAM (sts:GetCallerIdentity needs no permission). */
const ROLE_ADMIN_POLICY = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iam:*", Resource: "*" }] });

/** An IAM user of the default account who may run create-role. */
async function newUser(name: string): Promise<{ arn: string; creds: Creds }> {
  const client = iam();
  const user = await client.send(new CreateUserCommand({ UserName: name }));
  await client.send(new PutUserPolicyCommand({ UserName: name, PolicyName: "iam-admin", PolicyDocument: ROLE_ADMIN_POLICY }));
  const key = (await client.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey;
  return { arn: user.User?.Arn ?? "", creds: { accessKeyId: key?.AccessKeyId ?? "", secretAccessKey: key?.SecretAccessKey ?? "" } };
}

async function assume(roleArn: string, as: Creds = admin.credentials): Promise<Creds> {
  const sts = new STSClient({ region: "us-east-1", endpoint: moto.endpoint, credentials: as });
  const c = (await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "operator-session" }))).Credentials;
  return { accessKeyId: c?.AccessKeyId ?? "", secretAccessKey: c?.SecretAccessKey ?? "", sessionToken: c?.SessionToken };
}

/** Trusts the default account's administrator (moto checks same-account trust by exact principal ARN). */
const trustAdmin = (): Record<string, unknown> => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: admin.arn }, Action: "sts:AssumeRole" }] });
const TRUST_ANY = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${DEFAULT_ACCOUNT}:root` }, Action: "sts:AssumeRole" }] };

/** Everything IAM holds that create-role could have made, for exact comparisons. */
async function snapshot(c?: Creds): Promise<Record<string, unknown>> {
  const client = iam(c);
  const roles = (await client.send(new ListRolesCommand({}))).Roles ?? [];
  const out: Record<string, unknown> = {
    localPolicies: ((await client.send(new ListPoliciesCommand({ Scope: "Local" }))).Policies ?? []).map((p) => p.PolicyName),
  };
  for (const r of roles) {
    const name = r.RoleName ?? "";
    const role = (await client.send(new GetRoleCommand({ RoleName: name }))).Role;
    const inline: Record<string, unknown> = {};
    for (const p of (await client.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames ?? []) {
      const doc = (await client.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: p }))).PolicyDocument ?? "";
      inline[p] = JSON.parse(decodeURIComponent(doc));
    }
    out[name] = {
      arn: role?.Arn,
      created: role?.CreateDate?.toISOString(),
      trust: JSON.parse(decodeURIComponent(role?.AssumeRolePolicyDocument ?? "")),
      maxSessionDuration: role?.MaxSessionDuration,
      tags: Object.fromEntries((role?.Tags ?? []).map((t) => [t.Key, t.Value])),
      inline,
      attached: ((await client.send(new ListAttachedRolePoliciesCommand({ RoleName: name }))).AttachedPolicies ?? []).map((p) => p.PolicyArn),
    };
  }
  return out;
}

interface RoleSnap { arn: string; trust: { Statement: Array<{ Principal: { AWS: string[] }; Condition?: unknown }> }; inline: Record<string, unknown>; attached: string[]; tags: Record<string, string>; maxSessionDuration: number }

test("first run creates exactly the role and its two inline policies, trusting the IAM user who ran it", async () => {
  const alice = await newUser("alice");
  const before = await snapshot();
  const r = await cli([], credsEnv(alice.creds));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Created arn:aws:iam::123456789012:role\/McpReadOnlyRole/);
  const snap = await snapshot();
  assert.deepEqual(Object.keys(snap).sort(), [...Object.keys(before), ROLE].sort(), "exactly one new role");
  assert.deepEqual(snap.localPolicies, [], "no managed policies are created");
  const role = snap[ROLE] as RoleSnap;
  assert.equal(role.arn, `arn:aws:iam::${DEFAULT_ACCOUNT}:role/${ROLE}`);
  assert.deepEqual(role.trust.Statement[0]?.Principal.AWS, [alice.arn]);
  assert.equal(role.trust.Statement[0]?.Condition, undefined);
  assert.deepEqual(role.inline, { "xaccount-ecs-read-only": permissionPolicy("ecs"), "xaccount-iac-read-only": permissionPolicy("iac") });
  assert.deepEqual(role.attached, []);
  assert.equal(role.tags["managed-by"], "xaccount");
  assert.equal(role.maxSessionDuration, 3600);
});

test("second run changes nothing and says up to date; a changed option converges", async () => {
  const alice = await newUser("alice");
  assert.equal((await cli([], credsEnv(alice.creds))).status, 0);
  const first = await snapshot();
  const again = await cli([], credsEnv(alice.creds));
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /up to date/);
  assert.deepEqual(await snapshot(), first);
  const json = await cli(["--json"], credsEnv(alice.creds));
  assert.deepEqual((JSON.parse(json.stdout) as { results: Array<{ status: string; changes: string[] }> }).results[0], {
    ...(JSON.parse(json.stdout) as { results: Array<Record<string, unknown>> }).results[0], status: "up-to-date", changes: [],
  });

  // Converge: fewer sets, longer sessions, a tag; then back.
  const changed = await cli(["--server", "iac", "--max-session-duration", "7200", "--tags", "team=platform"], credsEnv(alice.creds));
  assert.equal(changed.status, 0, changed.stderr);
  assert.match(changed.stdout, /Updated/);
  const role = (await snapshot())[ROLE] as RoleSnap;
  assert.deepEqual(Object.keys(role.inline), ["xaccount-iac-read-only"]);
  assert.equal(role.maxSessionDuration, 7200);
  assert.equal(role.tags.team, "platform");
  assert.match((await cli(["--server", "iac", "--max-session-duration", "7200", "--tags", "team=platform"], credsEnv(alice.creds))).stdout, /up to date/);
});

test("a drifted policy document and trust policy are put back", async () => {
  const alice = await newUser("alice");
  assert.equal((await cli([], credsEnv(alice.creds))).status, 0);
  const good = await snapshot();
  const client = iam();
  await client.send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: "xaccount-ecs-read-only", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ecs:*", Resource: "*" }] }) }));
  const { UpdateAssumeRolePolicyCommand } = await import("@aws-sdk/client-iam");
  await client.send(new UpdateAssumeRolePolicyCommand({ RoleName: ROLE, PolicyDocument: JSON.stringify(TRUST_ANY) }));
  const r = await cli([], credsEnv(alice.creds));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /update trust policy/);
  assert.match(r.stdout, /update policy xaccount-ecs-read-only/);
  assert.deepEqual(await snapshot(), good);
});

test("--dry-run prints the documents and creates nothing", async () => {
  const alice = await newUser("alice");
  const before = await snapshot();
  const r = await cli(["--dry-run"], credsEnv(alice.creds));
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { trustPolicy: RoleSnap["trust"]; permissionPolicies: Record<string, unknown>; plan: string[] };
  assert.deepEqual(out.trustPolicy.Statement[0]?.Principal.AWS, [alice.arn]);
  assert.deepEqual(out.permissionPolicies["xaccount-iac-read-only"], permissionPolicy("iac"));
  assert.deepEqual(out.plan, ["create role", "add policy xaccount-ecs-read-only", "add policy xaccount-iac-read-only"]);
  assert.deepEqual(await snapshot(), before);
  // With the trust given explicitly, a dry run needs no AWS at all: an unreachable endpoint still works.
  const offline = await cli(["--dry-run", "--trust-account", "111111111111"], { AWS_ENDPOINT_URL: "http://127.0.0.1:9" });
  assert.equal(offline.status, 0, offline.stderr);
  assert.ok(JSON.parse(offline.stdout));
});

test("an assumed-role caller is trusted as its role, with the role's path from iam:GetRole", async () => {
  await iam().send(new CreateRoleCommand({ RoleName: "Operator", Path: "/team/ops/", AssumeRolePolicyDocument: JSON.stringify(trustAdmin()) }));
  await iam().send(new PutRolePolicyCommand({ RoleName: "Operator", PolicyName: "iam-admin", PolicyDocument: ROLE_ADMIN_POLICY }));
  const session = await assume(`arn:aws:iam::${DEFAULT_ACCOUNT}:role/team/ops/Operator`);
  const r = await cli([], credsEnv(session));
  assert.equal(r.status, 0, r.stderr);
  const role = (await snapshot())[ROLE] as RoleSnap;
  assert.deepEqual(role.trust.Statement[0]?.Principal.AWS, [`arn:aws:iam::${DEFAULT_ACCOUNT}:role/team/ops/Operator`]);
  assert.doesNotMatch(JSON.stringify(role.trust), /assumed-role|sts::/);
});

test("an assumed-role caller whose role cannot be read gets the path-less role ARN, and a note says so", async () => {
  // Permissive: only moto's open mode hands out a working session for a role that does not exist (moto
  // ignores Resource, so a Deny on iam:GetRole would also stop create-role reading its own role).
  const open = await startMoto({ permissive: "a session of a role that does not exist works only when nothing is checked" });
  const saved = moto;
  moto = open;
  try {
    const session = await assume("arn:aws:iam::222222222222:role/Ghost", { accessKeyId: "testing", secretAccessKey: "testing" });
    const r = await cli([], credsEnv(session));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /note: .*assumed-role\/Ghost.*role arn:aws:iam::222222222222:role\/Ghost/);
    const role = (await snapshot(session))[ROLE] as RoleSnap;
    assert.equal(role.arn, `arn:aws:iam::222222222222:role/${ROLE}`);
    assert.deepEqual(role.trust.Statement[0]?.Principal.AWS, ["arn:aws:iam::222222222222:role/Ghost"]);
  } finally {
    moto = saved;
    await open.stop();
  }
});

test("--trust-account with --external-id puts both in the trust policy", async () => {
  const alice = await newUser("alice");
  const r = await cli(["--trust-account", "111111111111", "--trust-principal", "arn:aws:iam::999999999999:role/McpHost", "--external-id", "mcp-ext-1"], credsEnv(alice.creds));
  assert.equal(r.status, 0, r.stderr);
  const role = (await snapshot())[ROLE] as RoleSnap;
  assert.deepEqual(role.trust.Statement[0]?.Principal.AWS, ["arn:aws:iam::111111111111:root", "arn:aws:iam::999999999999:role/McpHost"]);
  assert.deepEqual(role.trust.Statement[0]?.Condition, { StringEquals: { "sts:ExternalId": "mcp-ext-1" } });
});

test("bad input exits 2 with one line, before any AWS call, and creates nothing", async () => {
  const alice = await newUser("alice");
  const before = await snapshot();
  const cases: Array<[string[], RegExp]> = [
    [["--trust-account", "12345678901"], /account-id-invalid.*12345678901/],
    [["--trust-account", "１２３４５６７８９０１２"], /account-id-invalid/],
    [["--trust-principal", "arn:aws:iam::123456789012:group/admins"], /arn-invalid/],
    [["--role-name", "bad/name"], /role-name-invalid/],
    [["--max-session-duration", "100"], /duration-invalid/],
    [["--external-id", "a b"], /external-id-invalid/],
    [["--server", "ecs,s3"], /server-invalid/],
    [["--tags", "aws:x=1"], /tags-invalid/],
    [["--region", "nowhere"], /region-invalid/],
    [["--format", "yaml"], /options-conflict/],
  ];
  for (const [args, pattern] of cases) {
    // Against the emulator: nothing may change.
    const r = await cli(args, credsEnv(alice.creds));
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split("\n").filter((l) => !l.includes("hint:")).length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    // Against nothing: an AWS call would fail with exit 1, so exit 2 here proves none was made.
    const offline = await cli(args, { AWS_ENDPOINT_URL: "http://127.0.0.1:9" });
    assert.equal(offline.status, 2, `${args.join(" ")} offline: ${offline.stderr}`);
  }
  assert.deepEqual(await snapshot(), before);
});

test("keys AWS does not know are refused with exit 1, and nothing is created", async () => {
  // Root credentials are refused by resolveCaller (create-role-docs.test.ts): moto has no root keys to try.
  const r = await cli([]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /error\[aws-credentials\]: AWS rejected the credentials/);
  assert.deepEqual(Object.keys(await snapshot()), ["localPolicies"]);
});

test("--delete removes the role, its policies and attachments (--dry-run only plans it); a second --delete has nothing to do", async () => {
  const alice = await newUser("alice");
  const before = await snapshot();
  assert.equal((await cli([], credsEnv(alice.creds))).status, 0);
  // Something attached by hand must not stop the deletion.
  const client = iam();
  const managed = await client.send(new CreatePolicyCommand({ PolicyName: "extra", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ecs:ListClusters", Resource: "*" }] }) }));
  await client.send(new AttachRolePolicyCommand({ RoleName: ROLE, PolicyArn: managed.Policy?.Arn }));
  const noted = await cli([], credsEnv(alice.creds));
  assert.match(noted.stderr, /managed policies attached: .*extra/);
  const kept = await snapshot();
  const planned = await cli(["--delete", "--dry-run"], credsEnv(alice.creds));
  assert.equal(planned.status, 0, planned.stderr);
  assert.deepEqual((JSON.parse(planned.stdout) as { plan: string[] }).plan, [
    "delete policy xaccount-ecs-read-only", "delete policy xaccount-iac-read-only", `detach managed policy ${managed.Policy?.Arn}`, "delete role",
  ]);
  assert.deepEqual(await snapshot(), kept, "--delete --dry-run deletes nothing");
  const r = await cli(["--delete"], credsEnv(alice.creds));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Deleted/);
  assert.deepEqual(await snapshot(), { ...before, localPolicies: ["extra"] });
  const again = await cli(["--delete"], credsEnv(alice.creds));
  assert.equal(again.status, 0);
  assert.match(again.stdout, /Nothing to delete/);
});

test("--format cloudformation prints a template (trusting the caller by default) and writes nothing", async () => {
  const r = await cli(["--format", "cloudformation", "--trust-account", "111111111111"]);
  assert.equal(r.status, 0, r.stderr);
  const t = JSON.parse(r.stdout) as { Resources: Record<string, { Type: string }> };
  assert.equal(t.Resources.McpReadOnlyRole?.Type, "AWS::IAM::Role");
  assert.deepEqual(Object.keys(await snapshot()), ["localPolicies"]);
  // Without trust options the template trusts the caller, like create-role itself.
  const alice = await newUser("alice");
  const before = await snapshot();
  const mine = await cli(["--format", "cloudformation"], credsEnv(alice.creds));
  assert.equal(mine.status, 0, mine.stderr);
  const props = (JSON.parse(mine.stdout) as { Resources: { McpReadOnlyRole: { Properties: { AssumeRolePolicyDocument: RoleSnap["trust"] } } } }).Resources.McpReadOnlyRole.Properties;
  assert.deepEqual(props.AssumeRolePolicyDocument.Statement[0]?.Principal.AWS, [alice.arn]);
  assert.deepEqual(await snapshot(), before);
});

test("--profile a,b,c does each account in turn, with a table; a failing profile gives exit 1 and says what exists", async () => {
  const accounts = { a: "111111111111", b: "222222222222", c: "333333333333" };
  const lines: string[] = [];
  const sessions: Record<string, Creds> = {};
  const admins = await moto.bootstrap(Object.values(accounts).map((account) => ({ account, name: "admin", actions: ADMIN })));
  for (const [i, [profile, account]] of Object.entries(accounts).entries()) {
    // Each profile is a session of an Admin role in its account, as SSO gives; the role exists there, so
    // create-role can read its path.
    const boot = admins[i]!;
    const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: boot.arn }, Action: "sts:AssumeRole" }] };
    await iam(boot.credentials).send(new CreateRoleCommand({ RoleName: "Admin", AssumeRolePolicyDocument: JSON.stringify(trust) }));
    await iam(boot.credentials).send(new PutRolePolicyCommand({ RoleName: "Admin", PolicyName: "iam-admin", PolicyDocument: ROLE_ADMIN_POLICY }));
    assert.equal(boot.account, account);
    const session = await assume(`arn:aws:iam::${account}:role/Admin`, boot.credentials);
    sessions[profile] = session;
    lines.push(`[${profile}]`, `aws_access_key_id = ${session.accessKeyId}`, `aws_secret_access_key = ${session.secretAccessKey}`, `aws_session_token = ${session.sessionToken ?? ""}`, "");
  }
  const files = {
    AWS_SHARED_CREDENTIALS_FILE: path.join(tmp, "credentials"),
    AWS_CONFIG_FILE: path.join(tmp, "config"),
  };
  writeFileSync(files.AWS_SHARED_CREDENTIALS_FILE, lines.join("\n"));
  writeFileSync(files.AWS_CONFIG_FILE, "[profile a]\nregion = us-east-1\n[profile b]\nregion = eu-west-1\n[profile c]\n");

  const r = await cli(["--profile", "a,b,c"], files);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /\[1\/3\] profile a: account 111111111111: created/);
  assert.match(r.stderr, /\[3\/3\] profile c: account 333333333333: created/);
  assert.match(r.stdout, /^PROFILE\s+ACCOUNT\s+STATUS/);
  for (const [profile, account] of Object.entries(accounts)) {
    assert.match(r.stdout, new RegExp(`^${profile}\\s+${account}\\s+created`, "m"));
    const role = (await snapshot(sessions[profile]))[ROLE] as RoleSnap;
    assert.equal(role.arn, `arn:aws:iam::${account}:role/${ROLE}`);
    assert.deepEqual(role.trust.Statement[0]?.Principal.AWS, [`arn:aws:iam::${account}:role/Admin`]);
  }
  // The env's own credentials (moto's default account) were not used for any profile.
  assert.deepEqual(Object.keys(await snapshot()), ["localPolicies"]);

  const mixed = await cli(["--profile", "a,missing,c"], files);
  assert.equal(mixed.status, 1);
  assert.match(mixed.stdout, /^a\s+111111111111\s+up to date/m);
  assert.match(mixed.stdout, /^missing\s+\?\s+FAILED\s+aws-credentials: nothing was changed/m);
  assert.match(mixed.stdout, /^c\s+333333333333\s+up to date/m);
  assert.match(mixed.stderr, /error\[aws-credentials\] profile missing/);
  assert.doesNotMatch(mixed.stderr, /\n\s+at /, "no stack trace");
});

test("assumeRoleInAccount (the helper `test` can use) gives credentials for that account, and refuses bad ids before any call", async () => {
  const { assumeRoleInAccount } = await import("../src/aws/sts.js");
  const { STSClient: Sts, GetCallerIdentityCommand } = await import("@aws-sdk/client-sts");
  const saved = { ...process.env };
  // The caller may assume roles and nothing else, like an MCP host.
  const [host] = await moto.bootstrap([{ account: DEFAULT_ACCOUNT, name: "host", actions: ["sts:AssumeRole"] }]);
  Object.assign(process.env, host!.env);
  try {
    const assumed = await assumeRoleInAccount({ accountId: "444444444444", roleName: "McpReadOnlyRole", externalId: "ext-42", sessionName: "smoke test!" });
    assert.equal(assumed.roleArn, "arn:aws:iam::444444444444:role/McpReadOnlyRole");
    assert.match(assumed.sessionArn, /^arn:aws:sts::444444444444:assumed-role\/McpReadOnlyRole\/smoke-test-$/);
    const id = await new Sts(assumed.clientConfig).send(new GetCallerIdentityCommand({}));
    assert.equal(id.Account, "444444444444");
    for (const bad of ["44444444444", "４４４４４４４４４４４４", "444444444444\n", "arn:aws:iam::444444444444:root"]) {
      await assert.rejects(assumeRoleInAccount({ accountId: bad, region: "us-east-1" }), (e: Error & { code?: string }) => e.code === "account-id-invalid");
    }
    await assert.rejects(assumeRoleInAccount({ accountId: "444444444444", roleName: "a/b" }), (e: Error & { code?: string }) => e.code === "role-name-invalid");
  } finally {
    process.env = saved;
  }
});

test("a rerun without --external-id keeps the sts:ExternalId condition and a larger MaxSessionDuration, saying so; --replace-trust drops them", async () => {
  const alice = await newUser("alice");
  const first = await cli(["--trust-account", "111111111111", "--external-id", "mcp-ext-1", "--max-session-duration", "7200"], credsEnv(alice.creds));
  assert.equal(first.status, 0, first.stderr);
  const kept = await snapshot();
  const rerun = await cli(["--trust-account", "111111111111"], credsEnv(alice.creds));
  assert.equal(rerun.status, 0, rerun.stderr);
  assert.match(rerun.stdout, /up to date/);
  assert.match(rerun.stderr, /note: kept the role's sts:ExternalId condition/);
  assert.match(rerun.stderr, /note: kept the role's MaxSessionDuration of 7200 s/);
  assert.deepEqual(await snapshot(), kept, "nothing was weakened");

  const replaced = await cli(["--trust-account", "111111111111", "--replace-trust"], credsEnv(alice.creds));
  assert.equal(replaced.status, 0, replaced.stderr);
  // Said on stderr before the writes, and in the result.
  assert.match(replaced.stderr, /in account 123456789012: update trust policy \(drop the sts:ExternalId condition.*\); update max session duration$/m);
  const role = (await snapshot())[ROLE] as RoleSnap;
  assert.equal(role.trust.Statement[0]?.Condition, undefined);
  assert.equal(role.maxSessionDuration, 3600);
});

test("every trust change a rerun makes is printed before it is made: who is trusted and who no longer is", async () => {
  const alice = await newUser("alice");
  const bob = await newUser("bob");
  assert.equal((await cli([], credsEnv(alice.creds))).status, 0);
  const r = await cli([], credsEnv(bob.creds));
  assert.equal(r.status, 0, r.stderr);
  const announced = r.stderr.split("\n").find((l) => l.startsWith("in account 123456789012: "));
  assert.ok(announced, r.stderr);
  assert.match(announced, new RegExp(`update trust policy \\(trust ${bob.arn}; stop trusting ${alice.arn}\\)`));
  // The same plan shows in a dry run, without writing.
  const dry = await cli(["--dry-run"], credsEnv(alice.creds));
  assert.deepEqual((JSON.parse(dry.stdout) as { plan: string[] }).plan, [`update trust policy (trust ${alice.arn}; stop trusting ${bob.arn})`]);
});

/** A tiny installed-looking ECS server: one module that reads services and deletes a cluster. */
function tinyServer(python: string): string {
  const root = mkdtempSync(path.join(tmp, "tiny-ecs-"));
  const pkg = path.join(root, "awslabs", "ecs_mcp_server");
  mkdirSync(pkg, { recursive: true });
  writeFileSync(path.join(root, "awslabs", "__init__.py"), "");
  writeFileSync(path.join(pkg, "__init__.py"), "");
  writeFileSync(path.join(pkg, "main.py"), [
    "import boto3",
    "",
    "def tool(cluster):",
    '    ecs = boto3.client("ecs")',
    "    ecs.describe_services(cluster=cluster, services=[])",
    "    ecs.delete_cluster(cluster=cluster)",
    "",
  ].join("\n"));
  mkdirSync(path.join(root, ".venv", "bin"), { recursive: true });
  symlinkSync(python, path.join(root, ".venv", "bin", "python"));
  return root;
}

test("--server ecs:<path> derives the role's actions from the installed server; --explain says where each came from", async () => {
  const alice = await newUser("alice");
  const server = tinyServer(testPython());
  const explained = await cli(["--server", `ecs:${server}`, "--explain"]);
  assert.equal(explained.status, 0, explained.stderr);
  assert.match(explained.stdout, /^xaccount-ecs-read-only: 1 read actions, ecs server unknown \(derived from the server installed at /m);
  assert.match(explained.stdout, /^ {2}ecs:DescribeServices\n {6}awslabs\/ecs_mcp_server\/main\.py:5 {2}ecs\.describe_services\(\)$/m);
  assert.match(explained.stdout, /- ecs:DeleteCluster {2}awslabs\/ecs_mcp_server\/main\.py:6 {2}ecs\.delete_cluster\(\): not a read/);
  const json = JSON.parse((await cli(["--server", `ecs:${server}`, "--explain", "--json"])).stdout) as { derivations: { ecs: { actions: Array<{ action: string; sources: Array<{ line: number }> }>; builtIn: boolean } } };
  assert.deepEqual(json.derivations.ecs.actions.map((a) => [a.action, a.sources[0]?.line]), [["ecs:DescribeServices", 5]]);
  assert.equal(json.derivations.ecs.builtIn, false);

  const r = await cli(["--server", `ecs:${server}`, "--trust-account", "111111111111"], credsEnv(alice.creds));
  assert.equal(r.status, 0, r.stderr);
  const role = (await snapshot())[ROLE] as RoleSnap;
  const granted = (role.inline["xaccount-ecs-read-only"] as { Statement: Array<{ Action: string[] }> }).Statement.flatMap((s) => s.Action).sort();
  assert.deepEqual(granted, ["cloudformation:ListStacks", "ecs:DescribeServices", "ecs:ListClusters"], "the derived read plus the two `xaccount test` makes");
});

/** A tiny installed AWS Labs server xaccount has no profile file for: found from its dist-info. */
function tinyAnyServer(): string {
  const root = mkdtempSync(path.join(tmp, "tiny-any-"));
  const pkg = path.join(root, "awslabs", "fancy_mcp_server");
  mkdirSync(pkg, { recursive: true });
  writeFileSync(path.join(root, "awslabs", "__init__.py"), "");
  writeFileSync(path.join(pkg, "__init__.py"), "");
  writeFileSync(path.join(pkg, "server.py"), [
    "from .aws import create_boto3_client",
    "",
    "def tool(name):",
    '    logs = create_boto3_client("logs")',
    "    logs.describe_log_groups(logGroupNamePrefix=name)",
    "    logs.delete_log_group(logGroupName=name)",
    "",
  ].join("\n"));
  const info = path.join(root, "awslabs_fancy_mcp_server-0.3.0.dist-info");
  mkdirSync(info);
  writeFileSync(path.join(info, "METADATA"), "Metadata-Version: 2.4\nName: awslabs.fancy-mcp-server\nVersion: 0.3.0\n");
  writeFileSync(path.join(info, "RECORD"), "awslabs/fancy_mcp_server/server.py,,\n");
  mkdirSync(path.join(root, ".venv", "bin"), { recursive: true });
  symlinkSync(testPython(), path.join(root, ".venv", "bin", "python"));
  return root;
}

test("--server <name>:<path> derives the actions of any AWS Labs server found from its metadata; a name without a path is refused", async () => {
  const alice = await newUser("alice");
  const server = tinyAnyServer();
  const explained = await cli(["--server", `fancy:${server}`, "--explain"]);
  assert.equal(explained.status, 0, explained.stderr);
  assert.match(explained.stdout, /^xaccount-fancy-read-only: 1 read actions, fancy server 0\.3\.0 \(derived from the server installed at /m);
  assert.match(explained.stdout, /- logs:DeleteLogGroup .*not a read/);
  const r = await cli(["--server", `ecs,fancy:${server}`, "--trust-account", "111111111111"], credsEnv(alice.creds));
  assert.equal(r.status, 0, r.stderr);
  const role = (await snapshot())[ROLE] as RoleSnap;
  const granted = (role.inline["xaccount-fancy-read-only"] as { Statement: Array<{ Action: string[] }> }).Statement.flatMap((s) => s.Action).sort();
  assert.deepEqual(granted, ["cloudformation:ListStacks", "ecs:ListClusters", "logs:DescribeLogGroups"]);
  assert.ok(role.inline["xaccount-ecs-read-only"], "the built-in ecs set is still there");
  const bare = await cli(["--server", "fancy"], credsEnv(alice.creds));
  assert.equal(bare.status, 2);
  assert.match(bare.stderr, /error\[server-invalid\]: .*fancy has no built-in actions/);
  const wrong = await cli(["--server", `eks:${server}`, "--explain"]);
  assert.equal(wrong.status, 2);
  assert.match(wrong.stderr, /error\[wrong-server\]/);
});

test("--server ecs:<path> whose Python cannot read botocore fails with a coded error and changes nothing", async () => {
  const alice = await newUser("alice");
  const server = tinyServer("/bin/false");
  const before = await snapshot();
  const r = await cli(["--server", `ecs:${server}`, "--trust-account", "111111111111"], credsEnv(alice.creds));
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /error\[botocore-not-found\]/);
  assert.deepEqual(await snapshot(), before);
  const missing = await cli(["--server", `ecs:${path.join(tmp, "nowhere")}`], credsEnv(alice.creds));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /error\[server-invalid\]/);
});
