/**
 * Check 4 (`xaccount test --server`) without a real server: a fake MCP server (a tiny node script
 * speaking MCP over stdio with canned tools and answers, standing in for `python -m <module>`) and
 * fake McpSession objects drive every verdict of runServerChecks, callIac and startMcpServer.
 * Each server start costs ~0.2 s; nothing here touches AWS.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { callIac, callName, excusedTools, findClusterArns, parseBody, runServerChecks, serverEnv, type AccountFacts } from "../src/smoke/server.js";
import { lastLines, startMcpServer, type McpSession, type ToolResult } from "../src/smoke/mcp.js";
import type { CheckResult } from "../src/smoke/checks.js";
import { PACKAGE_ROOT } from "../src/version.js";

const SDK = path.dirname(path.dirname(new URL(import.meta.resolve("@modelcontextprotocol/sdk/server/index.js")).pathname));
const DIR = mkdtempSync(path.join(os.tmpdir(), "xaccount-fake-mcp-"));
const FAKE = path.join(DIR, "fake-server.mjs");
writeFileSync(
  FAKE,
  `#!/usr/bin/env node
import { appendFileSync } from "node:fs";
import { Server } from ${JSON.stringify(path.join(SDK, "server", "index.js"))};
import { StdioServerTransport } from ${JSON.stringify(path.join(SDK, "server", "stdio.js"))};
import { CallToolRequestSchema, ListToolsRequestSchema } from ${JSON.stringify(path.join(SDK, "types.js"))};
const cfg = JSON.parse(process.env.FAKE_MCP);
if (cfg.env) appendFileSync(cfg.env, JSON.stringify(process.env));
if (cfg.stderr) process.stderr.write(cfg.stderr);
if (cfg.exit !== undefined) process.exit(cfg.exit);
const never = () => new Promise(() => undefined);
if (cfg.hang === "init") {
  process.stdin.resume();
  await never();
}
const server = new Server({ name: "fake", version: "1" }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, async (req) => {
  if (cfg.hang === "list") {
    if (cfg.log) appendFileSync(cfg.log, JSON.stringify({ name: "tools/list" }) + "\\n");
    return never();
  }
  const pages = cfg.pages ?? [cfg.tools];
  const i = req.params?.cursor ? Number(req.params.cursor) : 0;
  return { tools: pages[i], ...(i + 1 < pages.length ? { nextCursor: String(i + 1) } : {}) };
});
server.setRequestHandler(CallToolRequestSchema, async (req) => {
  if (cfg.hang === "call") return never();
  const args = req.params.arguments ?? {};
  if (cfg.log) appendFileSync(cfg.log, JSON.stringify({ name: req.params.name, args, client: server.getClientVersion() }) + "\\n");
  return cfg.answers[String(args.account_id)] ?? cfg.answers["*"];
});
await server.connect(new StdioServerTransport());
`,
);
chmodSync(FAKE, 0o755);
after(() => rmSync(DIR, { recursive: true, force: true }));

const A = "111111111111";
const B = "222222222222";
const C = "333333333333";
const D = "444444444444";
const E = "555555555555";
const F = "666666666666";
const arn = (account: string, name: string) => `arn:aws:ecs:us-east-1:${account}:cluster/${name}`;
const text = (body: unknown) => ({ content: [{ type: "text", text: JSON.stringify(body) }] });
const role = { roleName: "McpReadOnlyRole", externalId: undefined, sessionName: "s", durationSeconds: 900 };
const schema = (...props: string[]) => ({ type: "object", properties: Object.fromEntries(props.map((p) => [p, { type: "string" }])) });
const facts = (accountId: string, extra: Partial<AccountFacts> = {}): AccountFacts => ({ accountId, region: "eu-west-1", clusters: undefined, stacks: undefined, ...extra });

let n = 0;
function logFile(): string {
  return path.join(DIR, `log-${++n}.jsonl`);
}
type Logged = { name: string; args: Record<string, unknown>; client?: unknown };
function calls(log: string): Logged[] {
  return existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Logged) : [];
}

/** runServerChecks on a real (unpatched) fixture tree, with the fake server as its "python". */
async function run(kind: "ecs" | "iac", cfg: object, accounts: AccountFacts[]): Promise<CheckResult[]> {
  const dir = kind === "ecs" ? path.join(PACKAGE_ROOT, "fixtures", "smoke-ecs") : path.join(PACKAGE_ROOT, "fixtures", "iac-already-patched", "input");
  const started: string[] = [];
  const results = await runServerChecks(
    { spec: { kind, path: dir }, python: FAKE, role, region: "eu-west-1", accounts, baseEnv: { PATH: process.env.PATH, FAKE_MCP: JSON.stringify(cfg) }, timeoutMs: 20_000 },
    { start: (name) => started.push(name), done: () => undefined },
  );
  return results;
}
const status = (r: CheckResult) => (r.ok ? "PASS" : r.skipped ? "SKIP" : "FAIL");
const byName = (results: CheckResult[]) => Object.fromEntries(results.map((r) => [r.name, status(r)]));

