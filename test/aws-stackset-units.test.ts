/**
 * `create-role --stackset` and `xaccount accounts`, in-process: the plan's decisions at their edges
 * (stackset-plan.ts), waiting (stackset-wait.ts), the report (stackset-report.ts), and the I/O of
 * stackset.ts and organizations.ts against an in-process fake CloudFormation/Organizations/STS endpoint
 * (test/helpers/fake-aws.ts): what is read, what is written in which order, what a failed operation or
 * instance makes of the run, and every page of every listing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { XaError } from "../src/errors.js";
import {
  DEFAULT_FAILURE_TOLERANCE, DEFAULT_MAX_CONCURRENCY, createStackSetInput, deployedPairs, instanceFailed, operationPreferences, parseAmount, planStackSet,
  sameTemplate, stackSetName, templateBody, updateStackSetInput, type ExistingStackSet, type Instance, type StackSetRequest,
} from "../src/aws/stackset-plan.js";
import { DEFAULT_WAIT, waitForOperation } from "../src/aws/stackset-wait.js";
import { failedInstances, instanceError, stackSetDryRun, stackSetJson, stackSetTable } from "../src/aws/stackset-report.js";
import { applyStackSet, deleteStackSet, homeRegion, resolveTargets, type StackSetReport } from "../src/aws/stackset.js";
import { listOrgAccounts } from "../src/aws/organizations.js";
import { escapeXml, jsonError, withFakeAws, xmlError, xmlResult, type FakeReply, type FakeRequest } from "./helpers/fake-aws.js";
import { codeOf } from "./helpers/errors.js";

const OU = "ou-ab12-cdef3456";
const OU2 = "ou-ab12-99990000";
const ROOT = "r-ab12";

const req = (over: Partial<StackSetRequest> = {}): StackSetRequest => ({
  name: "xaccount-R",
  targets: [OU],
  regions: ["us-east-1"],
  callAs: "SELF",
  prefs: { failureTolerance: { percent: 10 }, maxConcurrency: { count: 5 } },
  ...over,
});
const template = { Resources: { R: { Type: "AWS::IAM::Role", Properties: { RoleName: "R" } } } };
const body = templateBody(template);
const existing = (over: Partial<ExistingStackSet> = {}): ExistingStackSet => ({
  templateBody: body, parameterCount: 0, permissionModel: "SERVICE_MANAGED", autoDeployment: { enabled: true, retain: false }, organizationalUnitIds: [OU], ...over,
});
const inst = (account: string, region: string, over: Partial<Instance> = {}): Instance => ({ account, region, status: "CURRENT", ...over });

// ---- stackset-plan.ts ----

test("parseAmount: counts and percentages at their bounds, spaces trimmed, at most four digits", () => {
  assert.deepEqual(parseAmount("0", "--failure-tolerance", 0), { count: 0 });
  assert.deepEqual(parseAmount(" 7 ", "--failure-tolerance", 0), { count: 7 });
  assert.deepEqual(parseAmount("9999", "--max-concurrency", 1), { count: 9999 });
  assert.deepEqual(parseAmount("100%", "--max-concurrency", 1), { percent: 100 });
  assert.deepEqual(parseAmount("1%", "--max-concurrency", 1), { percent: 1 });
  assert.deepEqual(parseAmount("0%", "--failure-tolerance", 0), { percent: 0 });
  for (const [text, min] of [["101%", 0], ["0", 1], ["0%", 1], ["10000", 0], ["-1", 0], ["1.5", 0], ["%", 0], ["", 0], ["5%%", 0], ["x5", 0], ["5x", 0]] as const) {
    assert.equal(codeOf(() => parseAmount(text, "--max-concurrency", min)), "stackset-preference-invalid/2", `${text} (min ${min})`);
  }
  assert.equal(DEFAULT_FAILURE_TOLERANCE, "10%");
  assert.equal(DEFAULT_MAX_CONCURRENCY, "25%");
});

test("operationPreferences: count or percentage for each, in parallel regions, soft failure tolerance", () => {
  assert.deepEqual(operationPreferences({ failureTolerance: { count: 2 }, maxConcurrency: { percent: 30 } }), {
    RegionConcurrencyType: "PARALLEL", ConcurrencyMode: "SOFT_FAILURE_TOLERANCE", FailureToleranceCount: 2, MaxConcurrentPercentage: 30,
  });
  assert.deepEqual(operationPreferences({ failureTolerance: { percent: 0 }, maxConcurrency: { count: 1 } }), {
    RegionConcurrencyType: "PARALLEL", ConcurrencyMode: "SOFT_FAILURE_TOLERANCE", FailureTolerancePercentage: 0, MaxConcurrentCount: 1,
  });
  assert.equal(templateBody({ a: { b: 1 } }), '{\n  "a": {\n    "b": 1\n  }\n}');
});

test("the stack set's own settings: tagged managed-by=xaccount, described, named IAM capability on create and update; its name's flag in a refusal", () => {
  const created = createStackSetInput(req(), body);
  assert.deepEqual(created.Tags, [{ Key: "managed-by", Value: "xaccount" }]);
  assert.match(created.Description ?? "", /^McpReadOnlyRole .*xaccount create-role --stackset/);
  const updated = updateStackSetInput(req({ callAs: "DELEGATED_ADMIN" }), body);
  assert.deepEqual(updated.Capabilities, ["CAPABILITY_NAMED_IAM"]);
  assert.equal(updated.Description, created.Description);
  assert.equal(updated.CallAs, "DELEGATED_ADMIN");
  assert.match((() => { try { stackSetName("1x"); } catch (e) { return (e as Error).message; } return ""; })(), /^--stackset-name "1x"/);
});

test("sameTemplate: equal JSON in any key order or spacing; an unknown body or different content is a change; text compared as text", () => {
  assert.equal(sameTemplate(undefined, body), false);
  assert.equal(sameTemplate(JSON.stringify(template), body), true);
  assert.equal(sameTemplate('{"b":1,"a":{"d":[1,{"y":1,"x":2}],"c":null}}', '{"a":{"c":null,"d":[1,{"x":2,"y":1}]},"b":1}'), true);
  assert.equal(sameTemplate('{"a":1}', '{"a":2}'), false);
  assert.equal(sameTemplate('{"a":1}', '{"a":1,"b":1}'), false);
  assert.equal(sameTemplate('{"a":{"b":1}}', '{"a":{"b":2}}'), false);
  assert.equal(sameTemplate('{"a":[{"b":1}]}', '{"a":[{"b":2}]}'), false);
  assert.equal(sameTemplate('{"a":[1]}', '{"a":{"0":1}}'), false, "a list is not an object with index keys");
  assert.equal(sameTemplate("Resources: x", "Resources: x"), true);
  assert.equal(sameTemplate("Resources: x", "Resources: y"), false);
  assert.equal(sameTemplate("Resources: x", body), false);
});

test("planStackSet: every reason to update, named; auto-deployment judged only when the service says", () => {
  const all = new Set([`${OU} us-east-1`]);
  assert.deepEqual(planStackSet(req(), body, existing(), all), []);
  assert.deepEqual(planStackSet(req(), body, existing({ parameterCount: 1 }), all), [{ kind: "update-stack-set", why: "the stack set has parameters the template does not declare" }]);
  assert.deepEqual(planStackSet(req(), body, existing({ templateBody: undefined, parameterCount: 2 }), all), [{ kind: "update-stack-set", why: "the role template changed; the stack set has parameters the template does not declare" }]);
  const auto = "automatic deployment was not on (Enabled, RetainStacksOnAccountRemoval false)";
  for (const a of [{ enabled: false, retain: false }, { enabled: true, retain: true }, { enabled: undefined, retain: false }, { enabled: true, retain: undefined }]) {
    assert.deepEqual(planStackSet(req(), body, existing({ autoDeployment: a }), all), [{ kind: "update-stack-set", why: auto }], JSON.stringify(a));
  }
  assert.deepEqual(planStackSet(req(), body, existing({ autoDeployment: undefined }), all), []);
  // A new stack set: created, then every target in every region.
  assert.deepEqual(planStackSet(req({ targets: [OU, OU2], regions: ["us-east-1", "eu-west-1"] }), body, undefined, new Set([`${OU} us-east-1`])), [
    { kind: "create-stack-set" },
    { kind: "create-instances", targets: [OU], regions: ["eu-west-1"] },
    { kind: "create-instances", targets: [OU2], regions: ["us-east-1", "eu-west-1"] },
  ]);
  // Targets lacking the same regions share one operation, in the order asked.
  assert.deepEqual(planStackSet(req({ targets: [OU2, ROOT, OU], regions: ["eu-west-1", "us-east-1"] }), body, existing(), new Set([`${OU} us-east-1`])), [
    { kind: "create-instances", targets: [OU2, ROOT], regions: ["eu-west-1", "us-east-1"] },
    { kind: "create-instances", targets: [OU], regions: ["eu-west-1"] },
  ]);
  assert.deepEqual(planStackSet(req({ targets: [] }), body, existing(), new Set()), []);
});

test("deployedPairs: the service's word (OU ids with the instances' regions, or each instance's OU); else every account under the target", () => {
  const targets = [OU, OU2];
  const regions = ["us-east-1", "eu-west-1"];
  const sorted = (s: Set<string>) => [...s].sort();
  // The stack set's OU ids: deployed in the regions its instances are in.
  assert.deepEqual(sorted(deployedPairs(existing({ organizationalUnitIds: [OU] }), [inst("1", "us-east-1")], targets, regions, undefined)), [`${OU} us-east-1`]);
  assert.deepEqual(sorted(deployedPairs(existing({ organizationalUnitIds: [OU] }), [], targets, regions, undefined)), []);
  // Each instance's OU (no OU ids on the stack set).
  assert.deepEqual(sorted(deployedPairs(existing({ organizationalUnitIds: undefined }), [inst("1", "eu-west-1", { ou: OU2 }), inst("2", "us-east-1")], targets, regions, undefined)), [`${OU2} eu-west-1`]);
  assert.deepEqual(sorted(deployedPairs(existing({ organizationalUnitIds: [] }), [inst("1", "eu-west-1", { ou: OU2 })], targets, regions, new Map([[OU, ["1"]]]))), [`${OU2} eu-west-1`], "an empty list is the service's word too");
  // Neither: every account under the target has an instance in the region; a target with none is not deployed.
  const under = new Map([[OU, ["1", "2"]], [OU2, []]]);
  const quiet = existing({ organizationalUnitIds: undefined });
  assert.deepEqual(sorted(deployedPairs(quiet, [inst("1", "us-east-1"), inst("2", "us-east-1"), inst("1", "eu-west-1")], targets, regions, under)), [`${OU} us-east-1`]);
  assert.deepEqual(sorted(deployedPairs(quiet, [inst("1", "us-east-1"), inst("2", "eu-west-1")], targets, regions, under)), []);
  assert.deepEqual(sorted(deployedPairs(quiet, [inst("1", "us-east-1")], targets, regions, undefined)), []);
  // An instance of an account that is not under the target does not deploy it.
  assert.deepEqual(sorted(deployedPairs(quiet, [inst("9", "us-east-1")], [OU], ["us-east-1"], new Map([[OU, ["1"]]]))), []);
});

test("instanceFailed: INOPERABLE, or a failed, cancelled or inoperable detail", () => {
  for (const d of ["FAILED", "CANCELLED", "INOPERABLE", "FAILED_IMPORT"]) assert.equal(instanceFailed(inst("1", "r", { status: "OUTDATED", detailedStatus: d })), true, d);
  assert.equal(instanceFailed(inst("1", "r", { status: "INOPERABLE" })), true);
  for (const d of ["SUCCEEDED", "PENDING", "RUNNING", "SKIPPED_SUSPENDED_ACCOUNT", undefined]) assert.equal(instanceFailed(inst("1", "r", { status: "OUTDATED", detailedStatus: d })), false, String(d));
  assert.equal(instanceFailed(inst("1", "r", { status: "FAILED" })), false, "only the detail says FAILED");
});

// ---- stackset-wait.ts ----

test("waitForOperation: every poll reported with the time so far; the interval doubles to its cap and never sleeps past the deadline", async () => {
  let t = 100;
  const sleeps: number[] = [];
  const polls: Array<[string, number]> = [];
  const clock = { now: () => t, sleep: async (ms: number) => { sleeps.push(ms); t += ms; } };
  const answers = ["QUEUED", "RUNNING", "RUNNING", "RUNNING", "STOPPED"];
  const end = await waitForOperation(async () => ({ status: answers.shift()!, reason: "r" }), { stackSet: "s", operationId: "op", action: "UPDATE_STACK_SET" },
    { timeoutMs: 60_000, intervalMs: 1000, maxIntervalMs: 3000, ...clock, onPoll: (s, ms) => polls.push([s.status, ms]) });
  assert.deepEqual(end, { status: "STOPPED", reason: "r" });
  assert.deepEqual(sleeps, [1000, 2000, 3000, 3000]);
  assert.deepEqual(polls, [["QUEUED", 0], ["RUNNING", 1000], ["RUNNING", 3000], ["RUNNING", 6000], ["STOPPED", 9000]]);
  // The last sleep is cut to the time left; at the deadline exactly, it stops.
  t = 0;
  sleeps.length = 0;
  await assert.rejects(
    waitForOperation(async () => ({ status: "RUNNING" }), { stackSet: "my-set", operationId: "op-9", action: "CREATE_INSTANCES" }, { timeoutMs: 2500, intervalMs: 1000, maxIntervalMs: 1000, ...clock }),
    (e: unknown) => e instanceof XaError && e.code === "stackset-operation-timeout" && e.exitCode === 1 && /CREATE_INSTANCES operation op-9 on stack set my-set was still RUNNING after 3 s/.test(e.message),
  );
  assert.deepEqual(sleeps, [1000, 1000, 500]);
  for (const status of ["SUCCEEDED", "FAILED", "STOPPED"]) {
    assert.equal((await waitForOperation(async () => ({ status }), { stackSet: "s", operationId: "o", action: "a" }, { timeoutMs: 0, intervalMs: 1, maxIntervalMs: 1, ...clock })).status, status);
  }
  assert.deepEqual(DEFAULT_WAIT, { timeoutMs: 3_600_000, intervalMs: 1000, maxIntervalMs: 15_000 });
  // Without a clock of its own it uses the real one (a tiny real wait).
  let n = 0;
  assert.equal((await waitForOperation(async () => ({ status: n++ ? "SUCCEEDED" : "RUNNING" }), { stackSet: "s", operationId: "o", action: "a" }, { timeoutMs: 5000, intervalMs: 1, maxIntervalMs: 1 })).status, "SUCCEEDED");
  // ... and really waits between polls (a few polls in 200 ms at a 100 ms interval, not a busy loop).
  let polled = 0;
  await assert.rejects(waitForOperation(async () => { polled++; return { status: "RUNNING" }; }, { stackSet: "s", operationId: "o", action: "a" }, { timeoutMs: 200, intervalMs: 100, maxIntervalMs: 100 }), /still RUNNING/);
  assert.ok(polled >= 2 && polled <= 5, `${polled} polls`);
});

// ---- stackset-report.ts ----

const report = (over: Partial<StackSetReport> = {}): StackSetReport => ({
  name: "xaccount-R", region: "us-east-1", status: "deployed", targets: [OU], regions: ["us-east-1"], plan: [], operations: [], instances: [], ...over,
});

test("the report: a table per instance (failed ones FAILED), the JSON document with ok, and each failed account as an error", () => {
  assert.equal(stackSetTable(report({ status: "up-to-date" })), "stack set xaccount-R (us-east-1): up to date (no operation)\n(no stack instance)");
  const statusText: Array<[StackSetReport["status"], string]> = [
    ["created", "created and deployed"], ["updated", "updated"], ["deployed", "deployed to new targets"], ["planned", "planned (dry run)"],
    ["deleted", "deleted, with its instances"], ["absent", "nothing to delete"], ["failed", "FAILED"],
  ];
  for (const [status, text] of statusText) assert.equal(stackSetTable(report({ status })).split("\n")[0], `stack set xaccount-R (us-east-1): ${text}`);
  const instances = [
    inst("111111111111", "us-east-1", { detailedStatus: "SUCCEEDED", ou: OU }),
    inst("222222222222", "eu-west-1", { status: "OUTDATED", detailedStatus: "FAILED", reason: "Role exists" }),
  ];
  assert.equal(stackSetTable(report({ instances })), [
    "stack set xaccount-R (us-east-1): deployed to new targets",
    "ACCOUNT       REGION     STATUS   DETAIL",
    `111111111111  us-east-1  CURRENT  SUCCEEDED  ${OU}`,
    "222222222222  eu-west-1  FAILED   FAILED  Role exists",
  ].join("\n"));
  // A row without detail ends at its status (no trailing spaces).
  assert.equal(stackSetTable(report({ instances: [inst("111111111111", "us-east-1"), inst("2", "r", { detailedStatus: "RUNNING" })] })).split("\n")[2], "111111111111  us-east-1  CURRENT");
  assert.deepEqual(failedInstances(report({ instances })), [instances[1]]);
  const e = instanceError(instances[1]!);
  assert.equal(e.code, "stackset-instance-failed");
  assert.equal(e.message, "account 222222222222 (eu-west-1): FAILED: Role exists");
  assert.equal(instanceError(inst("3", "r", { status: "INOPERABLE" })).message, "account 3 (r): INOPERABLE");

  const json = stackSetJson(report({ instances, plan: [{ kind: "create-stack-set" }], operations: [{ action: "CREATE_STACK_SET", status: "SUCCEEDED" }] }));
  assert.deepEqual(json, {
    ok: false,
    stackSet: { name: "xaccount-R", region: "us-east-1", status: "deployed" },
    targets: { organizationalUnitIds: [OU], regions: ["us-east-1"] },
    plan: [{ kind: "create-stack-set" }],
    operations: [{ action: "CREATE_STACK_SET", status: "SUCCEEDED" }],
    accounts: [
      { account: "111111111111", region: "us-east-1", ou: OU, status: "CURRENT", detailedStatus: "SUCCEEDED", reason: null },
      { account: "222222222222", region: "eu-west-1", ou: null, status: "FAILED", detailedStatus: "FAILED", reason: "Role exists" },
    ],
  });
  assert.equal(stackSetJson(report({ instances: [instances[0]!] })).ok, true);
  assert.equal(stackSetJson(report({ status: "failed" })).ok, false);
  const failed = stackSetJson(report({ status: "failed", error: new XaError("stackset-operation-failed", "it failed", { hint: "fix", exitCode: 1 }) }));
  assert.deepEqual(failed.error, { code: "stackset-operation-failed", message: "it failed", hint: "fix" });
  assert.deepEqual(stackSetJson(report({ error: new XaError("x", "m") })).error, { code: "x", message: "m", hint: null });
  assert.equal("error" in stackSetJson(report()), false);
});

test("the dry run: what would be deployed where and how, the template only when given", () => {
  const r = report({ status: "planned", plan: [{ kind: "create-stack-set" }], instances: [inst("1", "us-east-1", { detailedStatus: "SUCCEEDED", reason: "x" })] });
  assert.deepEqual(stackSetDryRun(r, req({ callAs: "DELEGATED_ADMIN" }), template), {
    stackSetName: "xaccount-R",
    region: "us-east-1",
    permissionModel: "SERVICE_MANAGED",
    autoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
    callAs: "DELEGATED_ADMIN",
    targets: { organizationalUnitIds: [OU], regions: ["us-east-1"] },
    operationPreferences: operationPreferences(req().prefs),
    plan: [{ kind: "create-stack-set" }],
    existingInstances: [{ account: "1", region: "us-east-1", status: "CURRENT" }],
    template,
  });
  assert.equal("template" in stackSetDryRun(r, req(), undefined), false);
});

// ---- stackset.ts and organizations.ts against a fake endpoint ----

interface FakeOrg {
  master: string;
  caller: string;
  roots: string[];
  ous: Set<string>;
  /** Accounts by parent (root or OU), with their state. */
  accounts: Map<string, Array<{ Id?: string; Name?: string; State?: string; Status?: string }>>;
  children: Map<string, string[]>;
  pageSize: number;
  notInUse?: boolean;
  /** DescribeOrganization answers without the organization. */
  noOrganization?: boolean;
}

