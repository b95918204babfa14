/**
 * How AWS failures become coded errors (src/aws/errors.ts, stackset-errors.ts, organizations.ts): every
 * error name each class lists, the message-based rules, the order between them, who the message says was
 * refused, and the exit codes. Pure: errors are built as the SDK throws them, nothing is sent.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { XaError } from "../src/errors.js";
import { awsCall, errorName, explainAwsError, isNotFound } from "../src/aws/errors.js";
import { explainStackSetError, notAdminError, trustedAccessError } from "../src/aws/stackset-errors.js";
import { explainOrgError, ouId } from "../src/aws/organizations.js";
import { codeOf } from "./helpers/errors.js";

/** An error as the SDK throws it: an Error with the service's error name. */
const sdkError = (name: string, message = "the service said no", extra: Record<string, unknown> = {}): Error =>
  Object.assign(new Error(message), { name }, extra);

const explain = (err: unknown, ctx = {}): XaError => explainAwsError(err, "iam:GetRole", "role R", ctx);

test("errorName: the SDK's name, else an XML Code, else a Node code, else Error", () => {
  assert.equal(errorName({ name: "NoSuchEntity", Code: "x", code: "y" }), "NoSuchEntity");
  assert.equal(errorName({ Code: "Throttling", code: "y" }), "Throttling");
  assert.equal(errorName({ code: "ECONNREFUSED" }), "ECONNREFUSED");
  assert.equal(errorName({}), "Error");
  assert.equal(errorName(undefined), "Error");
  assert.equal(errorName(null), "Error");
});

test("isNotFound: IAM's two spellings of a missing entity, nothing else", () => {
  assert.equal(isNotFound(sdkError("NoSuchEntity")), true);
  assert.equal(isNotFound(sdkError("NoSuchEntityException")), true);
  assert.equal(isNotFound({ Code: "NoSuchEntity" }), true);
  for (const other of ["AccessDenied", "NoSuchBucket", "Error", "EntityAlreadyExists"]) assert.equal(isNotFound(sdkError(other)), false, other);
  assert.equal(isNotFound(undefined), false);
});

