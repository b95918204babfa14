/**
 * Who may assume the role (src/aws/trust.ts) and what it may do (src/aws/policies.ts), decision by decision:
 * ARN parsing and each partition, which callers and --trust-principal values are accepted (every part of
 * the user, role and session patterns at its edge), the trust policy's exact shape, reading the terms of
 * any trust policy back, the lines a rerun shows, and the permission documents' statements. Pure.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  accountRootArn, parseArn, partitionOfRegion, resolveCaller, resolveTrustPrincipal, roleArn, trustChanges, trustPolicy, trustTerms,
} from "../src/aws/trust.js";
import {
  POLICY_PREFIX, SERVER_SETS, SMOKE_TEST_ACTIONS, isBuiltInSet, permissionPolicies, permissionPolicy, policyName, releaseActions, statementsFor,
} from "../src/aws/policies.js";
import { codeOf } from "./helpers/errors.js";

const A = "123456789012";

test("parseArn: each field, the partitions AWS has, and nothing else", () => {
  assert.deepEqual(parseArn(`arn:aws:iam::${A}:role/a/b/R`), { partition: "aws", service: "iam", region: "", account: A, resource: "role/a/b/R" });
  assert.deepEqual(parseArn(`arn:aws-us-gov:sts:us-gov-west-1:${A}:assumed-role/R/s`), { partition: "aws-us-gov", service: "sts", region: "us-gov-west-1", account: A, resource: "assumed-role/R/s" });
  assert.equal(parseArn("arn:aws-iso-b:s3:::bucket")?.partition, "aws-iso-b");
  assert.equal(parseArn("arn:aws-cn:s3:::bucket")?.account, "");
  for (const bad of ["", `xarn:aws:iam::${A}:user/u`, `arn:awsx:iam::${A}:user/u`, `arn:aws-:iam::${A}:user/u`, `arn:AWS:iam::${A}:user/u`, `arn:aws-CN:iam::${A}:user/u`,
    `arn:aws:IAM::${A}:user/u`, `arn:aws::${A}:user/u`.replace("::", ":"), `arn:aws:iam:US-EAST-1:${A}:user/u`, `arn:aws:iam::1234567890123:user/u`, "arn:aws:iam::12345678901:user/u",
    `arn:aws:iam::${A}:`, `arn:aws:iam:${A}:user/u`, `arn:aws:iam::${A}:role/R\nx`, `arn:aws:iam::${A}:role/R\n`]) {
    assert.equal(parseArn(bad), undefined, bad);
  }
});

test("partitionOfRegion: each partition's prefix; no region or any other is the commercial one", () => {
  assert.equal(partitionOfRegion(undefined), "aws");
  assert.equal(partitionOfRegion(""), "aws");
  assert.equal(partitionOfRegion("cn-northwest-1"), "aws-cn");
  assert.equal(partitionOfRegion("us-gov-east-1"), "aws-us-gov");
  assert.equal(partitionOfRegion("us-isob-east-1"), "aws-iso-b");
  assert.equal(partitionOfRegion("us-iso-east-1"), "aws-iso");
  assert.equal(partitionOfRegion("us-east-1"), "aws");
  assert.equal(partitionOfRegion("eu-central-1"), "aws");
  assert.equal(partitionOfRegion("xcn-north-1"), "aws");
});

test("roleArn and accountRootArn: the partition, the account, the path (/ when empty) and the name", () => {
  assert.equal(roleArn("aws-cn", A, "/ops/", "R"), `arn:aws-cn:iam::${A}:role/ops/R`);
  assert.equal(roleArn("aws", A, "", "R"), `arn:aws:iam::${A}:role/R`);
  assert.equal(roleArn("aws", A, "/", "R"), `arn:aws:iam::${A}:role/R`);
  assert.equal(accountRootArn("aws-us-gov", A), `arn:aws-us-gov:iam::${A}:root`);
});

test("resolveCaller: users and roles as they are, a session to its role, root, federated users and the rest refused", () => {
  for (const arn of [`arn:aws:iam::${A}:user/alice`, `arn:aws:iam::${A}:user/dev/ops/alice`, `arn:aws:iam::${A}:role/R`]) {
    assert.deepEqual(resolveCaller(arn), { kind: "principal", arn });
  }
  assert.deepEqual(resolveCaller(`arn:aws-cn:sts::${A}:assumed-role/Admin/s@x`), { kind: "role-session", partition: "aws-cn", account: A, roleName: "Admin", sessionArn: `arn:aws-cn:sts::${A}:assumed-role/Admin/s@x` });
  assert.equal(codeOf(() => resolveCaller(`arn:aws:iam::${A}:root`)), "root-caller/1");
  assert.equal(codeOf(() => resolveCaller(`arn:aws:sts::${A}:federated-user/bob`)), "caller-not-assumable/1");
  // Root and federated users are those of their own service only.
  assert.equal(codeOf(() => resolveCaller(`arn:aws:sts::${A}:root`)), "caller-not-supported/1");
  assert.equal(codeOf(() => resolveCaller(`arn:aws:iam::${A}:federated-user/bob`)), "caller-not-supported/1");
  assert.equal(codeOf(() => resolveCaller(`arn:aws:sts::${A}:xfederated-user/bob`)), "caller-not-supported/1");
  for (const bad of ["", "not an arn", `arn:aws:iam::${A}:group/g`, `arn:aws:sts::${A}:assumed-role/R`]) {
    assert.equal(codeOf(() => resolveCaller(bad)), "caller-not-supported/1", bad);
  }
  assert.match((() => { try { resolveCaller(`arn:aws:iam::${A}:root`); } catch (e) { return (e as Error).message; } return ""; })(), new RegExp(A));
});

test("--trust-principal: users, roles and sessions with IAM's names and paths, roots; the edges of each", () => {
  const ok = (arn: string) => assert.deepEqual(resolveTrustPrincipal(arn), { kind: "principal", arn }, arn);
  const bad = (arn: string) => assert.equal(codeOf(() => resolveTrustPrincipal(arn)), "arn-invalid/2", arn);
  const n64 = "a".repeat(64);
  ok(`arn:aws:iam::${A}:root`);
  ok(`arn:aws:iam::${A}:user/${n64}`);
  ok(`arn:aws:iam::${A}:role/${n64}`);
  ok(`arn:aws:iam::${A}:role/A_z+0=,.@-`);
  ok(`arn:aws:iam::${A}:user/p/q/alice`);
  ok(`arn:aws:iam::${A}:role/a!~/R`);
  bad(`arn:aws:iam::${A}:user/${n64}a`);
  bad(`arn:aws:iam::${A}:role/${n64}a`);
  bad(`arn:aws:iam::${A}:role/`);
  bad(`arn:aws:iam::${A}:role/R/`);
  bad(`arn:aws:iam::${A}:role/a b/R`);
  bad(`arn:aws:iam::${A}:role/a/R x`);
  bad(`arn:aws:iam::${A}:xrole/R`);
  bad(`arn:aws:iam::${A}:rootx`);
  bad(`arn:aws:iam::${A}:role`);
  bad(`arn:aws:iam::${A}:userR`);
  bad(`arn:aws:iam::${A}:roleR`);
  bad(`arn:aws:iam:us-east-1:${A}:role/R`);
  bad("arn:aws:iam:::role/R");
  bad(`arn:aws:s3::${A}:role/R`);
  // Sessions: role name and session name of IAM's characters, 1 to 64 each.
  const session = (r: string, s: string) => resolveTrustPrincipal(`arn:aws:sts::${A}:assumed-role/${r}/${s}`);
  assert.deepEqual(session(n64, n64), { kind: "role-session", partition: "aws", account: A, roleName: n64, sessionArn: `arn:aws:sts::${A}:assumed-role/${n64}/${n64}` });
  assert.equal(session("R", "A_z+0=,.@-").kind, "role-session");
  for (const [r, s] of [[`${n64}a`, "s"], ["R", `${n64}a`], ["R", ""], ["", "s"], ["R", "s x"], ["R x", "s"], ["R", "s/t"]] as const) {
    assert.equal(codeOf(() => session(r, s)), "arn-invalid/2", `${r}/${s}`);
  }
  bad(`arn:aws:sts::${A}:xassumed-role/R/s`);
  bad(`arn:aws:ecs::${A}:assumed-role/R/s`);
  bad(`arn:aws:sts:us-east-1:${A}:assumed-role/R/s`);
  bad("arn:aws:sts:::assumed-role/R/s");
});

test("trustPolicy: one Allow statement for sts:AssumeRole, principals and account roots sorted and once each", () => {
  assert.deepEqual(trustPolicy({ principals: [`arn:aws:iam::${A}:user/b`, `arn:aws:iam::${A}:user/a`, `arn:aws:iam::${A}:user/b`], accounts: ["222222222222", "111111111111"], partition: "aws" }), {
    Version: "2012-10-17",
    Statement: [{
      Sid: "McpServerAssumeRole",
      Effect: "Allow",
      Principal: { AWS: ["arn:aws:iam::111111111111:root", `arn:aws:iam::${A}:user/a`, `arn:aws:iam::${A}:user/b`, "arn:aws:iam::222222222222:root"] },
      Action: "sts:AssumeRole",
    }],
  });
  // An account given both ways is trusted once.
  assert.deepEqual(trustPolicy({ principals: ["arn:aws:iam::111111111111:root"], accounts: ["111111111111"], partition: "aws" }).Statement[0]?.Principal.AWS, ["arn:aws:iam::111111111111:root"]);
  const withId = trustPolicy({ principals: [], accounts: [A], partition: "aws-cn", externalId: "e-1" });
  assert.deepEqual(withId.Statement[0]?.Condition, { StringEquals: { "sts:ExternalId": "e-1" } });
  assert.deepEqual(withId.Statement[0]?.Principal.AWS, [`arn:aws-cn:iam::${A}:root`]);
  assert.equal("Condition" in (trustPolicy({ principals: [], accounts: [A], partition: "aws", externalId: "" }).Statement[0] ?? {}), false);
  assert.equal("Condition" in (trustPolicy({ principals: [], accounts: [A], partition: "aws" }).Statement[0] ?? {}), false);
});

test("trustTerms: any trust policy's principals and external ids, from every shape IAM allows, sorted, Allow only", () => {
  assert.deepEqual(trustTerms(trustPolicy({ principals: ["b", "a"], accounts: [], partition: "aws", externalId: "x" })), { principals: ["a", "b"], externalIds: ["x"] });
  // One statement as an object; a principal and an id as plain strings.
  assert.deepEqual(trustTerms({ Statement: { Effect: "Allow", Principal: { AWS: "p" }, Condition: { StringEquals: { "sts:ExternalId": "e" } } } }), { principals: ["p"], externalIds: ["e"] });
  // Several statements: union, sorted, once each; Deny and odd entries ignored.
  assert.deepEqual(trustTerms({
    Statement: [
      { Effect: "Allow", Principal: { AWS: ["z", "y", 7] }, Condition: { StringEquals: { "sts:ExternalId": ["e2", "e1"] } } },
      { Effect: "Allow", Principal: { AWS: ["y"] } },
      { Effect: "Deny", Principal: { AWS: "denied" }, Condition: { StringEquals: { "sts:ExternalId": "no" } } },
      { Effect: "Allow", Principal: { Service: "ecs.amazonaws.com" } },
      { Effect: "Allow", Principal: "*" },
      "junk",
      null,
    ],
  }), { principals: ["y", "z"], externalIds: ["e1", "e2"] });
  for (const odd of [undefined, null, 3, "text", [], { Statement: null }, { Statement: "x" }, { Statement: [{ Effect: "Allow", Principal: [] }] }, { Statement: [{ Effect: "Allow", Principal: { AWS: {} } }] }]) {
    assert.deepEqual(trustTerms(odd), { principals: [], externalIds: [] }, JSON.stringify(odd));
  }
  // A condition that is not StringEquals on sts:ExternalId is not an external id.
  assert.deepEqual(trustTerms({ Statement: [{ Effect: "Allow", Principal: { AWS: "p" }, Condition: { StringLike: { "sts:ExternalId": "e" }, StringEquals: { "aws:PrincipalTag/x": "y" } } }] }).externalIds, []);
  assert.deepEqual(trustTerms({ Statement: [{ Effect: "Allow", Principal: { AWS: "p" }, Condition: [] }] }).externalIds, []);
});

test("trustChanges: one line per principal added or dropped, the external id's change named but never shown", () => {
  const doc = (principals: string[], externalId?: string) => trustPolicy({ principals, accounts: [], partition: "aws", externalId });
  assert.deepEqual(trustChanges(doc(["a"]), doc(["a"])), []);
  assert.deepEqual(trustChanges(doc(["a", "b"]), doc(["b", "c"])), ["trust c", "stop trusting a"]);
  assert.deepEqual(trustChanges(doc(["a"], "old-secret"), doc(["a"])), ["drop the sts:ExternalId condition (anyone trusted may assume the role without it)"]);
  assert.deepEqual(trustChanges(doc(["a"]), doc(["a"], "new-secret")), ["require an sts:ExternalId"]);
  assert.deepEqual(trustChanges(doc(["a"], "old-secret"), doc(["a"], "new-secret")), ["change the required sts:ExternalId"]);
  assert.deepEqual(trustChanges(doc(["a"], "same"), doc(["a"], "same")), []);
  // Two ids are not one made of both.
  const twoIds = { Version: "2012-10-17", Statement: [{ Sid: "McpServerAssumeRole", Effect: "Allow", Principal: { AWS: ["a"] }, Action: "sts:AssumeRole", Condition: { StringEquals: { "sts:ExternalId": ["x", "y"] } } }] };
  assert.deepEqual(trustChanges(twoIds, doc(["a"], "xy")), ["change the required sts:ExternalId"]);
  assert.deepEqual(trustChanges(doc(["a"], "xy"), twoIds), ["change the required sts:ExternalId"]);
  // Same terms in another form: one line saying the form is rewritten.
  const other = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "a" }, Action: "sts:AssumeRole" }] };
  assert.deepEqual(trustChanges(other, doc(["a"])), ["rewrite the trust policy in xaccount's form (same principals and external id)"]);
  assert.deepEqual(trustChanges(undefined, doc(["a"])), ["trust a"]);
  for (const line of [...trustChanges(doc(["a"], "old-secret"), doc(["b"], "new-secret"))]) assert.doesNotMatch(line, /secret/);
});

test("permission documents: one statement per IAM prefix named for it, actions sorted once each, Resource *", () => {
  assert.deepEqual(statementsFor(["ecs:ListTasks", "ec2:DescribeVpcs", "ecs:DescribeServices", "ecs:ListTasks", "elasticloadbalancing:DescribeRules", "resource-groups:ListGroups", "s3:GetObject"]), [
    { Sid: "Ec2Read", Effect: "Allow", Action: ["ec2:DescribeVpcs"], Resource: "*" },
    { Sid: "EcsRead", Effect: "Allow", Action: ["ecs:DescribeServices", "ecs:ListTasks"], Resource: "*" },
    { Sid: "ElasticloadbalancingRead", Effect: "Allow", Action: ["elasticloadbalancing:DescribeRules"], Resource: "*" },
    { Sid: "ResourceGroupsRead", Effect: "Allow", Action: ["resource-groups:ListGroups"], Resource: "*" },
    { Sid: "S3Read", Effect: "Allow", Action: ["s3:GetObject"], Resource: "*" },
  ]);
  assert.deepEqual(statementsFor([]), []);
  // The reads `xaccount test` makes are added when the set lacks them, in their own statement, and only then.
  assert.deepEqual(permissionPolicy("eks", ["eks:ListClusters"]), {
    Version: "2012-10-17",
    Statement: [
      { Sid: "EksRead", Effect: "Allow", Action: ["eks:ListClusters"], Resource: "*" },
      { Sid: "XaccountTestRead", Effect: "Allow", Action: ["cloudformation:ListStacks", "ecs:ListClusters"], Resource: "*" },
    ],
  });
  assert.deepEqual(permissionPolicy("eks", ["ecs:ListClusters"]).Statement.map((s) => s.Action), [["ecs:ListClusters"], ["cloudformation:ListStacks"]]);
  assert.deepEqual(permissionPolicy("eks", [SMOKE_TEST_ACTIONS.listClusters, SMOKE_TEST_ACTIONS.listStacks]).Statement.map((s) => s.Sid), ["CloudformationRead", "EcsRead"]);
  assert.deepEqual(SMOKE_TEST_ACTIONS, { listClusters: "ecs:ListClusters", listStacks: "cloudformation:ListStacks" });
  // A built-in set's document is its release's actions (and the smoke reads).
  const ecs = permissionPolicy("ecs").Statement.flatMap((s) => s.Action);
  for (const a of releaseActions("ecs")) assert.ok(ecs.includes(a), a);
});

test("policy names and sets: xaccount-<set>-read-only, built-in sets first in their order, then the others sorted", () => {
  assert.equal(POLICY_PREFIX, "xaccount-");
  assert.equal(policyName("ecs"), "xaccount-ecs-read-only");
  assert.deepEqual([...SERVER_SETS], ["ecs", "iac"]);
  assert.equal(isBuiltInSet("ecs"), true);
  assert.equal(isBuiltInSet("iac"), true);
  assert.equal(isBuiltInSet("eks"), false);
  const docs = permissionPolicies(["zeta", "iac", "eks", "ecs"], { eks: ["eks:DescribeCluster"], zeta: ["s3:ListBuckets"], ecs: ["ecs:ListTasks"] });
  assert.deepEqual([...docs.keys()], ["xaccount-ecs-read-only", "xaccount-iac-read-only", "xaccount-eks-read-only", "xaccount-zeta-read-only"]);
  // Derived actions replace a built-in set's; a set without derived actions keeps its release's.
  assert.deepEqual(docs.get("xaccount-ecs-read-only")?.Statement[0]?.Action, ["ecs:ListTasks"]);
  assert.deepEqual(docs.get("xaccount-eks-read-only")?.Statement[0]?.Action, ["eks:DescribeCluster"]);
  assert.deepEqual(docs.get("xaccount-iac-read-only"), permissionPolicy("iac"));
  assert.deepEqual([...permissionPolicies(["ecs"]).keys()], ["xaccount-ecs-read-only"]);
  assert.deepEqual([...permissionPolicies([]).keys()], []);
  assert.deepEqual(releaseActions("eks"), []);
  assert.deepEqual(permissionPolicy("eks").Statement.map((s) => s.Sid), ["XaccountTestRead"]);
});