interface FakeStackSet {
  exists: boolean;
  body?: string;
  permissionModel?: string;
  status?: string;
  parameters?: number;
  autoDeployment?: { enabled: boolean; retain: boolean };
  ous?: string[];
  instances: Array<{ account: string; region: string; ou?: string; status: string; detail?: string; reason?: string }>;
  /** Status each new operation ends in, in order (default SUCCEEDED). */
  outcomes: string[];
  /** Instances each operation adds (by call), in order. */
  adds: Array<FakeStackSet["instances"]>;
  keepOnDelete?: boolean;
  refuse?: Map<string, FakeReply>;
}

function page<T>(items: T[], token: unknown, size: number): { items: T[]; next?: string } {
  const from = Number(token ?? 0);
  const next = from + size < items.length ? String(from + size) : undefined;
  return { items: items.slice(from, from + size), ...(next ? { next } : {}) };
}

function fakeEndpoint(org: FakeOrg, set: FakeStackSet) {
  let ops = 0;
  return (r: FakeRequest): FakeReply => {
    const refusal = set.refuse?.get(r.action);
    if (refusal) return refusal;
    if (r.service === "sts") {
      return xmlResult("GetCallerIdentity", `<Arn>arn:aws:iam::${org.caller}:user/admin</Arn><UserId>AIDA</UserId><Account>${org.caller}</Account>`);
    }
    if (r.service === "organizations") {
      if (org.notInUse) return jsonError("AWSOrganizationsNotInUseException", "not in an organization");
      const parent = String(r.json.ParentId ?? "");
      switch (r.action) {
        case "DescribeOrganization":
          if (org.noOrganization) return { body: {} };
          return { body: { Organization: { Id: "o-1", MasterAccountId: org.master } } };
        case "ListRoots":
          return { body: { Roots: org.roots.map((Id) => ({ Id, Name: "Root" })) } };
        case "DescribeOrganizationalUnit":
          return org.ous.has(String(r.json.OrganizationalUnitId)) ? { body: { OrganizationalUnit: { Id: r.json.OrganizationalUnitId } } } : jsonError("OrganizationalUnitNotFoundException", "no such OU");
        case "ListAccounts": {
          const p = page([...org.accounts.values()].flat(), r.json.NextToken, org.pageSize);
          return { body: { Accounts: p.items, NextToken: p.next } };
        }
        case "ListAccountsForParent": {
          if (!org.roots.includes(parent) && !org.ous.has(parent)) return jsonError("ParentNotFoundException", "no such parent");
          const p = page(org.accounts.get(parent) ?? [], r.json.NextToken, org.pageSize);
          return { body: { Accounts: p.items, NextToken: p.next } };
        }
        case "ListOrganizationalUnitsForParent": {
          const p = page((org.children.get(parent) ?? []).map((Id) => ({ Id })), r.json.NextToken, org.pageSize);
          return { body: { OrganizationalUnits: p.items, NextToken: p.next } };
        }
        default:
          return jsonError("InvalidAction", r.action);
      }
    }
    const p = r.params;
    switch (r.action) {
      case "DescribeStackSet": {
        if (!set.exists) return xmlError("StackSetNotFoundException", "StackSet not found");
        const ad = set.autoDeployment ? `<AutoDeployment><Enabled>${set.autoDeployment.enabled}</Enabled><RetainStacksOnAccountRemoval>${set.autoDeployment.retain}</RetainStacksOnAccountRemoval></AutoDeployment>` : "";
        const ous = set.ous ? `<OrganizationalUnitIds>${set.ous.map((o) => `<member>${o}</member>`).join("")}</OrganizationalUnitIds>` : "";
        const params = set.parameters ? `<Parameters>${"<member><ParameterKey>k</ParameterKey><ParameterValue>v</ParameterValue></member>".repeat(set.parameters)}</Parameters>` : "";
        return xmlResult("DescribeStackSet", `<StackSet><StackSetName>${p.get("StackSetName")}</StackSetName><Status>${set.status ?? "ACTIVE"}</Status>` +
          (set.body !== undefined ? `<TemplateBody>${escapeXml(set.body)}</TemplateBody>` : "") + params +
          (set.permissionModel ? `<PermissionModel>${set.permissionModel}</PermissionModel>` : "") + ad + ous + "</StackSet>");
      }
      case "ListStackInstances": {
        const pg = page(set.instances, p.get("NextToken"), 2);
        const members = pg.items.map((i) => `<member><Account>${i.account}</Account><Region>${i.region}</Region>${i.status ? `<Status>${i.status}</Status>` : ""}` +
          (i.ou ? `<OrganizationalUnitId>${i.ou}</OrganizationalUnitId>` : "") + (i.reason ? `<StatusReason>${i.reason}</StatusReason>` : "") +
          (i.detail ? `<StackInstanceStatus><DetailedStatus>${i.detail}</DetailedStatus></StackInstanceStatus>` : "") + "</member>").join("");
        return xmlResult("ListStackInstances", `<Summaries>${members}</Summaries>${pg.next ? `<NextToken>${pg.next}</NextToken>` : ""}`);
      }
      case "CreateStackSet":
        Object.assign(set, { exists: true, body: p.get("TemplateBody") ?? "", permissionModel: p.get("PermissionModel") ?? "", autoDeployment: { enabled: true, retain: false } });
        return xmlResult("CreateStackSet", "<StackSetId>id-1</StackSetId>");
      case "UpdateStackSet":
      case "CreateStackInstances":
      case "DeleteStackInstances": {
        ops++;
        if (r.action === "UpdateStackSet") set.body = p.get("TemplateBody") ?? "";
        if (r.action === "CreateStackInstances") set.instances.push(...(set.adds.shift() ?? []));
        if (r.action === "DeleteStackInstances" && !set.keepOnDelete) set.instances = [];
        return xmlResult(r.action, `<OperationId>op-${ops}</OperationId>`);
      }
      case "DescribeStackSetOperation": {
        const status = set.outcomes.shift() ?? "SUCCEEDED";
        if (status === "NO-ANSWER") return xmlResult("DescribeStackSetOperation", "");
        return xmlResult("DescribeStackSetOperation", `<StackSetOperation><OperationId>${p.get("OperationId")}</OperationId><Status>${status}</Status>${status === "SUCCEEDED" ? "" : "<StatusReason>quota</StatusReason>"}</StackSetOperation>`);
      }
      case "DeleteStackSet":
        set.exists = false;
        return xmlResult("DeleteStackSet", "");
      default:
        return xmlError("InvalidAction", escapeXml(r.action));
    }
  };
}

