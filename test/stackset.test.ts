/**
 * `create-role --stackset` against the emulator with IAM enforced: an organization with two top-level OUs
 * (dev holds a nested OU, team) and five member accounts, made by the management account's administrator,
 * who runs the CLI. The role is checked in each member account by assuming it as the MCP host (a user of
 * the management account that may only call sts:AssumeRole).
 *
 * What moto 5.2.5 does with service-managed stack sets (moto/cloudformation/models.py), and so what these
 * tests can and cannot show:
 * - CreateStackInstances to an OU deploys the template into the accounts directly under it and under its
 *   direct child OUs (one level down, not deeper), creating the IAM role in each account. Operations end
 *   SUCCEEDED at once (DescribeStackSetOperation never answers RUNNING).
 * - AutoDeployment is accepted and dropped: DescribeStackSet does not return it, and an account moved into
 *   an OU later gets nothing. Neither DescribeStackSet's OrganizationalUnitIds nor the instances'
 *   OrganizationalUnitId are returned: xaccount then asks Organizations which accounts an OU holds.
 * - UpdateStackSet replaces the stack set's template but not the deployed roles (the instances keep the
 *   template of their creation): the update is checked on the stack set, not in the accounts.
 * - DeleteStackInstances reads only the self-managed `Accounts`, not `DeploymentTargets`: the request AWS
 *   needs for a service-managed stack set deletes nothing there. The front below stands in for AWS: it
 *   deletes the instances of the named OUs' accounts itself, then passes the request on unchanged.
 * What moto does not show is checked on the request documents against the SDK's model (stackset-units).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, request, type Server } from "node:http";
import {
  CloudFormationClient,
  DeleteStackInstancesCommand,
  DescribeStackSetCommand,
  ListStackInstancesCommand,
  ListStackSetOperationsCommand,
} from "@aws-sdk/client-cloudformation";
import { GetRoleCommand, IAMClient, ListRolePoliciesCommand } from "@aws-sdk/client-iam";
import {
  CreateAccountCommand,
  CreateOrganizationCommand,
  CreateOrganizationalUnitCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from "@aws-sdk/client-organizations";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { ADMIN, MOTO_DEFAULT_ACCOUNT, startMoto, type Identity, type Moto } from "./helpers/moto.js";
import { xaccount } from "./helpers/cli.js";
import { policyName } from "../src/aws/policies.js";

let moto: Moto;
let admin: Identity;
let host: Identity;
let memberAdmin: Identity;
/** account id -> its administrator, who reads the role there */
const memberAdmins = new Map<string, Identity>();
const ids = new Map<string, string>();
let root: string;
let ouDev: string;
let ouProd: string;
const NAME = "xaccount-McpReadOnlyRole";
const region = "us-east-1";

before(async () => {
  moto = await startMoto();
  [admin, host] = (await moto.bootstrap([
    { account: MOTO_DEFAULT_ACCOUNT, name: "admin", actions: ADMIN },
    { account: MOTO_DEFAULT_ACCOUNT, name: "mcp-host", actions: ["sts:AssumeRole"] },
  ])) as [Identity, Identity];
  const org = new OrganizationsClient({ region, endpoint: moto.endpoint, credentials: admin.credentials });
  await org.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
  root = (await org.send(new ListRootsCommand({}))).Roots![0]!.Id!;
  const ou = async (name: string, parent: string): Promise<string> =>
    (await org.send(new CreateOrganizationalUnitCommand({ Name: name, ParentId: parent }))).OrganizationalUnit!.Id!;
  ouDev = await ou("dev", root);
  const ouTeam = await ou("team", ouDev);
  ouProd = await ou("prod", root);
  for (const [name, parent] of [["shared", root], ["dev-a", ouDev], ["dev-b", ouDev], ["team-x", ouTeam], ["prod-a", ouProd]] as const) {
    const id = (await org.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }))).CreateAccountStatus!.AccountId!;
    if (parent !== root) await org.send(new MoveAccountCommand({ AccountId: id, SourceParentId: root, DestinationParentId: parent }));
    ids.set(name, id);
  }
  org.destroy();
  for (const a of await moto.bootstrap([...ids.values()].map((account) => ({ account, name: "admin", actions: ADMIN })))) memberAdmins.set(a.account, a);
  memberAdmin = memberAdmins.get(ids.get("dev-a")!)!;
});

after(async () => {
  await moto?.stop();
});

