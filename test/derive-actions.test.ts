/**
 * Deriving the role's actions from a server's code: the tree-sitter analysis (pure, on small sources) and
 * the mapping to IAM actions with botocore's models (the test virtualenv's botocore, as a server's would be).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { analyze } from "../src/aws/derive/analyze.js";
import { classify, toActions } from "../src/aws/derive/actions.js";
import { readModels } from "../src/aws/derive/models.js";
import { testPython } from "./helpers/moto.js";

const SOURCE = `
import boto3
from .aws import get_aws_client as aws_get_aws_client

SUPPORTED_OPS = ["ListClusters", "DescribeServices", "CreateCluster", "ListNoSuchThing"]

class Troubleshooter:
    def __init__(self, region):
        self.cfn_client = boto3.Session().client("cloudformation", region_name=region)

    def run(self, name):
        self.cfn_client.describe_stacks(StackName=name)
        self.cfn_client.delete_stack(StackName=name)

async def helpers(ecs_client=None):
    ecs = ecs_client or await aws_get_aws_client("ecs")
    for page in ecs.get_paginator("list_tasks").paginate(cluster="c"):
        pass
    ec2 = boto3.client(service_name="ec2")
    await get_resource(ec2, "describe_subnets", "not_an_op")
    handle(ec2.describe_vpcs, {})
    logs = boto3.client("logs")
    logs.get_waiter("log_group_exists") if False else None
    sts = boto3.client("sts")
    sts.get_caller_identity()
    something.describe_log_streams(logGroupName="x")
    data = {}
    data.get("x")
`;

const OPTIONS = {
  factories: ["aws_get_aws_client"],
  dispatch: [{ variable: "SUPPORTED_OPS", service: "ecs", readOnly: (op: string) => /^(Describe|List)/.test(op) }],
};

test("analysis: clients by boto3, session and wrapper, followed by name; paginators, references, by-name, dispatch lists", () => {
  const a = analyze([{ path: "tools.py", text: SOURCE }], OPTIONS);
  assert.deepEqual([...a.services].sort(), ["cloudformation", "ec2", "ecs", "logs", "sts"]);
  const calls = a.calls.map((c) => `${c.kind} ${c.services?.join("+") ?? "?"} ${c.method}`);
  for (const want of [
    "call cloudformation describe_stacks", "call cloudformation delete_stack", "paginator ecs list_tasks",
    "by-name ec2 describe_subnets", "reference ec2 describe_vpcs", "call sts get_caller_identity", "call ? describe_log_streams",
  ]) assert.ok(calls.includes(want), `${want} not in\n${calls.join("\n")}`);
  assert.deepEqual(a.dispatched.map((d) => d.operation), ["ListClusters", "DescribeServices", "ListNoSuchThing"]);
  assert.deepEqual(a.dispatchedWrites.map((d) => d.operation), ["CreateCluster"]);
  assert.equal(a.dispatched[0]?.line, 5);
});

test("actions: only reads, mapped through botocore's models (IAM prefix included), writes and iam/sts excluded with their place", () => {
  const analysis = analyze([{ path: "tools.py", text: SOURCE }, { path: "elb.py", text: 'import boto3\nelb = boto3.client("elbv2")\nelb.describe_target_health(TargetGroupArn="x")\n' }], OPTIONS);
  const models = readModels(testPython(), [...analysis.services]);
  const d = toActions("ecs", "9.9", analysis, models);
  assert.deepEqual(d.actions.map((x) => x.action), [
    "cloudformation:DescribeStacks", "ec2:DescribeSubnets", "ec2:DescribeVpcs", "ecs:DescribeServices", "ecs:ListClusters",
    "ecs:ListTasks", "elasticloadbalancing:DescribeTargetHealth", "logs:DescribeLogStreams",
  ]);
  const where = (action: string) => d.actions.find((x) => x.action === action)?.sources[0];
  assert.deepEqual(where("elasticloadbalancing:DescribeTargetHealth"), { file: "elb.py", line: 3, via: "elbv2.describe_target_health()" });
  assert.match(where("logs:DescribeLogStreams")?.via ?? "", /receiver not followed/);
  const excluded = Object.fromEntries(d.excluded.map((e) => [e.action, e.reason]));
  assert.match(excluded["cloudformation:DeleteStack"] ?? "", /not a read/);
  assert.match(excluded["ecs:CreateCluster"] ?? "", /ALLOW_WRITE/);
  assert.match(excluded["sts:GetCallerIdentity"] ?? "", /nothing in sts/);
  assert.match(excluded["ecs:ListNoSuchThing"] ?? "", /not an operation of ecs/);
  assert.equal(d.excluded.find((e) => e.action === "cloudformation:DeleteStack")?.line, 13);
});

test("read verbs: Describe, List, Get, Lookup, Filter, Search, BatchGet; credentials and iam/sts never", () => {
  for (const a of ["ecs:DescribeTasks", "logs:FilterLogEvents", "cloudtrail:LookupEvents", "ecs:ListTasks", "s3:GetObject", "x:SearchThings", "x:BatchGetItems"]) assert.equal(classify(a), undefined, a);
  for (const a of ["ecs:CreateCluster", "ecs:Listen", "ecr:GetAuthorizationToken", "iam:GetRole", "sts:GetCallerIdentity", "ecs:ExecuteCommand"]) assert.notEqual(classify(a), undefined, a);
});
