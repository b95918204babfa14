/**
 * Pure tests for create-role: the permission documents, trust normalisation, input validation, the
 * converge plan and the CloudFormation template. No AWS, no emulator.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SERVER_SETS, SMOKE_TEST_ACTIONS, permissionPolicies, permissionPolicy, policyName, type PolicyDocument } from "../src/aws/policies.js";
import { parseArn, partitionOfRegion, resolveCaller, resolveTrustPrincipal, trustChanges, trustPolicy, trustTerms } from "../src/aws/trust.js";
import { keepExistingTerms } from "../src/aws/provision.js";
import { RELEASES } from "../src/aws/derive/releases.js";
import * as validate from "../src/aws/validate.js";
import { canonical, decodePolicy, planConverge, planDelete, samePolicy, type DesiredRole, type RoleState } from "../src/aws/role.js";
import { roleTemplate } from "../src/aws/cloudformation.js";
import { parseCreateRoleOptions } from "../src/commands/create-role.js";
import { codeOf } from "./helpers/errors.js";

/** Verbs that change state: an action starting with one must never appear in the documents. */
const WRITE_VERBS = [
  "Accept", "Activate", "Add", "Associate", "Attach", "Authorize", "Cancel", "Change", "Complete",
  "Copy", "Create", "Deactivate", "Delete", "Deregister", "Detach", "Disable", "Disassociate", "Enable",
  "Execute", "Import", "Initiate", "Invoke", "Modify", "Pass", "Publish", "Put", "Reboot", "Register",
  "Reject", "Release", "Remove", "Replace", "Reset", "Restore", "Revoke", "Run", "Send", "Set", "Signal",
  "Start", "Stop", "Submit", "Tag", "Terminate", "Untag", "Update", "Upload", "Write",
] as const;

/** Every problem with an action list: not an explicit service:Action, in iam or sts, or a write verb. */
function readOnlyProblems(actions: readonly string[]): string[] {
  const problems: string[] = [];
  for (const action of actions) {
    const m = /^([a-z0-9-]+):([A-Z][A-Za-z0-9]*)$/.exec(action);
    if (!m) {
      problems.push(`${action}: not of the form service:Action (no wildcards)`);
      continue;
    }
    const [, service, name] = m as unknown as [string, string, string];
    if (service === "iam" || service === "sts") problems.push(`${action}: nothing in ${service} is allowed`);
    const verb = WRITE_VERBS.find((v) => name.startsWith(v) && /^[A-Z]?$/.test(name.charAt(v.length)));
    if (verb) problems.push(`${action}: ${verb} is a write verb`);
  }
  return problems;
}

const actionsOf = (doc: PolicyDocument): string[] => doc.Statement.flatMap((s) => s.Action);

test("every action in every set is an explicit service:Action, read-only, outside iam and sts", () => {
  for (const set of SERVER_SETS) {
    const actions = actionsOf(permissionPolicy(set));
    assert.ok(actions.length > 0, set);
    assert.deepEqual(readOnlyProblems(actions), [], set);
    for (const action of actions) {
      assert.match(action.split(":")[1] ?? "", /^(Describe|List|Get|Filter|Lookup|Search|BatchGet)/, `${set}: ${action} is not a read verb`);
    }
    assert.equal(new Set(actions).size, actions.length, `${set}: duplicate actions`);
    for (const st of permissionPolicy(set).Statement) assert.equal(st.Effect, "Allow");
  }
});

