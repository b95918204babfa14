/**
 * The `name=id,...` account list: what `xaccount accounts --format csv` prints and what `--accounts`
 * (test, run, config, patch) and the runtime's XACCOUNT_ACCOUNTS take. One parser, so every command
 * and the runtime (codemods/runtime/_xaccount.py, `parse_account_list`: keep the rules equal) agree on
 * what a list means.
 *
 * Rules: entries separated by commas; an entry is a 12-digit id or `name=id`. A name is 1-64 of ASCII
 * letters, digits, '.', '_' and '-' (what `accounts` makes of an organization's names, see `listName`),
 * and not itself 12 digits (it would read as an id). A name names one id and an id has at most one
 * name; an entry repeated as it is counts once. Anything else is refused: the list is an allowlist.
 */
import { usageError } from "./errors.js";
import * as validate from "./aws/validate.js";

export interface AccountEntry {
  id: string;
  /** Undefined for a bare id. */
  name?: string | undefined;
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const ACCOUNT_ID = /^[0-9]{12}$/;

/** The entries of a list, in the order given, repeats dropped; undefined text is an empty list. */
export function parseAccountList(text: string | undefined, option = "--accounts"): AccountEntry[] {
  if (text === undefined) return [];
  const items = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (items.length === 0) {
    throw usageError("account-id-invalid", `${option} is empty`, `pass one or more 12-digit account ids or name=id entries: ${option} prod=111111111111,dev=222222222222 (xaccount accounts --format csv prints the list)`);
  }
  const byId = new Map<string, AccountEntry>();
  const idOfName = new Map<string, string>();
  for (const item of items) {
    const eq = item.lastIndexOf("=");
    const id = validate.accountId(eq < 0 ? item : item.slice(eq + 1), option);
    const name = eq < 0 ? undefined : accountName(item.slice(0, eq), option);
    if (name !== undefined) {
      const other = idOfName.get(name);
      if (other !== undefined && other !== id) {
        throw usageError("account-name-invalid", `${option} names two accounts ${JSON.stringify(name)} (${other} and ${id})`, "give each account its own name");
      }
      idOfName.set(name, id);
    }
    const seen = byId.get(id);
    if (seen === undefined) byId.set(id, { id, name });
    else if (name !== undefined && seen.name !== undefined && seen.name !== name) {
      throw usageError("account-name-invalid", `${option} gives account ${id} two names (${JSON.stringify(seen.name)} and ${JSON.stringify(name)})`, "give each account one name");
    } else if (seen.name === undefined && name !== undefined) seen.name = name;
  }
  return [...byId.values()];
}

function accountName(name: string, option: string): string {
  if (!NAME.test(name) || ACCOUNT_ID.test(name)) {
    throw usageError(
      "account-name-invalid",
      `${option} has the account name ${JSON.stringify(name.length > 40 ? name.slice(0, 37) + "..." : name)}, which is not 1-64 of letters, digits, '.', '_' and '-' (and not 12 digits)`,
      "use names such as prod or dev-eu (xaccount accounts --format csv writes names this way)",
    );
  }
  return name;
}

/** The ids of a list, in order: the allowlist. */
export function accountIds(entries: readonly AccountEntry[]): string[] {
  return entries.map((e) => e.id);
}

/** The list as text again (`name=id` or the bare id), the form --accounts and XACCOUNT_ACCOUNTS take. */
export function formatAccountList(entries: readonly AccountEntry[]): string {
  return entries.map((e) => (e.name === undefined ? e.id : `${e.name}=${e.id}`)).join(",");
}

/** A name as one entry of a `name=id,...` list: nothing that would split it. */
export function listName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 64) || "-";
  // A name of 12 digits would read as an id: keep it a name.
  return ACCOUNT_ID.test(cleaned) ? `account-${cleaned}` : cleaned;
}
