/**
 * The built-in actions (`create-role --server ecs` / `iac`, src/aws/derive/releases.ts) are exactly what
 * deriving the release they name gives today: every action, every place it was found, every excluded
 * call with its reason. The data is generated (`node scripts/derive-releases.mjs`), so a hand edit, a
 * lost entry or a changed derivation shows here. test/python/test_real_servers.py checks the same through
 * the CLI; this is the in-process check the `aws` mutation area runs (it runs the TypeScript tests only).
 *
 * Needs the two releases installed under .cache/servers (the Python suite installs them); skipped, saying
 * so, where they are not.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { RELEASES } from "../src/aws/derive/releases.js";
import { deriveFromServer } from "../src/aws/derive/index.js";
import { SERVER_SETS, releaseActions } from "../src/aws/policies.js";

const DIRS: Record<"ecs" | "iac", string> = {
  ecs: `awslabs.ecs-mcp-server-${RELEASES.ecs.version}`,
  iac: `awslabs.aws-iac-mcp-server-${RELEASES.iac.version}`,
};

/** .cache/servers of the project: found upwards from this file (a mutation run's sandbox sits inside the project). */
function serversDir(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, ".cache", "servers");
    if (existsSync(path.join(candidate, DIRS.ecs)) && existsSync(path.join(candidate, DIRS.iac))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

const servers = serversDir();

test("the built-in data is a fresh derivation of the releases it names: actions, places and exclusions", { skip: servers ? false : `the releases are not installed under .cache/servers (${Object.values(DIRS).join(", ")})` }, () => {
  for (const set of SERVER_SETS) {
    const fresh = deriveFromServer(set, path.join(servers as string, DIRS[set]));
    assert.equal(fresh.server, RELEASES[set].server, set);
    assert.equal(fresh.version, RELEASES[set].version, set);
    assert.deepEqual(RELEASES[set].actions.map((a) => a.action), fresh.actions.map((a) => a.action), `${set}: run node scripts/derive-releases.mjs`);
    assert.deepEqual(RELEASES[set].actions, fresh.actions, `${set}: run node scripts/derive-releases.mjs`);
    assert.deepEqual(RELEASES[set].excluded, fresh.excluded, `${set}: run node scripts/derive-releases.mjs`);
    assert.deepEqual(releaseActions(set), fresh.actions.map((a) => a.action), set);
  }
});

test("a server without release data has no built-in actions", () => {
  assert.deepEqual(releaseActions("eks"), []);
  assert.ok(releaseActions("ecs").length > 0 && releaseActions("iac").length > 0);
});
