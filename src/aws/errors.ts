/**
 * Turns SDK errors into XaErrors a person can act on: which permission is missing, which credentials are
 * wrong, which endpoint is unreachable. Every AWS call in src/aws goes through `awsCall`, which knows the
 * IAM action it needs, so AccessDenied can name it even when AWS's own message does not.
 */
import { XaError, failure } from "../errors.js";

interface SdkErrorLike {
  name?: string;
  message?: string;
  code?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

const ACCESS_DENIED = new Set(["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess"]);
const BAD_CREDENTIALS = new Set(["InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "InvalidAccessKeyId", "IncompleteSignature"]);
const EXPIRED = new Set(["ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"]);
const THROTTLED = new Set(["Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"]);
const NETWORK = new Set(["ECONNREFUSED", "ENOTFOUND", "ETIMEDOUT", "ECONNRESET", "EAI_AGAIN", "TimeoutError"]);

export function errorName(err: unknown): string {
  const e = (err ?? {}) as SdkErrorLike;
  return e.name ?? e.Code ?? e.code ?? "Error";
}

export function isNotFound(err: unknown): boolean {
  return errorName(err) === "NoSuchEntity" || errorName(err) === "NoSuchEntityException";
}

/** Who is calling, for messages; filled in once GetCallerIdentity has answered. */
export interface CallContext {
  caller?: string | undefined;
  profile?: string | undefined;
}

export function explainAwsError(err: unknown, action: string, resource: string, ctx: CallContext = {}): XaError {
  if (err instanceof XaError) return err;
  const name = errorName(err);
  const e = (err ?? {}) as SdkErrorLike;
  const message = (e.message ?? String(err)).split("\n")[0] ?? "";
  const who = ctx.caller ?? (ctx.profile ? `the credentials of profile ${ctx.profile}` : "the current credentials");
  const profileFlag = ctx.profile ? ` (profile ${ctx.profile})` : "";

  if (ACCESS_DENIED.has(name)) {
    return failure(
      "aws-access-denied",
      `${who} may not call ${action} on ${resource}`,
      `grant ${action} to that identity${profileFlag}, or run with credentials that have it (\`--profile <name>\`)`,
    );
  }
  if (EXPIRED.has(name) || /expired|refresh failed/i.test(message) && /token|sso|session/i.test(message)) {
    return failure("aws-credentials", `the credentials${profileFlag} have expired: ${message}`, "refresh them (e.g. `aws sso login`) and run again");
  }
  if (BAD_CREDENTIALS.has(name)) {
    return failure("aws-credentials", `AWS rejected the credentials${profileFlag} (${name})`, "check the access key, or the profile's settings, and the region's partition");
  }
  if (name === "CredentialsProviderError" || /could not load credentials|profile .* could not be found|could not resolve credentials/i.test(message)) {
    return failure(
      "aws-credentials",
      ctx.profile ? `no usable credentials for profile ${ctx.profile}: ${message}` : `no AWS credentials found: ${message}`,
      ctx.profile
        ? `check that profile ${ctx.profile} exists in the AWS config or credentials file (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE) and can get credentials (e.g. \`aws sso login --profile ${ctx.profile}\`)`
        : "configure credentials (environment, `aws configure`, `aws sso login`) or pass --profile",
    );
  }
  if (THROTTLED.has(name)) {
    return failure("aws-throttled", `AWS throttled ${action} even after retries`, "wait a minute and run again; the command is safe to rerun");
  }
  if (NETWORK.has(name) || NETWORK.has(e.code ?? "") || /ECONNREFUSED|ENOTFOUND|getaddrinfo|socket hang up/.test(message)) {
    const endpoint = process.env.AWS_ENDPOINT_URL ? ` at AWS_ENDPOINT_URL=${process.env.AWS_ENDPOINT_URL}` : "";
    return failure("aws-unreachable", `could not reach AWS${endpoint} for ${action}: ${message}`, "check the network, proxy settings and AWS_ENDPOINT_URL");
  }
  if (name === "MalformedPolicyDocument" || name === "MalformedPolicyDocumentException") {
    return failure(
      "policy-rejected",
      `IAM rejected a policy document in ${action}: ${message}`,
      "a trusted principal that does not exist (or a role ARN with the wrong path) is the usual cause: check each --trust-principal",
    );
  }
  return failure("aws-error", `${action} on ${resource} failed: ${name}: ${message}`, "run again; if it persists, check the AWS service health and your permissions");
}

/** Runs one SDK call, mapping any failure to an XaError that names the IAM action. */
export async function awsCall<T>(action: string, resource: string, ctx: CallContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw explainAwsError(err, action, resource, ctx);
  }
}