const DEV = ["dev-a", "dev-b", "team-x"];
/** The role as deployed: trusting the host, with both permission sets. */
let BOTH: { trusted: string[]; policies: string[] };

function cfn(): CloudFormationClient {
  return new CloudFormationClient({ region, endpoint: moto.endpoint, credentials: admin.credentials });
}

/**
 * The role in `account` as the host would use it: the host assumes it, and the account's administrator reads
 * what the session would get (trust and inline policies). moto cannot show the session's own calls: it keeps
 * the inline policies of a role made by CloudFormation as objects, not JSON text, and its IAM enforcement
 * then answers HTTP 500 to every call of that role's sessions. It also hands out a session for any role ARN
 * in another account, so the AssumeRole alone proves nothing there. null: no role.
 */
async function roleAsHost(account: string): Promise<{ trusted: string[]; policies: string[] } | null> {
  const sts = new STSClient({ region, endpoint: moto.endpoint, credentials: host.credentials });
  const session = (await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/McpReadOnlyRole`, RoleSessionName: "check" }))).Credentials;
  sts.destroy();
  assert.ok(session?.AccessKeyId);
  const iam = new IAMClient({ region, endpoint: moto.endpoint, credentials: memberAdmins.get(account)!.credentials });
  try {
    const role = (await iam.send(new GetRoleCommand({ RoleName: "McpReadOnlyRole" }))).Role!;
    const trust = JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument!)) as { Statement: Array<{ Principal: { AWS: string[] | string } }> };
    const policies = (await iam.send(new ListRolePoliciesCommand({ RoleName: "McpReadOnlyRole" }))).PolicyNames ?? [];
    return { trusted: trust.Statement.flatMap((st) => st.Principal.AWS), policies: [...policies].sort() };
  } catch (err) {
    if ((err as { name?: string }).name === "NoSuchEntityException") return null;
    throw err;
  } finally {
    iam.destroy();
  }
}

async function operations(): Promise<string[]> {
  const c = cfn();
  try {
    return ((await c.send(new ListStackSetOperationsCommand({ StackSetName: NAME }))).Summaries ?? []).map((o) => `${o.Action} ${o.Status}`);
  } catch {
    return [];
  } finally {
    c.destroy();
  }
}

interface Report {
  ok: boolean;
  stackSet: { name: string; status: string };
  operations: Array<{ action: string; status: string }>;
  accounts: Array<{ account: string; region: string; status: string }>;
}

test("--dry-run prints the --format cloudformation template and the targets, and writes nothing", async () => {
  const tpl = await xaccount(["create-role", "--format", "cloudformation", "--trust-principal", host.arn], admin.env);
  assert.equal(tpl.status, 0, tpl.stderr);
  const r = await xaccount(["create-role", "--stackset", "--ou", ouDev, "--trust-principal", host.arn, "--dry-run"], admin.env);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const plan = JSON.parse(r.stdout) as { template: unknown; targets: { organizationalUnitIds: string[]; regions: string[] }; plan: Array<{ kind: string }>; permissionModel: string };
  assert.deepEqual(plan.template, JSON.parse(tpl.stdout));
  assert.deepEqual(plan.targets, { organizationalUnitIds: [ouDev], regions: [region] });
  assert.deepEqual(plan.plan.map((s) => s.kind), ["create-stack-set", "create-instances"]);
  assert.equal(plan.permissionModel, "SERVICE_MANAGED");
  const c = cfn();
  await assert.rejects(c.send(new DescribeStackSetCommand({ StackSetName: NAME })), /not found/i);
  c.destroy();
});

test("--stackset --ou puts the role in each member account under the OU, reports each account, and a rerun makes no operation", async () => {
  BOTH = { trusted: [host.arn], policies: [policyName("ecs"), policyName("iac")].sort() };
  const r = await xaccount(["create-role", "--stackset", "--ou", ouDev, "--trust-principal", host.arn, "--json"], admin.env);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const report = JSON.parse(r.stdout) as Report;
  assert.equal(report.stackSet.status, "created");
  assert.deepEqual(report.accounts.map((a) => a.account).sort(), DEV.map((n) => ids.get(n)!).sort());
  assert.ok(report.accounts.every((a) => a.status === "CURRENT" && a.region === region), r.stdout);
  for (const name of DEV) assert.deepEqual(await roleAsHost(ids.get(name)!), BOTH, name);
  // Not under the OU: no role.
  for (const name of ["prod-a", "shared"]) assert.equal(await roleAsHost(ids.get(name)!), null, name);
  const c = cfn();
  const set = (await c.send(new DescribeStackSetCommand({ StackSetName: NAME }))).StackSet!;
  c.destroy();
  assert.equal(set.PermissionModel, "SERVICE_MANAGED");

  const before = await operations();
  const again = await xaccount(["create-role", "--stackset", "--ou", ouDev, "--trust-principal", host.arn], admin.env);
  assert.equal(again.status, 0, `${again.stdout}\n${again.stderr}`);
  assert.match(again.stdout, /up to date \(no operation\)/);
  assert.deepEqual(await operations(), before);
  for (const name of DEV) assert.match(again.stdout, new RegExp(`^${ids.get(name)!}  ${region}  CURRENT`, "m"));
});

test("a new target deploys only to it; a changed action list updates the stack set", async () => {
  const before = await operations();
  const r = await xaccount(["create-role", "--stackset", "--ou", ouDev, "--ou", ouProd, "--trust-principal", host.arn, "--json"], admin.env);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const report = JSON.parse(r.stdout) as Report & { plan: Array<{ kind: string; targets?: string[] }> };
  assert.equal(report.stackSet.status, "deployed");
  assert.deepEqual(report.plan, [{ kind: "create-instances", targets: [ouProd], regions: [region] }]);
  assert.deepEqual((await operations()).slice(before.length), ["CREATE SUCCEEDED"]);
  assert.deepEqual(await roleAsHost(ids.get("prod-a")!), BOTH);

  // --server ecs: only the ECS set; the template changes, so the stack set is updated (one operation).
  const mid = await operations();
  const changed = await xaccount(["create-role", "--stackset", "--ou", ouDev, "--ou", ouProd, "--server", "ecs", "--trust-principal", host.arn, "--json"], admin.env);
  assert.equal(changed.status, 0, `${changed.stdout}\n${changed.stderr}`);
  assert.equal((JSON.parse(changed.stdout) as Report).stackSet.status, "updated");
  assert.deepEqual((await operations()).slice(mid.length), ["UPDATE SUCCEEDED"]);
  const c = cfn();
  const body = JSON.parse((await c.send(new DescribeStackSetCommand({ StackSetName: NAME }))).StackSet!.TemplateBody!) as { Resources: { McpReadOnlyRole: { Properties: { Policies: Array<{ PolicyName: string }> } } } };
  c.destroy();
  assert.deepEqual(body.Resources.McpReadOnlyRole.Properties.Policies.map((p) => p.PolicyName), [policyName("ecs")]);
  const tpl = await xaccount(["create-role", "--format", "cloudformation", "--server", "ecs", "--trust-principal", host.arn], admin.env);
  assert.deepEqual(body, JSON.parse(tpl.stdout));
  // Unchanged again: no operation.
  const last = await operations();
  const same = await xaccount(["create-role", "--stackset", "--ou", ouDev, "--ou", ouProd, "--server", "ecs", "--trust-principal", host.arn], admin.env);
  assert.equal(same.status, 0, same.stderr);
  assert.deepEqual(await operations(), last);
});

test("bad targets and a caller that is not the management account exit with their codes before anything is written", async () => {
  const before = await operations();
  const missing = await xaccount(["create-role", "--stackset", "--ou", `ou-${root.slice(2)}-zzzzzzzz`, "--trust-principal", host.arn], admin.env);
  assert.equal(missing.status, 2, `${missing.stdout}\n${missing.stderr}`);
  assert.match(missing.stderr, /error\[ou-not-found\]/);
  const malformed = await xaccount(["create-role", "--stackset", "--ou", "ou-1", "--trust-principal", host.arn], admin.env);
  assert.equal(malformed.status, 2);
  assert.match(malformed.stderr, /error\[ou-id-invalid\]/);
  const none = await xaccount(["create-role", "--stackset", "--trust-principal", host.arn], admin.env);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /error\[stackset-targets-missing\]/);
  const member = await xaccount(["create-role", "--stackset", "--org", "--trust-principal", host.arn, "--stackset-name", "from-member"], memberAdmin.env);
  assert.equal(member.status, 1, `${member.stdout}\n${member.stderr}`);
  assert.match(member.stderr, /error\[stackset-not-admin\]/);
  assert.match(member.stderr, /--call-as DELEGATED_ADMIN/);
  const pref = await xaccount(["create-role", "--stackset", "--org", "--max-concurrency", "0"], admin.env);
  assert.equal(pref.status, 2);
  assert.match(pref.stderr, /error\[stackset-preference-invalid\]/);
  assert.deepEqual(await operations(), before);
});

/**
 * A front for the emulator that does what AWS does with DeleteStackInstances' DeploymentTargets and moto
 * 5.2.5 does not: it deletes the instances of the accounts under the named OUs (moto's own self-managed
 * form, signed by the administrator), then passes the request on as it came (moto then deletes nothing).
 */
async function deleteFront(accountsOf: (ou: string) => string[]): Promise<{ url: string; server: Server; seen: string[] }> {
  const target = new URL(moto.endpoint);
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const form = new URLSearchParams(body.toString());
      const action = form.get("Action") ?? "";
      seen.push(action);
      const forward = (): void => {
        const out = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        out.on("error", () => res.destroy());
        out.end(body);
      };
      if (action !== "DeleteStackInstances") return forward();
      const ous = [...form.entries()].filter(([k]) => k.startsWith("DeploymentTargets.OrganizationalUnitIds.member.")).map(([, v]) => v);
      const regions = [...form.entries()].filter(([k]) => k.startsWith("Regions.member.")).map(([, v]) => v);
      const c = cfn();
      c.send(new DeleteStackInstancesCommand({ StackSetName: form.get("StackSetName")!, Accounts: ous.flatMap(accountsOf), Regions: regions, RetainStacks: false }))
        .finally(() => c.destroy())
        .then(forward, () => res.destroy());
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server, seen };
}

test("--delete removes the instances (and so the role in every account), then the stack set", async () => {
  const under: Record<string, string[]> = { [ouDev]: DEV.map((n) => ids.get(n)!), [ouProd]: [ids.get("prod-a")!] };
  const front = await deleteFront((ou) => under[ou] ?? []);
  try {
    const dry = await xaccount(["create-role", "--stackset", "--delete", "--ou", ouDev, "--ou", ouProd, "--dry-run"], { ...admin.env, AWS_ENDPOINT_URL: front.url });
    assert.equal(dry.status, 0, dry.stderr);
    assert.deepEqual(front.seen.filter((a) => /^(Delete|Create|Update)/.test(a)), []);
    const r = await xaccount(["create-role", "--stackset", "--delete", "--ou", ouDev, "--ou", ouProd], { ...admin.env, AWS_ENDPOINT_URL: front.url });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /deleted/);
    assert.deepEqual(front.seen.filter((a) => a.startsWith("Delete")), ["DeleteStackInstances", "DeleteStackSet"]);
  } finally {
    front.server.close();
  }
  const c = cfn();
  await assert.rejects(c.send(new DescribeStackSetCommand({ StackSetName: NAME })), /not found/i);
  await assert.rejects(c.send(new ListStackInstancesCommand({ StackSetName: NAME })), /not found/i);
  c.destroy();
  for (const name of [...DEV, "prod-a"]) assert.equal(await roleAsHost(ids.get(name)!), null, name);
  const again = await xaccount(["create-role", "--stackset", "--delete"], admin.env);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /nothing to delete/);
});

test("--delete on moto without the front: the service-managed request deletes nothing there, so the stack set is kept and the run exits 1 naming the instances", async () => {
  const made = await xaccount(["create-role", "--stackset", "--ou", ouProd, "--trust-principal", host.arn, "--stackset-name", "kept"], admin.env);
  assert.equal(made.status, 0, made.stderr);
  const r = await xaccount(["create-role", "--stackset", "--delete", "--ou", ouProd, "--stackset-name", "kept"], admin.env);
  assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /error\[stackset-not-empty\]/);
  assert.match(r.stderr, new RegExp(ids.get("prod-a")!));
  const c = cfn();
  assert.equal((await c.send(new DescribeStackSetCommand({ StackSetName: "kept" }))).StackSet?.Status, "ACTIVE");
  c.destroy();
});

/**
 * A front for the emulator that changes its answers, for what moto never does: an operation that runs for a
 * while and then fails, an account whose instance failed, a refusal of CreateStackSet. Answers are not
 * signed, so they can be rewritten; requests pass unchanged.
 */
async function answerFront(
  rewrite: (action: string, body: string) => { body: string },
  refuse: (action: string) => string | undefined = () => undefined,
): Promise<{ url: string; server: Server; seen: string[] }> {
  const target = new URL(moto.endpoint);
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const action = new URLSearchParams(body.toString()).get("Action") ?? "";
      seen.push(action);
      const refusal = refuse(action);
      if (refusal !== undefined) {
        res.writeHead(400, { "content-type": "text/xml" });
        res.end(refusal);
        return;
      }
      const out = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        const parts: Buffer[] = [];
        answer.on("data", (c: Buffer) => parts.push(c));
        answer.on("end", () => {
          const changed = rewrite(action, Buffer.concat(parts).toString());
          const headers = { ...answer.headers, "content-length": String(Buffer.byteLength(changed.body)) };
          res.writeHead(answer.statusCode ?? 502, headers);
          res.end(changed.body);
        });
      });
      out.on("error", () => res.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server, seen };
}

test("an operation that runs, then fails, and an account whose instance failed: waited for, reported per account, exit 1 naming the account and why", async () => {
  const bad = ids.get("dev-b")!;
  let polls = 0;
  const front = await answerFront((action, body) => {
    if (action === "DescribeStackSetOperation") {
      polls++;
      if (polls < 3) return { body: body.replace("<Status>SUCCEEDED</Status>", "<Status>RUNNING</Status>") };
      return { body: body.replace("<Status>SUCCEEDED</Status>", "<Status>FAILED</Status><StatusReason>Failure tolerance exceeded in us-east-1</StatusReason>") };
    }
    if (action === "ListStackInstances") {
      return {
        body: body.replace(new RegExp(`<member>((?:(?!</member>).)*<Account>${bad}</Account>(?:(?!</member>).)*)</member>`), (m) =>
          m.replace("<Status>CURRENT</Status>", "<Status>OUTDATED</Status><StatusReason>Role McpReadOnlyRole already exists</StatusReason>").replace("<DetailedStatus>SUCCEEDED</DetailedStatus>", "<DetailedStatus>FAILED</DetailedStatus>")),
      };
    }
    return { body };
  });
  try {
    const r = await xaccount(["create-role", "--stackset", "--ou", ouDev, "--trust-principal", host.arn, "--stackset-name", "flaky"], { ...admin.env, AWS_ENDPOINT_URL: front.url });
    assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
    assert.equal(polls, 3, "polled until the operation ended");
    assert.match(r.stderr, new RegExp(`error\\[stackset-instance-failed\\] account ${bad} \\(us-east-1\\): FAILED: Role McpReadOnlyRole already exists`));
    assert.match(r.stderr, /error\[stackset-operation-failed\] CREATE_INSTANCES operation \S+ on stack set flaky ended FAILED: Failure tolerance exceeded/);
    assert.match(r.stdout, new RegExp(`^${bad}  us-east-1  FAILED +FAILED  Role McpReadOnlyRole already exists$`, "m"));
    for (const name of ["dev-a", "team-x"]) assert.match(r.stdout, new RegExp(`^${ids.get(name)!}  us-east-1  CURRENT`, "m"));
    // No progress line: stderr is not a terminal.
    assert.ok(!r.stderr.includes("\r") && !r.stderr.includes("\u001b["), r.stderr);

    polls = 0;
    const json = await xaccount(["create-role", "--stackset", "--ou", ouDev, "--trust-principal", host.arn, "--stackset-name", "flaky", "--json"], { ...admin.env, AWS_ENDPOINT_URL: front.url });
    assert.equal(json.status, 1, json.stderr);
    const report = JSON.parse(json.stdout) as Report;
    assert.equal(report.ok, false);
    assert.deepEqual(report.accounts.filter((a) => a.status === "FAILED").map((a) => a.account), [bad]);
  } finally {
    front.server.close();
  }
});

test("CreateStackSet refused for trusted access: exit 1 with stackset-trusted-access, nothing made", async () => {
  const front = await answerFront((_, body) => ({ body }), (action) =>
    action === "CreateStackSet"
      ? "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>You must enable organizations access to operate a service managed stack set</Message></Error><RequestId>1</RequestId></ErrorResponse>"
      : undefined);
  try {
    const r = await xaccount(["create-role", "--stackset", "--org", "--trust-principal", host.arn, "--stackset-name", "refused"], { ...admin.env, AWS_ENDPOINT_URL: front.url });
    assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /error\[stackset-trusted-access\]/);
    assert.match(r.stderr, /activate-organizations-access/);
    assert.deepEqual(front.seen.filter((a) => /^(Create|Update|Delete)/.test(a)), ["CreateStackSet"]);
  } finally {
    front.server.close();
  }
  const c = cfn();
  await assert.rejects(c.send(new DescribeStackSetCommand({ StackSetName: "refused" })), /not found/i);
  c.destroy();
});
