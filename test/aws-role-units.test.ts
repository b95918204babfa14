/**
 * The role in one account (src/aws/role.ts) and create-role's decisions for it (src/aws/provision.ts),
 * in-process: the converge and delete plans, the canonical comparison that makes a rerun a no-op, reading
 * the role (every page) and applying each change with exactly the request IAM needs, through a fake IAM
 * client; then a whole account's run (caller, plan, writes, status, the state after a failure) against an
 * in-process fake STS/IAM endpoint (test/helpers/fake-aws.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { IAMClient } from "@aws-sdk/client-iam";
import { XaError } from "../src/errors.js";
import {
  MANAGED_BY_TAG, applyChanges, canonical, decodePolicy, describeChange, describeState, desiredTags, planConverge, planDelete, readRole, samePolicy,
  type Change, type DesiredRole, type RoleState,
} from "../src/aws/role.js";
import { ROLE_DESCRIPTION, desiredRole, keepExistingTerms, needsCaller, provisionAccount, type RoleRequest } from "../src/aws/provision.js";
import { roleTemplate } from "../src/aws/cloudformation.js";
import { permissionPolicies, permissionPolicy } from "../src/aws/policies.js";
import { trustPolicy } from "../src/aws/trust.js";
import { escapeXml, withFakeAws, xmlError, xmlResult, type FakeRequest, type FakeReply } from "./helpers/fake-aws.js";
import { codeOf } from "./helpers/errors.js";

const A = "123456789012";
const ALICE = `arn:aws:iam::${A}:user/alice`;

function want(over: Partial<DesiredRole> = {}): DesiredRole {
  return {
    roleName: "McpReadOnlyRole",
    description: "d",
    trustPolicy: trustPolicy({ principals: [ALICE], accounts: [], partition: "aws" }),
    policies: permissionPolicies(["ecs"], { ecs: ["ecs:ListTasks"] }),
    maxSessionDuration: 3600,
    tags: { team: "x" },
    ...over,
  };
}

function matching(w: DesiredRole): RoleState {
  return {
    exists: true,
    arn: `arn:aws:iam::${A}:role/McpReadOnlyRole`,
    trustPolicy: JSON.parse(JSON.stringify(w.trustPolicy)) as unknown,
    description: w.description,
    maxSessionDuration: w.maxSessionDuration,
    tags: { ...w.tags, [MANAGED_BY_TAG.key]: MANAGED_BY_TAG.value },
    inline: new Map([...w.policies].map(([k, v]) => [k, JSON.parse(JSON.stringify(v)) as unknown])),
    attached: [],
  };
}

const absent = (): RoleState => ({ exists: false, tags: {}, inline: new Map(), attached: [] });

test("describeChange: one short line per kind of change", () => {
  const lines: Array<[Change, string]> = [
    [{ kind: "create-role" }, "create role"],
    [{ kind: "update-trust", details: [] }, "update trust policy"],
    [{ kind: "update-trust", details: ["trust a", "stop trusting b"] }, "update trust policy (trust a; stop trusting b)"],
    [{ kind: "update-settings", what: ["max session duration", "description"] }, "update max session duration and description"],
    [{ kind: "put-policy", name: "p", isNew: true }, "add policy p"],
    [{ kind: "put-policy", name: "p", isNew: false }, "update policy p"],
    [{ kind: "delete-policy", name: "p" }, "delete policy p"],
    [{ kind: "tag", keys: ["a", "b"] }, "tag a, b"],
    [{ kind: "detach-policy", arn: "arn:x" }, "detach managed policy arn:x"],
    [{ kind: "delete-role" }, "delete role"],
  ];
  for (const [change, line] of lines) assert.equal(describeChange(change), line);
});

test("decodePolicy: IAM's URL-encoded documents and plain JSON (a % in plain JSON is not decoded)", () => {
  assert.equal(decodePolicy(undefined), undefined);
  assert.deepEqual(decodePolicy(encodeURIComponent('{"a":["b c"]}')), { a: ["b c"] });
  assert.deepEqual(decodePolicy('{"a":"100%"}'), { a: "100%" });
  assert.deepEqual(decodePolicy('  \n{"a":"50%"}'), { a: "50%" });
  assert.throws(() => decodePolicy("%7Bnot json"));
});

test("canonical: key order, string lists in any order and one-element lists of the set keys compare equal; the rest does not", () => {
  for (const key of ["Action", "NotAction", "Resource", "NotResource", "AWS", "Service", "Federated"]) {
    assert.ok(samePolicy({ [key]: "x" }, { [key]: ["x"] }), key);
  }
  for (const key of ["Effect", "Sid", "Version", "sts:ExternalId"]) assert.ok(!samePolicy({ [key]: "x" }, { [key]: ["x"] }), key);
  assert.deepEqual(canonical({ b: { d: 1, c: ["y", "x"] }, a: "s" }), { a: "s", b: { c: ["x", "y"], d: 1 } });
  assert.deepEqual(JSON.stringify(canonical({ b: 1, a: 2 })), '{"a":2,"b":1}');
  // Lists of statements keep their order (only lists of strings are sets).
  assert.deepEqual(canonical([{ b: 1 }, { a: 1 }]), [{ b: 1 }, { a: 1 }]);
  assert.deepEqual(canonical([2, 1]), [2, 1]);
  assert.deepEqual(canonical(["b", { a: 1 }, "a"]), ["b", { a: 1 }, "a"], "a list that is not all strings keeps its order");
  assert.deepEqual(canonical({ Action: null, Resource: 5, AWS: true }), { AWS: true, Action: null, Resource: 5 });
  assert.deepEqual(canonical({ Action: ["b", "a"] }), { Action: ["a", "b"] });
  assert.deepEqual(canonical({ Statement: [{ Action: "a" }] }), { Statement: [{ Action: ["a"] }] });
  assert.equal(canonical(null), null);
  assert.equal(canonical("s"), "s");
  assert.ok(!samePolicy({ Action: ["a"] }, { Action: ["b"] }));
  assert.ok(!samePolicy({ Action: ["a"] }, undefined));
});

test("desiredTags: the user's tags plus managed-by=xaccount, which a user tag cannot override", () => {
  assert.deepEqual(desiredTags(want({ tags: { team: "x", "managed-by": "me" } })), { team: "x", "managed-by": "xaccount" });
  assert.deepEqual(MANAGED_BY_TAG, { key: "managed-by", value: "xaccount" });
});

test("planConverge: a new role and its policies; each setting, policy and tag that differs is one change", () => {
  const w = want({ policies: permissionPolicies(["ecs", "iac"]) });
  assert.deepEqual(planConverge(absent(), w), [
    { kind: "create-role" },
    { kind: "put-policy", name: "xaccount-ecs-read-only", isNew: true },
    { kind: "put-policy", name: "xaccount-iac-read-only", isNew: true },
  ]);
  assert.deepEqual(planConverge(matching(w), w), []);
  const s = matching(w);
  s.description = undefined;
  assert.deepEqual(planConverge(s, w), [{ kind: "update-settings", what: ["description"] }]);
  assert.deepEqual(planConverge(s, { ...w, description: "" }), [], "no description on either side");
  s.description = "other";
  s.maxSessionDuration = 7200;
  assert.deepEqual(planConverge(s, w), [{ kind: "update-settings", what: ["max session duration", "description"] }]);
  const p = matching(w);
  p.inline.delete("xaccount-ecs-read-only");
  p.inline.set("xaccount-iac-read-only", permissionPolicy("ecs"));
  p.inline.set("xaccount-eks-read-only", {});
  p.inline.set("team-policy", {});
  assert.deepEqual(planConverge(p, w), [
    { kind: "put-policy", name: "xaccount-ecs-read-only", isNew: true },
    { kind: "put-policy", name: "xaccount-iac-read-only", isNew: false },
    { kind: "delete-policy", name: "xaccount-eks-read-only" },
  ]);
  const t = matching(w);
  t.tags = { team: "y" };
  assert.deepEqual(planConverge(t, w), [{ kind: "tag", keys: ["team", "managed-by"] }]);
  t.tags = { team: "x", "managed-by": "xaccount", extra: "kept" };
  assert.deepEqual(planConverge(t, w), [], "tags xaccount does not set are left alone");
  const trust = matching(w);
  trust.trustPolicy = trustPolicy({ principals: ["arn:aws:iam::111111111111:user/bob"], accounts: [], partition: "aws" });
  assert.deepEqual(planConverge(trust, w), [{ kind: "update-trust", details: [`trust ${ALICE}`, "stop trusting arn:aws:iam::111111111111:user/bob"] }]);
});

test("planDelete: every inline policy (xaccount's or not), every attachment, then the role; nothing when absent", () => {
  const s = matching(want());
  s.inline.set("team-policy", {});
  s.attached = ["arn:aws:iam::aws:policy/ReadOnlyAccess"];
  assert.deepEqual(planDelete(s), [
    { kind: "delete-policy", name: "xaccount-ecs-read-only" },
    { kind: "delete-policy", name: "team-policy" },
    { kind: "detach-policy", arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
    { kind: "delete-role" },
  ]);
  assert.deepEqual(planDelete({ ...absent(), inline: new Map([["x", {}]]) }), []);
});

test("describeState: what exists, in one line, compared with what was wanted", () => {
  const w = want();
  assert.equal(describeState(absent(), w), "role McpReadOnlyRole does not exist");
  assert.equal(describeState(absent(), undefined), "the role does not exist");
  assert.equal(describeState(matching(w), w), `role arn:aws:iam::${A}:role/McpReadOnlyRole exists; trust policy up to date; policy xaccount-ecs-read-only up to date`);
  const s = matching(w);
  s.trustPolicy = {};
  s.inline.set("xaccount-ecs-read-only", {});
  s.inline.set("team-policy", {});
  s.inline.set("team-two", {});
  s.attached = ["arn:m1", "arn:m2"];
  assert.equal(describeState(s, w), `role arn:aws:iam::${A}:role/McpReadOnlyRole exists; trust policy differs from the wanted one; policy xaccount-ecs-read-only outdated; other inline policies: team-policy, team-two; attached managed policies: arn:m1, arn:m2`);
  s.inline.delete("xaccount-ecs-read-only");
  assert.match(describeState(s, w), /policy xaccount-ecs-read-only missing/);
  assert.equal(describeState({ ...matching(w), arn: undefined }, undefined), "role  exists; other inline policies: xaccount-ecs-read-only");
});

// ---- readRole and applyChanges with a fake IAM client ----

interface Sent {
  command: string;
  input: Record<string, unknown>;
}

function fakeIam(answer: (s: Sent) => unknown): { iam: IAMClient; sent: Sent[] } {
  const sent: Sent[] = [];
  const iam = {
    send: async (cmd: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const s = { command: cmd.constructor.name.replace(/Command$/, ""), input: cmd.input };
      sent.push(s);
      return answer(s);
    },
  } as unknown as IAMClient;
  return { iam, sent };
}

const sdkError = (name: string): Error => Object.assign(new Error(`${name} from IAM`), { name });

test("readRole: the role, every page of its inline and attached policies (decoded), its tags", async () => {
  const trust = { Version: "2012-10-17", Statement: [] };
  const { iam, sent } = fakeIam((s) => {
    switch (s.command) {
      case "GetRole":
        return { Role: { Arn: "arn:r", AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(trust)), Description: "desc", MaxSessionDuration: 7200, Tags: [{ Key: "k", Value: "v" }, { Key: "e" }, { Value: "no key" }] } };
      case "ListRolePolicies":
        return s.input.Marker === undefined
          ? { PolicyNames: ["p1"], IsTruncated: true, Marker: "m1" }
          : { PolicyNames: ["p2"], IsTruncated: false, Marker: "ignored" };
      case "GetRolePolicy":
        return { PolicyDocument: encodeURIComponent(JSON.stringify({ name: s.input.PolicyName })) };
      case "ListAttachedRolePolicies":
        return s.input.Marker === undefined
          ? { AttachedPolicies: [{ PolicyArn: "arn:a1" }], IsTruncated: true, Marker: "n1" }
          : { AttachedPolicies: [{ PolicyArn: "arn:a2" }, {}], IsTruncated: false };
      default:
        throw new Error(`unexpected ${s.command}`);
    }
  });
  const state = await readRole(iam, "R", {});
  assert.deepEqual(state, {
    exists: true,
    arn: "arn:r",
    trustPolicy: trust,
    description: "desc",
    maxSessionDuration: 7200,
    tags: { k: "v", e: "", "": "no key" },
    inline: new Map([["p1", { name: "p1" }], ["p2", { name: "p2" }]]),
    attached: ["arn:a1", "arn:a2", ""],
  });
  assert.deepEqual(sent.map((s) => [s.command, s.input]), [
    ["GetRole", { RoleName: "R" }],
    ["ListRolePolicies", { RoleName: "R", Marker: undefined }],
    ["ListRolePolicies", { RoleName: "R", Marker: "m1" }],
    ["GetRolePolicy", { RoleName: "R", PolicyName: "p1" }],
    ["GetRolePolicy", { RoleName: "R", PolicyName: "p2" }],
    ["ListAttachedRolePolicies", { RoleName: "R", Marker: undefined }],
    ["ListAttachedRolePolicies", { RoleName: "R", Marker: "n1" }],
  ]);
});

test("readRole: a role IAM does not have is `exists: false`; a page without lists reads as empty; refusals name the action", async () => {
  const missing = await readRole(fakeIam(() => { throw sdkError("NoSuchEntity"); }).iam, "R", {});
  assert.deepEqual(missing, { exists: false, tags: {}, inline: new Map(), attached: [] });
  const bare = await readRole(fakeIam((s) => (s.command === "GetRole" ? { Role: { Arn: "arn:r" } } : {})).iam, "R", {});
  assert.deepEqual(bare, { exists: true, arn: "arn:r", trustPolicy: undefined, description: undefined, maxSessionDuration: undefined, tags: {}, inline: new Map(), attached: [] });
  // An answer without the role itself: it exists, nothing else known.
  const empty = await readRole(fakeIam(() => ({})).iam, "R", {});
  assert.deepEqual(empty, { exists: true, arn: undefined, trustPolicy: undefined, description: undefined, maxSessionDuration: undefined, tags: {}, inline: new Map(), attached: [] });
  for (const [command, action] of [["GetRole", "iam:GetRole"], ["ListRolePolicies", "iam:ListRolePolicies"], ["GetRolePolicy", "iam:GetRolePolicy"], ["ListAttachedRolePolicies", "iam:ListAttachedRolePolicies"]]) {
    const { iam } = fakeIam((s) => {
      if (s.command === command) throw sdkError("AccessDenied");
      return s.command === "GetRole" ? { Role: { Arn: "arn:r" } } : s.command === "ListRolePolicies" ? { PolicyNames: ["p"] } : { PolicyDocument: "{}" };
    });
    await assert.rejects(readRole(iam, "R", { caller: "arn:me" }), (e: unknown) => e instanceof XaError && e.code === "aws-access-denied" && e.message === `arn:me may not call ${action} on role R`, command);
  }
});

test("applyChanges: each change is the one IAM call that makes it, with the whole wanted document; the new role's ARN returned", async () => {
  const w = want({ tags: { team: "x" } });
  const changes: Change[] = [
    { kind: "create-role" },
    { kind: "update-trust", details: [] },
    { kind: "update-settings", what: ["description"] },
    { kind: "put-policy", name: "xaccount-ecs-read-only", isNew: true },
    { kind: "delete-policy", name: "old" },
    { kind: "tag", keys: ["team", "managed-by"] },
    { kind: "detach-policy", arn: "arn:m" },
    { kind: "delete-role" },
  ];
  const { iam, sent } = fakeIam((s) => (s.command === "CreateRole" ? { Role: { Arn: "arn:new" } } : {}));
  assert.equal(await applyChanges(iam, w, changes, {}), "arn:new");
  assert.deepEqual(sent, [
    { command: "CreateRole", input: { RoleName: "McpReadOnlyRole", Description: "d", AssumeRolePolicyDocument: JSON.stringify(w.trustPolicy), MaxSessionDuration: 3600, Tags: [{ Key: "team", Value: "x" }, { Key: "managed-by", Value: "xaccount" }] } },
    { command: "UpdateAssumeRolePolicy", input: { RoleName: "McpReadOnlyRole", PolicyDocument: JSON.stringify(w.trustPolicy) } },
    { command: "UpdateRole", input: { RoleName: "McpReadOnlyRole", Description: "d", MaxSessionDuration: 3600 } },
    { command: "PutRolePolicy", input: { RoleName: "McpReadOnlyRole", PolicyName: "xaccount-ecs-read-only", PolicyDocument: JSON.stringify(w.policies.get("xaccount-ecs-read-only")) } },
    { command: "DeleteRolePolicy", input: { RoleName: "McpReadOnlyRole", PolicyName: "old" } },
    { command: "TagRole", input: { RoleName: "McpReadOnlyRole", Tags: [{ Key: "team", Value: "x" }, { Key: "managed-by", Value: "xaccount" }] } },
    { command: "DetachRolePolicy", input: { RoleName: "McpReadOnlyRole", PolicyArn: "arn:m" } },
    { command: "DeleteRole", input: { RoleName: "McpReadOnlyRole" } },
  ]);
  assert.equal(await applyChanges(fakeIam(() => ({})).iam, w, [{ kind: "delete-role" }], {}), undefined);
  const unknownTag = fakeIam(() => ({}));
  assert.equal(await applyChanges(unknownTag.iam, w, [{ kind: "tag", keys: ["unknown"] }], {}), undefined);
  assert.deepEqual(unknownTag.sent[0]?.input.Tags, [{ Key: "unknown", Value: "" }]);
  // CreateRole answering without the role: no ARN to report.
  assert.equal(await applyChanges(fakeIam(() => ({})).iam, w, [{ kind: "create-role" }], {}), undefined);
});

test("applyChanges: the first failure stops, named with its IAM action and the policy it was about", async () => {
  const cases: Array<[Change, string]> = [
    [{ kind: "create-role" }, "iam:CreateRole on role McpReadOnlyRole"],
    [{ kind: "update-trust", details: [] }, "iam:UpdateAssumeRolePolicy on role McpReadOnlyRole"],
    [{ kind: "update-settings", what: [] }, "iam:UpdateRole on role McpReadOnlyRole"],
    [{ kind: "put-policy", name: "p", isNew: true }, "iam:PutRolePolicy on role McpReadOnlyRole (policy p)"],
    [{ kind: "delete-policy", name: "p" }, "iam:DeleteRolePolicy on role McpReadOnlyRole (policy p)"],
    [{ kind: "tag", keys: [] }, "iam:TagRole on role McpReadOnlyRole"],
    [{ kind: "detach-policy", arn: "arn:m" }, "iam:DetachRolePolicy on role McpReadOnlyRole (policy arn:m)"],
    [{ kind: "delete-role" }, "iam:DeleteRole on role McpReadOnlyRole"],
  ];
  for (const [change, where] of cases) {
    const { iam, sent } = fakeIam(() => { throw sdkError("AccessDenied"); });
    await assert.rejects(applyChanges(iam, want(), [change, { kind: "delete-role" }], { caller: "arn:me" }), (e: unknown) => e instanceof XaError && e.message === `arn:me may not call ${where}`, change.kind);
    assert.equal(sent.length, 1, `${change.kind}: nothing after the failure`);
  }
});

// ---- provision.ts: the pure decisions ----

const request = (over: Partial<RoleRequest> = {}): RoleRequest => ({
  roleName: "McpReadOnlyRole", trustPrincipals: [], trustAccounts: [], maxSessionDuration: 3600, servers: ["ecs"], tags: {}, ...over,
});

test("the role's description says what it is for and who made it", () => {
  assert.equal(ROLE_DESCRIPTION, "Read-only access for AWS Labs MCP servers patched by xaccount");
});

test("needsCaller: only when neither --trust-principal nor --trust-account was given", () => {
  assert.equal(needsCaller(request()), true);
  assert.equal(needsCaller(request({ trustPrincipals: [ALICE] })), false);
  assert.equal(needsCaller(request({ trustAccounts: [A] })), false);
});

test("desiredRole: the caller trusted by default, the partition from the caller's ARN else the region, the sets' documents", async () => {
  const notes: string[] = [];
  const caller = { account: A, arn: `arn:aws-cn:iam::${A}:user/alice`, userId: "AIDA" };
  const d = await desiredRole(request({ tags: { t: "1" }, servers: ["ecs", "iac"], externalId: "ext-1", maxSessionDuration: 7200 }), caller, undefined, "us-east-1", notes);
  assert.deepEqual(d, {
    roleName: "McpReadOnlyRole",
    description: ROLE_DESCRIPTION,
    trustPolicy: trustPolicy({ principals: [caller.arn], accounts: [], partition: "aws-cn", externalId: "ext-1" }),
    policies: permissionPolicies(["ecs", "iac"]),
    maxSessionDuration: 7200,
    tags: { t: "1" },
  });
  assert.deepEqual(notes, []);
  // Explicit trust replaces the caller; the accounts take the region's partition when there is no caller.
  const explicit = await desiredRole(request({ trustPrincipals: [ALICE], trustAccounts: ["111111111111"] }), undefined, undefined, "cn-north-1", notes);
  assert.deepEqual(explicit.trustPolicy.Statement[0]?.Principal.AWS, ["arn:aws-cn:iam::111111111111:root", ALICE]);
  const byCaller = await desiredRole(request({ trustAccounts: ["111111111111"] }), { account: A, arn: `arn:aws-us-gov:iam::${A}:user/x`, userId: "u" }, undefined, "us-east-1", notes);
  assert.deepEqual(byCaller.trustPolicy.Statement[0]?.Principal.AWS, ["arn:aws-us-gov:iam::111111111111:root"]);
  const unparsable = await desiredRole(request({ trustAccounts: ["111111111111"] }), { account: A, arn: "moto", userId: "u" }, undefined, "cn-north-1", notes);
  assert.deepEqual(unparsable.trustPolicy.Statement[0]?.Principal.AWS, ["arn:aws-cn:iam::111111111111:root"]);
  // Derived actions replace a set's built-in ones.
  const derived = await desiredRole(request({ trustAccounts: [A], derived: { ecs: ["ecs:ListTasks"] } }), undefined, undefined, undefined, notes);
  assert.deepEqual(derived.policies.get("xaccount-ecs-read-only")?.Statement[0]?.Action, ["ecs:ListTasks"]);
  await assert.rejects(desiredRole(request(), { account: A, arn: `arn:aws:iam::${A}:root`, userId: "u" }, undefined, undefined, []), (e: unknown) => e instanceof XaError && e.code === "root-caller");
  await assert.rejects(desiredRole(request(), undefined, undefined, undefined, []), (e: unknown) => e instanceof XaError && e.code === "caller-not-supported");
  await assert.rejects(desiredRole(request({ trustPrincipals: ["nope"] }), undefined, undefined, undefined, []), (e: unknown) => e instanceof XaError && e.code === "arn-invalid");
});

test("desiredRole: a role session is trusted as its role, with the path IAM gives, else the path-less ARN and a note why", async () => {
  const session = `arn:aws:sts::${A}:assumed-role/Ops/alice`;
  const caller = { account: A, arn: session, userId: "u" };
  const trusted = async (iam: IAMClient | undefined, account = A): Promise<{ principals: string[]; notes: string[] }> => {
    const notes: string[] = [];
    const d = await desiredRole(request(), { ...caller, account }, iam, "us-east-1", notes);
    return { principals: d.trustPolicy.Statement[0]?.Principal.AWS ?? [], notes };
  };
  const found = fakeIam((s) => ({ Role: { Arn: `arn:aws:iam::${A}:role/team/Ops`, RoleName: s.input.RoleName } }));
  assert.deepEqual(await trusted(found.iam), { principals: [`arn:aws:iam::${A}:role/team/Ops`], notes: [] });
  assert.deepEqual(found.sent, [{ command: "GetRole", input: { RoleName: "Ops" } }]);
  // IAM answers without an ARN: the path-less one, nothing to say.
  assert.deepEqual(await trusted(fakeIam(() => ({ Role: {} })).iam), { principals: [`arn:aws:iam::${A}:role/Ops`], notes: [] });
  assert.deepEqual(await trusted(fakeIam(() => ({})).iam), { principals: [`arn:aws:iam::${A}:role/Ops`], notes: [] });
  const missing = await trusted(fakeIam(() => { throw sdkError("NoSuchEntity"); }).iam);
  assert.deepEqual(missing.principals, [`arn:aws:iam::${A}:role/Ops`]);
  assert.equal(missing.notes.length, 1);
  assert.match(missing.notes[0] ?? "", /iam:GetRole found no such role/);
  const refused = await trusted(fakeIam(() => { throw sdkError("AccessDenied"); }).iam);
  assert.match(refused.notes[0] ?? "", /iam:GetRole was refused \(AccessDenied\)/);
  // No IAM client, or the role is in another account: not looked up.
  const other = fakeIam(() => { throw new Error("must not be called"); });
  for (const r of [await trusted(undefined), await trusted(other.iam, "999999999999")]) {
    assert.deepEqual(r.principals, [`arn:aws:iam::${A}:role/Ops`]);
    assert.equal(r.notes.length, 1);
    assert.match(r.notes[0] ?? "", new RegExp(`^${session} is a role session; trusting the role arn:aws:iam::${A}:role/Ops`));
  }
  assert.equal(other.sent.length, 0);
});

test("keepExistingTerms: a rerun keeps the external id and a larger session; --replace-trust and a new role keep nothing", () => {
  const withId = trustPolicy({ principals: [ALICE], accounts: [], partition: "aws", externalId: "kept" });
  const state = (over: Partial<RoleState> = {}): RoleState => ({ ...matching(want()), trustPolicy: withId, maxSessionDuration: 3600, ...over });
  const asked = want({ trustPolicy: trustPolicy({ principals: [ALICE, "arn:aws:iam::111111111111:root"], accounts: [], partition: "aws" }) });
  const kept = keepExistingTerms(state(), asked, request(), "aws");
  assert.deepEqual(kept.want.trustPolicy, trustPolicy({ principals: [ALICE], accounts: ["111111111111"], partition: "aws", externalId: "kept" }));
  assert.equal(kept.notes.length, 1);
  assert.match(kept.notes[0] ?? "", /kept the role's sts:ExternalId condition/);
  assert.equal(kept.want.maxSessionDuration, 3600);
  // Accounts are rebuilt in the partition given.
  assert.deepEqual(keepExistingTerms(state(), want({ trustPolicy: trustPolicy({ principals: [], accounts: ["111111111111"], partition: "aws-cn" }) }), request(), "aws-cn").want.trustPolicy.Statement[0]?.Principal.AWS, ["arn:aws-cn:iam::111111111111:root"]);
  // Account roots are told apart from other principals and rebuilt in the partition given.
  const rebuilt = keepExistingTerms(state(), want({ trustPolicy: trustPolicy({ principals: [ALICE], accounts: ["111111111111"], partition: "aws" }) }), request(), "aws-cn");
  assert.deepEqual(rebuilt.want.trustPolicy.Statement[0]?.Principal.AWS, ["arn:aws-cn:iam::111111111111:root", ALICE]);
  // Asked with an external id, the asked one stands.
  assert.deepEqual(keepExistingTerms(state(), asked, request({ externalId: "new" }), "aws"), { want: asked, notes: [] });
  assert.deepEqual(keepExistingTerms(state(), asked, request({ replaceTrust: true }), "aws"), { want: asked, notes: [] });
  assert.deepEqual(keepExistingTerms({ ...absent(), trustPolicy: withId, maxSessionDuration: 43200 }, asked, request(), "aws"), { want: asked, notes: [] });
  assert.deepEqual(keepExistingTerms(state({ trustPolicy: asked.trustPolicy }), asked, request(), "aws"), { want: asked, notes: [] });
  // A larger session stays (with a note); an equal or smaller one is converged.
  const longer = keepExistingTerms(state({ trustPolicy: asked.trustPolicy, maxSessionDuration: 7200 }), asked, request(), "aws");
  assert.equal(longer.want.maxSessionDuration, 7200);
  assert.match(longer.notes[0] ?? "", /^kept the role's MaxSessionDuration of 7200 s \(larger than the 3600 s asked\)/);
  assert.deepEqual(keepExistingTerms(state({ trustPolicy: asked.trustPolicy, maxSessionDuration: 3600 }), asked, request(), "aws").notes, []);
  assert.equal(keepExistingTerms(state({ trustPolicy: asked.trustPolicy, maxSessionDuration: 1800 }), asked, request(), "aws").want.maxSessionDuration, 3600);
  assert.deepEqual(keepExistingTerms(state({ trustPolicy: asked.trustPolicy, maxSessionDuration: undefined }), asked, request(), "aws").notes, []);
  assert.equal(keepExistingTerms(state({ maxSessionDuration: 7200 }), asked, request(), "aws").notes.length, 2);
  // Two ids: no silent choice.
  const two = { Statement: [{ Effect: "Allow", Principal: { AWS: ALICE }, Condition: { StringEquals: { "sts:ExternalId": ["a", "b"] } } }] };
  assert.equal(codeOf(() => keepExistingTerms(state({ trustPolicy: two }), asked, request(), "aws")), "trust-would-weaken/2");
  assert.equal(codeOf(() => keepExistingTerms(state({ trustPolicy: two }), asked, request({ externalId: "x" }), "aws")), undefined);
  // Only account roots are turned back into accounts: a root-like principal of another form stays a principal.
  const odd = want({ trustPolicy: trustPolicy({ principals: ["arn:aws:iam::111111111111:root/x", "arn:aws:iam::11111111111:root"], accounts: [], partition: "aws" }) });
  assert.deepEqual(keepExistingTerms(state(), odd, request(), "aws").want.trustPolicy.Statement[0]?.Principal.AWS, ["arn:aws:iam::111111111111:root/x", "arn:aws:iam::11111111111:root"]);
});

test("the CloudFormation template: the role with its trust, documents, settings and tags, and its ARN as output", () => {
  const w = want({ tags: { team: "x" } });
  assert.deepEqual(roleTemplate(w), {
    AWSTemplateFormatVersion: "2010-09-09",
    Description: "McpReadOnlyRole: d. Deploy with CAPABILITY_NAMED_IAM (e.g. as a service-managed StackSet).",
    Resources: {
      McpReadOnlyRole: {
        Type: "AWS::IAM::Role",
        Properties: {
          RoleName: "McpReadOnlyRole",
          Description: "d",
          AssumeRolePolicyDocument: w.trustPolicy,
          MaxSessionDuration: 3600,
          Policies: [{ PolicyName: "xaccount-ecs-read-only", PolicyDocument: w.policies.get("xaccount-ecs-read-only") }],
          Tags: [{ Key: "team", Value: "x" }, { Key: "managed-by", Value: "xaccount" }],
        },
      },
    },
    Outputs: { RoleArn: { Description: "The role the patched MCP servers assume in this account", Value: { "Fn::GetAtt": ["McpReadOnlyRole", "Arn"] } } },
  });
});

// ---- provisionAccount against a fake STS/IAM endpoint ----

interface FakeRole {
  arn: string;
  trust: unknown;
  description?: string;
  maxSessionDuration?: number;
  tags?: Record<string, string>;
  inline?: Record<string, unknown>;
  attached?: string[];
}

/** A tiny IAM: one account, roles by name, as the query protocol answers. `refuse` names actions to deny. */
function fakeIamEndpoint(roles: Map<string, FakeRole>, opts: { caller?: string; refuse?: Set<string>; failRead?: () => boolean; rawPolicy?: string } = {}) {
  const caller = opts.caller ?? ALICE;
  return (req: FakeRequest): FakeReply => {
    const p = req.params;
    const name = p.get("RoleName") ?? "";
    if (opts.refuse?.has(req.action)) return xmlError("AccessDenied", `not allowed: ${req.action}`, 403);
    switch (req.action) {
      case "GetCallerIdentity":
        return xmlResult("GetCallerIdentity", `<Arn>${caller}</Arn><UserId>AIDA</UserId><Account>${caller.split(":")[4]}</Account>`);
      case "GetRole": {
        if (opts.failRead?.()) return xmlError("ServiceFailure", "read back failed", 500);
        const r = roles.get(name);
        if (!r) return xmlError("NoSuchEntity", "no role", 404);
        const tags = Object.entries(r.tags ?? {}).map(([k, v]) => `<member><Key>${k}</Key><Value>${v}</Value></member>`).join("");
        return xmlResult("GetRole", `<Role><Path>/</Path><RoleName>${name}</RoleName><RoleId>AROA</RoleId><Arn>${r.arn}</Arn><CreateDate>2024-01-01T00:00:00Z</CreateDate>` +
          `<AssumeRolePolicyDocument>${encodeURIComponent(JSON.stringify(r.trust))}</AssumeRolePolicyDocument>` +
          (r.description !== undefined ? `<Description>${r.description}</Description>` : "") +
          (r.maxSessionDuration !== undefined ? `<MaxSessionDuration>${r.maxSessionDuration}</MaxSessionDuration>` : "") +
          `<Tags>${tags}</Tags></Role>`);
      }
      case "ListRolePolicies":
        return xmlResult("ListRolePolicies", `<PolicyNames>${Object.keys(roles.get(name)?.inline ?? {}).map((n) => `<member>${n}</member>`).join("")}</PolicyNames><IsTruncated>false</IsTruncated>`);
      case "GetRolePolicy":
        return xmlResult("GetRolePolicy", `<RoleName>${name}</RoleName><PolicyName>${p.get("PolicyName")}</PolicyName><PolicyDocument>${opts.rawPolicy ?? encodeURIComponent(JSON.stringify(roles.get(name)?.inline?.[p.get("PolicyName") ?? ""]))}</PolicyDocument>`);
      case "ListAttachedRolePolicies":
        return xmlResult("ListAttachedRolePolicies", `<AttachedPolicies>${(roles.get(name)?.attached ?? []).map((a) => `<member><PolicyArn>${a}</PolicyArn><PolicyName>x</PolicyName></member>`).join("")}</AttachedPolicies><IsTruncated>false</IsTruncated>`);
      case "CreateRole": {
        const arn = `arn:aws:iam::${A}:role/${name}`;
        roles.set(name, { arn, trust: JSON.parse(p.get("AssumeRolePolicyDocument") ?? "{}"), description: p.get("Description") ?? undefined, maxSessionDuration: Number(p.get("MaxSessionDuration")), inline: {}, tags: {} });
        return xmlResult("CreateRole", `<Role><Path>/</Path><RoleName>${name}</RoleName><RoleId>AROA</RoleId><Arn>${arn}</Arn><CreateDate>2024-01-01T00:00:00Z</CreateDate></Role>`);
      }
      case "PutRolePolicy": {
        const r = roles.get(name)!;
        r.inline = { ...r.inline, [p.get("PolicyName") ?? ""]: JSON.parse(p.get("PolicyDocument") ?? "{}") };
        return xmlResult("PutRolePolicy", "");
      }
      case "DeleteRolePolicy": {
        const r = roles.get(name)!;
        delete r.inline?.[p.get("PolicyName") ?? ""];
        return xmlResult("DeleteRolePolicy", "");
      }
      case "UpdateAssumeRolePolicy":
        roles.get(name)!.trust = JSON.parse(p.get("PolicyDocument") ?? "{}");
        return xmlResult("UpdateAssumeRolePolicy", "");
      case "UpdateRole":
        roles.get(name)!.description = p.get("Description") ?? undefined;
        return xmlResult("UpdateRole", "");
      case "TagRole":
        return xmlResult("TagRole", "");
      case "DetachRolePolicy":
        roles.get(name)!.attached = roles.get(name)!.attached?.filter((a) => a !== p.get("PolicyArn"));
        return xmlResult("DetachRolePolicy", "");
      case "DeleteRole":
        roles.delete(name);
        return xmlResult("DeleteRole", "");
      default:
        return xmlError("InvalidAction", escapeXml(req.action));
    }
  };
}

