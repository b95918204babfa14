/**
 * The organization's accounts, from AWS Organizations: all of them, or those under one OU (recursively,
 * through its child OUs). Only ACTIVE accounts are listed: a suspended or closing account cannot be
 * assumed into, so listing it would only make `test` fail on it.
 *
 * These calls work from the management account or a delegated administrator; anything else is refused
 * by AWS and reported with its own error code.
 */
import type { OrganizationsClient } from "@aws-sdk/client-organizations";
import { failure, usageError, type XaError } from "../errors.js";
import { sdkClient, type AwsTarget } from "./clients.js";
import { errorName, explainAwsError } from "./errors.js";

export interface OrgAccount {
  id: string;
  name: string;
}

/** Where to list: the whole organization, or one OU (or root) and everything under it. */
export type OrgScope = { kind: "org" } | { kind: "ou"; id: string };

// Organizations' own patterns for a parent id (API reference, ListChildren ParentId): a root or an OU.
const PARENT_ID = /^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/;

/** Refuses a malformed OU id before any call (exit 2). */
export function ouId(text: string, flag = "--ou"): string {
  if (!PARENT_ID.test(text)) {
    throw usageError(
      "ou-id-invalid",
      `${flag} ${JSON.stringify(text)} is not an organizational unit id`,
      "OU ids look like ou-ab12-cdef3456 (a root: r-ab12); list them with `aws organizations list-organizational-units-for-parent`",
    );
  }
  return text;
}

async function organizationsClient(target: AwsTarget): Promise<OrganizationsClient> {
  return sdkClient((await import("@aws-sdk/client-organizations")).OrganizationsClient, target);
}

/** The errors that mean something specific here; the rest are explained as for any AWS call. */
export function explainOrgError(err: unknown, action: string, scope: OrgScope, profile: string | undefined): XaError {
  const name = errorName(err);
  const who = profile ? `the credentials of profile ${profile}` : "the current credentials";
  if (name === "AWSOrganizationsNotInUseException") {
    return failure(
      "org-not-in-use",
      `${who} belong to an account that is not in an AWS Organization`,
      "run with credentials of the organization's management account (or a delegated administrator): `--profile <name>`; or list the accounts with --accounts",
    );
  }
  if (name === "AccessDeniedException" || name === "AccessDenied" || httpStatus(err) === 403) {
    return failure(
      "org-access-denied",
      `${who} may not call ${action}: the organization's accounts can be listed only from its management account or a delegated administrator, with ${action} allowed`,
      "run with credentials of the management account or a delegated administrator (`--profile <name>`), with organizations:DescribeOrganization, ListAccounts, ListAccountsForParent and ListOrganizationalUnitsForParent allowed",
    );
  }
  if ((name === "ParentNotFoundException" || name === "OrganizationalUnitNotFoundException") && scope.kind === "ou") {
    return usageError(
      "ou-not-found",
      `the organization has no OU or root ${scope.id}`,
      "check the id (`aws organizations list-roots`, `list-organizational-units-for-parent`) and that these credentials are of that organization",
    );
  }
  return explainAwsError(err, action, scope.kind === "ou" ? scope.id : "the organization", { profile });
}

/**
 * The HTTP status of a failed call. A 403 whose body the SDK could not parse (an XML AccessDenied from a
 * proxy or an emulator, where Organizations answers JSON) is still a refusal.
 */
function httpStatus(err: unknown): number | undefined {
  const e = (err ?? {}) as { $metadata?: { httpStatusCode?: number }; $response?: { statusCode?: number } };
  return e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
}

function isActive(a: { State?: string | undefined; Status?: string | undefined }): boolean {
  // `State` replaces the deprecated `Status`; an account listed with neither is not known to be usable.
  return (a.State ?? a.Status) === "ACTIVE";
}

/**
 * The ACTIVE accounts in scope, with their names, sorted by name then id (so a listing is stable between
 * runs whatever order AWS pages in). Each page is requested in turn; OUs are walked breadth first.
 */
export async function listOrgAccounts(target: AwsTarget, scope: OrgScope): Promise<OrgAccount[]> {
  const sdk = await import("@aws-sdk/client-organizations");
  const client = await organizationsClient(target);
  const found = new Map<string, OrgAccount>();
  const keep = (accounts: Array<{ Id?: string | undefined; Name?: string | undefined; State?: string | undefined; Status?: string | undefined }> | undefined): void => {
    for (const a of accounts ?? []) if (a.Id && isActive(a)) found.set(a.Id, { id: a.Id, name: a.Name ?? "" });
  };
  let action = "organizations:DescribeOrganization";
  try {
    // First, so an account outside any organization is told so (ListAccounts would only be refused).
    await client.send(new sdk.DescribeOrganizationCommand({}));
    action = "organizations:ListAccounts";
    if (scope.kind === "org") {
      for await (const page of sdk.paginateListAccounts({ client }, {})) keep(page.Accounts);
    } else {
      const queue = [scope.id];
      while (queue.length > 0) {
        const parent = queue.shift()!;
        action = "organizations:ListAccountsForParent";
        for await (const page of sdk.paginateListAccountsForParent({ client }, { ParentId: parent })) keep(page.Accounts);
        action = "organizations:ListOrganizationalUnitsForParent";
        for await (const page of sdk.paginateListOrganizationalUnitsForParent({ client }, { ParentId: parent })) {
          for (const ou of page.OrganizationalUnits ?? []) if (ou.Id) queue.push(ou.Id);
        }
      }
    }
  } catch (err) {
    throw explainOrgError(err, action, scope, target.profile);
  } finally {
    client.destroy();
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}
