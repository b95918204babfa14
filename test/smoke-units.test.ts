/** Pure parts of `xaccount test`: input validation, Python choice, reading tool answers, fixes. */
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { buildPlan, parseAccounts, parseRegions, parseServerSpec, roleSettings, sanitizeSessionName } from "../src/smoke/plan.js";
import { choosePython } from "../src/smoke/python.js";
import { callIac, excusedTools, findClusterArns, parseBody, serverEnv } from "../src/smoke/server.js";
import type { McpSession } from "../src/smoke/mcp.js";
import { assumeRoleFix, checkAssumeRole, checkListClusters, checkListStacks, permissionFix, skipped, sourceCredentialsFix, timed, type CheckResult } from "../src/smoke/checks.js";
import { countChecks, formatCheck, formatSummary, progressHooks, toJson } from "../src/smoke/report.js";
import type { SmokeReport } from "../src/smoke/run.js";
import { failure, type XaError } from "../src/errors.js";
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

// ---- plan.ts: the region rule, the allowlists, empty variables, --profile --------------------------

test("--regions: the runtime's region rule, trimmed, deduplicated, in order; anything else is region-invalid", () => {
  assert.deepEqual(parseRegions(undefined), []);
  assert.deepEqual(parseRegions(" us-east-1 ,,eu-west-1, us-east-1"), ["us-east-1", "eu-west-1"]);
  assert.deepEqual(parseRegions("us-gov-west-1,ap-southeast-2,xx-test-12"), ["us-gov-west-1", "ap-southeast-2", "xx-test-12"]);
  for (const bad of ["", " , ", "xus-east-1", "us-east-1x", "us-east-123", "u-east-1", "us-1", "us-e4st-1", "US-EAST-1", "us-east-", "us-east-1,nowhere"]) {
    assert.equal(codeOf(() => parseRegions(bad)), "region-invalid/2", JSON.stringify(bad));
  }
});

test("--server: the whole value is kind:path (no prefix before the kind, no second line after the path)", () => {
  const cwd = process.cwd();
  assert.equal(codeOf(() => parseServerSpec("xecs:.", cwd)), "server-spec-invalid/2");
  assert.equal(codeOf(() => parseServerSpec("iac:.\n/etc", cwd)), "server-spec-invalid/2");
});

test("XACCOUNT_DURATION_SECONDS: 900 to 43200 inclusive, like STS", () => {
  assert.equal(roleSettings({}, { XACCOUNT_DURATION_SECONDS: "43200" }).durationSeconds, 43200);
  assert.equal(codeOf(() => roleSettings({}, { XACCOUNT_DURATION_SECONDS: "43201" })), "duration-invalid/2");
  assert.equal(codeOf(() => roleSettings({}, { XACCOUNT_DURATION_SECONDS: "899" })), "duration-invalid/2");
});

test("an empty XACCOUNT_* variable counts as unset (the runtime's rule): defaults apply", () => {
  const env = { XACCOUNT_ROLE_NAME: "", XACCOUNT_EXTERNAL_ID: "", XACCOUNT_DURATION_SECONDS: "", XACCOUNT_SESSION_NAME: "", XACCOUNT_ALLOWED_ACCOUNTS: "" };
  assert.deepEqual(roleSettings({}, env), { roleName: "McpReadOnlyRole", externalId: undefined, sessionName: "xaccount-mcp", durationSeconds: 3600, allowedAccounts: undefined });
  // A flag given wins over the variable, and an empty variable does not turn the flag's value off.
  assert.equal(roleSettings({ externalId: "flag-id" }, env).externalId, "flag-id");
  assert.equal(sanitizeSessionName("ab"), "ab", "two characters is a legal session name");
});

test("XACCOUNT_ALLOWED_ACCOUNTS: 12-digit ids separated by commas and/or spaces; nothing else", () => {
  assert.deepEqual(roleSettings({}, { XACCOUNT_ALLOWED_ACCOUNTS: "111111111111,222222222222  333333333333" }).allowedAccounts, [
    "111111111111",
    "222222222222",
    "333333333333",
  ]);
  for (const bad of ["x111111111111", "1111111111112", "11111111111"]) {
    assert.equal(codeOf(() => roleSettings({}, { XACCOUNT_ALLOWED_ACCOUNTS: bad })), "allowed-accounts-invalid/2", bad);
  }
});

