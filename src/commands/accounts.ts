/** `xaccount accounts`: the organization's ACTIVE accounts, in the forms the other commands take. */
import { Option, type Command } from "commander";
import { failure, usageError } from "../errors.js";
import type { Io } from "../output.js";
import { listOrgAccounts, ouId, type OrgAccount, type OrgScope } from "../aws/organizations.js";
import * as validate from "../aws/validate.js";
import { listName } from "../accounts-list.js";

interface AccountsOptions {
  ou?: string;
  org?: boolean;
  json?: boolean;
  format?: "table" | "env" | "csv";
  profile?: string;
}

const EXAMPLES = `
Examples:
  $ xaccount accounts                         # every ACTIVE account of the organization, as a table
  $ xaccount accounts --ou ou-ab12-cdef3456   # the accounts under that OU and its child OUs
  $ xaccount accounts --ou ou-ab12-cdef3456 --format csv
      dev=111111111111,prod=222222222222   (what --accounts of test, run, config and XACCOUNT_ACCOUNTS take)
  $ xaccount accounts --org --format env >> server.env
      XACCOUNT_ALLOWED_ACCOUNTS=111111111111,222222222222   (the patched server's allowlist)
  $ xaccount accounts --json

--format env prints account ids only: the runtime's allowlist takes 12-digit ids, not names.
In --format csv, characters of a name other than letters, digits, '.', '_' and '-' become '-',
so the list splits back into its entries; the ids are what is used.
Run as the organization's management account or a delegated administrator (--profile <name>).
Exit status: 0 listed, 1 the organization could not be listed, 2 bad input (nothing was called).`;

export function registerAccounts(program: Command, io: Io): void {
  program
    .command("accounts")
    .description("List the organization's ACTIVE accounts (all, or under an OU), with names")
    .option("--ou <ou-id>", "only the accounts under this OU, through its child OUs")
    .option("--org", "every account of the organization (the default)")
    .option("--json", "print one JSON document on stdout")
    .addOption(new Option("--format <format>", "table, env (XACCOUNT_ALLOWED_ACCOUNTS=...) or csv (name=id,...)").choices(["table", "env", "csv"]).default("table"))
    .option("--profile <name>", "AWS profile of the management or delegated administrator account")
    .addHelpText("after", EXAMPLES)
    .action(async (options: AccountsOptions) => {
      await runAccountsCommand(options, io);
    });
}

/** --org / --ou as a scope; refused with exit 2 before any call. */
export function orgScope(options: { ou?: string | undefined; org?: boolean | undefined }): OrgScope {
  if (options.ou !== undefined && options.org) {
    throw usageError("options-conflict", "--ou and --org both name where the accounts come from", "pass one of them");
  }
  return options.ou !== undefined ? { kind: "ou", id: ouId(options.ou) } : { kind: "org" };
}

export async function runAccountsCommand(options: AccountsOptions, io: Io): Promise<void> {
  const scope = orgScope(options);
  if (options.json && options.format !== undefined && options.format !== "table") {
    throw usageError("options-conflict", "--json and --format both choose the output", "pass one of them");
  }
  let profile: string | undefined;
  if (options.profile !== undefined) {
    const names = validate.profiles(options.profile);
    if (names.length !== 1) throw usageError("profile-invalid", `--profile ${JSON.stringify(options.profile)}: accounts takes one profile`, "pass the management account's profile");
    profile = names[0];
  }
  const accounts = await listOrgAccounts({ profile }, scope);
  const format = options.json ? "json" : options.format ?? "table";
  if (accounts.length === 0 && (format === "env" || format === "csv")) {
    // An empty allowlist or --accounts list is refused where it is used; say why here instead.
    throw failure("org-no-accounts", `${scope.kind === "ou" ? `OU ${scope.id}` : "the organization"} has no ACTIVE account`, "check the OU id, or move the accounts into it");
  }
  io.out(formatAccounts(accounts, options.json ? "json" : options.format ?? "table"));
}

export function formatAccounts(accounts: readonly OrgAccount[], format: "table" | "env" | "csv" | "json"): string {
  switch (format) {
    case "json":
      return JSON.stringify(accounts.map((a) => ({ id: a.id, name: a.name })), null, 2);
    case "env":
      return `XACCOUNT_ALLOWED_ACCOUNTS=${accounts.map((a) => a.id).join(",")}`;
    case "csv":
      return accounts.map((a) => `${listName(a.name)}=${a.id}`).join(",");
    case "table": {
      if (accounts.length === 0) return "(no ACTIVE account)";
      return ["ACCOUNT       NAME", ...accounts.map((a) => `${a.id}  ${a.name}`)].join("\n");
    }
  }
}