const org = (over: Partial<FakeOrg> = {}): FakeOrg => ({
  master: "111111111111", caller: "111111111111", roots: [ROOT], ous: new Set([OU, OU2]),
  accounts: new Map([[ROOT, [{ Id: "111111111111", Name: "mgmt", State: "ACTIVE" }]], [OU, [{ Id: "222222222222", Name: "b", State: "ACTIVE" }, { Id: "333333333333", Name: "a", State: "ACTIVE" }]], [OU2, []]]),
  children: new Map([[ROOT, [OU]], [OU, [OU2]]]),
  pageSize: 1,
  ...over,
});
const stackSet = (over: Partial<FakeStackSet> = {}): FakeStackSet => ({ exists: false, instances: [], outcomes: [], adds: [], ...over });
const noWait = { timeoutMs: 10_000, intervalMs: 1, maxIntervalMs: 1, sleep: async () => {} };
const calls = (requests: FakeRequest[]): string[] => requests.map((r) => r.action);

test("listOrgAccounts: every page, ACTIVE accounts only, an OU walked through its children, sorted by name then id", async () => {
  const o = org({
    accounts: new Map([
      [ROOT, [{ Id: "111111111111", Name: "mgmt", State: "ACTIVE" }, { Id: "999999999999", Name: "gone", State: "SUSPENDED" }, { Id: "888888888888", Name: "old", Status: "ACTIVE" }, { Name: "no id", State: "ACTIVE" }]],
      [OU, [{ Id: "333333333333", Name: "same", State: "ACTIVE" }, { Id: "222222222222", Name: "same", State: "ACTIVE" }, { Id: "444444444444", State: "ACTIVE" }, { Id: "555555555555", Name: "closing", State: "PENDING_CLOSURE", Status: "ACTIVE" }]],
      [OU2, [{ Id: "666666666666", Name: "deep", State: "ACTIVE" }, { Id: "777777777777", Name: "none" }]],
    ]),
    // An OU listed without an id is not walked into.
    children: new Map([[ROOT, [OU]], [OU, [OU2]], [OU2, [""]]]),
  });
  await withFakeAws(fakeEndpoint(o, stackSet()), async (requests) => {
    assert.deepEqual(await listOrgAccounts({}, { kind: "org" }), [
      { id: "444444444444", name: "" },
      { id: "666666666666", name: "deep" },
      { id: "111111111111", name: "mgmt" },
      { id: "888888888888", name: "old" },
      { id: "222222222222", name: "same" },
      { id: "333333333333", name: "same" },
    ]);
    assert.equal(calls(requests)[0], "DescribeOrganization");
    assert.ok(calls(requests).filter((a) => a === "ListAccounts").length >= 5, "every page read");
    requests.length = 0;
    assert.deepEqual((await listOrgAccounts({}, { kind: "ou", id: OU })).map((a) => a.id), ["444444444444", "666666666666", "222222222222", "333333333333"]);
    assert.deepEqual(requests.filter((r) => r.action === "ListAccountsForParent").map((r) => r.json.ParentId), [OU, OU, OU, OU, OU2, OU2]);
    assert.deepEqual(requests.filter((r) => r.action === "ListOrganizationalUnitsForParent").map((r) => r.json.ParentId), [OU, OU2]);
    assert.deepEqual((await listOrgAccounts({}, { kind: "ou", id: OU2 })).map((a) => a.id), ["666666666666"]);
  });
});