test("the built-in documents are the derivation of the newest tested releases, each action with where it came from", () => {
  assert.deepEqual([RELEASES.ecs.version, RELEASES.iac.version], ["0.1.37", "1.0.26"]);
  for (const set of SERVER_SETS) {
    const derived = RELEASES[set].actions.map((a) => a.action);
    const granted = actionsOf(permissionPolicy(set));
    assert.deepEqual(granted.filter((a) => !Object.values(SMOKE_TEST_ACTIONS).includes(a as never)).sort(), derived.filter((a) => !Object.values(SMOKE_TEST_ACTIONS).includes(a as never)).sort());
    for (const a of RELEASES[set].actions) assert.ok(a.sources.length > 0 && a.sources.every((s) => s.line > 0 && s.file.endsWith(".py")), a.action);
    // Every write the derivation found is reported with its place, never granted.
    for (const e of RELEASES[set].excluded) assert.ok(!granted.includes(e.action), e.action);
  }
  const ecs = actionsOf(permissionPolicy("ecs"));
  for (const a of ["ecs:DescribeServices", "ecs:DescribeTasks", "ec2:DescribeSubnets", "elasticloadbalancing:DescribeTargetHealth", "logs:GetLogEvents", "ecr:DescribeImages", "cloudformation:DescribeStackEvents"]) {
    assert.ok(ecs.includes(a), `ecs set lacks ${a}`);
  }
  assert.ok(RELEASES.ecs.excluded.some((e) => e.action === "ecs:CreateCluster" && /ALLOW_WRITE/.test(e.reason)), "the tool's writes are listed as excluded");
  const iac = actionsOf(permissionPolicy("iac"));
  for (const a of ["cloudformation:DescribeStacks", "cloudformation:DescribeEvents", "cloudtrail:LookupEvents"]) {
    assert.ok(iac.includes(a), `iac set lacks ${a}`);
  }
  // The only ECS read in the IaC set is the one `xaccount test` makes, in its own statement.
  assert.deepEqual(iac.filter((a) => a.startsWith("ecs:")), [SMOKE_TEST_ACTIONS.listClusters]);
  for (const set of SERVER_SETS) {
    for (const a of Object.values(SMOKE_TEST_ACTIONS)) assert.ok(actionsOf(permissionPolicy(set)).includes(a), `${set} set lacks ${a}, which xaccount test calls`);
  }
  assert.deepEqual([...permissionPolicies(["iac"]).keys()], [policyName("iac")]);
  assert.deepEqual([...permissionPolicies(["ecs", "iac"]).keys()], ["xaccount-ecs-read-only", "xaccount-iac-read-only"]);
});

test("readOnlyProblems rejects wildcards, write verbs and iam/sts", () => {
  const problems = readOnlyProblems(["ecs:*", "s3:*Object", "ecs:UpdateService", "ecs:TagResource", "iam:GetRole", "sts:GetCallerIdentity", "ec2:RunInstances", "lambda:InvokeFunction", "ecs:ListTasks"]);
  assert.equal(problems.length, 8, problems.join("\n"));
  assert.ok(!problems.some((p) => p.startsWith("ecs:ListTasks")));
});

test("caller normalisation: IAM user as is, assumed role to a role lookup, root refused", () => {
  assert.deepEqual(resolveCaller("arn:aws:iam::123456789012:user/dev/alice"), { kind: "principal", arn: "arn:aws:iam::123456789012:user/dev/alice" });
  assert.deepEqual(resolveCaller("arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123abcd/alice@example.com"), {
    kind: "role-session",
    partition: "aws",
    account: "123456789012",
    roleName: "AWSReservedSSO_Admin_0123abcd",
    sessionArn: "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123abcd/alice@example.com",
  });
  const cn = resolveCaller("arn:aws-cn:sts::123456789012:assumed-role/Ops/s1");
  assert.equal(cn.kind === "role-session" && cn.partition, "aws-cn");
  assert.equal(codeOf(() => resolveCaller("arn:aws:iam::123456789012:root")), "root-caller/1");
  assert.equal(codeOf(() => resolveCaller("arn:aws:sts::123456789012:federated-user/bob")), "caller-not-assumable/1");
  assert.equal(codeOf(() => resolveCaller("arn:aws:sts::123456789012:user/moto")), "caller-not-supported/1");
});

