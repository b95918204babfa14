/**
 * `xaccount config` as a user runs it (the built CLI in a child process), on files in a temporary folder:
 * merge beside other entries, idempotency, backup, dry run, --print, refusals that leave the file as it was.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { xaccount } from "./helpers/cli.js";

const ACCOUNTS = "prod=111111111111,dev=222222222222";
const NAME = "awslabs.ecs-mcp-server-xaccount";
// Nothing from the environment of whoever runs the tests: each test says what it sets.
const CLEAN = { XACCOUNT_ACCOUNTS: "", XACCOUNT_ROLE_NAME: "", XACCOUNT_SESSION_NAME: "", AWS_PROFILE: "", AWS_REGION: "", AWS_DEFAULT_REGION: "" };

const EXISTING =
  '{\n  "mcpServers": {\n    "github": {\n      "command": "docker",\n      "args": ["run", "-i", "--rm", "ghcr.io/github/github-mcp-server"],\n' +
  '      "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "keep-me"}\n    }\n  },\n  "globalShortcut": "Alt+Space"\n}\n';

function dir(): string {
  return mkdtempSync(path.join(os.tmpdir(), "xaccount-config-"));
}

const backups = (d: string): string[] => readdirSync(d).filter((f) => f.endsWith(".xaccount.bak"));

test("merges into a file with other entries: they stay byte for byte, the old file is backed up, a second run changes nothing", async () => {
  const d = dir();
  const file = path.join(d, "claude_desktop_config.json");
  writeFileSync(file, EXISTING);
  const args = ["config", "claude-desktop", "ecs@latest", "--accounts", ACCOUNTS, "--role-name", "ReadOnlyMcp", "--config-file", file];
  const r = await xaccount(args, { ...CLEAN, AWS_PROFILE: "mcp-host", AWS_REGION: "eu-west-1" });
  assert.equal(r.status, 0, r.stderr);
  const after = readFileSync(file, "utf8");
  const cut = EXISTING.indexOf("}\n  },") + 1; // the end of the github entry
  assert.ok(after.startsWith(EXISTING.slice(0, cut)) && after.endsWith(EXISTING.slice(cut)), after);
  const json = JSON.parse(after) as { mcpServers: Record<string, unknown>; globalShortcut: string };
  assert.deepEqual(json.mcpServers[NAME], {
    command: "xaccount",
    args: ["run", "ecs@latest", "--accounts", ACCOUNTS, "--role-name", "ReadOnlyMcp"],
    env: { AWS_PROFILE: "mcp-host", AWS_REGION: "eu-west-1" },
  });
  assert.equal(json.globalShortcut, "Alt+Space");
  const [backup, ...more] = backups(d);
  assert.equal(more.length, 0);
  assert.equal(readFileSync(path.join(d, backup!), "utf8"), EXISTING);
  assert.match(r.stdout, new RegExp(`Added "${NAME.replace(/\./g, "\\.")}"`));

  const again = await xaccount(args, { ...CLEAN, AWS_PROFILE: "mcp-host", AWS_REGION: "eu-west-1" });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /nothing changed/);
  assert.equal(readFileSync(file, "utf8"), after);
  assert.equal(backups(d).length, 1, "no new backup");
  assert.deepEqual(readdirSync(d).filter((f) => f.endsWith(".tmp")), []);

  // A changed setting updates the entry in place, with a second backup.
  const changed = await xaccount(args, { ...CLEAN, AWS_PROFILE: "other-host", AWS_REGION: "eu-west-1" });
  assert.equal(changed.status, 0, changed.stderr);
  assert.match(changed.stdout, /Updated/);
  assert.equal((JSON.parse(readFileSync(file, "utf8")) as { mcpServers: Record<string, { env: Record<string, string> }> }).mcpServers[NAME]!.env.AWS_PROFILE, "other-host");
  assert.equal(backups(d).length, 2);
});

test("--dry-run prints the diff and writes nothing", async () => {
  const d = dir();
  const file = path.join(d, "mcp.json");
  writeFileSync(file, EXISTING);
  const r = await xaccount(["config", "cursor", "ecs@latest", "--accounts", ACCOUNTS, "--config-file", file, "--dry-run"], CLEAN);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\+ {4}"awslabs\.ecs-mcp-server-xaccount": \{$/m);
  assert.match(r.stdout, /^\+ {6}"command": "xaccount",$/m);
  assert.doesNotMatch(r.stdout, /^-(?!--)/m, "only additions");
  assert.equal(readFileSync(file, "utf8"), EXISTING);
  assert.deepEqual(readdirSync(d), ["mcp.json"]);
  assert.match(r.stderr, /dry run, nothing written/);
});

test("a file that does not parse is refused with config-file-invalid, exit 2, and stays as it was", async () => {
  const d = dir();
  const file = path.join(d, "mcp.json");
  const broken = '{\n  "mcpServers": {\n    "a": {"command": "x"},,\n  }\n}\n';
  writeFileSync(file, broken);
  const r = await xaccount(["config", "kiro", "ecs@latest", "--accounts", ACCOUNTS, "--config-file", file], CLEAN);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /error\[config-file-invalid\]: .*mcp\.json: .*line 3, column 27/);
  assert.equal(r.stdout, "");
  assert.equal(readFileSync(file, "utf8"), broken);
  assert.deepEqual(readdirSync(d), ["mcp.json"]);
});

test("no account list is refused (config-accounts-missing); XACCOUNT_ACCOUNTS is used when set", async () => {
  const d = dir();
  const file = path.join(d, "mcp.json");
  const r = await xaccount(["config", "cursor", "ecs@latest", "--config-file", file], CLEAN);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /error\[config-accounts-missing\]/);
  assert.equal(existsSync(file), false);
  const fromEnv = await xaccount(["config", "cursor", "iac@1.0.26", "--config-file", file], { ...CLEAN, XACCOUNT_ACCOUNTS: "dev=222222222222" });
  assert.equal(fromEnv.status, 0, fromEnv.stderr);
  const entry = (JSON.parse(readFileSync(file, "utf8")) as { mcpServers: Record<string, { args: string[] }> }).mcpServers["awslabs.aws-iac-mcp-server-xaccount"];
  assert.deepEqual(entry, { command: "xaccount", args: ["run", "iac@1.0.26", "--accounts", "dev=222222222222"] });
});

test("--print: the entry in the client's shape on stdout, only the values given, nothing written", async () => {
  const r = await xaccount(
    ["config", "vscode", "ecs@0.1.37", "--print", "--accounts", ACCOUNTS, "--external-id-env", "MY_EXTERNAL_ID", "--session-name", "vscode-me", "--region", "us-west-2", "--name", "ecs-x"],
    CLEAN,
  );
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), {
    servers: {
      "ecs-x": {
        type: "stdio",
        command: "xaccount",
        args: ["run", "ecs@0.1.37", "--accounts", ACCOUNTS, "--external-id-env", "MY_EXTERNAL_ID", "--session-name", "vscode-me"],
        env: { AWS_REGION: "us-west-2" },
      },
    },
  });
  // What was left out, and what the server does then, is said on stderr.
  assert.match(r.stderr, /no --profile/);
  assert.match(r.stderr, /McpReadOnlyRole/);
});

test("bad values are refused before anything is written", async () => {
  const d = dir();
  const file = path.join(d, "mcp.json");
  const cases: [string[], string][] = [
    [["config", "windsurf", "ecs@latest", "--accounts", ACCOUNTS], "config-client-unknown"],
    [["config", "cursor", "ecs latest", "--accounts", ACCOUNTS], "config-server-invalid"],
    [["config", "cursor", "ecs@latest", "--accounts", "prod=1234"], "account-id-invalid"],
    [["config", "cursor", "ecs@latest", "--accounts", "pr od=111111111111"], "account-name-invalid"],
    [["config", "cursor", "ecs@latest", "--accounts", ACCOUNTS, "--external-id-env", "s3cr3t value"], "config-value-invalid"],
    [["config", "cursor", "ecs@latest", "--accounts", ACCOUNTS, "--role-name", "bad role"], "role-name-invalid"],
    [["config", "cursor", "ecs@latest", "--accounts", ACCOUNTS, "--region", "mars-1"], "region-invalid"],
    [["config", "cursor", "ecs@latest", "--accounts", ACCOUNTS, "--print", "--dry-run"], "options-conflict"],
    [["config", "claude-desktop", "ecs@latest", "--accounts", ACCOUNTS, "--scope", "project"], "options-conflict"],
  ];
  for (const [args, code] of cases) {
    // Claude Desktop's own file (no --config-file) under a HOME of this folder: must stay unmade too.
    const where = args[1] === "claude-desktop" ? [] : ["--config-file", file];
    const r = await xaccount([...args, ...where], { ...CLEAN, HOME: d, USERPROFILE: d, XDG_CONFIG_HOME: "", APPDATA: "" });
    assert.equal(r.status, 2, `${args.join(" ")}\n${r.stderr}`);
    assert.match(r.stderr, new RegExp(`error\\[${code}\\]`), args.join(" "));
    assert.doesNotMatch(r.stderr, /note:/, "nothing but the refusal");
  }
  assert.deepEqual(readdirSync(d), []);
});

test("without --config-file the client's own file under HOME is made (folders too); a symlinked file stays a link", async () => {
  const home = dir();
  const r = await xaccount(["config", "kiro", "ecs@latest", "--accounts", ACCOUNTS], { ...CLEAN, HOME: home, USERPROFILE: home });
  assert.equal(r.status, 0, r.stderr);
  const file = path.join(home, ".kiro", "settings", "mcp.json");
  assert.deepEqual(Object.keys((JSON.parse(readFileSync(file, "utf8")) as { mcpServers: object }).mcpServers), [NAME]);

  const real = path.join(home, "dotfiles", "mcp.json");
  mkdirSync(path.dirname(real));
  writeFileSync(real, '{"mcpServers": {}}');
  mkdirSync(path.join(home, ".cursor"));
  symlinkSync(real, path.join(home, ".cursor", "mcp.json"));
  const linked = await xaccount(["config", "cursor", "ecs@latest", "--accounts", ACCOUNTS], { ...CLEAN, HOME: home, USERPROFILE: home });
  assert.equal(linked.status, 0, linked.stderr);
  assert.ok(lstatSync(path.join(home, ".cursor", "mcp.json")).isSymbolicLink());
  assert.ok(readFileSync(real, "utf8").includes(NAME));
});