test("listOrgAccounts: refusals named with the call that was refused; a missing OU is bad input", async () => {
  const o = org();
  const refuse = (action: string) => stackSet({ refuse: new Map([[action, jsonError("AccessDeniedException", "no")]]) });
  for (const [action, scope] of [["DescribeOrganization", { kind: "org" }], ["ListAccounts", { kind: "org" }], ["ListAccountsForParent", { kind: "ou", id: OU }], ["ListOrganizationalUnitsForParent", { kind: "ou", id: OU }]] as const) {
    await withFakeAws(fakeEndpoint(o, refuse(action)), async () => {
      await assert.rejects(listOrgAccounts({ profile: undefined }, scope), (e: unknown) => e instanceof XaError && e.code === "org-access-denied" && e.message.includes(`organizations:${action}`), action);
    });
  }
  await withFakeAws(fakeEndpoint(o, stackSet()), async () => {
    await assert.rejects(listOrgAccounts({}, { kind: "ou", id: "ou-ab12-00000000" }), (e: unknown) => e instanceof XaError && e.code === "ou-not-found" && e.exitCode === 2);
  });
  await withFakeAws(fakeEndpoint(org({ notInUse: true }), stackSet()), async () => {
    await assert.rejects(listOrgAccounts({}, { kind: "org" }), (e: unknown) => e instanceof XaError && e.code === "org-not-in-use");
  });
});