const ECS_TOOL = { name: "ecs_resource_management", inputSchema: schema("api_operation", "api_params", "account_id", "region") };

test("ECS: each account's call passes only when the tool lists that account's clusters, and SKIPs when none tell accounts apart", async () => {
  const log = logFile();
  const glued = arn(D, "a") + arn(D, "b");
  const results = await run(
    "ecs",
    {
      log,
      tools: [ECS_TOOL],
      answers: {
        [A]: text({ clusterArns: [arn(A, "b"), arn(A, "a"), arn(A, "a")] }),
        [B]: text({ clusterArns: [arn(A, "a")] }),
        [C]: text({ clusterArns: [] }),
        [D]: text({ clusterArns: [glued] }),
      },
    },
    [
      facts(A, { clusters: [arn(A, "b"), arn(A, "a"), arn(A, "b")] }),
      facts(B),
      facts(C, { clusters: [] }),
      facts(D, { clusters: [arn(D, "a"), arn(D, "b")] }),
    ],
  );
  const unpatched = `ecs server at ${path.join(PACKAGE_ROOT, "fixtures", "smoke-ecs")} is fully patched`;
  assert.deepEqual(byName(results), {
    [unpatched]: "FAIL",
    "server starts over MCP stdio (python -m awslabs.ecs_mcp_server.main)": "PASS",
    "every tool's input schema has account_id": "PASS",
    [callName("ecs", A)]: "PASS",
    [callName("ecs", B)]: "FAIL",
    [callName("ecs", C)]: "SKIP",
    [callName("ecs", D)]: "FAIL",
  });
  assert.deepEqual(
    calls(log).map((c) => [c.name, c.args]),
    [A, B, C, D].map((a) => ["ecs_resource_management", { api_operation: "ListClusters", api_params: {}, account_id: a, region: "eu-west-1" }]),
  );
  // The details carry the facts: the patch check's counts, the clusters each call listed (by short name).
  assert.match(results[0]!.detail, /^not fully patched: 0 patched, 2 unpatched, 0 skipped tool\(s\) in /);
  assert.match(results[3]!.detail, /: a, b$/);
});

test("ECS: an account whose clusters check 3 could not list passes on its own ARNs; the tool's errors fail", async () => {
  const results = await run(
    "ecs",
    {
      tools: [{ name: "other_tool", inputSchema: schema("account_id") }, ECS_TOOL],
      answers: {
        [A]: text({ clusters: [{ clusterArn: arn(A, "x") }] }),
        [B]: { ...text({ clusterArns: [arn(B, "x")] }), isError: true },
        [C]: text({ status: "error", error: "xaccount error[account-not-allowed]: 333333333333 is not allowed", clusterArns: [arn(C, "x")] }),
        [D]: { content: [{ type: "text", text: "not json" }], structuredContent: { clusterArns: [arn(D, "x")] } },
        [E]: { content: [], isError: true, structuredContent: { clusterArns: [arn(E, "x")] } },
        [F]: { content: [{ type: "text", text: "null" }] },
      },
    },
    [facts(A), facts(B), facts(C), facts(D), facts(E), facts(F)],
  );
  assert.deepEqual(results.slice(3).map(status), ["PASS", "FAIL", "FAIL", "PASS", "FAIL", "SKIP"]);
  const denied = results[5]!;
  assert.match(denied.fix ?? "", /account-not-allowed/, "the fix names the TROUBLESHOOTING section of the runtime's code");
  assert.doesNotMatch(results[4]!.fix ?? "", /TROUBLESHOOTING/, "an error without a runtime code names no section");
});