test("XACCOUNT_ACCOUNTS is the allowlist with names; with XACCOUNT_ALLOWED_ACCOUNTS both must list the same accounts", () => {
  const A = "111111111111";
  const B = "222222222222";
  const C = "333333333333";
  assert.deepEqual(roleSettings({}, { XACCOUNT_ACCOUNTS: `dev=${A},prod=${B}` }).allowedAccounts, [A, B]);
  // The same accounts, in another order, with a repeat: accepted, the named list wins.
  assert.deepEqual(roleSettings({}, { XACCOUNT_ACCOUNTS: `dev=${A},prod=${B}`, XACCOUNT_ALLOWED_ACCOUNTS: `${B} ${A},${A}` }).allowedAccounts, [A, B]);
  const both = (named: string, allowed: string) => codeOf(() => roleSettings({}, { XACCOUNT_ACCOUNTS: named, XACCOUNT_ALLOWED_ACCOUNTS: allowed }));
  assert.equal(both(`dev=${A}`, B), "allowed-accounts-invalid/2", "same size, other account");
  assert.equal(both(`dev=${A}`, `${A},${B}`), "allowed-accounts-invalid/2", "the allowed list has one more");
  assert.equal(both(`dev=${A},prod=${C}`, `${A},${B}`), "allowed-accounts-invalid/2", "one shared, one not");
});

test("--profile: one profile name, kept in the plan; several are profile-invalid", () => {
  assert.equal(buildPlan({ profile: "dev" }, {}, process.cwd()).profile, "dev");
  assert.equal(buildPlan({}, {}, process.cwd()).profile, undefined);
  assert.equal(codeOf(() => buildPlan({ profile: "dev,prod" }, {}, process.cwd())), "profile-invalid/2");
});

// ---- report.ts: counts, the verdict line, --json, progress on a terminal and off it ----------------

const check = (name: string, ok: boolean, skip = false, durationMs = 500): CheckResult =>
  skip ? { name, ok: false, skipped: true, durationMs, detail: "d", fix: "f" } : { name, ok, durationMs, detail: "d", ...(ok ? {} : { fix: "f" }) };
// Colours that show which one was picked, so the verdict is tested without its wording.
const colours = { red: (s: string) => `red:${s}`, yellow: (s: string) => `yellow:${s}`, green: (s: string) => `green:${s}`, dim: (s: string) => s, bold: (s: string) => s };
const tagged = { c: colours } as never;

test("passed, failed and skipped checks are counted apart, in the summary's colour and in --json", () => {
  const checks = [check("a", true), check("b", false), check("c", false, true), check("d", true)];
  const report: SmokeReport = { ok: false, accounts: ["111111111111"], regions: ["us-east-1"], regionSource: "--regions", checks };
  assert.deepEqual(countChecks(report), { passed: 2, failed: 1, skipped: 1 });
  const json = JSON.parse(toJson(report)) as Record<string, unknown>;
  assert.deepEqual([json.ok, json.passed, json.failed, json.skipped], [false, 2, 1, 1]);
  assert.deepEqual((json.checks as Array<Record<string, unknown>>).map((c) => [c.name, c.ok, c.skipped, c.fix]), [
    ["a", true, false, null],
    ["b", false, false, "f"],
    ["c", false, true, "f"],
    ["d", true, false, null],
  ]);
  assert.match(formatSummary(report, tagged), /^red:/);
  const skippedOnly: SmokeReport = { ...report, ok: true, checks: [check("a", true), check("c", false, true)] };
  assert.match(formatSummary(skippedOnly, tagged), /^yellow:/, "a SKIP proved nothing: not the green all-passed line");
  assert.match(formatSummary({ ...report, ok: true, checks: [check("a", true)] }, tagged), /^green:/);
});

test("each check is one PASS/FAIL/SKIP line, its detail and fix indented under it (so `grep ^FAIL` counts checks)", () => {
  const text = formatCheck({ name: "n", ok: false, durationMs: 3, detail: "one\ntwo", fix: "x\ny" }, tagged);
  const lines = text.split("\n");
  assert.equal(lines.length, 5);
  assert.match(lines[0]!, /^red:FAIL n /);
  for (const line of lines.slice(1)) assert.match(line, /^ {5}\S/, JSON.stringify(line));
});

