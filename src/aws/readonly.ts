/**
 * The read-only calls `xaccount test` makes in each account with the assumed role: the same services
 * the ECS and IaC servers read, so a missing permission in the role shows here, not in the middle of
 * a tool call. SDK modules are loaded lazily.
 */
import type { AwsCredentialIdentity } from "@aws-sdk/types";

export interface StackSummary {
  name: string;
  id: string;
  status: string;
}

/** Every cluster ARN in the account and region (all pages). */
export async function listClusters(region: string, credentials: AwsCredentialIdentity): Promise<string[]> {
  const { ECSClient, paginateListClusters } = await import("@aws-sdk/client-ecs");
  const client = new ECSClient({ region, credentials });
  try {
    const arns: string[] = [];
    for await (const page of paginateListClusters({ client }, {})) arns.push(...(page.clusterArns ?? []));
    return arns;
  } finally {
    client.destroy();
  }
}

/** Stacks that still exist (ListStacks also returns deleted ones for 90 days; those are left out). */
export async function listStacks(region: string, credentials: AwsCredentialIdentity): Promise<StackSummary[]> {
  const { CloudFormationClient, paginateListStacks } = await import("@aws-sdk/client-cloudformation");
  const client = new CloudFormationClient({ region, credentials });
  try {
    const stacks: StackSummary[] = [];
    for await (const page of paginateListStacks({ client }, {})) {
      for (const s of page.StackSummaries ?? []) {
        if (s.StackStatus === "DELETE_COMPLETE") continue;
        stacks.push({ name: s.StackName ?? "", id: s.StackId ?? "", status: s.StackStatus ?? "" });
      }
    }
    return stacks;
  } finally {
    client.destroy();
  }
}

/** The account id inside an ARN (arn:partition:service:region:ACCOUNT:...), or undefined. */
export function accountOfArn(arn: string): string | undefined {
  const parts = arn.split(":");
  return parts.length >= 6 && parts[0] === "arn" ? parts[4] : undefined;
}
