/**
 * The permission documents of the role that the patched servers assume, as data.
 *
 * Each set lists explicit read actions (never `service:*`, never a wildcard verb) derived from what the
 * patched tools call. They were read off the servers' own boto3 calls (awslabs.ecs-mcp-server 0.1.37 and
 * awslabs.aws-iac-mcp-server 1.0.26): the ECS resource-management tool's Describe/List operations, the
 * troubleshooting tools (CloudFormation stack status and events, task and service state, VPC/subnet/route
 * lookups, load balancer and target health, task logs, ECR image checks), and the IaC deployment
 * troubleshooter (stacks, stack events, CloudTrail). Nothing in iam or sts: the servers' ECR-push and
 * IAM-role checks are part of their write/containerize paths, which a read-only role must not serve.
 */

export const SERVER_SETS = ["ecs", "iac"] as const;
export type ServerSet = (typeof SERVER_SETS)[number];

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: "*";
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** Actions by statement, per server set. Sids name what the statement is for, for whoever audits it. */
const ACTIONS: Record<ServerSet, Record<string, string[]>> = {
  ecs: {
    EcsRead: [
      "ecs:DescribeCapacityProviders",
      "ecs:DescribeClusters",
      "ecs:DescribeContainerInstances",
      "ecs:DescribeExpressGatewayService",
      "ecs:DescribeServiceDeployments",
      "ecs:DescribeServiceRevisions",
      "ecs:DescribeServices",
      "ecs:DescribeTaskDefinition",
      "ecs:DescribeTaskSets",
      "ecs:DescribeTasks",
      "ecs:ListAccountSettings",
      "ecs:ListAttributes",
      "ecs:ListClusters",
      "ecs:ListContainerInstances",
      "ecs:ListServiceDeployments",
      "ecs:ListServices",
      "ecs:ListServicesByNamespace",
      "ecs:ListTagsForResource",
      "ecs:ListTaskDefinitionFamilies",
      "ecs:ListTaskDefinitions",
      "ecs:ListTasks",
    ],
    NetworkRead: [
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeRouteTables",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeSubnets",
      "ec2:DescribeVpcs",
      "elasticloadbalancing:DescribeListeners",
      "elasticloadbalancing:DescribeLoadBalancers",
      "elasticloadbalancing:DescribeRules",
      "elasticloadbalancing:DescribeTargetGroups",
      "elasticloadbalancing:DescribeTargetHealth",
    ],
    LogsRead: ["logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:FilterLogEvents", "logs:GetLogEvents"],
    ImagesRead: ["ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:ListImages"],
    StacksRead: [
      "cloudformation:DescribeStackEvents",
      "cloudformation:DescribeStackResources",
      "cloudformation:DescribeStacks",
      "cloudformation:GetTemplate",
      "cloudformation:ListStackResources",
    ],
  },
  iac: {
    StacksRead: [
      "cloudformation:DescribeEvents",
      "cloudformation:DescribeStackEvents",
      "cloudformation:DescribeStackResources",
      "cloudformation:DescribeStacks",
      "cloudformation:GetTemplate",
      "cloudformation:ListStackResources",
    ],
    CloudTrailRead: ["cloudtrail:LookupEvents"],
  },
};

/**
 * The reads `xaccount test` makes with the role in each account (src/aws/readonly.ts), granted by every set:
 * the smoke test of a role made with `--server iac` must not fail on the ECS read, nor the reverse.
 */
export const SMOKE_TEST_ACTIONS = { listClusters: "ecs:ListClusters", listStacks: "cloudformation:ListStacks" } as const;
const SMOKE_SID = "XaccountTestRead";

/** Prefix of the inline policies xaccount owns on the role; others are left alone. */
export const POLICY_PREFIX = "xaccount-";

export function policyName(set: ServerSet): string {
  return `${POLICY_PREFIX}${set}-read-only`;
}

export function permissionPolicy(set: ServerSet): PolicyDocument {
  const statements: PolicyStatement[] = Object.entries(ACTIONS[set]).map(([sid, actions]) => ({
    Sid: sid,
    Effect: "Allow",
    Action: [...actions],
    Resource: "*",
  }));
  const granted = new Set(statements.flatMap((s) => s.Action));
  const smoke = Object.values(SMOKE_TEST_ACTIONS).filter((a) => !granted.has(a)).sort();
  if (smoke.length) statements.push({ Sid: SMOKE_SID, Effect: "Allow", Action: smoke, Resource: "*" });
  return { Version: "2012-10-17", Statement: statements };
}

/** The inline policies the role should carry for these server sets, by policy name. */
export function permissionPolicies(sets: readonly ServerSet[]): Map<string, PolicyDocument> {
  const out = new Map<string, PolicyDocument>();
  for (const set of SERVER_SETS) if (sets.includes(set)) out.set(policyName(set), permissionPolicy(set));
  return out;
}
