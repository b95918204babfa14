/**
 * STS for `xaccount test`: who am I, and AssumeRole the way the vendored runtime does it (same role
 * ARN, external id, session name and duration), so a pass here means the server's call can pass too.
 *
 * The SDK is loaded lazily: other commands should not pay for it at start-up.
 */
import type { AwsCredentialIdentity } from "@aws-sdk/types";

export interface CallerIdentity {
  account: string;
  arn: string;
  userId: string;
}

export interface AssumeRoleRequest {
  accountId: string;
  roleName: string;
  externalId: string | undefined;
  sessionName: string;
  durationSeconds: number;
  region: string;
}

export interface AssumedRole {
  roleArn: string;
  /** The assumed-role ARN STS returned: what CloudTrail will show for the server's calls. */
  assumedRoleArn: string;
  credentials: AwsCredentialIdentity;
}

/** aws, aws-cn or aws-us-gov, from the region: the runtime derives the role ARN's partition the same way. */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

export function roleArn(accountId: string, roleName: string, region: string): string {
  return `arn:${partitionOf(region)}:iam::${accountId}:role/${roleName}`;
}

/** The region the default chain would use (AWS_REGION, profile config), if any. */
export async function configuredRegion(): Promise<string | undefined> {
  const { STSClient } = await import("@aws-sdk/client-sts");
  const client = new STSClient({});
  try {
    return await client.config.region();
  } catch {
    return undefined;
  } finally {
    client.destroy();
  }
}

export async function getCallerIdentity(region: string, credentials?: AwsCredentialIdentity): Promise<CallerIdentity> {
  const { STSClient, GetCallerIdentityCommand } = await import("@aws-sdk/client-sts");
  const client = new STSClient({ region, credentials });
  try {
    const out = await client.send(new GetCallerIdentityCommand({}));
    return { account: out.Account ?? "", arn: out.Arn ?? "", userId: out.UserId ?? "" };
  } finally {
    client.destroy();
  }
}

export async function assumeRole(request: AssumeRoleRequest): Promise<AssumedRole> {
  const { STSClient, AssumeRoleCommand } = await import("@aws-sdk/client-sts");
  const arn = roleArn(request.accountId, request.roleName, request.region);
  // Regional STS endpoint, as the runtime uses: the SDK v3 default for a client with a region.
  const client = new STSClient({ region: request.region });
  try {
    const out = await client.send(
      new AssumeRoleCommand({
        RoleArn: arn,
        RoleSessionName: request.sessionName,
        ExternalId: request.externalId,
        DurationSeconds: request.durationSeconds,
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`AssumeRole into ${arn} returned no credentials`);
    return {
      roleArn: arn,
      assumedRoleArn: out.AssumedRoleUser?.Arn ?? "",
      credentials: {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
      },
    };
  } finally {
    client.destroy();
  }
}