test("resolveTargets: the management account (or a delegated admin), --org as the root, each OU and root checked before any write", async () => {
  await withFakeAws(fakeEndpoint(org(), stackSet()), async (requests) => {
    assert.deepEqual(await resolveTargets({}, { org: true, ous: [], callAs: "SELF" }), [ROOT]);
    assert.deepEqual(await resolveTargets({}, { org: false, ous: [OU, ROOT, OU2], callAs: "SELF" }), [OU, ROOT, OU2]);
    assert.deepEqual(requests.filter((r) => r.action === "DescribeOrganizationalUnit").map((r) => r.json.OrganizationalUnitId), [OU, OU2]);
    await assert.rejects(resolveTargets({}, { org: false, ous: ["ou-ab12-00000000"], callAs: "SELF" }), (e: unknown) => e instanceof XaError && e.code === "ou-not-found" && e.message.includes("ou-ab12-00000000"));
    await assert.rejects(resolveTargets({}, { org: false, ous: ["r-zz99"], callAs: "SELF" }), (e: unknown) => e instanceof XaError && e.code === "ou-not-found" && e.message.includes("r-zz99"));
  });
  // Not the management account: refused as SELF, allowed as a delegated administrator.
  await withFakeAws(fakeEndpoint(org({ caller: "222222222222" }), stackSet()), async () => {
    await assert.rejects(resolveTargets({}, { org: true, ous: [], callAs: "SELF" }), (e: unknown) => e instanceof XaError && e.code === "stackset-not-admin" && /account 222222222222 is not the management account 111111111111/.test(e.message));
    assert.deepEqual(await resolveTargets({}, { org: true, ous: [], callAs: "DELEGATED_ADMIN" }), [ROOT]);
  });
  await withFakeAws(fakeEndpoint(org({ roots: [] }), stackSet()), async () => {
    await assert.rejects(resolveTargets({}, { org: true, ous: [], callAs: "SELF" }), (e: unknown) => e instanceof XaError && e.code === "org-not-in-use");
    // A root id is checked against the roots the organization lists (none here).
    await assert.rejects(resolveTargets({}, { org: false, ous: [ROOT], callAs: "SELF" }), (e: unknown) => e instanceof XaError && e.code === "ou-not-found");
  });
  await withFakeAws(fakeEndpoint(org({ notInUse: true }), stackSet()), async () => {
    await assert.rejects(resolveTargets({}, { org: true, ous: [], callAs: "SELF" }), (e: unknown) => e instanceof XaError && e.code === "org-not-in-use");
  });
  await withFakeAws(fakeEndpoint(org(), stackSet({ refuse: new Map([["ListRoots", jsonError("AccessDeniedException")]]) })), async () => {
    await assert.rejects(resolveTargets({}, { org: true, ous: [], callAs: "SELF" }), (e: unknown) => e instanceof XaError && e.code === "org-access-denied" && e.message.includes("organizations:ListRoots"));
  });
});