test("progress: off a terminal no spinner and no control codes; on one a spinner that stops when the check ends", async () => {
  const result = check("n", true);
  const plain: string[] = [];
  const plainOut: string[] = [];
  const io = (interactive: boolean, out: string[]) => ({ out: (s: string) => out.push(s), err: () => undefined, c: colours, cErr: colours, interactive }) as never;
  const off = progressHooks(io(false, plainOut), false, (s) => plain.push(s));
  off.start("n");
  off.done(result);
  off.stop();
  assert.deepEqual(plain, [], "nothing on stderr off a terminal");
  assert.equal(plainOut.length, 1, "the result line on stdout");

  const jsonOut: string[] = [];
  const quiet = progressHooks(io(false, jsonOut), true, () => undefined);
  quiet.start("n");
  quiet.done(result);
  assert.deepEqual(jsonOut, [], "--json: stdout stays one document");

  const tty: string[] = [];
  const on = progressHooks(io(true, []), false, (s) => tty.push(s));
  on.start("checking n");
  await new Promise((r) => setTimeout(r, 350));
  const CLEAR = "\r\x1b[2K";
  const draws = tty.filter((s) => s !== CLEAR);
  assert.ok(draws.length >= 2, "the spinner redraws");
  for (const s of draws) {
    assert.ok(s.startsWith(CLEAR), JSON.stringify(s));
    assert.match(s.slice(CLEAR.length), /^[|/\\-] checking n \d+\.\d s$/, JSON.stringify(s));
    assert.ok(Number(/([0-9.]+) s$/.exec(s)![1]) < 60, `elapsed seconds: ${JSON.stringify(s)}`);
  }
  on.done(result);
  assert.equal(tty.at(-1), CLEAR, "the spinner line is cleared before the result");
  const drawn = tty.length;
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(tty.length, drawn, "no redraw after the check ended");
});

// ---- checks.ts: timing, SKIP, which fix is chosen ------------------------------------------------

test("timed: the check's own duration; a thrown error is a FAIL with the fix chosen for it and no value", async () => {
  const t0 = performance.now();
  const good = await timed("g", async () => {
    await new Promise((r) => setTimeout(r, 20));
    return { ok: true, detail: "d", value: 7 };
  }, () => "never");
  const elapsed = performance.now() - t0;
  assert.equal(good.value, 7);
  assert.ok(good.result.durationMs >= 15 && good.result.durationMs <= Math.ceil(elapsed) + 1, String(good.result.durationMs));
  const bad = await timed<number>("b", async () => {
    throw failure("aws-credentials", "expired", "H");
  }, (err) => `fix for ${(err as XaError).code}`);
  assert.deepEqual([bad.result.ok, bad.result.fix, bad.result.skipped, bad.value], [false, "fix for aws-credentials", undefined, undefined]);
  const skip = await timed("s", async () => ({ ok: false, skip: true, detail: "nothing to prove it with", value: 1 }), () => "x");
  assert.deepEqual([skip.result.ok, skip.result.skipped, skip.value], [false, true, undefined]);
  assert.deepEqual([skipped("n", "b").ok, skipped("n", "b").skipped], [false, true]);
});