test("every refusal name is aws-access-denied (exit 1), naming the action, the resource and who was refused", () => {
  for (const name of ["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess"]) {
    const e = explain(sdkError(name, "User: x is not authorized"));
    assert.equal(e.code, "aws-access-denied", name);
    assert.equal(e.exitCode, 1);
    assert.match(e.message, /iam:GetRole/);
    assert.match(e.message, /role R/);
    assert.match(e.hint ?? "", /iam:GetRole/);
  }
  // Who: the caller when known, else the profile's credentials, else the current ones.
  assert.match(explain(sdkError("AccessDenied"), { caller: "arn:aws:iam::123456789012:user/alice", profile: "dev" }).message, /^arn:aws:iam::123456789012:user\/alice may not/);
  assert.match(explain(sdkError("AccessDenied"), { profile: "dev" }).message, /^the credentials of profile dev may not/);
  assert.match(explain(sdkError("AccessDenied"), { profile: "dev" }).hint ?? "", /\(profile dev\)/);
  assert.match(explain(sdkError("AccessDenied")).message, /^the current credentials may not/);
  assert.doesNotMatch(explain(sdkError("AccessDenied")).hint ?? "", /\(profile/);
  // A refusal wins over a message that would otherwise read as expired credentials.
  assert.equal(explain(sdkError("AccessDenied", "the session token expired")).code, "aws-access-denied");
});

test("expired credentials: by name, or a message that says expired/refresh failed about a token, SSO or session", () => {
  for (const name of ["ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"]) {
    const e = explain(sdkError(name, "gone"));
    assert.equal(e.code, "aws-credentials", name);
    assert.equal(e.exitCode, 1);
  }
  for (const message of ["The SSO session associated with this profile has expired", "Token refresh failed", "The security TOKEN included in the request is EXPIRED"]) {
    assert.equal(explain(sdkError("SomethingElse", message)).code, "aws-credentials", message);
  }
  // Both halves are needed: expired without a token/SSO/session, or a token that did not expire, are not.
  assert.equal(explain(sdkError("SomethingElse", "the certificate expired")).code, "aws-error");
  assert.equal(explain(sdkError("SomethingElse", "the session is busy")).code, "aws-error");
  // The message shown is the first line of AWS's.
  const e = explain(sdkError("ExpiredToken", "The token expired\nsecond line with details"));
  assert.match(e.message, /The token expired$/);
  assert.doesNotMatch(e.message, /second line/);
  assert.match(explain(sdkError("ExpiredToken", "x"), { profile: "dev" }).message, /\(profile dev\)/);
});

test("credentials AWS rejects: each name, the name shown", () => {
  for (const name of ["InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "InvalidAccessKeyId", "IncompleteSignature"]) {
    const e = explain(sdkError(name, "no"));
    assert.equal(e.code, "aws-credentials", name);
    assert.match(e.message, new RegExp(name));
  }
  // No profile: nothing said about one.
  assert.equal(explain(sdkError("InvalidClientTokenId", "no")).message, "AWS rejected the credentials (InvalidClientTokenId)");
  assert.equal(explain(sdkError("InvalidClientTokenId", "no"), { profile: "dev" }).message, "AWS rejected the credentials (profile dev) (InvalidClientTokenId)");
});

test("no credentials at all: the provider's error or its messages; the hint names the profile when there is one", () => {
  const cases = [
    sdkError("CredentialsProviderError", "nothing"),
    sdkError("Error", "Could not load credentials from any providers"),
    sdkError("Error", "Profile dev could not be found in the config file"),
    sdkError("Error", "could not resolve credentials using profile"),
  ];
  for (const err of cases) assert.equal(explain(err).code, "aws-credentials", err.message);
  const none = explain(cases[0]);
  assert.match(none.message, /^no AWS credentials found: nothing$/);
  assert.match(none.hint ?? "", /--profile/);
  const dev = explain(cases[0], { profile: "dev" });
  assert.match(dev.message, /^no usable credentials for profile dev: nothing$/);
  assert.match(dev.hint ?? "", /aws sso login --profile dev/);
  assert.equal(explain(sdkError("Error", "Profile dev is fine")).code, "aws-error");
});

test("throttling after the SDK's retries: aws-throttled, each name", () => {
  for (const name of ["Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"]) {
    const e = explain(sdkError(name));
    assert.equal(e.code, "aws-throttled", name);
    assert.equal(e.exitCode, 1);
    assert.match(e.message, /iam:GetRole/);
  }
});

test("unreachable endpoints: by name, by a Node error code, or by the message; the endpoint shown when set", () => {
  for (const name of ["ECONNREFUSED", "ENOTFOUND", "ETIMEDOUT", "ECONNRESET", "EAI_AGAIN", "TimeoutError"]) {
    assert.equal(explain(sdkError(name)).code, "aws-unreachable", name);
    assert.equal(explain(Object.assign(new Error("x"), { code: name })).code, "aws-unreachable", `code ${name}`);
  }
  for (const message of ["connect ECONNREFUSED 127.0.0.1:1", "getaddrinfo ENOTFOUND iam.amazonaws.com", "getaddrinfo EAI_AGAIN x", "socket hang up"]) {
    assert.equal(explain(sdkError("Error", message)).code, "aws-unreachable", message);
  }
  const saved = process.env.AWS_ENDPOINT_URL;
  try {
    process.env.AWS_ENDPOINT_URL = "http://127.0.0.1:9";
    assert.match(explain(sdkError("ECONNREFUSED", "refused")).message, /at AWS_ENDPOINT_URL=http:\/\/127\.0\.0\.1:9 for iam:GetRole: refused$/);
    delete process.env.AWS_ENDPOINT_URL;
    assert.match(explain(sdkError("ECONNREFUSED", "refused")).message, /^could not reach AWS for iam:GetRole: refused$/);
  } finally {
    if (saved === undefined) delete process.env.AWS_ENDPOINT_URL;
    else process.env.AWS_ENDPOINT_URL = saved;
  }
});

test("a policy IAM rejects is policy-rejected; anything else is aws-error with AWS's name and message", () => {
  for (const name of ["MalformedPolicyDocument", "MalformedPolicyDocumentException"]) {
    const e = explain(sdkError(name, "Invalid principal in policy"));
    assert.equal(e.code, "policy-rejected", name);
    assert.match(e.message, /Invalid principal in policy/);
  }
  const other = explain(sdkError("LimitExceeded", "too many roles\nmore"));
  assert.equal(other.code, "aws-error");
  assert.equal(other.exitCode, 1);
  assert.equal(other.message, "iam:GetRole on role R failed: LimitExceeded: too many roles");
  // Something that is not an Error at all: its text is the message.
  assert.equal(explain("plain text").message, "iam:GetRole on role R failed: Error: plain text");
  assert.equal(explain(undefined).code, "aws-error");
  // An XaError already explained is passed through as it is.
  const mine = new XaError("role-name-invalid", "bad");
  assert.equal(explain(mine), mine);
});

test("awsCall: the call's value, or its failure explained with the action and resource", async () => {
  assert.equal(await awsCall("sts:GetCallerIdentity", "the caller", {}, async () => 42), 42);
  await assert.rejects(
    awsCall("iam:PutRolePolicy", "role R (policy p)", { caller: "arn:aws:iam::123456789012:user/bob" }, async () => { throw sdkError("AccessDenied"); }),
    (e: unknown) => e instanceof XaError && e.code === "aws-access-denied" && e.message === "arn:aws:iam::123456789012:user/bob may not call iam:PutRolePolicy on role R (policy p)",
  );
});

// ---- StackSets ----

const stackSetCode = (name: string, message: string): string => explainStackSetError(sdkError(name, message), "cloudformation:CreateStackSet", "s").code;

test("StackSets: busy and not-empty by name; the validation refusals told apart by their message, for each error name", () => {
  const busy = explainStackSetError(sdkError("OperationInProgressException", "in progress"), "cloudformation:UpdateStackSet", "my-set");
  assert.equal(busy.code, "stackset-busy");
  assert.equal(busy.exitCode, 1);
  assert.equal(stackSetCode("StackSetNotEmptyException", "x"), "stackset-not-empty");
  for (const name of ["ValidationError", "ValidationException", "InvalidOperationException"]) {
    assert.equal(stackSetCode(name, "You must enable organizations access to operate a service managed stack set"), "stackset-trusted-access", name);
    assert.equal(stackSetCode(name, "Account 111111111111 is not registered as a delegated administrator"), "stackset-not-admin", name);
    assert.equal(stackSetCode(name, "OrganizationalUnit ou-ab12-cdef3456 not found"), "ou-not-found", name);
    assert.equal(stackSetCode(name, "Template format error: unsupported"), "aws-error", name);
  }
  // The message rules apply to validation errors only: the same text under another name is explained as usual.
  assert.equal(stackSetCode("AccessDenied", "trusted access is not enabled"), "aws-access-denied");
  assert.equal(stackSetCode("SomethingElse", "OrganizationalUnit ou-x not found"), "aws-error");
});

test("StackSets: each wording of trusted access, of a caller that is not an administrator, and of a missing OU", () => {
  for (const m of ["organizations access is not enabled", "Trusted access is off", "Enable the access to AWS Organizations first", "AWSServiceAccess missing"]) {
    assert.equal(stackSetCode("ValidationError", m), "stackset-trusted-access", m);
  }
  for (const m of ["not yet registered as an admin", "the account is not registered for StackSets", "not a delegated admin", "must be called from the management account", "only the master account may", "caller is not authorized as a StackSets admin", "account is not registered as a StackSets administrator"]) {
    assert.equal(stackSetCode("ValidationError", m), "stackset-not-admin", m);
  }
  for (const m of ["OrganizationalUnit does not exist", "Organizational Unit ou-x does not exist", "OU ou-x doesn't exist", "root r-x is invalid", "OrganizationalUnit ou-y not found"]) {
    assert.equal(stackSetCode("ValidationError", m), "ou-not-found", m);
  }
  const missing = explainStackSetError(sdkError("ValidationError", "OU ou-x not found"), "cloudformation:CreateStackInstances", "s");
  assert.equal(missing.exitCode, 2, "a missing OU is bad input");
  // Trusted access is checked before the administrator rule (a message can match both).
  assert.equal(stackSetCode("ValidationError", "trusted access with the management account is not enabled"), "stackset-trusted-access");
  assert.equal(stackSetCode("ValidationError", "the management account: root r-x not found"), "stackset-not-admin");
  // Not an Error at all: its text is read.
  assert.equal(explainStackSetError(undefined, "a", "s").code, "aws-error");
  assert.equal(explainStackSetError("trusted access is off", "a", "s").code, "aws-error");
  // Only the first line of the message is read.
  assert.equal(stackSetCode("ValidationError", "Template error\ntrusted access"), "aws-error");
  // Other errors are explained with the stack set as the resource.
  assert.match(explainStackSetError(sdkError("Throttling"), "cloudformation:DescribeStackSet", "my-set").message, /cloudformation:DescribeStackSet/);
  assert.match(explainStackSetError(sdkError("Weird", "odd"), "cloudformation:DescribeStackSet", "my-set").message, /on stack set my-set failed: Weird: odd/);
  assert.match(explainStackSetError(sdkError("AccessDenied"), "cloudformation:DescribeStackSet", "my-set", { profile: "dev" }).message, /profile dev/);
});

test("StackSets: the shared errors carry their detail and codes", () => {
  const t = trustedAccessError("said so");
  assert.equal(t.code, "stackset-trusted-access");
  assert.equal(t.exitCode, 1);
  assert.match(t.message, /said so/);
  const n = notAdminError("account 1 is not the management account 2");
  assert.equal(n.code, "stackset-not-admin");
  assert.match(n.message, /account 1 is not the management account 2/);
  assert.match(explainStackSetError(sdkError("ValidationError", "organizations access is off"), "a", "s").message, /organizations access is off/);
  assert.match(explainStackSetError(sdkError("ValidationError", "not a delegated admin"), "cloudformation:CreateStackSet", "s").message, /cloudformation:CreateStackSet was refused: not a delegated admin/);
});

// ---- Organizations ----

test("OU ids: Organizations' own patterns for a root or an OU, whole value", () => {
  for (const ok of ["r-ab12", "r-" + "a".repeat(32), "ou-ab12-cdef3456", "ou-" + "0".repeat(32) + "-" + "z".repeat(32)]) assert.equal(ouId(ok), ok);
  for (const bad of ["", "r-ab1", "r-" + "a".repeat(33), "R-ab12", "ou-ab12-cdef345", "ou-abc-cdef3456", "ou-ab12-CDEF3456", " ou-ab12-cdef3456", "ou-ab12-cdef3456 ", "x-ab12", "r-ab12-cdef3456x", "ou-ab12cdef3456"]) {
    assert.equal(codeOf(() => ouId(bad)), "ou-id-invalid/2", JSON.stringify(bad));
  }
  assert.match((() => { try { ouId("nope", "--target"); } catch (e) { return (e as Error).message; } return ""; })(), /^--target "nope"/);
  assert.match((() => { try { ouId("nope"); } catch (e) { return (e as Error).message; } return ""; })(), /^--ou "nope"/);
});

test("Organizations errors: not in use, refused (by name or a bare 403), a missing OU only when listing one", () => {
  const ou = { kind: "ou" as const, id: "ou-ab12-cdef3456" };
  const org = { kind: "org" as const };
  const notInUse = explainOrgError(sdkError("AWSOrganizationsNotInUseException"), "organizations:DescribeOrganization", org, undefined);
  assert.equal(notInUse.code, "org-not-in-use");
  assert.equal(notInUse.exitCode, 1);
  assert.match(notInUse.message, /^the current credentials belong/);
  assert.match(explainOrgError(sdkError("AWSOrganizationsNotInUseException"), "a", org, "dev").message, /^the credentials of profile dev belong/);
  for (const err of [sdkError("AccessDeniedException"), sdkError("AccessDenied"), { name: "Unknown", $metadata: { httpStatusCode: 403 } }, { name: "Unknown", $response: { statusCode: 403 } }]) {
    const e = explainOrgError(err, "organizations:ListAccounts", org, undefined);
    assert.equal(e.code, "org-access-denied", JSON.stringify(err));
    assert.match(e.message, /may not call organizations:ListAccounts/);
  }
  assert.equal(explainOrgError({ name: "Unknown", $metadata: { httpStatusCode: 500 } }, "a", org, undefined).code, "aws-error");
  assert.equal(explainOrgError({ name: "Unknown", $metadata: {}, $response: { statusCode: 403 } }, "a", org, undefined).code, "org-access-denied");
  for (const name of ["ParentNotFoundException", "OrganizationalUnitNotFoundException"]) {
    const e = explainOrgError(sdkError(name), "organizations:ListAccountsForParent", ou, undefined);
    assert.equal(e.code, "ou-not-found", name);
    assert.equal(e.exitCode, 2);
    assert.match(e.message, /ou-ab12-cdef3456/);
    assert.equal(explainOrgError(sdkError(name), "organizations:ListAccounts", org, undefined).code, "aws-error", `${name} for the whole organization`);
  }
  // The rest, as any AWS call: the OU, or the organization, as the resource; the profile passed on.
  assert.match(explainOrgError(sdkError("Weird", "odd"), "organizations:ListAccountsForParent", ou, undefined).message, /^organizations:ListAccountsForParent on ou-ab12-cdef3456 failed: Weird: odd$/);
  assert.match(explainOrgError(sdkError("Weird", "odd"), "organizations:ListAccounts", org, undefined).message, /on the organization failed/);
  assert.match(explainOrgError(sdkError("ExpiredToken", "old"), "organizations:ListAccounts", org, "dev").message, /\(profile dev\)/);
});
