/** Pure parts of `xaccount test`: input validation, Python choice, reading tool answers, fixes. */
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { buildPlan, parseAccounts, parseServerSpec, roleSettings, sanitizeSessionName } from "../src/smoke/plan.js";
import { choosePython } from "../src/smoke/python.js";
import { callIac, excusedTools, findClusterArns, parseBody, serverEnv } from "../src/smoke/server.js";
import type { McpSession } from "../src/smoke/mcp.js";
import { assumeRoleFix, checkAssumeRole, permissionFix, sourceCredentialsFix } from "../src/smoke/checks.js";
import { failure } from "../src/errors.js";
import { codeOf } from "./helpers/errors.js";

test("account ids: exactly 12 ASCII digits, deduplicated", () => {
  assert.deepEqual(parseAccounts(" 111111111111, 222222222222,111111111111 "), ["111111111111", "222222222222"]);
  assert.deepEqual(parseAccounts(undefined), []);
  for (const bad of ["", ",", "11111111111", "1111111111111", "11111111111x", "١١١١١١١١١١١١", "111111111111 222222222222"]) {
    assert.equal(codeOf(() => parseAccounts(bad)), "account-id-invalid/2", JSON.stringify(bad));
  }
});

test("--server takes ecs:<path> or iac:<path> of an existing path", () => {
  const cwd = process.cwd();
  assert.deepEqual(parseServerSpec("iac:.", cwd), { kind: "iac", path: cwd });
  assert.equal(codeOf(() => parseServerSpec("ecs", cwd)), "server-spec-invalid/2");
  assert.equal(codeOf(() => parseServerSpec("lambda:.", cwd)), "server-spec-invalid/2");
  assert.equal(codeOf(() => parseServerSpec("ecs:/no/such/dir", cwd)), "server-spec-invalid/2");
});

test("role settings mirror the runtime's: flags over XACCOUNT_*, validated", () => {
  assert.deepEqual(roleSettings({}, {}), {
    roleName: "McpReadOnlyRole",
    externalId: undefined,
    sessionName: "xaccount-mcp",
    durationSeconds: 3600,
    allowedAccounts: undefined,
  });
  const env = { XACCOUNT_ROLE_NAME: "EnvRole", XACCOUNT_EXTERNAL_ID: "ext-1", XACCOUNT_SESSION_NAME: "me@corp dev", XACCOUNT_DURATION_SECONDS: "900" };
  assert.deepEqual(roleSettings({}, env), {
    roleName: "EnvRole",
    externalId: "ext-1",
    sessionName: "me@corp-dev",
    durationSeconds: 900,
    allowedAccounts: undefined,
  });
  assert.equal(roleSettings({ roleName: "FlagRole", externalId: "flag-id" }, env).roleName, "FlagRole");
  assert.equal(roleSettings({ roleName: "FlagRole", externalId: "flag-id" }, env).externalId, "flag-id");
  assert.equal(codeOf(() => roleSettings({ roleName: "bad/role" }, {})), "role-name-invalid/2");
  assert.equal(codeOf(() => roleSettings({ externalId: "x" }, {})), "external-id-invalid/2");
  // The message names where the bad value came from, and never the value (a shared secret).
  assert.throws(() => roleSettings({}, { XACCOUNT_EXTERNAL_ID: "bad id!" }), (err: Error) => /^XACCOUNT_EXTERNAL_ID must be/.test(err.message) && !err.message.includes("bad id!"));
  assert.equal(codeOf(() => roleSettings({}, { XACCOUNT_DURATION_SECONDS: "60" })), "duration-invalid/2");
  assert.equal(codeOf(() => roleSettings({}, { XACCOUNT_DURATION_SECONDS: "1h" })), "duration-invalid/2");
  assert.equal(codeOf(() => roleSettings({}, { XACCOUNT_DURATION_SECONDS: "1e3" })), "duration-invalid/2");
  assert.deepEqual(roleSettings({}, { XACCOUNT_ALLOWED_ACCOUNTS: "111111111111, 222222222222" }).allowedAccounts, ["111111111111", "222222222222"]);
  assert.equal(codeOf(() => roleSettings({}, { XACCOUNT_ALLOWED_ACCOUNTS: "111111111111,1234" })), "allowed-accounts-invalid/2");
  assert.equal(sanitizeSessionName("x"), "xaccount-mcp");
  assert.equal(sanitizeSessionName("a".repeat(80)).length, 64);
});

