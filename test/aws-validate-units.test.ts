/**
 * create-role's input checks (src/aws/validate.ts), what input-limits.test.ts does not reach: the option
 * and the value each refusal names (the value quoted, a secret never shown), and `--server` with paths
 * (`ecs:<path>`, any AWS Labs server by name with a path, each once, paths that must exist). Pure.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as validate from "../src/aws/validate.js";
import { codeOf } from "./helpers/errors.js";

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return "";
}

test("each refusal names its option (the default or the one given) and the value, quoted; an external id is never shown", () => {
  assert.match(messageOf(() => validate.accountId("12")), /^--trust-account "12" is not/);
  assert.match(messageOf(() => validate.accountId("12", "account")), /^account "12" is not/);
  assert.match(messageOf(() => validate.roleName("a b")), /^--role-name "a b" is not/);
  assert.match(messageOf(() => validate.roleName("a b", "role name")), /^role name "a b" is not/);
  assert.match(messageOf(() => validate.externalId("s")), /^--external-id must be .*\(got 1 characters\)$/);
  assert.match(messageOf(() => validate.externalId("secret value", "XACCOUNT_EXTERNAL_ID")), /^XACCOUNT_EXTERNAL_ID must be/);
  assert.doesNotMatch(messageOf(() => validate.externalId("secret value")), /secret/);
  assert.match(messageOf(() => validate.region("Mars")), /^--region "Mars" is not/);
  assert.match(messageOf(() => validate.maxSessionDuration("5")), /^--max-session-duration "5" must be/);
  assert.match(messageOf(() => validate.profiles("a b")), /^--profile "a b":/);
  assert.match(messageOf(() => validate.tags("k")), /^--tags "k":/);
  assert.match(messageOf(() => validate.serverSets("ECS")), /^--server "ECS":/);
});

test("--server: built-in sets, any server with a path, the paths kept by set; each set once; built-ins first", () => {
  assert.deepEqual(validate.serverChoice("ecs:/srv/venv"), { sets: ["ecs"], paths: { ecs: "/srv/venv" } });
  assert.deepEqual(validate.serverChoice("eks:/srv/eks,iac, ecs:./v"), { sets: ["ecs", "iac", "eks"], paths: { eks: "/srv/eks", ecs: "./v" } });
  assert.deepEqual(validate.serverChoice("zeta:/z,aws-healthomics:/h"), { sets: ["zeta", "aws-healthomics"], paths: { zeta: "/z", "aws-healthomics": "/h" } });
  assert.deepEqual(validate.serverChoice("iac"), { sets: ["iac"], paths: {} });
  assert.deepEqual(validate.serverSets("iac,eks:/e"), ["iac", "eks"]);
  assert.deepEqual(validate.serverChoice("ecs:C:/x:y"), { sets: ["ecs"], paths: { ecs: "C:/x:y" } });
  // A server without built-in actions needs its path; a set twice, or a path that does not exist, is refused.
  for (const bad of ["eks", "ecs,ecs", "ecs,ecs:/v", "eks:/a,eks:/b", "ecs:", ":/v", "1ecs", "e".repeat(64)]) {
    assert.equal(codeOf(() => validate.serverChoice(bad)), "server-invalid/2", bad);
  }
  assert.equal(validate.serverChoice(`${"e".repeat(63)}:/p`).sets[0], "e".repeat(63));
  const seen: string[] = [];
  const exists = (p: string) => { seen.push(p); return p === "/here"; };
  assert.deepEqual(validate.serverChoice("ecs:/here,iac", exists), { sets: ["ecs", "iac"], paths: { ecs: "/here" } });
  assert.deepEqual(seen, ["/here"], "only paths are checked");
  assert.equal(codeOf(() => validate.serverChoice("ecs:/gone", exists)), "server-invalid/2");
  assert.match(messageOf(() => validate.serverChoice("ecs:/gone", exists)), /^--server ecs:\/gone: no such path/);
  assert.match(messageOf(() => validate.serverChoice("ecs,ecs")), /names ecs twice/);
});