test("the fix's create-role command is complete with or without an external id or a known caller", () => {
  const denied = failure("assume-role-denied", "denied", "generic");
  const arn = "arn:aws:iam::111111111111:role/R";
  const role = { roleName: "R", externalId: undefined, sessionName: "s", durationSeconds: 3600 };
  const command = (fix: string) => /`(xaccount [^`]*)`/.exec(fix)?.[1];
  const caller = { account: "999999999999", arn: "arn:aws:iam::999999999999:user/dev", userId: "u" };
  assert.equal(command(assumeRoleFix(denied, arn, "111111111111", role, caller)), "xaccount create-role --trust-principal arn:aws:iam::999999999999:user/dev");
  assert.match(command(assumeRoleFix(denied, arn, "111111111111", role, undefined)) ?? "", /^xaccount create-role --trust-principal <[^>]+>$/);
  // Any other error: the AWS layer's hint, as it is.
  assert.equal(assumeRoleFix(failure("aws-credentials", "expired", "refresh"), arn, "111111111111", role, caller), "refresh");
});

test("a read-only call's fix: the role's permissions when denied, the region when the credentials fail, else the hint", () => {
  const arn = "arn:aws:iam::111111111111:role/R";
  assert.equal(permissionFix(failure("aws-throttled", "slow down", "retry later"), "ecs:ListClusters", "111111111111", "us-east-1", arn), "retry later");
  const withHint = permissionFix(failure("aws-credentials", "invalid token", "H"), "ecs:ListClusters", "111111111111", "ap-east-1", arn);
  const noHint = permissionFix(failure("aws-credentials", "invalid token"), "ecs:ListClusters", "111111111111", "ap-east-1", arn);
  assert.ok(withHint.startsWith("H; "), withHint);
  assert.equal(noHint, withHint.slice("H; ".length), "without a hint, the region advice alone");
  assert.ok(noHint.includes("ap-east-1") && noHint.includes("111111111111"), noHint);
});

// ---- python.ts: the virtualenv layouts ------------------------------------------------------------

test("the server's Python: the engine's venv python, a Windows venv, and no guess outside a site-packages", () => {
  const have = (...files: string[]) => (p: string) => files.includes(p);
  const pkg = "/srv/venv/lib/python3.12/site-packages/awslabs/ecs_mcp_server";
  assert.equal(choosePython({ explicit: undefined, venvPython: "/e/bin/python", packageDir: pkg, startDir: "/" }, have("/e/bin/python", "/srv/venv/bin/python")).python, "/e/bin/python");
  assert.equal(choosePython({ explicit: undefined, venvPython: "/e/bin/python", packageDir: pkg, startDir: "/" }, have("/srv/venv/bin/python")).python, "/srv/venv/bin/python");
  const win = "/srv/venv/Lib/site-packages/awslabs/ecs_mcp_server";
  assert.equal(choosePython({ explicit: undefined, packageDir: win, startDir: "/x" }, have("/srv/venv/Scripts/python.exe")).python, "/srv/venv/Scripts/python.exe");
  assert.equal(choosePython({ explicit: undefined, packageDir: "/a/b/c/d/pkg", startDir: "/x" }, have("/a/b/bin/python")).python, "python3");
});

// ---- checks.ts against a fake AWS endpoint (in-process): the answer's account is checked ------------

/** Runs fn with the SDK pointed at an in-process HTTP server answering STS AssumeRole and ECS ListClusters. */
async function withFakeAws(
  answers: { sessionArn: string; clusterArns: string[]; stacks?: string[]; deny?: "ListClusters" | "ListStacks" },
  fn: () => Promise<void>,
): Promise<void> {
  const http = await import("node:http");
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      if (String(req.headers["x-amz-target"] ?? "").endsWith(".ListClusters")) {
        if (answers.deny === "ListClusters") {
          res.writeHead(400, { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": "AccessDeniedException" }).end(JSON.stringify({ __type: "AccessDeniedException", message: "not authorized" }));
          return;
        }
        res.writeHead(200, { "content-type": "application/x-amz-json-1.1" }).end(JSON.stringify({ clusterArns: answers.clusterArns }));
        return;
      }
      if (/Action=ListStacks/.test(body)) {
        const ns = "http://cloudformation.amazonaws.com/doc/2010-05-15/";
        if (answers.deny === "ListStacks") {
          res.writeHead(403, { "content-type": "text/xml" }).end(`<ErrorResponse xmlns="${ns}"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized</Message></Error><RequestId>r</RequestId></ErrorResponse>`);
          return;
        }
        const members = (answers.stacks ?? [])
          .map((n) => `<member><StackName>${n}</StackName><StackId>id-${n}</StackId><StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>2020-01-01T00:00:00Z</CreationTime></member>`)
          .join("");
        res.writeHead(200, { "content-type": "text/xml" }).end(`<ListStacksResponse xmlns="${ns}"><ListStacksResult><StackSummaries>${members}</StackSummaries></ListStacksResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListStacksResponse>`);
        return;
      }
      assert.match(body, /Action=AssumeRole/);
      const user = answers.sessionArn ? `<AssumedRoleUser><Arn>${answers.sessionArn}</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>` : "";
      res.writeHead(200, { "content-type": "text/xml" }).end(
        `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIAFAKE</AccessKeyId>` +
          `<SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>${user}</AssumeRoleResult></AssumeRoleResponse>`,
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const keys = ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION"] as const;
  const saved = keys.map((k) => process.env[k]);
  Object.assign(process.env, { AWS_ENDPOINT_URL: `http://127.0.0.1:${(server.address() as { port: number }).port}`, AWS_ACCESS_KEY_ID: "AKIAFAKE", AWS_SECRET_ACCESS_KEY: "x", AWS_REGION: "us-east-1" });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  try {
    await fn();
  } finally {
    keys.forEach((k, i) => (saved[i] === undefined ? delete process.env[k] : (process.env[k] = saved[i])));
    server.close();
  }
}

