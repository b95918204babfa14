/**
 * The input checks of create-role and the STS helpers (src/aws/validate.ts) accept exactly what IAM and
 * STS accept, up to their limits, and refuse one step past them, before any AWS call. Each case is at
 * an edge: a check that is a little too loose or too strict fails here.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as validate from "../src/aws/validate.js";
import { codeOf } from "./helpers/errors.js";

test("role names: 1 to 64 of IAM's characters, the whole name checked", () => {
  assert.equal(validate.roleName("a".repeat(64)), "a".repeat(64));
  assert.equal(validate.roleName("r"), "r");
  assert.equal(validate.roleName("A_z+0=,.@-"), "A_z+0=,.@-");
  for (const bad of ["a".repeat(65), " role", "role ", "ro/le"]) {
    assert.equal(codeOf(() => validate.roleName(bad)), "role-name-invalid/2", JSON.stringify(bad));
  }
});

test("external ids: 2 to 1224 of STS's characters, the whole value checked", () => {
  assert.equal(validate.externalId("ab"), "ab");
  assert.equal(validate.externalId("a".repeat(1224)), "a".repeat(1224));
  assert.equal(validate.externalId("A_z+0=,.@:/-"), "A_z+0=,.@:/-");
  for (const bad of ["a", " ab", "ab ", "ab\n"]) {
    assert.equal(codeOf(() => validate.externalId(bad)), "external-id-invalid/2", JSON.stringify(bad));
  }
});

test("regions: partition prefix, words, a 1-2 digit number; nothing before or after", () => {
  for (const good of ["us-east-1", "ap-southeast-12", "cn-north-1", "eusc-de-east-1"]) assert.equal(validate.region(good), good);
  for (const bad of ["us-east-123", "US-EAST-1", "us-east-1 ", " us-east-1", "xus-east-1x", "us-east-", "useast-1", "u-east-1", "abcde-east-1"]) {
    assert.equal(codeOf(() => validate.region(bad)), "region-invalid/2", JSON.stringify(bad));
  }
});

test("server sets: a comma-separated list of ecs and iac, spaces trimmed, in a fixed order", () => {
  assert.deepEqual(validate.serverSets(" ecs , iac "), ["ecs", "iac"]);
  assert.deepEqual(validate.serverSets("iac"), ["iac"]);
  for (const bad of ["", "ecs,", "ECS", "ecs iac"]) {
    assert.equal(codeOf(() => validate.serverSets(bad)), "server-invalid/2", JSON.stringify(bad));
  }
});

test("profiles: names without spaces or brackets, each once, spaces around commas trimmed", () => {
  assert.deepEqual(validate.profiles("prod, dev"), ["prod", "dev"]);
  assert.deepEqual(validate.profiles("one"), ["one"]);
  for (const bad of ["a b", "[prod]", "prod,", "prod, prod"]) {
    assert.equal(codeOf(() => validate.profiles(bad)), "profile-invalid/2", JSON.stringify(bad));
  }
});

test("tags: keys 1-128 and values 0-256 characters, no aws: key in any case, at most 49", () => {
  const key128 = "k".repeat(128);
  const value256 = "v".repeat(256);
  assert.deepEqual(validate.tags(`${key128}=${value256}`), { [key128]: value256 });
  assert.deepEqual(validate.tags("empty="), { empty: "" });
  assert.deepEqual(validate.tags("a=x=y"), { a: "x=y" }); // the first = splits
  assert.deepEqual(validate.tags("team name = é 1"), { "team name": "é 1" });
  const many = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v`).join(",");
  assert.equal(Object.keys(validate.tags(many(49))).length, 49);
  for (const bad of [`${"k".repeat(129)}=v`, `k=${"v".repeat(257)}`, "AWS:x=1", "Aws:Name=x", "k=v!", "k!=v", many(50)]) {
    assert.equal(codeOf(() => validate.tags(bad)), "tags-invalid/2", bad.slice(0, 40));
  }
});

test("account ids and durations: exactly 12 digits; whole seconds 3600..43200", () => {
  assert.equal(validate.accountId("000000000000"), "000000000000");
  assert.equal(codeOf(() => validate.accountId("a123456789012")), "account-id-invalid/2");
  assert.equal(validate.maxSessionDuration("3601"), 3601);
  assert.equal(validate.maxSessionDuration("043200"), 43200);
  for (const bad of ["0", "1234567", " 3600", "3600 "]) {
    assert.equal(codeOf(() => validate.maxSessionDuration(bad)), "duration-invalid/2", JSON.stringify(bad));
  }
});