test("applyStackSet: a new stack set is created, then deployed; a rerun does nothing; a new target is deployed alone", async () => {
  const set = stackSet({ adds: [[{ account: "222222222222", region: "us-east-1", ou: OU, status: "CURRENT", detail: "SUCCEEDED" }]] });
  await withFakeAws(fakeEndpoint(org(), set), async (requests) => {
    const said: string[] = [];
    const progress: string[] = [];
    const r = await applyStackSet({}, req(), template, { dryRun: false, wait: noWait, say: (t) => said.push(t), progress: (t) => progress.push(t) });
    assert.equal(r.status, "created", r.error?.message);
    assert.equal(r.region, "us-east-1");
    assert.deepEqual(r.operations, [
      { action: "CREATE_STACK_SET", status: "SUCCEEDED" },
      { action: "CREATE_INSTANCES", operationId: "op-1", status: "SUCCEEDED", reason: undefined, targets: [OU], regions: ["us-east-1"] },
    ]);
    assert.deepEqual(r.instances, [{ account: "222222222222", region: "us-east-1", ou: OU, status: "CURRENT", detailedStatus: "SUCCEEDED", reason: undefined }]);
    assert.deepEqual(calls(requests).filter((a) => !/^(Describe|List)/.test(a)), ["CreateStackSet", "CreateStackInstances"]);
    const create = requests.find((q) => q.action === "CreateStackInstances")!;
    assert.equal(create.params.get("DeploymentTargets.OrganizationalUnitIds.member.1"), OU);
    assert.equal(create.params.get("CallAs"), "SELF");
    assert.equal(requests.find((q) => q.action === "CreateStackSet")?.params.get("TemplateBody"), body);
    assert.deepEqual(said, [
      "stack set xaccount-R: creating it (service-managed, automatic deployment on) in us-east-1",
      `stack set xaccount-R: deploying to ${OU} in us-east-1`,
      "stack set xaccount-R: CREATE_INSTANCES operation op-1 SUCCEEDED",
    ]);
    const poll = requests.find((q) => q.action === "DescribeStackSetOperation")!.params;
    assert.deepEqual([poll.get("StackSetName"), poll.get("OperationId"), poll.get("CallAs")], ["xaccount-R", "op-1", "SELF"]);
    assert.equal(progress.at(-1), "", "the progress line is cleared");
    assert.match(progress[0] ?? "", /^stack set xaccount-R: CREATE_INSTANCES SUCCEEDED \(0 s\)$/);

    requests.length = 0;
    const again = await applyStackSet({}, req(), template, { dryRun: false, wait: noWait });
    assert.equal(again.status, "up-to-date");
    assert.deepEqual([again.plan, again.operations], [[], []]);
    assert.equal(again.instances.length, 1);
    assert.deepEqual(calls(requests).filter((a) => !/^(Describe|List)/.test(a)), []);

    set.ous = [OU];
    set.adds.push([{ account: "444444444444", region: "us-east-1", ou: OU2, status: "CURRENT" }]);
    const more = await applyStackSet({}, req({ targets: [OU, OU2] }), template, { dryRun: false, wait: noWait });
    assert.equal(more.status, "deployed");
    assert.deepEqual(more.plan, [{ kind: "create-instances", targets: [OU2], regions: ["us-east-1"] }]);
    assert.equal(more.instances.length, 2);
  });
});

test("applyStackSet: a changed template updates every instance; a failed operation stops the run with stackset-operation-failed", async () => {
  const set = stackSet({ exists: true, body: "{}", permissionModel: "SERVICE_MANAGED", ous: [OU], instances: [{ account: "222222222222", region: "us-east-1", ou: OU, status: "CURRENT" }] });
  await withFakeAws(fakeEndpoint(org(), set), async (requests) => {
    const said: string[] = [];
    const r = await applyStackSet({}, req(), template, { dryRun: false, wait: noWait, say: (t) => said.push(t) });
    assert.equal(r.status, "updated", r.error?.message);
    assert.deepEqual(said, ["stack set xaccount-R: updating every instance (the role template changed)", "stack set xaccount-R: UPDATE_STACK_SET operation op-1 SUCCEEDED"]);
    assert.deepEqual(r.plan, [{ kind: "update-stack-set", why: "the role template changed" }]);
    assert.equal(requests.find((q) => q.action === "UpdateStackSet")?.params.get("TemplateBody"), body);

    set.body = "{}";
    set.outcomes.push("FAILED");
    said.length = 0;
    const failed = await applyStackSet({}, req({ targets: [OU, OU2] }), template, { dryRun: false, wait: noWait, say: (t) => said.push(t) });
    assert.equal(said[1], "stack set xaccount-R: UPDATE_STACK_SET operation op-2 FAILED: quota");
    assert.equal(failed.status, "failed");
    assert.deepEqual(failed.operations, [{ action: "UPDATE_STACK_SET", operationId: "op-2", status: "FAILED", reason: "quota" }], "the deployment after a failed update is not started");
    assert.equal(failed.error?.code, "stackset-operation-failed");
    assert.equal(failed.error?.message, "UPDATE_STACK_SET operation op-2 on stack set xaccount-R ended FAILED: quota");
    assert.equal(failed.instances.length, 1, "the instances are read again after the run");
  });
});

test("applyStackSet: a dry run plans only; a self-managed stack set is refused; a deleted one is as absent; refusals are explained", async () => {
  await withFakeAws(fakeEndpoint(org(), stackSet()), async (requests) => {
    const r = await applyStackSet({}, req(), template, { dryRun: true });
    assert.equal(r.status, "planned");
    assert.deepEqual(r.plan.map((s) => s.kind), ["create-stack-set", "create-instances"]);
    assert.deepEqual(r.instances, []);
    assert.deepEqual(calls(requests), ["DescribeStackSet"]);
  });
  await withFakeAws(fakeEndpoint(org(), stackSet({ exists: true, body, permissionModel: "SELF_MANAGED" })), async (requests) => {
    await assert.rejects(applyStackSet({}, req(), template, { dryRun: true }), (e: unknown) => e instanceof XaError && e.code === "stackset-self-managed" && e.message.includes("SELF_MANAGED"));
    assert.deepEqual(calls(requests), ["DescribeStackSet"]);
  });
  await withFakeAws(fakeEndpoint(org(), stackSet({ exists: true, body, permissionModel: "SERVICE_MANAGED", parameters: 1, ous: [OU], instances: [{ account: "2", region: "us-east-1", status: "CURRENT" }] })), async () => {
    assert.deepEqual((await applyStackSet({}, req(), template, { dryRun: true })).plan, [{ kind: "update-stack-set", why: "the stack set has parameters the template does not declare" }]);
  });
  await withFakeAws(fakeEndpoint(org(), stackSet({ exists: true, body, status: "DELETED", permissionModel: "SELF_MANAGED" })), async () => {
    assert.deepEqual((await applyStackSet({}, req(), template, { dryRun: true })).plan.map((s) => s.kind), ["create-stack-set", "create-instances"]);
  });
  await withFakeAws(fakeEndpoint(org(), stackSet({ refuse: new Map([["DescribeStackSet", xmlError("ValidationError", "You must enable organizations access to operate a service managed stack set")]]) })), async () => {
    await assert.rejects(applyStackSet({}, req(), template, { dryRun: true }), (e: unknown) => e instanceof XaError && e.code === "stackset-trusted-access");
  });
  await withFakeAws(fakeEndpoint(org(), stackSet({ refuse: new Map([["CreateStackSet", xmlError("AccessDenied", "no", 403)]]) })), async () => {
    await assert.rejects(applyStackSet({}, req(), template, { dryRun: false, wait: noWait }), (e: unknown) => e instanceof XaError && e.code === "aws-access-denied" && e.message.includes("cloudformation:CreateStackSet"));
  });
  await withFakeAws(fakeEndpoint(org(), stackSet({ exists: true, body, permissionModel: "SERVICE_MANAGED", refuse: new Map([["ListStackInstances", xmlError("AccessDenied", "no", 403)]]) })), async () => {
    await assert.rejects(applyStackSet({}, req(), template, { dryRun: true }), (e: unknown) => e instanceof XaError && e.message.includes("cloudformation:ListStackInstances"));
  });
});