test("ECS 0.1.x (action, resource_type) gets a list call without region when the tool takes none", async () => {
  const log = logFile();
  await run("ecs", { log, tools: [{ name: "ecs_resource_management", inputSchema: schema("action", "resource_type", "account_id") }], answers: { "*": text({ clusterArns: [arn(A, "x")] }) } }, [facts(A)]);
  assert.deepEqual(calls(log)[0]!.args, { action: "list", resource_type: "cluster", account_id: A });
  // The server's logs name the smoke test as its client.
  assert.deepEqual(calls(log)[0]!.client, { name: "xaccount-test", version: "1" });
});

test("the schema check fails on a tool without account_id and on a server that lists no tools", async () => {
  const missing = await run("ecs", { tools: [ECS_TOOL, { name: "plain", inputSchema: schema("x") }], answers: { "*": text({ clusterArns: [arn(A, "x")] }) } }, [facts(A)]);
  assert.deepEqual(missing.slice(2).map(status), ["FAIL", "PASS"]);
  const none = await run("ecs", { tools: [], answers: {} }, [facts(A)]);
  assert.deepEqual(none.slice(2).map(status), ["FAIL", "FAIL"], "no tool to call: the call fails too");
});

test("a server that exits at start: start FAILs, the schema and every account's call SKIP under their names", async () => {
  const results = await run("ecs", { stderr: "ModuleNotFoundError: No module named 'x'\n", exit: 1 }, [facts(A), facts(B)]);
  assert.match(results[1]!.fix ?? "", /a module is missing/, "the server's stderr reaches the fix");
  assert.deepEqual(
    results.slice(1).map((r) => [r.name, status(r)]),
    [
      ["server starts over MCP stdio (python -m awslabs.ecs_mcp_server.main)", "FAIL"],
      ["every tool's input schema has account_id", "SKIP"],
      [callName("ecs", A), "SKIP"],
      [callName("ecs", B), "SKIP"],
    ],
  );
});

test("a tree with many problems: the patch check's detail lists the first five", async () => {
  const { cpSync } = await import("node:fs");
  const tree = path.join(DIR, "many-problems");
  cpSync(path.join(PACKAGE_ROOT, "fixtures", "smoke-ecs"), tree, { recursive: true });
  const module = path.join(tree, "awslabs", "ecs_mcp_server", "modules", "resource_management.py");
  const extra = ["t3", "t4", "t5"].map((t) => `\n    @mcp.tool(name="${t}")\n    async def mcp_${t}() -> Dict[str, Any]:\n        """A tool."""\n        return {}\n`);
  writeFileSync(module, readFileSync(module, "utf8") + extra.join(""));
  const started: string[] = [];
  const [patch] = await runServerChecks(
    { spec: { kind: "ecs", path: tree }, python: FAKE, role, region: "eu-west-1", accounts: [], baseEnv: { PATH: process.env.PATH, FAKE_MCP: JSON.stringify({ exit: 1 }) }, timeoutMs: 20_000 },
    { start: (name) => started.push(name), done: () => undefined },
  );
  // 5 unpatched tools, the runtime and its manifest missing: 7 problems, 5 shown.
  assert.match(patch!.detail, /^not fully patched: 0 patched, 5 unpatched, 0 skipped tool\(s\) in /);
  assert.equal(patch!.detail.split("; ").length - 1, 5, patch!.detail);
});