test("a missing --python is bad input", () => {
  assert.equal(codeOf(() => buildPlan({ python: "/no/such/python" }, {}, process.cwd())), "python-not-found/2");
});

test("the server's Python: --python, else the venv holding the package, else a .venv above, else python3", () => {
  const have = (...files: string[]) => (p: string) => files.includes(p);
  const pkg = path.join("/srv", "venv", "lib", "python3.12", "site-packages", "awslabs", "ecs_mcp_server");
  assert.equal(choosePython({ explicit: "/x/python", packageDir: pkg, startDir: "/" }, have()).python, "/x/python");
  assert.equal(choosePython({ explicit: undefined, packageDir: pkg, startDir: "/srv" }, have("/srv/venv/bin/python")).python, "/srv/venv/bin/python");
  const checkout = "/repo/src/ecs-mcp-server/awslabs/ecs_mcp_server";
  assert.equal(
    choosePython({ explicit: undefined, packageDir: checkout, startDir: "/repo/src/ecs-mcp-server" }, have("/repo/.venv/bin/python")).python,
    "/repo/.venv/bin/python",
  );
  assert.equal(choosePython({ explicit: undefined, packageDir: checkout, startDir: "/repo/src/ecs-mcp-server" }, have()).python, "python3");
});

test("cluster ARNs are found in either server version's answer shape", () => {
  const a = "arn:aws:ecs:us-east-1:111111111111:cluster/one";
  const b = "arn:aws:ecs:us-east-1:111111111111:cluster/two";
  assert.deepEqual(findClusterArns({ clusterArns: [a, b] }), [a, b]);
  assert.deepEqual(findClusterArns({ clusters: [{ clusterArn: a, clusterName: "one" }], count: 1 }), [a]);
  assert.deepEqual(findClusterArns({ note: "arn:aws:ecs:us-east-1:111111111111:service/x/y" }), []);
});

test("the server gets the role settings, the import root on PYTHONPATH and a region", () => {
  const env = serverEnv({ PYTHONPATH: "/other", XACCOUNT_EXTERNAL_ID: "stale" }, "/srv", { roleName: "R", externalId: undefined, sessionName: "s1", durationSeconds: 900 }, "eu-west-1");
  assert.equal(env.PYTHONPATH, "/srv:/other");
  assert.equal(env.XACCOUNT_ROLE_NAME, "R");
  assert.equal(env.XACCOUNT_DURATION_SECONDS, "900");
  assert.equal(env.XACCOUNT_EXTERNAL_ID, undefined);
  assert.equal(env.AWS_REGION, "eu-west-1");
});

test("fixes name the cause: trust policy with the caller and external id, otherwise the AWS layer's hint", () => {
  const denied = failure("assume-role-denied", "x may not assume y", "generic hint");
  const fix = assumeRoleFix(denied, "arn:aws:iam::111111111111:role/R", "111111111111", { roleName: "R", externalId: "e1", sessionName: "s", durationSeconds: 3600 }, {
    account: "999999999999",
    arn: "arn:aws:iam::999999999999:user/dev",
    userId: "u",
  });
  assert.match(fix, /xaccount create-role --trust-principal arn:aws:iam::999999999999:user\/dev --external-id/);
  assert.match(fix, /trust policy of arn:aws:iam::111111111111:role\/R/);
  const expired = failure("aws-credentials", "the credentials have expired", "refresh them (e.g. `aws sso login`) and run again");
  assert.match(sourceCredentialsFix(expired), /aws sso login/);
  assert.match(sourceCredentialsFix(new Error("boom")), /check the source credentials/);
});

test("an account outside XACCOUNT_ALLOWED_ACCOUNTS fails its assume check without calling STS", async () => {
  // An endpoint nobody listens on: reaching STS would give a network error, not this message.
  const saved = process.env.AWS_ENDPOINT_URL;
  process.env.AWS_ENDPOINT_URL = "http://127.0.0.1:9";
  try {
    const role = { roleName: "R", externalId: undefined, sessionName: "s1", durationSeconds: 3600, allowedAccounts: ["222222222222"] };
    const { result } = await checkAssumeRole("111111111111", role, "us-east-1", undefined);
    assert.equal(result.ok, false);
    assert.match(result.detail, /not in XACCOUNT_ALLOWED_ACCOUNTS/);
    assert.match(result.fix ?? "", /add 111111111111 to XACCOUNT_ALLOWED_ACCOUNTS/);
  } finally {
    if (saved === undefined) delete process.env.AWS_ENDPOINT_URL;
    else process.env.AWS_ENDPOINT_URL = saved;
  }
});