test("applyStackSet: when the service does not say which OUs are deployed, the accounts under each target decide", async () => {
  const quiet = () => stackSet({ exists: true, body, permissionModel: "SERVICE_MANAGED", instances: [{ account: "222222222222", region: "us-east-1", status: "CURRENT" }] });
  await withFakeAws(fakeEndpoint(org(), quiet()), async (requests) => {
    // OU has 222222222222 and 333333333333 (and OU2's none): 333333333333 lacks an instance, so OU is deployed again.
    const r = await applyStackSet({}, req(), template, { dryRun: true });
    assert.deepEqual(r.plan, [{ kind: "create-instances", targets: [OU], regions: ["us-east-1"] }]);
    assert.ok(requests.some((q) => q.action === "ListAccountsForParent"));
  });
  const all = quiet();
  all.instances.push({ account: "333333333333", region: "us-east-1", status: "CURRENT" });
  await withFakeAws(fakeEndpoint(org(), all), async () => {
    assert.deepEqual((await applyStackSet({}, req(), template, { dryRun: true })).plan, []);
  });
  // The service says (an instance's OU): no listing of the organization.
  const says = quiet();
  says.instances[0]!.ou = OU;
  await withFakeAws(fakeEndpoint(org(), says), async (requests) => {
    assert.deepEqual((await applyStackSet({}, req(), template, { dryRun: true })).plan, []);
    assert.ok(!requests.some((q) => q.service === "organizations"));
  });
});

test("deleteStackSet: the instances (their OUs from the service, else the ones given) in their regions, then the stack set", async () => {
  const set = stackSet({
    exists: true, body, permissionModel: "SERVICE_MANAGED", ous: [OU],
    instances: [
      { account: "222222222222", region: "us-east-1", ou: OU2, status: "CURRENT" },
      { account: "222222222222", region: "eu-west-1", status: "CURRENT" },
      { account: "333333333333", region: "us-east-1", status: "CURRENT" },
    ],
  });
  await withFakeAws(fakeEndpoint(org(), set), async (requests) => {
    const planned = await deleteStackSet({}, req({ targets: [] }), { dryRun: true });
    assert.equal(planned.status, "planned");
    assert.deepEqual([planned.targets, planned.regions], [[OU, OU2], ["eu-west-1", "us-east-1"]]);
    assert.deepEqual(planned.instances.map((i) => `${i.account} ${i.region} ${i.ou ?? "-"}`), [
      "222222222222 eu-west-1 -", `222222222222 us-east-1 ${OU2}`, "333333333333 us-east-1 -",
    ], "sorted by account, then region");
    assert.ok(!calls(requests).some((a) => a.startsWith("Delete")));
    const said: string[] = [];
    const r = await deleteStackSet({}, req({ targets: [] }), { dryRun: false, wait: noWait, say: (t) => said.push(t) });
    assert.equal(r.status, "deleted", r.error?.message);
    const del = requests.find((q) => q.action === "DeleteStackInstances")!;
    assert.equal(del.params.get("RetainStacks"), "false");
    assert.deepEqual([del.params.get("DeploymentTargets.OrganizationalUnitIds.member.1"), del.params.get("DeploymentTargets.OrganizationalUnitIds.member.2")], [OU, OU2]);
    assert.deepEqual([del.params.get("Regions.member.1"), del.params.get("Regions.member.2")], ["eu-west-1", "us-east-1"]);
    assert.deepEqual(calls(requests).filter((a) => a.startsWith("Delete") && a !== "DeleteStackSet" || a === "DeleteStackSet"), ["DeleteStackInstances", "DeleteStackSet"]);
    assert.deepEqual(r.operations.map((o) => [o.action, o.status]), [["DELETE_INSTANCES", "SUCCEEDED"], ["DELETE_STACK_SET", "SUCCEEDED"]]);
    assert.deepEqual(r.instances, []);
    assert.deepEqual(said, [
      `stack set xaccount-R: deleting its 3 instance(s) (${OU}, ${OU2} in eu-west-1, us-east-1), roles included`,
      "stack set xaccount-R: DELETE_INSTANCES operation op-1 SUCCEEDED",
      "stack set xaccount-R: deleted",
    ]);
    assert.equal(set.exists, false);
    // Gone: nothing to do.
    assert.equal((await deleteStackSet({}, req(), { dryRun: false, wait: noWait })).status, "absent");
  });
  // No instances: the stack set alone.
  await withFakeAws(fakeEndpoint(org(), stackSet({ exists: true, body, permissionModel: "SERVICE_MANAGED" })), async (requests) => {
    const r = await deleteStackSet({}, req({ targets: [] }), { dryRun: false, wait: noWait });
    assert.equal(r.status, "deleted");
    assert.deepEqual(calls(requests).filter((a) => a.startsWith("Delete")), ["DeleteStackSet"]);
  });
});

test("deleteStackSet: its CloudFormation client is destroyed once done (no keep-alive socket holds the command open)", async (t) => {
  const { CloudFormationClient } = await import("@aws-sdk/client-cloudformation");
  const destroyed = t.mock.method(CloudFormationClient.prototype, "destroy");
  await withFakeAws(fakeEndpoint(org(), stackSet({ exists: true, body, permissionModel: "SERVICE_MANAGED" })), async () => {
    assert.equal((await deleteStackSet({}, req({ targets: [] }), { dryRun: false, wait: noWait })).status, "deleted");
  });
  assert.equal(destroyed.mock.callCount(), 1);
});

test("deleteStackSet: OUs the service does not name come from --ou, else refused; instances left keep the stack set", async () => {
  const quiet = () => stackSet({ exists: true, body, permissionModel: "SERVICE_MANAGED", instances: [{ account: "222222222222", region: "us-east-1", status: "CURRENT" }] });
  await withFakeAws(fakeEndpoint(org(), quiet()), async (requests) => {
    await assert.rejects(deleteStackSet({}, req({ targets: [] }), { dryRun: false, wait: noWait }), (e: unknown) => e instanceof XaError && e.code === "stackset-delete-targets");
    assert.ok(!calls(requests).some((a) => a.startsWith("Delete")));
    const r = await deleteStackSet({}, req({ targets: [OU] }), { dryRun: false, wait: noWait });
    assert.equal(r.status, "deleted");
    assert.equal(requests.find((q) => q.action === "DeleteStackInstances")?.params.get("DeploymentTargets.OrganizationalUnitIds.member.1"), OU);
  });
  const stuck = quiet();
  stuck.keepOnDelete = true;
  await withFakeAws(fakeEndpoint(org(), stuck), async (requests) => {
    const r = await deleteStackSet({}, req({ targets: [OU] }), { dryRun: false, wait: noWait });
    assert.equal(r.status, "failed");
    assert.equal(r.error?.code, "stackset-not-empty");
    assert.match(r.error?.message ?? "", /still has 1 instance\(s\) after DeleteStackInstances ended SUCCEEDED: 222222222222 us-east-1/);
    assert.ok(!calls(requests).includes("DeleteStackSet"));
    assert.equal(stuck.exists, true);
  });
  const failing = quiet();
  failing.outcomes.push("FAILED");
  failing.keepOnDelete = false;
  await withFakeAws(fakeEndpoint(org(), failing), async (requests) => {
    const r = await deleteStackSet({}, req({ targets: [OU] }), { dryRun: false, wait: noWait });
    assert.equal(r.status, "failed");
    assert.match(r.error?.message ?? "", /ended FAILED: none listed/);
    assert.ok(!calls(requests).includes("DeleteStackSet"));
  });
});

test("homeRegion: the configured region, else the fallback", async () => {
  await withFakeAws(() => ({ body: "" }), async () => {
    assert.equal(await homeRegion({}), "ap-south-1");
    assert.equal(await homeRegion({ region: "eu-west-1" }), "eu-west-1");
  }, { region: "ap-south-1" });
  await withFakeAws(() => ({ body: "" }), async () => {
    assert.equal(await homeRegion({}), "us-east-1");
  }, { region: null });
});