test("--trust-principal accepts users, roles with paths, account roots and sessions; rejects the rest with exit 2", () => {
  for (const ok of ["arn:aws:iam::123456789012:role/a/b/Admin", "arn:aws-us-gov:iam::123456789012:user/x", "arn:aws:iam::123456789012:root"]) {
    assert.deepEqual(resolveTrustPrincipal(ok), { kind: "principal", arn: ok });
  }
  assert.equal(resolveTrustPrincipal("arn:aws:sts::123456789012:assumed-role/R/s").kind, "role-session");
  for (const bad of ["", "alice", "arn:aws:iam::12345678901:user/x", "arn:aws:iam::123456789012:group/g", "arn:aws:s3:::bucket",
    "arn:aws:iam:us-east-1:123456789012:role/R", "arn:aws:iam::123456789012:role/R\n", "arn:aws:iam::123456789012:role/*",
    "arn:aws:iam::１２３456789012:role/R"]) {
    assert.equal(codeOf(() => resolveTrustPrincipal(bad)), "arn-invalid/2", JSON.stringify(bad));
  }
});

test("trust policy: principals and account roots in the partition, external id as a condition", () => {
  const doc = trustPolicy({ principals: ["arn:aws-cn:iam::123456789012:role/R"], accounts: ["111111111111"], partition: "aws-cn", externalId: "ext-1" });
  assert.deepEqual(doc.Statement[0]?.Principal.AWS, ["arn:aws-cn:iam::111111111111:root", "arn:aws-cn:iam::123456789012:role/R"]);
  assert.equal(doc.Statement[0]?.Action, "sts:AssumeRole");
  assert.deepEqual(doc.Statement[0]?.Condition, { StringEquals: { "sts:ExternalId": "ext-1" } });
  assert.equal(trustPolicy({ principals: ["arn:aws:iam::1:user/x"], accounts: [], partition: "aws" }).Statement[0]?.Condition, undefined);
  assert.equal(partitionOfRegion("cn-north-1"), "aws-cn");
  assert.equal(partitionOfRegion("us-gov-west-1"), "aws-us-gov");
  assert.equal(partitionOfRegion("eu-west-1"), "aws");
  assert.equal(parseArn("arn:aws:iam::123456789012:role/x")?.account, "123456789012");
});

test("validation: ASCII-only account ids, IAM role names, durations, external ids, tags, regions", () => {
  assert.equal(validate.accountId("123456789012"), "123456789012");
  for (const bad of ["12345678901", "1234567890123", "12345678901a", "１２３４５６７８９０１２", "123456789012\n", " 123456789012", "-12345678901"]) {
    assert.equal(codeOf(() => validate.accountId(bad)), "account-id-invalid/2", JSON.stringify(bad));
  }
  assert.equal(validate.roleName("McpReadOnlyRole"), "McpReadOnlyRole");
  for (const bad of ["", "a".repeat(65), "has space", "slash/role", "rôle", "x\n"]) {
    assert.equal(codeOf(() => validate.roleName(bad)), "role-name-invalid/2", JSON.stringify(bad));
  }
  assert.equal(validate.maxSessionDuration("3600"), 3600);
  assert.equal(validate.maxSessionDuration("43200"), 43200);
  for (const bad of ["3599", "43201", "1e4", "3600.5", "", "abc", "-3600"]) {
    assert.equal(codeOf(() => validate.maxSessionDuration(bad)), "duration-invalid/2", JSON.stringify(bad));
  }
  assert.equal(validate.externalId("a:b/c=d"), "a:b/c=d");
  for (const bad of ["x", "has space", "é-é", "a".repeat(1225)]) {
    assert.equal(codeOf(() => validate.externalId(bad)), "external-id-invalid/2");
  }
  assert.deepEqual(validate.tags("team=platform, env=prod"), { team: "platform", env: "prod" });
  for (const bad of ["noequals", "=v", "aws:x=1", "k=v;drop"]) assert.equal(codeOf(() => validate.tags(bad)), "tags-invalid/2", bad);
  assert.deepEqual(validate.serverSets("iac,ecs"), ["ecs", "iac"]);
  assert.equal(codeOf(() => validate.serverSets("ecs,s3")), "server-invalid/2");
  assert.equal(codeOf(() => validate.region("mars-1")), "region-invalid/2");
  assert.equal(validate.region("us-gov-west-1"), "us-gov-west-1");
  assert.equal(codeOf(() => validate.profiles("a,a")), "profile-invalid/2");
});

