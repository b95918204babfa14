/**
 * `create-role --stackset`, the pure parts: plan, preferences, waiting, error mapping, and the request
 * documents checked against the CloudFormation API model (what moto 5.2.5 drops, AutoDeployment and
 * DeploymentTargets on delete among it, is checked here, not on the emulator).
 *
 * The model is botocore's service-2.json from the test virtualenv (the same AWS model the JS SDK is generated
 * from), and the SDK's own serializer: a member it does not know is dropped from the wire, so finding each
 * member in the serialized request proves the SDK's model has it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import {
  CloudFormationClient, CreateStackInstancesCommand, CreateStackSetCommand, DeleteStackInstancesCommand, UpdateStackSetCommand,
} from "@aws-sdk/client-cloudformation";
import { XaError } from "../src/errors.js";
import {
  createInstancesInput, createStackSetInput, defaultStackSetName, deleteInstancesInput, deployedPairs, instanceFailed,
  operationPreferences, parseAmount, planStackSet, sameTemplate, stackSetName, updateStackSetInput,
  type ExistingStackSet, type StackSetRequest,
} from "../src/aws/stackset-plan.js";
import { waitForOperation } from "../src/aws/stackset-wait.js";
import { explainStackSetError } from "../src/aws/stackset-errors.js";
import { testPython } from "./helpers/moto.js";
import { codeOf } from "./helpers/errors.js";
import { parseCreateRoleOptions } from "../src/commands/create-role.js";

const req: StackSetRequest = {
  name: "xaccount-McpReadOnlyRole",
  targets: ["ou-ab12-cdef3456", "r-ab12"],
  regions: ["us-east-1"],
  callAs: "SELF",
  prefs: { failureTolerance: { percent: 10 }, maxConcurrency: { count: 5 } },
};
const body = JSON.stringify({ Resources: { R: { Type: "AWS::IAM::Role", Properties: { RoleName: "McpReadOnlyRole" } } } }, null, 2);
const existing = (over: Partial<ExistingStackSet> = {}): ExistingStackSet => ({
  templateBody: body, parameterCount: 0, permissionModel: "SERVICE_MANAGED",
  autoDeployment: { enabled: true, retain: false }, organizationalUnitIds: req.targets, ...over,
});

test("--failure-tolerance / --max-concurrency: counts and percentages, bounds refused with a code", () => {
  assert.deepEqual(parseAmount("3", "--x", 0), { count: 3 });
  assert.deepEqual(parseAmount("25%", "--x", 1), { percent: 25 });
  assert.deepEqual(parseAmount("0", "--failure-tolerance", 0), { count: 0 });
  for (const bad of ["0", "0%", "101%", "-1", "1.5", "ten", "", "5 %"]) {
    assert.throws(() => parseAmount(bad, "--max-concurrency", 1), (e: unknown) => e instanceof XaError && e.code === "stackset-preference-invalid" && e.exitCode === 2, bad);
  }
  assert.deepEqual(operationPreferences({ failureTolerance: { count: 2 }, maxConcurrency: { percent: 50 } }), {
    RegionConcurrencyType: "PARALLEL", ConcurrencyMode: "SOFT_FAILURE_TOLERANCE", FailureToleranceCount: 2, MaxConcurrentPercentage: 50,
  });
  assert.deepEqual(operationPreferences(req.prefs), {
    RegionConcurrencyType: "PARALLEL", ConcurrencyMode: "SOFT_FAILURE_TOLERANCE", FailureTolerancePercentage: 10, MaxConcurrentCount: 5,
  });
});

test("stack set names: CloudFormation's pattern; the default is made from the role name", () => {
  assert.equal(stackSetName("xaccount-Role-1"), "xaccount-Role-1");
  for (const bad of ["1abc", "a_b", "a b", "", "a".repeat(129)]) assert.throws(() => stackSetName(bad), /stack set name/, bad);
  assert.equal(defaultStackSetName("Mcp.Read@Only_Role"), "xaccount-Mcp-Read-Only-Role");
  assert.equal(stackSetName(defaultStackSetName("McpReadOnlyRole")), "xaccount-McpReadOnlyRole");
});

test("plan: nothing exists -> create and deploy; unchanged -> no operation; changed template -> update; new target -> only it", () => {
  assert.deepEqual(planStackSet(req, body, undefined, new Set()), [
    { kind: "create-stack-set" },
    { kind: "create-instances", targets: req.targets, regions: ["us-east-1"] },
  ]);
  const all = new Set(["ou-ab12-cdef3456 us-east-1", "r-ab12 us-east-1"]);
  assert.deepEqual(planStackSet(req, body, existing(), all), []);
  // Whitespace and key order are not a change.
  assert.deepEqual(planStackSet(req, body, existing({ templateBody: JSON.stringify(JSON.parse(body)) }), all), []);
  assert.ok(sameTemplate('{"a":1,"b":[1,{"c":2,"d":3}]}', '{"b":[1,{"d":3,"c":2}],"a":1}'));
  assert.ok(!sameTemplate('{"a":[1,2]}', '{"a":[2,1]}'));
  assert.deepEqual(planStackSet(req, body, existing({ templateBody: body.replace("McpReadOnlyRole", "Other") }), all), [{ kind: "update-stack-set", why: "the role template changed" }]);
  assert.deepEqual(planStackSet(req, body, existing({ autoDeployment: { enabled: false, retain: false } }), all).map((s) => s.kind), ["update-stack-set"]);
  assert.deepEqual(planStackSet(req, body, existing({ autoDeployment: undefined }), all), [], "a service that does not say is not a change");
  assert.deepEqual(planStackSet(req, body, existing(), new Set(["r-ab12 us-east-1"])), [{ kind: "create-instances", targets: ["ou-ab12-cdef3456"], regions: ["us-east-1"] }]);
  const two = { ...req, regions: ["us-east-1", "eu-west-1"] };
  assert.deepEqual(planStackSet(two, body, existing(), new Set(["r-ab12 us-east-1", "ou-ab12-cdef3456 us-east-1"])), [
    { kind: "create-instances", targets: req.targets, regions: ["eu-west-1"] },
  ]);
});

test("deployed targets: from the service's OU ids when it gives them, else every ACTIVE account under the OU has an instance", () => {
  const inst = (account: string, region: string, ou?: string) => ({ account, region, ou, status: "CURRENT" });
  assert.deepEqual([...deployedPairs(existing(), [inst("111111111111", "us-east-1")], req.targets, ["us-east-1", "eu-west-1"], undefined)].sort(),
    ["ou-ab12-cdef3456 us-east-1", "r-ab12 us-east-1"]);
  assert.deepEqual([...deployedPairs(existing({ organizationalUnitIds: undefined }), [inst("111111111111", "us-east-1", "r-ab12")], req.targets, ["us-east-1"], undefined)],
    ["r-ab12 us-east-1"]);
  const under = new Map([["ou-ab12-cdef3456", ["111111111111", "222222222222"]], ["r-ab12", []]]);
  const noOus = existing({ organizationalUnitIds: undefined });
  assert.deepEqual([...deployedPairs(noOus, [inst("111111111111", "us-east-1")], req.targets, ["us-east-1"], under)], []);
  assert.deepEqual([...deployedPairs(noOus, [inst("111111111111", "us-east-1"), inst("222222222222", "us-east-1")], req.targets, ["us-east-1"], under)],
    ["ou-ab12-cdef3456 us-east-1"]);
  assert.ok(instanceFailed({ account: "1", region: "r", status: "OUTDATED", detailedStatus: "FAILED" }));
  assert.ok(instanceFailed({ account: "1", region: "r", status: "INOPERABLE" }));
  assert.ok(!instanceFailed({ account: "1", region: "r", status: "CURRENT", detailedStatus: "SUCCEEDED" }));
});

test("waiting: polls until a final status, backs off, and times out with stackset-operation-timeout", async () => {
  let t = 0;
  const sleeps: number[] = [];
  const clock = { now: () => t, sleep: async (ms: number) => { sleeps.push(ms); t += ms; } };
  const answers = ["QUEUED", "RUNNING", "RUNNING", "SUCCEEDED"];
  const end = await waitForOperation(async () => ({ status: answers.shift()! }), { stackSet: "s", operationId: "op", action: "CREATE" }, { timeoutMs: 60_000, intervalMs: 1000, maxIntervalMs: 3000, ...clock });
  assert.equal(end.status, "SUCCEEDED");
  assert.deepEqual(sleeps, [1000, 2000, 3000]);
  const failed = await waitForOperation(async () => ({ status: "FAILED", reason: "quota" }), { stackSet: "s", operationId: "op", action: "CREATE" }, { timeoutMs: 1, intervalMs: 1, maxIntervalMs: 1, ...clock });
  assert.deepEqual(failed, { status: "FAILED", reason: "quota" });
  t = 0;
  await assert.rejects(
    waitForOperation(async () => ({ status: "RUNNING" }), { stackSet: "s", operationId: "op-7", action: "UPDATE" }, { timeoutMs: 10_000, intervalMs: 1000, maxIntervalMs: 4000, ...clock }),
    (e: unknown) => e instanceof XaError && e.code === "stackset-operation-timeout" && /op-7/.test(e.message) && /describe-stack-set-operation/.test(e.hint ?? ""),
  );
  assert.ok(t >= 10_000 && t < 15_000, `waited ${t}`);
});

test("StackSets refusals become coded errors", () => {
  const err = (name: string, message: string) => Object.assign(new Error(message), { name });
  const code = (e: unknown) => explainStackSetError(e, "cloudformation:CreateStackSet", "s").code;
  assert.equal(code(err("ValidationError", "You must enable organizations access to operate a service managed stack set")), "stackset-trusted-access");
  const notAdmin = explainStackSetError(err("ValidationError", "Account 111111111111 is not registered as a delegated administrator"), "cloudformation:CreateStackSet", "s");
  assert.equal(notAdmin.code, "stackset-not-admin");
  assert.match(notAdmin.hint ?? "", /--call-as DELEGATED_ADMIN/);
  assert.equal(code(err("OperationInProgressException", "Another Operation on StackSet s is in progress")), "stackset-busy");
  assert.equal(code(err("StackSetNotEmptyException", "StackSet is not empty")), "stackset-not-empty");
  assert.equal(code(err("ValidationError", "OrganizationalUnit ou-ab12-cdef3456 not found")), "ou-not-found");
  assert.equal(code(err("AccessDenied", "no")), "aws-access-denied");
  assert.equal(code(err("ValidationError", "Template format error")), "aws-error");
});

// ---- The request documents against the API model ----

interface ShapeModel {
  type: string;
  members?: Record<string, { shape: string }>;
  required?: string[];
  member?: { shape: string };
  enum?: string[];
  min?: number;
  max?: number;
}

const model = (() => {
  const site = path.join(path.dirname(path.dirname(testPython())), "lib");
  const py = readFileSync(path.join(site, "python3.11", "site-packages", "botocore", "data", "cloudformation", "2010-05-15", "service-2.json.gz"));
  return JSON.parse(gunzipSync(py).toString()) as { operations: Record<string, { input: { shape: string } }>; shapes: Record<string, ShapeModel> };
})();

/** Every problem of `value` as input shape `shape`: unknown members, missing required ones, bad enums and ranges. */
function problems(value: unknown, shapeName: string, where: string): string[] {
  const shape = model.shapes[shapeName]!;
  const out: string[] = [];
  switch (shape.type) {
    case "structure": {
      const v = value as Record<string, unknown>;
      for (const r of shape.required ?? []) if (v[r] === undefined) out.push(`${where}.${r} is required`);
      for (const [k, x] of Object.entries(v)) {
        if (x === undefined) continue;
        const m = shape.members?.[k];
        if (!m) out.push(`${where}.${k} is not in the model`);
        else out.push(...problems(x, m.shape, `${where}.${k}`));
      }
      break;
    }
    case "list":
      if (!Array.isArray(value)) out.push(`${where} is not a list`);
      else value.forEach((x, i) => out.push(...problems(x, shape.member!.shape, `${where}[${i}]`)));
      break;
    case "string":
      if (typeof value !== "string") out.push(`${where} is not a string`);
      else if (shape.enum && !shape.enum.includes(value)) out.push(`${where} ${value} is not one of ${shape.enum.join(",")}`);
      break;
    case "integer":
      if (!Number.isInteger(value)) out.push(`${where} is not an integer`);
      else if ((shape.min !== undefined && (value as number) < shape.min) || (shape.max !== undefined && (value as number) > shape.max)) out.push(`${where} out of range`);
      break;
    case "boolean":
      if (typeof value !== "boolean") out.push(`${where} is not a boolean`);
      break;
    default:
      out.push(`${where}: unexpected shape type ${shape.type}`);
  }
  return out;
}

