/**
 * The read-only calls `xaccount test` makes in each account with the assumed role: the services the
 * ECS and IaC servers read, so a missing permission in the role shows here, not in the middle of a
 * tool call. SDK modules are loaded lazily; failures become XaErrors naming the action (awsCall).
 */
import type { AssumedRole } from "./sts.js";
import { sdkClient } from "./clients.js";
import { awsCall } from "./errors.js";
import { SMOKE_TEST_ACTIONS } from "./policies.js";

export interface StackSummary {
  name: string;
  id: string;
  status: string;
}

/** Every cluster ARN in the account and region (all pages). */
export async function listClusters(region: string, role: AssumedRole): Promise<string[]> {
  const { ECSClient, paginateListClusters } = await import("@aws-sdk/client-ecs");
  return readIn(ECSClient, SMOKE_TEST_ACTIONS.listClusters, region, role, async (client) => {
    const arns: string[] = [];
    for await (const page of paginateListClusters({ client }, {})) arns.push(...(page.clusterArns ?? []));
    return arns;
  });
}

/** Stacks that still exist (ListStacks also returns deleted ones for 90 days; those are left out). */
export async function listStacks(region: string, role: AssumedRole): Promise<StackSummary[]> {
  const { CloudFormationClient, paginateListStacks } = await import("@aws-sdk/client-cloudformation");
  return readIn(CloudFormationClient, SMOKE_TEST_ACTIONS.listStacks, region, role, async (client) => {
    const stacks: StackSummary[] = [];
    for await (const page of paginateListStacks({ client }, {})) {
      for (const s of page.StackSummaries ?? []) {
        if (s.StackStatus === "DELETE_COMPLETE") continue;
        stacks.push({ name: s.StackName ?? "", id: s.StackId ?? "", status: s.StackStatus ?? "" });
      }
    }
    return stacks;
  });
}

/** Runs `body` with a client of the assumed role in `region`, its errors explained as `action` there. */
async function readIn<C extends { config: { region: () => Promise<string> }; destroy: () => void }, T>(
  Client: Parameters<typeof sdkClient<C>>[0],
  action: string,
  region: string,
  role: AssumedRole,
  body: (client: C) => Promise<T>,
): Promise<T> {
  const client = await sdkClient(Client, { region, credentials: role.clientConfig.credentials });
  try {
    return await awsCall(action, `account ${role.accountId} ${region}`, { caller: role.sessionArn }, () => body(client));
  } finally {
    client.destroy();
  }
}

/** The region the default chain would use (AWS_REGION, profile config), or undefined if none is set. */
export async function configuredRegion(profile?: string): Promise<string | undefined> {
  const { STSClient } = await import("@aws-sdk/client-sts");
  const client = new STSClient(profile ? { profile } : {});
  try {
    return await client.config.region();
  } catch {
    return undefined;
  } finally {
    client.destroy();
  }
}
