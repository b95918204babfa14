/** The shared `name=id,...` list (src/accounts-list.ts): what --accounts and XACCOUNT_ACCOUNTS mean. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatAccountList, listName, parseAccountList } from "../src/accounts-list.js";
import { parseAccounts, roleSettings } from "../src/smoke/plan.js";
import { codeOf } from "./helpers/errors.js";

test("entries are ids or name=id, in order, exact repeats once", () => {
  assert.deepEqual(parseAccountList(" prod=111111111111, 222222222222,prod=111111111111 "), [
    { id: "111111111111", name: "prod" },
    { id: "222222222222", name: undefined },
  ]);
  assert.deepEqual(parseAccountList(undefined), []);
  // A bare id and the same id with a name: one entry, with the name.
  assert.deepEqual(parseAccountList("111111111111,prod=111111111111"), [{ id: "111111111111", name: "prod" }]);
  assert.equal(formatAccountList(parseAccountList("dev.eu_1=222222222222,111111111111")), "dev.eu_1=222222222222,111111111111");
});

test("bad ids are account-id-invalid, bad or ambiguous names account-name-invalid, before anything runs", () => {
  for (const bad of ["", ",", "prod=", "prod=11111111111", "prod=١١١١١١١١١١١١", "111111111111 222222222222"]) {
    assert.equal(codeOf(() => parseAccountList(bad)), "account-id-invalid/2", JSON.stringify(bad));
  }
  for (const bad of [
    "=111111111111",
    "pro d=111111111111",
    "prod;rm=111111111111",
    "prød=111111111111",
    "a\nb=111111111111",
    `${"n".repeat(65)}=111111111111`,
    "333333333333=111111111111",
    "prod=111111111111,prod=222222222222",
    "prod=111111111111,live=111111111111",
  ]) {
    assert.equal(codeOf(() => parseAccountList(bad)), "account-name-invalid/2", JSON.stringify(bad));
  }
  assert.equal(codeOf(() => parseAccountList(`${"n".repeat(64)}=111111111111`)), undefined);
});

test("test's parseAccounts gives ids, and accounts' listName makes names the parser takes", () => {
  assert.deepEqual(parseAccounts("prod=111111111111,222222222222"), ["111111111111", "222222222222"]);
  for (const name of ["Prod (EU)", "", "ünïcode", "123456789012", "x".repeat(80), "a,b=c"]) {
    const entry = `${listName(name)}=111111111111`;
    assert.deepEqual(parseAccountList(entry), [{ id: "111111111111", name: listName(name) }], JSON.stringify(name));
  }
});

test("xaccount test reads XACCOUNT_ACCOUNTS as the runtime does: the ids are the allowlist; disagreeing with XACCOUNT_ALLOWED_ACCOUNTS is refused", () => {
  assert.deepEqual(roleSettings({}, { XACCOUNT_ACCOUNTS: "prod=111111111111,dev=222222222222" }).allowedAccounts, ["111111111111", "222222222222"]);
  assert.deepEqual(
    roleSettings({}, { XACCOUNT_ACCOUNTS: "prod=111111111111,dev=222222222222", XACCOUNT_ALLOWED_ACCOUNTS: "222222222222 111111111111" }).allowedAccounts,
    ["111111111111", "222222222222"],
  );
  assert.equal(codeOf(() => roleSettings({}, { XACCOUNT_ACCOUNTS: "prod=111111111111", XACCOUNT_ALLOWED_ACCOUNTS: "111111111111,222222222222" })), "allowed-accounts-invalid/2");
  assert.equal(codeOf(() => roleSettings({}, { XACCOUNT_ACCOUNTS: "prod=111111111111,prod=222222222222" })), "account-name-invalid/2");
  assert.equal(codeOf(() => roleSettings({}, { XACCOUNT_ACCOUNTS: "" })), "account-id-invalid/2");
});