test("option parsing: conflicts are usage errors", () => {
  const base = { trustPrincipal: [], trustAccount: [], maxSessionDuration: "3600", server: "ecs,iac", roleName: "McpReadOnlyRole" };
  assert.equal(codeOf(() => parseCreateRoleOptions({ ...base, format: "yaml" })), "options-conflict/2");
  assert.equal(codeOf(() => parseCreateRoleOptions({ ...base, format: "cloudformation", delete: true })), "options-conflict/2");
  assert.equal(codeOf(() => parseCreateRoleOptions({ ...base, format: "cloudformation", profile: "a,b" })), "options-conflict/2");
  assert.equal(codeOf(() => parseCreateRoleOptions({ ...base, delete: true, trustAccount: ["111111111111"] })), "options-conflict/2");
  const ok = parseCreateRoleOptions({ ...base, trustAccount: ["111111111111", "111111111111"], profile: "a,b" });
  assert.deepEqual(ok.request.trustAccounts, ["111111111111"]);
  assert.deepEqual(ok.profiles, ["a", "b"]);
});

function wanted(): DesiredRole {
  return {
    roleName: "McpReadOnlyRole",
    description: "d",
    trustPolicy: trustPolicy({ principals: ["arn:aws:iam::123456789012:user/alice"], accounts: [], partition: "aws" }),
    policies: permissionPolicies(["ecs", "iac"]),
    maxSessionDuration: 3600,
    tags: { team: "x" },
  };
}

function stateMatching(want: DesiredRole): RoleState {
  return {
    exists: true,
    arn: "arn:aws:iam::123456789012:role/McpReadOnlyRole",
    // As IAM gives it back: URL-encoded, one-element lists collapsed, keys reordered.
    trustPolicy: decodePolicy(encodeURIComponent(JSON.stringify({
      Statement: [{ Action: "sts:AssumeRole", Principal: { AWS: "arn:aws:iam::123456789012:user/alice" }, Effect: "Allow", Sid: "McpServerAssumeRole" }],
      Version: "2012-10-17",
    }))),
    description: "d",
    maxSessionDuration: 3600,
    tags: { team: "x", "managed-by": "xaccount", other: "kept" },
    inline: new Map([...want.policies].map(([k, v]) => [k, JSON.parse(JSON.stringify(v)) as unknown])),
    attached: [],
  };
}

test("plan: a matching role is up to date; each difference is one change; deletion removes everything", () => {
  const want = wanted();
  assert.deepEqual(planConverge(stateMatching(want), want), []);
  const absent: RoleState = { exists: false, tags: {}, inline: new Map(), attached: [] };
  assert.deepEqual(planConverge(absent, want).map((c) => c.kind), ["create-role", "put-policy", "put-policy"]);

  const drifted = stateMatching(want);
  drifted.trustPolicy = { Version: "2012-10-17", Statement: [] };
  drifted.maxSessionDuration = 7200;
  drifted.inline.set("xaccount-iac-read-only", { Version: "2012-10-17", Statement: [] });
  drifted.inline.set("xaccount-old-read-only", {});
  drifted.inline.set("someone-elses", {});
  drifted.tags.team = "y";
  assert.deepEqual(planConverge(drifted, want), [
    { kind: "update-trust", details: ["trust arn:aws:iam::123456789012:user/alice"] },
    { kind: "update-settings", what: ["max session duration"] },
    { kind: "put-policy", name: "xaccount-iac-read-only", isNew: false },
    { kind: "delete-policy", name: "xaccount-old-read-only" },
    { kind: "tag", keys: ["team"] },
  ]);
  const del = stateMatching(want);
  del.attached = ["arn:aws:iam::aws:policy/ReadOnlyAccess"];
  assert.deepEqual(planDelete(del).map((c) => c.kind), ["delete-policy", "delete-policy", "detach-policy", "delete-role"]);
  assert.deepEqual(planDelete(absent), []);
});