test("a fully patched tree passes the patch check with its counts", async () => {
  const { cpSync } = await import("node:fs");
  const engine = await import("../src/codemod/index.js");
  const { getProfile } = await import("../codemods/index.js");
  const tree = path.join(DIR, "patched");
  cpSync(path.join(PACKAGE_ROOT, "fixtures", "smoke-ecs"), tree, { recursive: true });
  const profile = getProfile("ecs");
  await engine.writePatch(await engine.planPatch(profile, engine.locateServer(profile, tree), { verify: false }));
  const [patch] = await runServerChecks(
    { spec: { kind: "ecs", path: tree }, python: FAKE, role, region: "eu-west-1", accounts: [], baseEnv: { PATH: process.env.PATH, FAKE_MCP: JSON.stringify({ exit: 1 }) }, timeoutMs: 20_000 },
    { start: () => undefined, done: () => undefined },
  );
  assert.equal(status(patch!), "PASS", patch!.detail);
  assert.match(patch!.detail, /^2 patched, 0 unpatched, 0 skipped tool\(s\) in /);
});

test("IaC: each account troubleshoots a stack only it has, in its own region and account", async () => {
  const log = logFile();
  const stack = (name: string) => ({ name, id: name, status: "CREATE_COMPLETE" });
  const results = await run(
    "iac",
    {
      log,
      tools: [
        { name: "troubleshoot_cloudformation_deployment", inputSchema: schema("stack_name", "account_id", "region") },
        // The fixture's patch skips this tool on purpose (a remote proxy): it may lack account_id.
        { name: "read_iac_documentation_page", inputSchema: schema("url") },
      ],
      answers: { "*": text({ status: "success" }) },
    },
    [facts(A, { stacks: [stack("shared"), stack("only-a")] }), facts(B, { stacks: [stack("shared")] })],
  );
  // The fixture's tree is patched but lacks the vendored runtime: 4 patched, 1 skipped on purpose.
  assert.match(results[0]!.detail, /^not fully patched: 4 patched, 0 unpatched, 1 skipped tool\(s\) in /);
  assert.match(results[2]!.detail, /\(1 proxied from a remote server, exempt\)$/, "the exempt tool is counted");
  assert.deepEqual(results.slice(2).map((r) => [r.name, status(r)]), [
    ["every tool's input schema has account_id", "PASS"],
    [callName("iac", A), "PASS"],
    [callName("iac", B), "PASS"],
  ]);
  assert.deepEqual(
    calls(log).map((c) => [c.args.account_id, c.args.stack_name]),
    [
      [A, "only-a"],
      [B, "shared"],
    ],
  );
});

test("an exempt tool that takes account_id anyway is not counted as exempt", async () => {
  const results = await run(
    "iac",
    {
      tools: [
        { name: "troubleshoot_cloudformation_deployment", inputSchema: schema("stack_name", "account_id", "region") },
        { name: "read_iac_documentation_page", inputSchema: schema("url", "account_id") },
      ],
      answers: { "*": text({ status: "success" }) },
    },
    [],
  );
  assert.equal(status(results[2]!), "PASS");
  assert.doesNotMatch(results[2]!.detail, /exempt/, results[2]!.detail);
});

function fakeSession(answer: ToolResult, seen: Array<{ name: string; args: Record<string, unknown> }>): McpSession {
  return {
    tools: [
      { name: "other", inputSchema: { properties: { account_id: {} } } },
      { name: "troubleshoot_cloudformation_deployment", inputSchema: { properties: { stack_name: {}, account_id: {} } } },
    ],
    call: async (name, args) => {
      seen.push({ name, args });
      return answer;
    },
    close: async () => undefined,
    stderrTail: () => "",
  };
}