test("IaC: a stack of the account found by the tool passes; 'not found' (the wrong account) fails", async () => {
  const wrap = (body: object) => `<tool_response>\nThe following content is output from a IaC tool.\n\n${JSON.stringify(body)}\n</tool_response>`;
  const fake = (answer: object): McpSession => ({
    tools: [{ name: "troubleshoot_cloudformation_deployment", inputSchema: { properties: { stack_name: {}, account_id: {} } } }],
    call: async () => ({ isError: false, text: wrap(answer), structured: undefined }),
    close: async () => undefined,
    stderrTail: () => "",
  });
  const facts = { accountId: "111111111111", region: "us-east-1", clusters: [], stacks: [{ name: "s-a", id: "x", status: "CREATE_COMPLETE" }] };
  const ok = await callIac(fake({ status: "success", stack_name: "s-a" }), facts, []);
  assert.equal(ok.ok, true);
  const wrong = await callIac(fake({ status: "error", error: "Stack s-a not found or inaccessible: does not exist" }), facts, []);
  assert.equal(wrong.ok, false);
  assert.match(wrong.detail, /was not found by the tool/);
  const none = await callIac(fake({ status: "success" }), { ...facts, stacks: [] }, []);
  assert.match(none.detail, /no stack in 111111111111/);
  assert.deepEqual([none.ok, none.skip], [false, true], "a call not made proves nothing: SKIP, not PASS");
  assert.deepEqual(parseBody(wrap({ a: 1 }), undefined), { a: 1 });
});

test("tools patch skipped (remote proxies) are exempt from the account_id check, by name or * pattern", () => {
  const excused = excusedTools(["aws_knowledge_*", "read_iac_documentation_page"]);
  assert.equal(excused("aws_knowledge_aws___search_documentation"), true);
  assert.equal(excused("read_iac_documentation_page"), true);
  assert.equal(excused("ecs_resource_management"), false);
  assert.equal(excused("xaws_knowledge_a"), false);
  assert.equal(excusedTools(["a.b"])("axb"), false, "a dot is literal");
});

test("every `xaccount ...` command a fix or hint names exists, with every flag it names", async () => {
  const { readdirSync, readFileSync } = await import("node:fs");
  const { buildProgram } = await import("../src/cli.js");
  const { PACKAGE_ROOT } = await import("../src/version.js");
  const program = buildProgram({ out: () => {}, err: () => {} } as never);
  const files = (readdirSync(path.join(PACKAGE_ROOT, "src"), { recursive: true }) as string[]).filter((f) => f.endsWith(".ts"));
  const named: string[] = [];
  for (const file of files) {
    const text = readFileSync(path.join(PACKAGE_ROOT, "src", file), "utf8");
    // In a template literal the backticks are escaped (\`xaccount ...\`); in a plain string they are not.
    for (const m of text.matchAll(/\\?`xaccount ([a-z][a-z-]*)([^`\\]*)/g)) named.push(`${file}: xaccount ${m[1]}${m[2]}`);
  }
  assert.ok(named.length >= 5, named.join("\n"));
  for (const line of named) {
    const [, cmd, rest] = /xaccount ([a-z][a-z-]*)(.*)$/.exec(line)!;
    const sub = program.commands.find((c) => c.name() === cmd);
    assert.ok(sub, `${line}: no command ${cmd}`);
    for (const flag of rest!.match(/--[a-z][a-z-]*/g) ?? []) {
      assert.ok(sub.options.some((o) => o.long === flag), `${line}: ${cmd} has no ${flag}`);
    }
  }
});

test("the fix for a permission the role lacks names `create-role --profile`, a command that exists and does not loop", () => {
  const denied = failure("aws-access-denied", "x may not call cloudformation:ListStacks", "grant it");
  const fix = permissionFix(denied, "cloudformation:ListStacks", "111111111111", "us-east-1", "arn:aws:iam::111111111111:role/McpReadOnlyRole");
  assert.match(fix, /`xaccount create-role --profile <a profile for 111111111111>`/);
  assert.doesNotMatch(fix, /--server ecs,iac/, "the old fix answered 'up to date' and left the role as it was");
});
