/**
 * CloudFormation StackSets errors a person can act on. AWS reports most StackSets refusals as a plain
 * ValidationError, told apart only by their message, so the message is matched here (and the rest is
 * explained as for any AWS call).
 */
import { failure, usageError, type XaError } from "../errors.js";
import { errorName, explainAwsError, type CallContext } from "./errors.js";

const TRUSTED_ACCESS = /organizations access|trusted access|enable.*access.*organizations|AWSServiceAccess/i;
const NOT_ADMIN = /delegated admin|management account|master account|not.*(registered|authorized).*(admin|stack ?sets)/i;
const OU_MISSING = /(organizational ?unit|\bOU\b|root).*(not found|does not exist|doesn't exist|invalid)/i;

export function explainStackSetError(err: unknown, action: string, stackSet: string, ctx: CallContext = {}): XaError {
  const name = errorName(err);
  const message = ((err as { message?: string } | undefined)?.message ?? String(err)).split("\n")[0] ?? "";
  if (name === "OperationInProgressException") {
    return failure(
      "stackset-busy",
      `another operation is running on stack set ${stackSet} (${action} refused: ${message})`,
      `wait for it to finish (\`aws cloudformation list-stack-set-operations --stack-set-name ${stackSet}\`), then run again: the command is safe to rerun`,
    );
  }
  if (name === "StackSetNotEmptyException") {
    return failure(
      "stackset-not-empty",
      `stack set ${stackSet} still has stack instances, so it cannot be deleted`,
      "run `xaccount create-role --stackset --delete` again with the OUs it deploys to (--ou/--org); see TROUBLESHOOTING.md",
    );
  }
  if (name === "ValidationError" || name === "ValidationException" || name === "InvalidOperationException") {
    if (TRUSTED_ACCESS.test(message)) return trustedAccessError(message);
    if (NOT_ADMIN.test(message)) return notAdminError(`${action} was refused: ${message}`);
    if (OU_MISSING.test(message)) {
      return usageError("ou-not-found", `${action}: ${message}`, "check the --ou ids (`xaccount accounts --ou <id>` lists what is under one)");
    }
  }
  return explainAwsError(err, action, `stack set ${stackSet}`, ctx);
}

export function trustedAccessError(detail: string): XaError {
  return failure(
    "stackset-trusted-access",
    `trusted access between CloudFormation StackSets and AWS Organizations is not enabled (${detail})`,
    "enable it once from the management account: `aws cloudformation activate-organizations-access` (or the StackSets console), then run again",
  );
}

export function notAdminError(detail: string): XaError {
  return failure(
    "stackset-not-admin",
    `service-managed stack sets are run from the organization's management account or a delegated administrator of StackSets: ${detail}`,
    "from a delegated administrator account pass `--call-as DELEGATED_ADMIN`; otherwise run with the management account's credentials (`--profile <name>`)",
  );
}