test("IaC callIac: the call's arguments, and which answers pass or fail", async () => {
  const stacks = [
    { name: "shared", id: "1", status: "CREATE_COMPLETE" },
    { name: "mine", id: "2", status: "CREATE_COMPLETE" },
  ];
  const me = facts(A, { stacks });
  const other = facts(B, { stacks: [stacks[0]!] });
  const seen: Array<{ name: string; args: Record<string, unknown> }> = [];
  const ok = await callIac(fakeSession({ isError: false, text: JSON.stringify({ status: "success" }), structured: undefined }, seen), me, [other]);
  assert.equal(ok.ok, true);
  assert.equal(ok.detail, `read stack mine in ${A}`, "a success says the stack was read, not only found");
  assert.deepEqual(seen, [{ name: "troubleshoot_cloudformation_deployment", args: { stack_name: "mine", region: "eu-west-1", include_cloudtrail: false, account_id: A } }]);
  const verdict = async (answer: ToolResult) => {
    const r = await callIac(fakeSession(answer, []), me, [other]);
    return r.ok ? "PASS" : "FAIL";
  };
  const body = (b: object) => ({ isError: false, text: JSON.stringify(b), structured: undefined });
  assert.equal(await verdict({ isError: true, text: JSON.stringify({ status: "success" }), structured: undefined }), "FAIL");
  assert.equal(await verdict(body({ status: "error", error: "xaccount error[role-denied]: no" })), "FAIL");
  assert.equal(await verdict(body({ status: "error", error: "An error occurred (AccessDenied) when calling AssumeRole" })), "FAIL");
  const denied = await callIac(fakeSession(body({ status: "error", error: "An error occurred (AccessDenied) when calling AssumeRole" }), []), me, [other]);
  assert.match(denied.fix ?? "", /assume check/, "an AccessDenied points at the assume check's fix (trust policy, external id)");
  assert.equal(await verdict(body({ status: "error", error: "later step: UnknownOperation\nmore" })), "PASS", "DescribeStacks found the stack");
  // An answer that is not success and carries no error text: found, and the detail invents no failure.
  for (const answer of [body({ status: "in_progress" }), body({ status: "error", error: { code: 1 } })]) {
    const r = await callIac(fakeSession(answer, []), me, [other]);
    assert.equal(r.ok, true);
    assert.doesNotMatch(r.detail, /failed/, r.detail);
  }
  const missingTool: McpSession = { ...fakeSession(body({ status: "success" }), []), tools: [] };
  await assert.rejects(callIac(missingTool, me, []), /troubleshoot_cloudformation_deployment/, "the error names the tool the server lacks");
});

test("callName, serverEnv with --profile, excused patterns, cluster ARNs and bodies", () => {
  assert.equal(callName("iac", A), `troubleshoot_cloudformation_deployment answers from ${A}`);
  assert.equal(callName("ecs", A), `ecs_resource_management answers from ${A}`);
  const base = { AWS_ACCESS_KEY_ID: "k", AWS_SECRET_ACCESS_KEY: "s", AWS_SESSION_TOKEN: "t", AWS_SECURITY_TOKEN: "t2", AWS_REGION: "us-west-2", HOME: "/h" };
  const env = serverEnv(base, "/srv", { ...role, externalId: "e1" }, "eu-west-1", "dev");
  assert.deepEqual(
    [env.AWS_ACCESS_KEY_ID, env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN, env.AWS_SECURITY_TOKEN, env.AWS_PROFILE],
    [undefined, undefined, undefined, undefined, "dev"],
  );
  assert.equal(env.AWS_REGION, "us-west-2", "the caller's region is kept");
  assert.equal(env.PYTHONPATH, "/srv");
  assert.equal(env.PYTHONUNBUFFERED, "1");
  assert.equal(env.XACCOUNT_EXTERNAL_ID, "e1");
  assert.equal(env.XACCOUNT_SESSION_NAME, "s");
  assert.equal(env.HOME, "/h");
  assert.equal(serverEnv(base, "/srv", role, "eu-west-1").AWS_ACCESS_KEY_ID, "k", "without --profile the keys stay");
  assert.equal(excusedTools(["a.b"])("a.b"), true);
  assert.equal(excusedTools(["a+b"])("a+b"), true);
  assert.equal(excusedTools(["a+b"])("aab"), false);
  assert.deepEqual(findClusterArns(`see ${arn(A, "x")}`), [], "an ARN inside other text is not an ARN");
  assert.deepEqual(findClusterArns({ a: null, b: [null, 3, arn(A, "x")] }), [arn(A, "x")]);
  assert.deepEqual(findClusterArns(null), []);
  assert.deepEqual(parseBody("no json", { s: 1 }), { s: 1 });
  assert.deepEqual(parseBody('{"a":1}', { s: 1 }), { a: 1 });
});