test("stackset I/O: each refused call is named; every request names the stack set and who calls", async () => {
  const existingSet = () => stackSet({ exists: true, body: "{}", permissionModel: "SERVICE_MANAGED", ous: [OU], instances: [{ account: "222222222222", region: "us-east-1", ou: OU, status: "CURRENT" }] });
  const refused = async (action: string, run: () => Promise<unknown>, set = existingSet()) => {
    set.refuse = new Map([[action, action.startsWith("Describe") && !action.includes("Stack") || action === "ListRoots" ? jsonError("AccessDeniedException", "no") : xmlError("AccessDenied", "no", 403)]]);
    await withFakeAws(fakeEndpoint(org(), set), async () => {
      await assert.rejects(run(), (e: unknown) => e instanceof XaError && e.message.includes(action.match(/Organization/) ? `organizations:${action}` : `cloudformation:${action}`), action);
    });
  };
  const apply = () => applyStackSet({}, req({ targets: [OU, OU2] }), template, { dryRun: false, wait: noWait });
  await refused("DescribeStackSet", apply);
  await refused("UpdateStackSet", apply);
  await refused("CreateStackInstances", () => applyStackSet({}, req({ targets: [OU, OU2] }), JSON.parse("{}") as Record<string, unknown>, { dryRun: false, wait: noWait }), (() => { const x = existingSet(); x.body = "{}"; return x; })());
  await refused("DescribeStackSetOperation", apply);
  await refused("DeleteStackInstances", () => deleteStackSet({}, req(), { dryRun: false, wait: noWait }));
  await refused("DeleteStackSet", () => deleteStackSet({}, req(), { dryRun: false, wait: noWait }), stackSet({ exists: true, body, permissionModel: "SERVICE_MANAGED" }));
  await refused("DescribeOrganization", () => resolveTargets({}, { org: true, ous: [], callAs: "SELF" }));
  await refused("DescribeOrganizationalUnit", () => resolveTargets({}, { org: false, ous: [OU], callAs: "SELF" }));

  await withFakeAws(fakeEndpoint(org(), existingSet()), async (requests) => {
    await deleteStackSet({}, req({ callAs: "DELEGATED_ADMIN" }), { dryRun: false, wait: noWait });
    for (const action of ["DescribeStackSet", "ListStackInstances", "DeleteStackInstances", "DescribeStackSetOperation", "DeleteStackSet"]) {
      const p = requests.find((q) => q.action === action)?.params;
      assert.deepEqual([p?.get("StackSetName"), p?.get("CallAs")], ["xaccount-R", "DELEGATED_ADMIN"], action);
    }
  });
});

test("stackset I/O: an update then a deployment both run; progress without a say hook; lists joined; a gone stack set reports nothing", async () => {
  const set = stackSet({ exists: true, body: "{}", permissionModel: "SERVICE_MANAGED", ous: [OU], instances: [{ account: "222222222222", region: "us-east-1", ou: OU, status: "CURRENT" }] });
  await withFakeAws(fakeEndpoint(org(), set), async (requests) => {
    const r = await applyStackSet({}, req({ targets: [OU, OU2] }), template, { dryRun: false, wait: noWait });
    assert.equal(r.status, "updated");
    assert.deepEqual(r.operations.map((o) => [o.action, o.status]), [["UPDATE_STACK_SET", "SUCCEEDED"], ["CREATE_INSTANCES", "SUCCEEDED"]]);
    assert.deepEqual(calls(requests).filter((a) => /^(Update|Create)/.test(a)), ["UpdateStackSet", "CreateStackInstances"]);
  });
  const fresh = stackSet();
  await withFakeAws(fakeEndpoint(org(), fresh), async () => {
    const said: string[] = [];
    await applyStackSet({}, req({ targets: [OU, OU2], regions: ["us-east-1", "eu-west-1"] }), template, { dryRun: false, wait: noWait, say: (t) => said.push(t) });
    assert.equal(said[1], `stack set xaccount-R: deploying to ${OU}, ${OU2} in us-east-1, eu-west-1`);
  });
  await withFakeAws(fakeEndpoint(org(), stackSet()), async () => {
    assert.deepEqual(await deleteStackSet({}, req(), { dryRun: false, wait: noWait }), { name: "xaccount-R", region: "us-east-1", status: "absent", targets: [OU], regions: [], plan: [], operations: [], instances: [] });
  });
  // The regions of a deletion are sorted whatever order the accounts list them in; summaries without an account or region are skipped.
  const odd = stackSet({ exists: true, body, permissionModel: "SERVICE_MANAGED", ous: [OU], instances: [
    { account: "111111111111", region: "us-east-1", status: "CURRENT" },
    { account: "222222222222", region: "eu-west-1", status: "" },
    { account: "", region: "ap-south-1", status: "CURRENT" },
    { account: "333333333333", region: "", status: "CURRENT" },
  ] });
  await withFakeAws(fakeEndpoint(org(), odd), async () => {
    const r = await deleteStackSet({}, req(), { dryRun: true });
    assert.deepEqual(r.regions, ["eu-west-1", "us-east-1"]);
    assert.deepEqual(r.instances.map((i) => [i.account, i.region, i.status]), [["111111111111", "us-east-1", "CURRENT"], ["222222222222", "eu-west-1", "UNKNOWN"]]);
  });
});

test("stackset I/O: the service's own OU ids (or any instance's OU) spare listing the organization", async () => {
  for (const [ous, instanceOus] of [[[OU], [undefined, undefined]], [undefined, [OU, undefined]]] as const) {
    const set = stackSet({ exists: true, body, permissionModel: "SERVICE_MANAGED", ous: ous ? [...ous] : undefined, instances: instanceOus.map((ou, i) => ({ account: `${i + 2}`.repeat(12), region: "us-east-1", ou, status: "CURRENT" })) });
    await withFakeAws(fakeEndpoint(org(), set), async (requests) => {
      await applyStackSet({}, req(), template, { dryRun: true });
      assert.deepEqual(requests.filter((q) => q.service === "organizations").map((q) => q.action), [], JSON.stringify([ous, instanceOus]));
    });
  }
});

test("stackset I/O: an operation the service says nothing about is UNKNOWN until the wait gives up, naming it", async () => {
  let t = 0;
  const wait = { timeoutMs: 3000, intervalMs: 1000, maxIntervalMs: 1000, now: () => t, sleep: async (ms: number) => { t += ms; } };
  const set = stackSet({ outcomes: Array(10).fill("NO-ANSWER") as string[] });
  await withFakeAws(fakeEndpoint(org(), set), async () => {
    await assert.rejects(applyStackSet({}, req(), template, { dryRun: false, wait }), (e: unknown) => e instanceof XaError && e.code === "stackset-operation-timeout" &&
      e.message === "CREATE_INSTANCES operation op-1 on stack set xaccount-R was still UNKNOWN after 3 s");
  });
});

test("resolveTargets: an organization that does not say its management account is not refused for it", async () => {
  await withFakeAws(fakeEndpoint(org({ noOrganization: true, caller: "999999999999" }), stackSet()), async () => {
    assert.deepEqual(await resolveTargets({}, { org: true, ous: [], callAs: "SELF" }), [ROOT]);
  });
});
