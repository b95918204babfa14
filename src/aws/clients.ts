/**
 * SDK clients for one target (a profile and a region), loaded lazily so `xaccount --help` and `patch` do
 * not pay for the AWS SDK at start-up.
 *
 * Credentials come from the SDK's default chain (env, shared files, SSO, process, container and instance
 * roles); `profile` is the client's own option, which the default chain honours for both credentials and
 * region. The SDK (v3.1169) reads AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> itself, so an emulator is
 * reached without code here.
 */
import type { IAMClient } from "@aws-sdk/client-iam";
import type { STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentity } from "@smithy/types";

export interface AwsTarget {
  profile?: string | undefined;
  region?: string | undefined;
  /** Explicit credentials (e.g. from an AssumeRole); otherwise the default chain. */
  credentials?: AwsCredentialIdentity | undefined;
}

/** IAM is global; any region of the partition reaches it. Used when nothing configures a region. */
export const FALLBACK_REGION = "us-east-1";

function quietSdk(): void {
  // The SDK warns on stderr that its releases after January 2027 will need Node 22. That says nothing
  // about this run and would read as a failure in a CLI's output; users can still opt back in.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
}

/**
 * The SDK's logger, quiet. With --profile the profile is what the user asked for, so the SDK's warning
 * that AWS_ACCESS_KEY_ID is also set (and ignored) is noise; failures still arrive as exceptions.
 */
const quietLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

interface ClientConfig {
  region?: string | undefined;
  profile?: string | undefined;
  credentials?: AwsCredentialIdentity | undefined;
  logger?: typeof quietLogger;
  retryMode?: string;
}

/**
 * Any SDK client for `target`, quiet. Without a region in the target, the default chain's (env, profile)
 * is used if there is one, else FALLBACK_REGION: IAM and STS work from any region of the partition.
 */
export async function sdkClient<C extends { config: { region: () => Promise<string> } }>(
  Client: new (config: ClientConfig) => C,
  target: AwsTarget,
): Promise<C> {
  quietSdk();
  const make = (region: string | undefined): C =>
    // Adaptive retry: on throttling the client also slows its own sending rate (a token bucket shared by
    // the client's calls), which standard retry's backoff alone does not when many accounts run at once.
    new Client({ region, profile: target.profile, credentials: target.credentials, logger: quietLogger, retryMode: "adaptive" });
  const client = make(target.region);
  if (target.region) return client;
  try {
    await client.config.region();
    return client;
  } catch {
    return make(FALLBACK_REGION);
  }
}

export async function stsClient(target: AwsTarget): Promise<STSClient> {
  return sdkClient((await import("@aws-sdk/client-sts")).STSClient, target);
}

export async function iamClient(target: AwsTarget): Promise<IAMClient> {
  return sdkClient((await import("@aws-sdk/client-iam")).IAMClient, target);
}