const launch = (cfg: object) => ({ python: FAKE, module: "m", cwd: DIR, env: { PATH: process.env.PATH ?? "", FAKE_MCP: JSON.stringify(cfg) }, timeoutMs: 20_000, args: [] });

test("startMcpServer: tools of every page, text blocks joined, isError and structured content kept, stderr tail of 4000 chars", async () => {
  const stderr = "x".repeat(3000) + "y".repeat(3000);
  const session = await startMcpServer(
    launch({
      stderr,
      pages: [[{ name: "t1", inputSchema: schema("a") }], [{ name: "t2", inputSchema: schema("b") }]],
      answers: {
        "*": { content: [{ type: "text", text: "one" }, { type: "image", data: "AA==", mimeType: "image/png" }, { type: "text", text: "two" }], isError: true, structuredContent: { k: 1 } },
      },
    }),
  );
  try {
    assert.deepEqual(session.tools.map((t) => [t.name, Object.keys(t.inputSchema.properties ?? {})]), [
      ["t1", ["a"]],
      ["t2", ["b"]],
    ]);
    assert.deepEqual(await session.call("t1", {}), { isError: true, text: "one\ntwo", structured: { k: 1 } });
    for (let i = 0; i < 50 && session.stderrTail().length < 4000; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(session.stderrTail(), stderr.slice(-4000));
  } finally {
    await session.close();
  }
  const quiet = await startMcpServer(launch({ tools: [], answers: { "*": { content: [] } } }));
  try {
    assert.equal(quiet.stderrTail(), "");
    assert.deepEqual(await quiet.call("t", {}), { isError: false, text: "", structured: undefined });
  } finally {
    await quiet.close();
  }
});

test("startMcpServer: a server that exits before answering is an error, with its stderr's last lines and the SDK's error as cause", async () => {
  const loud = await startMcpServer(launch({ stderr: "first\nboom\n", exit: 3 })).then(() => undefined, (err: unknown) => err as Error);
  assert.ok(loud?.cause instanceof Error, "the SDK's error is kept as the cause");
  assert.ok(loud.message.startsWith((loud.cause as Error).message), loud.message);
  assert.ok(loud.message.endsWith("\nfirst\nboom"), loud.message);
  // Without stderr: the SDK's message alone, nothing appended.
  const quiet = await startMcpServer(launch({ exit: 3 })).then(() => undefined, (err: unknown) => err as Error);
  assert.ok(quiet?.cause instanceof Error);
  assert.equal(quiet.message, (quiet.cause as Error).message);
});

test("lastLines keeps the last n lines without the trailing newline", () => {
  assert.equal(lastLines("a\nb\nc\n\n", 2), "b\nc");
  assert.equal(lastLines("  a\nb", 5), "  a\nb");
});

test("startMcpServer: --timeout bounds the start, the tool listing and each call", { timeout: 15_000 }, async () => {
  // Without the timeout the SDK's default (60 s) would let this test time out instead.
  const quick = (cfg: object, timeoutMs: number) => ({ ...launch(cfg), timeoutMs });
  await assert.rejects(startMcpServer(quick({ hang: "init" }, 800)));
  // The listing's own bound: the server started (within a time long enough on a loaded machine) and got
  // the tools/list request, which never answers. With the start's bound alone this would take 60 s.
  const log = logFile();
  await assert.rejects(startMcpServer(quick({ hang: "list", log }, 3000)));
  assert.deepEqual(calls(log).map((c) => c.name), ["tools/list"], "the start succeeded; the listing timed out");
  // Long enough for the fake server to start on a loaded machine; its call never answers.
  const session = await startMcpServer(quick({ hang: "call", tools: [] }, 2000));
  try {
    await assert.rejects(session.call("t", {}));
  } finally {
    await session.close();
  }
});