test("canonical comparison ignores order and one-element lists but not content", () => {
  assert.ok(samePolicy({ Action: ["b", "a"] }, { Action: ["a", "b"] }));
  assert.ok(samePolicy({ Principal: { AWS: "x" } }, { Principal: { AWS: ["x"] } }));
  assert.ok(!samePolicy({ Action: ["a"] }, { Action: ["a", "b"] }));
  assert.deepEqual(canonical({ b: 1, a: 2 }), { a: 2, b: 1 });
});

test("the CloudFormation template carries the same documents", () => {
  const want = wanted();
  const t = roleTemplate(want) as { Resources: { McpReadOnlyRole: { Type: string; Properties: Record<string, unknown> } } };
  const role = t.Resources.McpReadOnlyRole;
  assert.equal(role.Type, "AWS::IAM::Role");
  assert.equal(role.Properties.RoleName, "McpReadOnlyRole");
  assert.deepEqual(role.Properties.AssumeRolePolicyDocument, want.trustPolicy);
  assert.deepEqual(role.Properties.Policies, [...want.policies].map(([PolicyName, PolicyDocument]) => ({ PolicyName, PolicyDocument })));
});

test("trust changes: each principal added or dropped and the external id condition, never its value", () => {
  const before = trustPolicy({ principals: ["arn:aws:iam::111111111111:user/a"], accounts: ["222222222222"], partition: "aws", externalId: "secret-1" });
  const after = trustPolicy({ principals: ["arn:aws:iam::111111111111:user/b"], accounts: ["222222222222"], partition: "aws" });
  const lines = trustChanges(before, after);
  assert.deepEqual(lines, [
    "trust arn:aws:iam::111111111111:user/b",
    "stop trusting arn:aws:iam::111111111111:user/a",
    "drop the sts:ExternalId condition (anyone trusted may assume the role without it)",
  ]);
  assert.ok(!lines.join("\n").includes("secret-1"));
  assert.deepEqual(trustChanges(after, trustPolicy({ principals: ["arn:aws:iam::111111111111:user/b"], accounts: ["222222222222"], partition: "aws", externalId: "x1" })), ["require an sts:ExternalId"]);
  assert.deepEqual(trustTerms({ Statement: { Effect: "Allow", Principal: { AWS: "arn:aws:iam::1:root" }, Condition: { StringEquals: { "sts:ExternalId": "e" } } } }), { principals: ["arn:aws:iam::1:root"], externalIds: ["e"] });
});

test("a rerun keeps an existing external id and a larger session duration unless --replace-trust; several ids refuse with exit 2", () => {
  const want = wanted();
  const state = stateMatching(want);
  state.trustPolicy = trustPolicy({ principals: ["arn:aws:iam::123456789012:user/alice"], accounts: [], partition: "aws", externalId: "kept-id" });
  state.maxSessionDuration = 7200;
  const req = { roleName: "McpReadOnlyRole", trustPrincipals: [], trustAccounts: [], maxSessionDuration: 3600, servers: ["ecs" as const, "iac" as const], tags: {} };
  const kept = keepExistingTerms(state, want, req, "aws");
  assert.deepEqual(trustTerms(kept.want.trustPolicy).externalIds, ["kept-id"]);
  assert.equal(kept.want.maxSessionDuration, 7200);
  assert.equal(kept.notes.length, 2);
  assert.deepEqual(planConverge(state, kept.want).map((c) => c.kind), []);
  const replaced = keepExistingTerms(state, want, { ...req, replaceTrust: true }, "aws");
  assert.deepEqual([trustTerms(replaced.want.trustPolicy).externalIds, replaced.want.maxSessionDuration], [[], 3600]);
  // An explicit --external-id is what the user asked for.
  assert.deepEqual(trustTerms(keepExistingTerms(state, { ...want, trustPolicy: trustPolicy({ principals: [], accounts: [], partition: "aws", externalId: "new-id" }) }, { ...req, externalId: "new-id" }, "aws").want.trustPolicy).externalIds, ["new-id"]);
  state.trustPolicy = { Statement: [{ Effect: "Allow", Principal: { AWS: "x" }, Condition: { StringEquals: { "sts:ExternalId": ["a1", "b2"] } } }] };
  assert.equal(codeOf(() => keepExistingTerms(state, want, req, "aws")), "trust-would-weaken/2");
});
