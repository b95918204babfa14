/** The MCP client entry `xaccount patch` prints: this tree's python -m its entry module, the user's settings, no example values. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PACKAGE_ROOT } from "../src/version.js";
import { BIN } from "./helpers/cli.js";

const CLEAN = { XACCOUNT_ACCOUNTS: "", XACCOUNT_ROLE_NAME: "", XACCOUNT_SESSION_NAME: "", AWS_PROFILE: "", AWS_REGION: "", AWS_DEFAULT_REGION: "" };

function tree(): string {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), "xaccount-patch-entry-")), "smoke-ecs");
  cpSync(path.join(PACKAGE_ROOT, "fixtures", "smoke-ecs"), dir, { recursive: true });
  return dir;
}

function patch(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [BIN, "patch", ...args], { encoding: "utf8", env: { ...process.env, ...CLEAN, ...env, NO_COLOR: "1" } });
}

type Next = { next: { mcpServers: { mcpServers: Record<string, unknown> }; notes: string[] } };

test("the entry carries the flags' settings as the runtime's variables, and the tree's own start command", () => {
  const dir = tree();
  const r = patch(
    ["ecs", dir, "--json", "--accounts", "prod=111111111111,dev=222222222222", "--role-name", "McpRead", "--session-name", "desk-me", "--profile", "mcp-host", "--region", "eu-central-1"],
    {},
  );
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Next;
  assert.deepEqual(j.next.mcpServers.mcpServers, {
    "awslabs.ecs-mcp-server": {
      command: "python3",
      args: ["-m", "awslabs.ecs_mcp_server.main"],
      env: {
        PYTHONPATH: dir,
        AWS_PROFILE: "mcp-host",
        AWS_REGION: "eu-central-1",
        XACCOUNT_ACCOUNTS: "prod=111111111111,dev=222222222222",
        XACCOUNT_ROLE_NAME: "McpRead",
        XACCOUNT_SESSION_NAME: "desk-me",
      },
    },
  });
});

test("settings come from the environment when no flag is given; what nobody gave is left out and said", () => {
  const fromEnv = patch(["ecs", tree(), "--json"], { XACCOUNT_ACCOUNTS: "ops=333333333333", AWS_PROFILE: "p1", AWS_DEFAULT_REGION: "ap-south-1" });
  assert.equal(fromEnv.status, 0, fromEnv.stderr);
  const env = (Object.values((JSON.parse(fromEnv.stdout) as Next).next.mcpServers.mcpServers)[0] as { env: Record<string, string> }).env;
  assert.deepEqual(env, { PYTHONPATH: env.PYTHONPATH, AWS_PROFILE: "p1", AWS_REGION: "ap-south-1", XACCOUNT_ACCOUNTS: "ops=333333333333" });

  const dir = tree();
  const bare = patch(["ecs", dir, "--external-id-env", "EXT_ID"], {});
  assert.equal(bare.status, 0, bare.stderr);
  const printed = bare.stdout.slice(bare.stdout.indexOf("{"), bare.stdout.lastIndexOf("}") + 1);
  const entry = (JSON.parse(printed) as { mcpServers: Record<string, { env: Record<string, string> }> }).mcpServers["awslabs.ecs-mcp-server"]!;
  assert.deepEqual(entry.env, { PYTHONPATH: dir }, "no example values");
  assert.match(bare.stdout, /note: no --accounts .* any account that has the role/);
  assert.match(bare.stdout, /XACCOUNT_EXTERNAL_ID.*EXT_ID/);
});

test("a bad --accounts is refused (exit 2) before anything is patched", () => {
  const dir = tree();
  const file = path.join(dir, "awslabs", "ecs_mcp_server", "modules", "resource_management.py");
  const before = readFileSync(file, "utf8");
  const r = patch(["ecs", dir, "--accounts", "prod=111111111111,prod=222222222222"], {});
  assert.equal(r.status, 2);
  assert.match(r.stderr, /error\[account-name-invalid\]/);
  assert.equal(readFileSync(file, "utf8"), before);
});