test("AssumeRole: a session STS reports in another account is a FAIL with no credentials passed on", async () => {
  const role = { roleName: "R", externalId: undefined, sessionName: "s1", durationSeconds: 3600 };
  await withFakeAws({ sessionArn: "arn:aws:sts::222222222222:assumed-role/R/s1", clusterArns: [] }, async () => {
    const r = await checkAssumeRole("111111111111", role, "us-east-1", undefined);
    assert.deepEqual([r.result.ok, r.result.skipped, r.value], [false, undefined, undefined]);
  });
  await withFakeAws({ sessionArn: "arn:aws:sts::111111111111:assumed-role/R/s1", clusterArns: [] }, async () => {
    const r = await checkAssumeRole("111111111111", role, "us-east-1", undefined);
    assert.deepEqual([r.result.ok, r.value?.accountId], [true, "111111111111"]);
  });
  // No session ARN in the answer (some emulators): nothing to compare, the check passes.
  await withFakeAws({ sessionArn: "", clusterArns: [] }, async () => {
    const r = await checkAssumeRole("111111111111", role, "us-east-1", undefined);
    assert.equal(r.result.ok, true);
  });
});

/** A role session in account 111111111111, as checkAssumeRole returns it, for the read-only checks. */
const ASSUMED_111 = {
  accountId: "111111111111",
  roleArn: "arn:aws:iam::111111111111:role/R",
  sessionArn: "arn:aws:sts::111111111111:assumed-role/R/s1",
  region: "us-east-1",
  expiration: undefined,
  clientConfig: { region: "us-east-1", credentials: { accessKeyId: "ASIAFAKE", secretAccessKey: "s", sessionToken: "t" } },
};

test("ListClusters: a cluster of another account in the answer is a FAIL (the credentials are not this account's)", async () => {
  const assumed = ASSUMED_111;
  const own = "arn:aws:ecs:us-east-1:111111111111:cluster/one";
  const other = "arn:aws:ecs:us-east-1:222222222222:cluster/two";
  await withFakeAws({ sessionArn: "", clusterArns: [own, other] }, async () => {
    const r = await checkListClusters("111111111111", "us-east-1", assumed);
    assert.deepEqual([r.result.ok, r.value], [false, undefined]);
  });
  await withFakeAws({ sessionArn: "", clusterArns: [own] }, async () => {
    const r = await checkListClusters("111111111111", "us-east-1", assumed);
    assert.deepEqual([r.result.ok, r.value], [true, [own]]);
  });
});

test("read-only calls the role may not make: FAIL, the fix names the permission it lacks and the role; a pass names what it listed", async () => {
  const assumed = ASSUMED_111;
  await withFakeAws({ sessionArn: "", clusterArns: [], deny: "ListStacks" }, async () => {
    const r = await checkListStacks("111111111111", "us-east-1", assumed);
    assert.deepEqual([r.result.name, r.result.ok, r.value], ["cloudformation:ListStacks in 111111111111 us-east-1", false, undefined]);
    assert.match(r.result.fix ?? "", /^the role arn:aws:iam::111111111111:role\/R lacks cloudformation:ListStacks,/);
  });
  await withFakeAws({ sessionArn: "", clusterArns: [], deny: "ListClusters" }, async () => {
    const r = await checkListClusters("111111111111", "us-east-1", assumed);
    assert.deepEqual([r.result.ok, r.value], [false, undefined]);
    assert.match(r.result.fix ?? "", /^the role arn:aws:iam::111111111111:role\/R lacks ecs:ListClusters,/);
  });
  // A pass's detail names the clusters by their short names and the stacks by name (the facts check 4 compares).
  await withFakeAws({ sessionArn: "", clusterArns: ["arn:aws:ecs:us-east-1:111111111111:cluster/one", "arn:aws:ecs:us-east-1:111111111111:cluster/two"], stacks: ["s1", "s2"] }, async () => {
    const c = await checkListClusters("111111111111", "us-east-1", assumed);
    assert.equal(c.result.ok, true);
    assert.match(c.result.detail, /: one, two$/);
    const s = await checkListStacks("111111111111", "us-east-1", assumed);
    assert.deepEqual([s.result.ok, s.value?.map((x) => x.name)], [true, ["s1", "s2"]]);
    assert.match(s.result.detail, /: s1, s2$/);
  });
});