const writes = (requests: FakeRequest[]): string[] => requests.map((r) => r.action).filter((a) => !/^(Get|List)/.test(a));

test("provisionAccount: creates, then is up to date; a change is updated; a dry run plans and writes nothing", async () => {
  const roles = new Map<string, FakeRole>();
  await withFakeAws(fakeIamEndpoint(roles), async (requests) => {
    const seen: Array<[string, string[]]> = [];
    const created = await provisionAccount({}, request({ servers: ["ecs"] }), { dryRun: false, delete: false, beforeWrite: (account, changes) => seen.push([account, changes]) });
    assert.equal(created.status, "created", created.error?.message);
    assert.equal(created.account, A);
    assert.equal(created.caller, ALICE);
    assert.equal(created.roleArn, `arn:aws:iam::${A}:role/McpReadOnlyRole`);
    assert.deepEqual(created.changes, ["create role", "add policy xaccount-ecs-read-only"]);
    assert.deepEqual(seen, [[A, created.changes]]);
    assert.deepEqual(created.notes, []);
    assert.deepEqual(writes(requests), ["CreateRole", "PutRolePolicy"]);
    assert.deepEqual(roles.get("McpReadOnlyRole")?.trust, trustPolicy({ principals: [ALICE], accounts: [], partition: "aws" }));

    roles.get("McpReadOnlyRole")!.tags = { "managed-by": "xaccount" };
    requests.length = 0;
    seen.length = 0;
    const again = await provisionAccount({}, request({ servers: ["ecs"] }), { dryRun: false, delete: false, beforeWrite: (account, changes) => seen.push([account, changes]) });
    assert.equal(again.status, "up-to-date", again.error?.message);
    assert.equal(again.roleArn, `arn:aws:iam::${A}:role/McpReadOnlyRole`);
    assert.deepEqual([again.changes, seen, writes(requests), again.notes], [[], [], [], []]);

    requests.length = 0;
    const planned = await provisionAccount({}, request({ servers: ["ecs", "iac"] }), { dryRun: true, delete: false, beforeWrite: () => assert.fail("no write on a dry run") });
    assert.equal(planned.status, "planned");
    assert.deepEqual(planned.changes, ["add policy xaccount-iac-read-only"]);
    assert.deepEqual(writes(requests), []);
    assert.ok(planned.desired);

    const updated = await provisionAccount({}, request({ servers: ["ecs", "iac"] }), { dryRun: false, delete: false });
    assert.equal(updated.status, "updated");
    assert.deepEqual(Object.keys(roles.get("McpReadOnlyRole")?.inline ?? {}), ["xaccount-ecs-read-only", "xaccount-iac-read-only"]);
  });
});

