/**
 * STS helpers shared by create-role and test: who am I, and "assume role R in account X (with external
 * id E) and give me credentials for read-only calls there".
 */
import { usageError, failure } from "../errors.js";
import { stsClient, type AwsTarget } from "./clients.js";
import { awsCall, errorName, explainAwsError } from "./errors.js";
import { partitionOfRegion, roleArn } from "./trust.js";
import * as validate from "./validate.js";

export interface CallerIdentity {
  account: string;
  arn: string;
  userId: string;
}

export async function callerIdentity(target: AwsTarget): Promise<CallerIdentity> {
  const sts = await stsClient(target);
  const { GetCallerIdentityCommand } = await import("@aws-sdk/client-sts");
  const id = await awsCall("sts:GetCallerIdentity", "the caller", { profile: target.profile }, () =>
    sts.send(new GetCallerIdentityCommand({})),
  );
  return { account: id.Account ?? "", arn: id.Arn ?? "", userId: id.UserId ?? "" };
}

export interface AssumeRoleOptions extends AwsTarget {
  /** Exactly 12 ASCII digits. */
  accountId: string;
  /** Default McpReadOnlyRole. */
  roleName?: string | undefined;
  externalId?: string | undefined;
  /** Default `xaccount-<pid>`; sanitised to STS's charset. */
  sessionName?: string | undefined;
  /** 900..43200, default 900 (a smoke test needs minutes, not hours). */
  durationSeconds?: number | undefined;
}

export interface AssumedRole {
  accountId: string;
  roleArn: string;
  /** The assumed-role session ARN AWS reports. */
  sessionArn: string;
  region: string | undefined;
  expiration: Date | undefined;
  /** Pass as `new AnyClient(assumed.clientConfig)` to make calls in that account. */
  clientConfig: {
    region: string | undefined;
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration?: Date };
  };
}

export const DEFAULT_ROLE_NAME = "McpReadOnlyRole";

/**
 * Assumes `roleName` in `accountId` with the default chain's (or `profile`'s) credentials. Inputs are
 * validated before any call (usage errors, exit 2). AccessDenied becomes a failure naming the role ARN,
 * the caller and the fix.
 */
export async function assumeRoleInAccount(opts: AssumeRoleOptions): Promise<AssumedRole> {
  const accountId = validate.accountId(opts.accountId, "account");
  const roleName = validate.roleName(opts.roleName ?? DEFAULT_ROLE_NAME, "role name");
  const externalId = opts.externalId === undefined ? undefined : validate.externalId(opts.externalId);
  const duration = opts.durationSeconds ?? 900;
  if (!Number.isInteger(duration) || duration < 900 || duration > 43200) {
    throw usageError("duration-invalid", `session duration ${duration} must be 900..43200 seconds`);
  }
  const sessionName = (opts.sessionName ?? `xaccount-${process.pid}`).replace(/[^A-Za-z0-9_+=,.@-]/g, "-").slice(0, 64).padEnd(2, "-");
  const arn = roleArn(partitionOfRegion(opts.region), accountId, "/", roleName);

  const sts = await stsClient(opts);
  const { AssumeRoleCommand } = await import("@aws-sdk/client-sts");
  let out;
  try {
    out = await sts.send(new AssumeRoleCommand({
      RoleArn: arn,
      RoleSessionName: sessionName,
      DurationSeconds: duration,
      ...(externalId ? { ExternalId: externalId } : {}),
    }));
  } catch (err) {
    if (errorName(err) === "AccessDenied") {
      const caller = await callerIdentity(opts).then((c) => c.arn, () => "the current credentials");
      throw failure(
        "assume-role-denied",
        `${caller} may not assume ${arn}${externalId ? " with the given external id" : ""}`,
        `in account ${accountId}, run \`xaccount create-role --trust-principal ${caller.startsWith("arn:") ? caller : "<your ARN>"}${externalId ? " --external-id <id>" : ""}\` (or fix the role's trust policy), and make sure the caller may call sts:AssumeRole on it`,
      );
    }
    throw explainAwsError(err, "sts:AssumeRole", arn, { profile: opts.profile });
  }
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
    throw failure("aws-error", `sts:AssumeRole on ${arn} returned no credentials`);
  }
  const credentials = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, ...(c.Expiration ? { expiration: c.Expiration } : {}) };
  const region = opts.region ?? (await sts.config.region());
  return {
    accountId,
    roleArn: arn,
    sessionArn: out.AssumedRoleUser?.Arn ?? "",
    region,
    expiration: c.Expiration,
    clientConfig: { region, credentials },
  };
}