test("every failed check carries a fix, whatever the error (an unknown error, an XaError without a hint, a check that gave none)", async () => {
  const arn = "arn:aws:iam::111111111111:role/R";
  for (const err of [new Error("boom"), "a string", failure("aws-throttled", "slow down")]) {
    const fix = permissionFix(err, "ecs:ListClusters", "111111111111", "us-east-1", arn);
    assert.ok(fix.trim().length > 0, `${String(err)}: ${JSON.stringify(fix)}`);
  }
  const bare = await timed("n", async () => ({ ok: false, detail: "d" }), () => "never");
  assert.ok((bare.result.fix ?? "").trim().length > 0, JSON.stringify(bare.result));
});

test("a bad value's message names where it came from: --accounts, --role-name or XACCOUNT_ROLE_NAME", () => {
  const from = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return /^(--[a-z-]+|XACCOUNT_[A-Z_]+) /.exec((err as Error).message)?.[1];
    }
    return undefined;
  };
  assert.equal(from(() => parseAccounts("12")), "--accounts");
  assert.equal(from(() => roleSettings({ roleName: "bad/role" }, { XACCOUNT_ROLE_NAME: "Good" })), "--role-name");
  assert.equal(from(() => roleSettings({}, { XACCOUNT_ROLE_NAME: "bad/role" })), "XACCOUNT_ROLE_NAME");
  assert.equal(from(() => roleSettings({ externalId: "x" }, { XACCOUNT_EXTERNAL_ID: "good-external-id" })), "--external-id");
  assert.equal(from(() => roleSettings({}, { XACCOUNT_EXTERNAL_ID: "x" })), "XACCOUNT_EXTERNAL_ID");
  assert.equal(from(() => roleSettings({}, { XACCOUNT_ACCOUNTS: "dev=12" })), "XACCOUNT_ACCOUNTS");
});

test("the server's Python: the reason shown says which virtualenv, or that none was found", () => {
  const have = (...files: string[]) => (p: string) => files.includes(p);
  const pkg = "/srv/venv/lib/python3.12/site-packages/awslabs/ecs_mcp_server";
  assert.match(choosePython({ explicit: "/x/python", packageDir: pkg, startDir: "/" }, have()).reason, /--python/);
  assert.match(choosePython({ explicit: undefined, venvPython: "/e/bin/python", packageDir: pkg, startDir: "/" }, have("/e/bin/python")).reason, /virtualenv/);
  assert.ok(choosePython({ explicit: undefined, packageDir: pkg, startDir: "/" }, have("/srv/venv/bin/python")).reason.includes("(/srv/venv)"));
  const checkout = "/repo/src/ecs-mcp-server/awslabs/ecs_mcp_server";
  const found = choosePython({ explicit: undefined, packageDir: checkout, startDir: "/repo/src/ecs-mcp-server" }, have("/repo/.venv/bin/python"));
  assert.ok(found.reason.includes("/repo/.venv"), found.reason);
  const none = choosePython({ explicit: undefined, packageDir: checkout, startDir: "/repo/src/ecs-mcp-server" }, have());
  assert.match(none.reason, /no virtualenv/);
});

test("the summary line and each check's line carry the counts, the total time and each check's time", () => {
  const checks = [check("a", true, false, 1200), check("b", false, false, 300), check("c", false, true, 0), check("d", true, false, 500)];
  const report: SmokeReport = { ok: false, accounts: [], regions: [], regionSource: "--regions", checks };
  const facts = /^(?:red|yellow|green):.*\b(\d+) passed, (\d+) failed, (\d+) skipped in ([0-9.]+) s\b/;
  assert.deepEqual(facts.exec(formatSummary(report, tagged))?.slice(1), ["2", "1", "1", "2.0"]);
  const passed = { ...report, ok: true, checks: [checks[0]!, checks[3]!] };
  assert.deepEqual(facts.exec(formatSummary(passed, tagged))?.slice(1), ["2", "0", "0", "1.7"]);
  assert.match(formatCheck(checks[1]!, tagged).split("\n")[0]!, /^red:FAIL b \(300 ms\)$/);
});