test("provisionAccount: notes on what xaccount leaves alone; delete removes everything, then reports absent", async () => {
  const roles = new Map<string, FakeRole>([["McpReadOnlyRole", {
    arn: `arn:aws:iam::${A}:role/McpReadOnlyRole`, trust: trustPolicy({ principals: [ALICE], accounts: [], partition: "aws" }), description: ROLE_DESCRIPTION,
    maxSessionDuration: 3600, tags: { "managed-by": "xaccount" }, inline: { "xaccount-ecs-read-only": permissionPolicy("ecs"), "team-extra": {}, "team-more": {} }, attached: ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/Other"],
  }]]);
  await withFakeAws(fakeIamEndpoint(roles), async (requests) => {
    const r = await provisionAccount({}, request({ servers: ["ecs"] }), { dryRun: false, delete: false });
    assert.equal(r.status, "up-to-date", r.error?.message);
    assert.equal(r.notes.length, 2);
    assert.match(r.notes[0] ?? "", /inline policies xaccount does not manage: team-extra, team-more \(/);
    assert.match(r.notes[1] ?? "", /managed policies attached: arn:aws:iam::aws:policy\/ReadOnlyAccess, arn:aws:iam::aws:policy\/Other \(/);
    const plan = await provisionAccount({}, request(), { dryRun: true, delete: true });
    assert.equal(plan.status, "planned");
    assert.deepEqual(plan.notes, [], "a delete has no notes about policies");
    assert.equal(plan.desired, undefined);
    assert.deepEqual(plan.changes, ["delete policy xaccount-ecs-read-only", "delete policy team-extra", "delete policy team-more", "detach managed policy arn:aws:iam::aws:policy/ReadOnlyAccess", "detach managed policy arn:aws:iam::aws:policy/Other", "delete role"]);
    requests.length = 0;
    const gone = await provisionAccount({}, request(), { dryRun: false, delete: true });
    assert.equal(gone.status, "deleted", gone.error?.message);
    assert.deepEqual(writes(requests), ["DeleteRolePolicy", "DeleteRolePolicy", "DeleteRolePolicy", "DetachRolePolicy", "DetachRolePolicy", "DeleteRole"]);
    assert.equal(roles.size, 0);
    const again = await provisionAccount({}, request(), { dryRun: false, delete: true, beforeWrite: () => assert.fail("nothing to write") });
    assert.equal(again.status, "absent");
    assert.deepEqual(again.changes, []);
  });
});

test("provisionAccount: a failure is a result with the error and exactly what exists (before a write, after one, unreadable)", async () => {
  // Refused before any write: nothing changed, and what was read is described.
  const roles = new Map<string, FakeRole>();
  await withFakeAws(fakeIamEndpoint(roles, { refuse: new Set(["CreateRole"]) }), async () => {
    const r = await provisionAccount({ profile: undefined }, request(), { dryRun: false, delete: false });
    assert.equal(r.status, "failed");
    assert.equal(r.error?.code, "aws-access-denied");
    assert.equal(r.state, "role McpReadOnlyRole does not exist");
  });
  // A write after another succeeded: the state is read back.
  await withFakeAws(fakeIamEndpoint(roles, { refuse: new Set(["PutRolePolicy"]) }), async () => {
    const r = await provisionAccount({}, request(), { dryRun: false, delete: false });
    assert.equal(r.status, "failed");
    assert.match(r.error?.message ?? "", /iam:PutRolePolicy/);
    assert.equal(r.state, `role arn:aws:iam::${A}:role/McpReadOnlyRole exists; trust policy up to date; policy xaccount-ecs-read-only missing`);
  });
  // Refused while reading (before any write): nothing was changed, nothing read to describe.
  await withFakeAws(fakeIamEndpoint(roles, { refuse: new Set(["ListRolePolicies"]) }), async () => {
    const r = await provisionAccount({}, request(), { dryRun: false, delete: false });
    assert.equal(r.status, "failed");
    assert.equal(r.state, "nothing was changed");
  });
  // Failing in planning after the read (a second external id): nothing changed, and what was read is said.
  roles.get("McpReadOnlyRole")!.trust = { Statement: [{ Effect: "Allow", Principal: { AWS: ALICE }, Condition: { StringEquals: { "sts:ExternalId": ["a", "b"] } } }] };
  await withFakeAws(fakeIamEndpoint(roles), async () => {
    const r = await provisionAccount({}, request(), { dryRun: false, delete: false });
    assert.equal(r.error?.code, "trust-would-weaken");
    assert.equal(r.state, `nothing was changed; role arn:aws:iam::${A}:role/McpReadOnlyRole exists`);
  });
  // The account not reached at all.
  await withFakeAws(fakeIamEndpoint(roles, { refuse: new Set(["GetCallerIdentity"]) }), async () => {
    const r = await provisionAccount({}, request(), { dryRun: false, delete: false });
    assert.equal(r.status, "failed");
    assert.equal(r.account, undefined);
    assert.deepEqual(r.changes, []);
    assert.equal(r.state, "nothing was changed (the account was not reached)");
  });
  // A write failed and the state cannot be read back either.
  let reads = 0;
  const fresh = new Map<string, FakeRole>();
  await withFakeAws(fakeIamEndpoint(fresh, { refuse: new Set(["PutRolePolicy"]), failRead: () => ++reads > 1 }), async () => {
    const r = await provisionAccount({}, request(), { dryRun: false, delete: false });
    assert.equal(r.status, "failed");
    assert.match(r.state ?? "", /^some changes were made, but what exists could not be read back \(iam:GetRole on role McpReadOnlyRole failed: ServiceFailure/);
  });
});

test("provisionAccount: a role session caller is trusted as its role, whose path is read in this account", async () => {
  const roles = new Map<string, FakeRole>([["Ops", { arn: `arn:aws:iam::${A}:role/team/Ops`, trust: {} }]]);
  await withFakeAws(fakeIamEndpoint(roles, { caller: `arn:aws:sts::${A}:assumed-role/Ops/alice` }), async () => {
    const r = await provisionAccount({}, request(), { dryRun: true, delete: false });
    assert.equal(r.status, "planned", r.error?.message);
    assert.deepEqual(r.desired?.trustPolicy.Statement[0]?.Principal.AWS, [`arn:aws:iam::${A}:role/team/Ops`]);
  });
});

test("provisionAccount: an unparsable caller ARN takes the partition of the configured region, for new and kept terms", async () => {
  const roles = new Map<string, FakeRole>();
  await withFakeAws(fakeIamEndpoint(roles, { caller: "arn:odd:caller:x:111111111111" }), async () => {
    const r = await provisionAccount({}, request({ trustAccounts: ["222222222222"] }), { dryRun: true, delete: false });
    assert.equal(r.status, "planned", r.error?.message);
    assert.deepEqual(r.desired?.trustPolicy.Statement[0]?.Principal.AWS, ["arn:aws-cn:iam::222222222222:root"]);
    roles.set("McpReadOnlyRole", { arn: "arn:aws-cn:iam::111111111111:role/McpReadOnlyRole", trust: trustPolicy({ principals: [], accounts: ["222222222222"], partition: "aws-cn", externalId: "e-1" }) });
    const kept = await provisionAccount({}, request({ trustAccounts: ["222222222222"] }), { dryRun: true, delete: false });
    assert.equal(kept.status, "planned", kept.error?.message);
    assert.deepEqual(kept.desired?.trustPolicy, trustPolicy({ principals: [], accounts: ["222222222222"], partition: "aws-cn", externalId: "e-1" }));
  }, { region: "cn-north-1" });
});

test("provisionAccount: an error that is not AWS's (a policy IAM returns unreadable) is still a failed result, exit 1", async () => {
  const roles = new Map<string, FakeRole>([["McpReadOnlyRole", { arn: `arn:aws:iam::${A}:role/McpReadOnlyRole`, trust: {}, inline: { p: {} } }]]);
  await withFakeAws(fakeIamEndpoint(roles, { rawPolicy: "%7Bnot-json" }), async () => {
    const r = await provisionAccount({}, request(), { dryRun: false, delete: false });
    assert.equal(r.status, "failed");
    assert.equal(r.error?.code, "aws-error");
    assert.equal(r.error?.exitCode, 1);
  });
});

test("provisionAccount: with --profile, refusals say which profile's credentials were refused", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "xaccount-profile-"));
  try {
    writeFileSync(path.join(dir, "credentials"), "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = s\n");
    writeFileSync(path.join(dir, "config"), "[profile dev]\nregion = us-east-1\n");
    await withFakeAws(fakeIamEndpoint(new Map(), { refuse: new Set(["CreateRole"]) }), async () => {
      process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, "credentials");
      process.env.AWS_CONFIG_FILE = path.join(dir, "config");
      delete process.env.AWS_ACCESS_KEY_ID;
      delete process.env.AWS_SECRET_ACCESS_KEY;
      const r = await provisionAccount({ profile: "dev" }, request(), { dryRun: false, delete: false });
      assert.equal(r.profile, "dev");
      assert.equal(r.error?.code, "aws-access-denied", r.error?.message);
      assert.match(r.error?.hint ?? "", /\(profile dev\)/);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