/** The query body the SDK would send, without sending it. */
async function wire(command: { input: object }): Promise<URLSearchParams> {
  const client = new CloudFormationClient({ region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" } });
  let sent = "";
  client.middlewareStack.add(() => async (args) => {
    sent = String((args.request as { body?: unknown }).body ?? "");
    throw new Error("captured");
  }, { step: "finalizeRequest", priority: "low" });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  await assert.rejects(client.send(command as any), /captured/);
  client.destroy();
  return new URLSearchParams(sent);
}

test("CreateStackSet: service-managed, automatic deployment on, not retaining stacks; valid for the model and on the wire", async () => {
  const input = createStackSetInput(req, body);
  assert.deepEqual(problems(input, model.operations.CreateStackSet!.input.shape, "CreateStackSet"), []);
  assert.equal(input.PermissionModel, "SERVICE_MANAGED");
  assert.deepEqual(input.AutoDeployment, { Enabled: true, RetainStacksOnAccountRemoval: false });
  assert.deepEqual(input.Capabilities, ["CAPABILITY_NAMED_IAM"]);
  assert.equal(input.TemplateBody, body);
  const w = await wire(new CreateStackSetCommand(input));
  assert.equal(w.get("Action"), "CreateStackSet");
  assert.equal(w.get("PermissionModel"), "SERVICE_MANAGED");
  assert.equal(w.get("AutoDeployment.Enabled"), "true");
  assert.equal(w.get("AutoDeployment.RetainStacksOnAccountRemoval"), "false");
  assert.equal(w.get("CallAs"), "SELF");
  assert.equal(w.get("TemplateBody"), body);
});

test("UpdateStackSet, CreateStackInstances, DeleteStackInstances: OU targets, PARALLEL regions, preferences; delete does not retain stacks", async () => {
  const cases = [
    ["UpdateStackSet", updateStackSetInput(req, body), UpdateStackSetCommand],
    ["CreateStackInstances", createInstancesInput(req, req.targets, req.regions), CreateStackInstancesCommand],
    ["DeleteStackInstances", deleteInstancesInput(req, req.targets, req.regions), DeleteStackInstancesCommand],
  ] as const;
  for (const [op, input, Command] of cases) {
    assert.deepEqual(problems(input, model.operations[op]!.input.shape, op), [], op);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const w = await wire(new (Command as any)(input));
    assert.equal(w.get("OperationPreferences.RegionConcurrencyType"), "PARALLEL", op);
    assert.equal(w.get("OperationPreferences.ConcurrencyMode"), "SOFT_FAILURE_TOLERANCE", op);
    assert.equal(w.get("OperationPreferences.FailureTolerancePercentage"), "10", op);
    assert.equal(w.get("OperationPreferences.MaxConcurrentCount"), "5", op);
    if (op !== "UpdateStackSet") {
      assert.equal(w.get("DeploymentTargets.OrganizationalUnitIds.member.1"), "ou-ab12-cdef3456", op);
      assert.equal(w.get("DeploymentTargets.OrganizationalUnitIds.member.2"), "r-ab12", op);
      assert.equal(w.get("Regions.member.1"), "us-east-1", op);
      assert.equal(w.get("Accounts.member.1"), null, `${op}: a service-managed stack set takes OUs, not accounts`);
    } else {
      assert.equal(w.get("AutoDeployment.Enabled"), "true");
      assert.equal(w.get("PermissionModel"), "SERVICE_MANAGED");
    }
    if (op === "DeleteStackInstances") assert.equal(w.get("RetainStacks"), "false");
  }
  // The checker refuses what the model refuses (so an empty list above means something).
  assert.deepEqual(problems({ StackSetName: "s", Regions: [], RetainStacks: false, Bogus: 1, CallAs: "ME" }, model.operations.DeleteStackInstances!.input.shape, "D"),
    ["D.Bogus is not in the model", "D.CallAs ME is not one of SELF,DELEGATED_ADMIN"]);
});

test("--stackset options: checked before any call, each conflict and bad value with its code", () => {
  const base = { maxSessionDuration: "3600", server: "ecs,iac", roleName: "McpReadOnlyRole" };
  const parsed = parseCreateRoleOptions({ ...base, stackset: true, ou: ["ou-ab12-cdef3456", "ou-ab12-cdef3456"], regions: "us-east-1,eu-west-1", failureTolerance: "0", maxConcurrency: "50%" });
  assert.deepEqual(parsed.stackset, {
    org: false,
    waitTimeoutMs: 3_600_000,
    request: {
      name: "xaccount-McpReadOnlyRole",
      targets: ["ou-ab12-cdef3456"],
      regions: ["us-east-1", "eu-west-1"],
      callAs: "SELF",
      prefs: { failureTolerance: { count: 0 }, maxConcurrency: { percent: 50 } },
    },
  });
  assert.equal(parseCreateRoleOptions(base).stackset, undefined);
  assert.equal(parseCreateRoleOptions({ ...base, stackset: true, delete: true }).stackset?.request.targets.length, 0, "--delete finds the targets itself");
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ ou: ["ou-ab12-cdef3456"] }, "options-conflict/2"],
    [{ org: true }, "options-conflict/2"],
    [{ callAs: "DELEGATED_ADMIN" }, "options-conflict/2"],
    [{ stackset: true }, "stackset-targets-missing/2"],
    [{ stackset: true, org: true, ou: ["ou-ab12-cdef3456"] }, "options-conflict/2"],
    [{ stackset: true, org: true, format: "cloudformation" }, "options-conflict/2"],
    [{ stackset: true, org: true, profile: "a,b" }, "options-conflict/2"],
    [{ stackset: true, org: true, callAs: "ADMIN" }, "options-conflict/2"],
    [{ stackset: true, ou: ["ou-1"] }, "ou-id-invalid/2"],
    [{ stackset: true, org: true, regions: "us-east-1,mars" }, "region-invalid/2"],
    [{ stackset: true, org: true, stacksetName: "1st" }, "stackset-name-invalid/2"],
    [{ stackset: true, org: true, failureTolerance: "x" }, "stackset-preference-invalid/2"],
    [{ stackset: true, org: true, maxConcurrency: "0" }, "stackset-preference-invalid/2"],
    [{ stackset: true, org: true, waitTimeout: "0" }, "stackset-preference-invalid/2"],
  ];
  for (const [extra, code] of cases) assert.equal(codeOf(() => parseCreateRoleOptions({ ...base, ...extra })), code, JSON.stringify(extra));
  // A role name a stack set name cannot hold is turned into one.
  assert.equal(parseCreateRoleOptions({ ...base, roleName: "a.b@c", stackset: true, org: true }).stackset?.request.name, "xaccount-a-b-c");
});
