/**
 * Deriving a role's actions from a server's code (src/aws/derive), the parts the two built-in releases do
 * not exercise: the client factories of any other AWS Labs server, the ECS dispatch rule, the mapping to
 * actions with hand-made models (every way a call is found, each exclusion and its reason, the order), the
 * IAM prefix overrides, the installed version, and a Python without botocore. Pure, or a temporary tree.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { XaError } from "../src/errors.js";
import { ANALYSIS, GENERIC_ANALYSIS, installedVersion } from "../src/aws/derive/index.js";
import { analyze, type Analysis } from "../src/aws/derive/analyze.js";
import { READ_VERB, classify, toActions } from "../src/aws/derive/actions.js";
import { applyPrefixOverrides, readModels, type ServiceModel } from "../src/aws/derive/models.js";
import { testPython } from "./helpers/moto.js";

test("the client factories of the AWS Labs servers: each name makes a client for its first argument", () => {
  const factories = ["get_aws_client", "aws_get_aws_client", "create_aws_client", "create_boto3_client", "get_client", "get_boto3_client", "create_client"];
  assert.deepEqual([...GENERIC_ANALYSIS.factories], factories);
  assert.deepEqual(GENERIC_ANALYSIS.dispatch, []);
  const text = factories.map((f, i) => `c${i} = ${f}("svc${i}")\nc${i}.describe_x()\n`).join("") + 'other = make_client("nope")\n';
  const a = analyze([{ path: "m.py", text }], GENERIC_ANALYSIS);
  assert.deepEqual([...a.services].sort(), factories.map((_, i) => `svc${i}`).sort());
  assert.deepEqual(a.calls.filter((c) => c.method === "describe_x").map((c) => c.services?.join()), factories.map((_, i) => `svc${i}`));
  assert.deepEqual([...ANALYSIS.ecs!.factories], ["get_aws_client", "aws_get_aws_client"]);
  assert.deepEqual([...ANALYSIS.iac!.factories], ["get_aws_client"]);
  assert.deepEqual(ANALYSIS.iac!.dispatch, []);
});

test("analysis: service_name found among other keyword arguments; dispatch lists as lists, tuples and sets; references on their line; by-name only for method names", () => {
  const text = [
    "import boto3",
    'a = boto3.client(region_name="eu-west-1", service_name="ec2")',
    'b = boto3.client(name_var, service_name="logs")',
    'OPS = ("ListTasks", "CreateCluster")',
    'MORE = {"DescribeServices"}',
    'NOT_A_LIST = "ListClusters"',
    "handle(a.describe_vpcs)",
    'helper(a, "describe_subnets", "NotAMethod", "Describe subnets", "9x")',
    'c = boto3.client(f"ec{n}")', // an f-string names a service only at run time: no service from its fixed part
  ].join("\n");
  const opts = { factories: [], dispatch: [{ variable: "OPS", service: "ecs", readOnly: (op: string) => op.startsWith("List") }, { variable: "MORE", service: "ecs", readOnly: () => true }, { variable: "NOT_A_LIST", service: "ecs", readOnly: () => true }] };
  const a = analyze([{ path: "m.py", text }], opts);
  assert.deepEqual([...a.services].sort(), ["ec2", "logs"]);
  assert.deepEqual(a.dispatched.map((d) => [d.operation, d.line]), [["ListTasks", 4], ["DescribeServices", 5]]);
  assert.deepEqual(a.dispatchedWrites.map((d) => d.operation), ["CreateCluster"]);
  assert.deepEqual(a.calls.filter((c) => c.kind === "reference").map((c) => [c.method, c.line, c.services?.join()]), [["describe_vpcs", 7, "ec2"]]);
  assert.deepEqual(a.calls.filter((c) => c.kind === "by-name").map((c) => [c.method, c.line]), [["describe_subnets", 8]]);
});

test("analysis: every call site of a small module, exactly: waiters, paginators, inline clients, unfollowed receivers, annotations", () => {
  const text = [
    "import boto3",
    "x: int",
    'ecs = boto3.client("ecs")',
    'ecs.get_waiter("services_stable")',
    'ecs.get_paginator(name_var)',
    'boto3.client("logs").describe_log_groups()',
    "other = make()",
    "other.describe_vpcs()",
    "handle(other.list_tasks)",
    'helper(other, "describe_subnets")',
    'helper(ecs, "describe tasks", "list_tasks")',
    'OPS = ["ListTasks", some_name]',
  ].join("\n");
  const a = analyze([{ path: "m.py", text }], { factories: [], dispatch: [{ variable: "OPS", service: "ecs", readOnly: () => true }] });
  assert.deepEqual([...a.services].sort(), ["ecs", "logs"]);
  // (`boto3.client(...)` itself is a call on an unfollowed receiver; no model has `client`, so it maps to nothing.)
  assert.deepEqual(a.calls, [
    { file: "m.py", line: 3, services: undefined, method: "client", kind: "call" },
    { file: "m.py", line: 4, services: ["ecs"], method: "services_stable", kind: "waiter" },
    { file: "m.py", line: 6, services: ["logs"], method: "describe_log_groups", kind: "call" },
    { file: "m.py", line: 6, services: undefined, method: "client", kind: "call" },
    { file: "m.py", line: 8, services: undefined, method: "describe_vpcs", kind: "call" },
    { file: "m.py", line: 11, services: ["ecs"], method: "list_tasks", kind: "by-name" },
  ]);
  assert.deepEqual(a.dispatched.map((d) => d.operation), ["ListTasks"]);
});

test("the ECS tool's dispatch list: its Describe* and List* operations are reads, the rest writes", () => {
  const [d] = ANALYSIS.ecs!.dispatch;
  assert.equal(d?.variable, "SUPPORTED_ECS_OPERATIONS");
  assert.equal(d?.service, "ecs");
  for (const op of ["DescribeServices", "ListTasks"]) assert.equal(d?.readOnly(op), true, op);
  for (const op of ["CreateService", "UpdateService", "DeleteCluster", "RunTask", "XDescribe", "XList"]) assert.equal(d?.readOnly(op), false, op);
  const a = analyze([{ path: "r.py", text: 'SUPPORTED_ECS_OPERATIONS = ["ListClusters", "CreateCluster"]\nOTHER = ["DescribeTasks"]\n' }], ANALYSIS.ecs!);
  assert.deepEqual(a.dispatched.map((x) => [x.operation, x.service, x.list, x.line]), [["ListClusters", "ecs", "SUPPORTED_ECS_OPERATIONS", 1]]);
  assert.deepEqual(a.dispatchedWrites.map((x) => x.operation), ["CreateCluster"]);
});

const MODELS: Record<string, ServiceModel> = {
  ecs: { prefix: "ecs", operations: { list_tasks: "ListTasks", describe_services: "DescribeServices", create_cluster: "CreateCluster" }, waiters: { services_stable: "DescribeServices" } },
  ec2: { prefix: "ec2", operations: { describe_vpcs: "DescribeVpcs", list_things: "ListThings" }, waiters: {} },
  elbv2: { prefix: "elasticloadbalancing", operations: { describe_rules: "DescribeRules", list_things: "ListThings" }, waiters: {} },
  sts: { prefix: "sts", operations: { get_caller_identity: "GetCallerIdentity" }, waiters: {} },
};

function analysis(over: Partial<Analysis>): Analysis {
  return { services: new Set(["ecs", "ec2", "elbv2", "sts"]), calls: [], dispatched: [], dispatchedWrites: [], ...over };
}

test("toActions: each way a call is found, with where and how; reads only; sorted by action, sources by file and line", () => {
  const d = toActions("x", "1.0", analysis({
    calls: [
      { file: "b.py", line: 9, services: ["ecs"], method: "list_tasks", kind: "call" },
      { file: "a.py", line: 20, services: ["ecs"], method: "list_tasks", kind: "paginator" },
      { file: "a.py", line: 3, services: ["ecs"], method: "list_tasks", kind: "reference" },
      { file: "c.py", line: 1, services: ["ecs"], method: "services_stable", kind: "waiter" },
      { file: "c.py", line: 2, services: ["ec2"], method: "describe_vpcs", kind: "by-name" },
      { file: "c.py", line: 4, services: undefined, method: "describe_rules", kind: "call" },
      { file: "c.py", line: 5, services: ["ecs"], method: "close", kind: "call" },
      { file: "c.py", line: 6, services: ["nomodel"], method: "list_tasks", kind: "call" },
      { file: "c.py", line: 7, services: ["ecs"], method: "services_stable", kind: "call" },
    ],
  }), MODELS);
  assert.deepEqual(d, {
    server: "x",
    version: "1.0",
    actions: [
      { action: "ec2:DescribeVpcs", sources: [{ file: "c.py", line: 2, via: 'ec2 client with "describe_vpcs" (called by name)' }] },
      { action: "ecs:DescribeServices", sources: [{ file: "c.py", line: 1, via: 'ecs get_waiter("services_stable")' }] },
      { action: "ecs:ListTasks", sources: [
        { file: "a.py", line: 3, via: "ecs.list_tasks (passed as a function)" },
        { file: "a.py", line: 20, via: 'ecs get_paginator("list_tasks")' },
        { file: "b.py", line: 9, via: "ecs.list_tasks()" },
      ] },
      { action: "elasticloadbalancing:DescribeRules", sources: [{ file: "c.py", line: 4, via: "elbv2.describe_rules() (receiver not followed; the only service used with this method)" }] },
    ],
    excluded: [],
  });
});

test("toActions: what is left out, with why and where: writes, iam/sts, an unfollowed method several services have, dispatched names", () => {
  const d = toActions("x", "1.0", analysis({
    services: new Set(["ecs", "ec2", "elbv2", "sts", "unknown"]),
    calls: [
      { file: "b.py", line: 2, services: ["ecs"], method: "create_cluster", kind: "call" },
      { file: "a.py", line: 7, services: ["sts"], method: "get_caller_identity", kind: "call" },
      { file: "a.py", line: 5, services: undefined, method: "list_things", kind: "call" },
      { file: "a.py", line: 6, services: undefined, method: "not_an_operation", kind: "call" },
    ],
    dispatched: [
      { file: "r.py", line: 3, service: "ecs", operation: "ListTasks", list: "OPS" },
      { file: "r.py", line: 4, service: "ecs", operation: "ListNoSuch", list: "OPS" },
      { file: "r.py", line: 5, service: "nomodel", operation: "ListX", list: "OPS" },
    ],
    dispatchedWrites: [
      { file: "r.py", line: 6, service: "ecs", operation: "CreateCluster", list: "OPS" },
      { file: "r.py", line: 7, service: "nomodel", operation: "CreateX", list: "OPS" },
    ],
  }), MODELS);
  assert.deepEqual(d.actions, [{ action: "ecs:ListTasks", sources: [{ file: "r.py", line: 3, via: "OPS (read-only by the server's own rule)" }] }]);
  assert.deepEqual(d.excluded, [
    { file: "a.py", line: 5, via: ".list_things()", action: "ec2:?, elasticloadbalancing:?", reason: "receiver not followed and 2 services have list_things" },
    { file: "b.py", line: 2, via: "ecs.create_cluster()", action: "ecs:CreateCluster", reason: "not a read (a write, or an operation the role must not serve)" },
    { file: "r.py", line: 6, via: "OPS", action: "ecs:CreateCluster", reason: "the tool's write operation (the server needs ALLOW_WRITE)" },
    { file: "r.py", line: 4, via: "OPS (read-only by the server's own rule)", action: "ecs:ListNoSuch", reason: "not an operation of ecs in the server's botocore (the tool fails before calling AWS)" },
    { file: "a.py", line: 7, via: "sts.get_caller_identity()", action: "sts:GetCallerIdentity", reason: "nothing in sts is granted" },
  ]);
});

test("classify and the read verbs: a read verb then a capital or the end; credentials and iam/sts never", () => {
  for (const a of ["x:Describe", "x:ListX", "x:GetX", "x:LookupX", "x:FilterX", "x:SearchX", "x:BatchGetX"]) assert.equal(classify(a), undefined, a);
  for (const a of ["x:Listen", "x:Getaway", "x:BatchWriteX", "x:PutX", "x:XList", "x:describeX"]) assert.equal(classify(a), "not a read (a write, or an operation the role must not serve)", a);
  assert.equal(classify("iam:ListRoles"), "nothing in iam is granted");
  assert.equal(classify("sts:GetSessionToken"), "nothing in sts is granted");
  assert.equal(classify("ecr:GetAuthorizationToken"), "issues a registry password (used to push images), not a read");
  assert.equal(classify("ecr:GetDownloadUrlForLayer"), undefined);
  assert.ok(READ_VERB.test("BatchGetItems") && !READ_VERB.test("BatchGetitems"));
});

test("models: CloudWatch's signing name is mapped to its IAM prefix; unknown services left out; a Python without botocore is botocore-not-found", () => {
  assert.deepEqual(applyPrefixOverrides({ cw: { prefix: "monitoring", operations: { a: "A" }, waiters: {} }, ecs: { prefix: "ecs", operations: {}, waiters: {} } }), {
    cw: { prefix: "cloudwatch", operations: { a: "A" }, waiters: {} },
    ecs: { prefix: "ecs", operations: {}, waiters: {} },
  });
  // A service the server's botocore does not know is left out (its clients fail before any request).
  const models = readModels(testPython(), ["ecs", "no-such-service"]);
  assert.deepEqual(Object.keys(models), ["ecs"]);
  assert.equal(models.ecs?.operations.list_tasks, "ListTasks");
  assert.throws(() => readModels("/nonexistent/python3", ["ecs"]), (e: unknown) => e instanceof XaError && e.code === "botocore-not-found" && e.exitCode === 1 && e.message.includes("/nonexistent/python3"));
});

test("installedVersion: the distribution's .dist-info beside the package, names compared as pip normalises them", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "xaccount-derive-"));
  try {
    assert.equal(installedVersion(path.join(dir, "missing"), "awslabs.ecs-mcp-server"), "unknown");
    assert.equal(installedVersion(dir, "awslabs.ecs-mcp-server"), "unknown");
    mkdirSync(path.join(dir, "awslabs_other_mcp_server-9.9.dist-info"));
    mkdirSync(path.join(dir, "awslabs_ecs_mcp_server-0.1.37.dist-info"));
    writeFileSync(path.join(dir, "awslabs_ecs_mcp_server-0.1.0.txt"), "");
    assert.equal(installedVersion(dir, "awslabs.ecs-mcp-server"), "0.1.37");
    assert.equal(installedVersion(dir, "AWSLabs.ECS-MCP-Server"), "0.1.37");
    assert.equal(installedVersion(dir, "awslabs.other-mcp-server"), "9.9");
    assert.equal(installedVersion(dir, "awslabs.cdk-mcp-server"), "unknown");
    // A .dist-info named with the distribution's own dots and dashes (older installers) is found too.
    mkdirSync(path.join(dir, "awslabs.cdk-mcp-server-1.2.dist-info"));
    assert.equal(installedVersion(dir, "awslabs_cdk_mcp_server"), "1.2");
    // A folder that only starts like a .dist-info (a backup left beside it) is no version.
    mkdirSync(path.join(dir, "awslabs_iac_mcp_server-3.0.dist-info.old"));
    assert.equal(installedVersion(dir, "awslabs.iac-mcp-server"), "unknown");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
