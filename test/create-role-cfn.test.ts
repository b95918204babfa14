/**
 * `create-role --format cloudformation` output passes cfn-lint (pinned in requirements-test.txt) with no
 * error and no warning. cfn-lint also checks every IAM action against its list of real actions (W3037),
 * so this catches a misspelt or invented action in the permission documents too.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PACKAGE_ROOT } from "../src/version.js";
import { testPython } from "./helpers/moto.js";

const BIN = path.join(PACKAGE_ROOT, "bin", "xaccount.js");

function template(args: string[]): string {
  return execFileSync(process.execPath, [BIN, "create-role", "--format", "cloudformation", ...args], {
    encoding: "utf8",
    // No AWS is needed when the trust is explicit: point the SDK nowhere to prove it.
    env: { PATH: process.env.PATH ?? "", AWS_ENDPOINT_URL: "http://127.0.0.1:9", NO_COLOR: "1" },
  });
}

function cfnLint(text: string): { status: number | null; findings: unknown[]; stderr: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "xaccount-cfn-"));
  try {
    const file = path.join(dir, "role.json");
    writeFileSync(file, text);
    // cfn-lint has no `python -m` entry point; its console script sits beside the test Python.
    const r = spawnSync(path.join(path.dirname(testPython()), "cfn-lint"), ["--format", "json", file], { encoding: "utf8" });
    return { status: r.status, findings: r.stdout.trim() ? (JSON.parse(r.stdout) as unknown[]) : [], stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("cfn-lint passes on the template for each server set, trust and option combination", () => {
  const variants: string[][] = [
    ["--trust-account", "111111111111"],
    ["--trust-account", "111111111111", "--external-id", "org-mcp", "--server", "ecs", "--tags", "team=platform,env=prod"],
    ["--trust-principal", "arn:aws:iam::111111111111:role/hosts/McpHost", "--server", "iac", "--max-session-duration", "43200", "--role-name", "OrgMcpRead"],
  ];
  for (const args of variants) {
    const text = template(args);
    const parsed = JSON.parse(text) as { Resources: Record<string, { Properties: { RoleName: string } }> };
    assert.ok(parsed.Resources.McpReadOnlyRole);
    const r = cfnLint(text);
    assert.deepEqual(r.findings, [], `${args.join(" ")}: ${JSON.stringify(r.findings, null, 2)}`);
    assert.equal(r.status, 0, r.stderr);
  }
});

test("cfn-lint would catch an invented action (the check above has teeth)", () => {
  const text = template(["--trust-account", "111111111111"]).replace('"ecs:ListTasks"', '"ecs:ListTaskz"');
  const r = cfnLint(text);
  assert.notEqual(r.status, 0);
  assert.match(JSON.stringify(r.findings), /listtaskz/i);
});
