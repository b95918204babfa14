/**
 * `npm run demo`: the whole chain on a machine with no AWS account.
 *
 * Starts the AWS emulator (moto) with IAM enforced, makes an administrator in each of two emulated
 * accounts and an MCP host identity (a user allowed sts:AssumeRole and nothing else), creates the role in
 * each account with `xaccount create-role` as its administrator, puts a differently named cluster in each,
 * starts the real ECS MCP server as an MCP client configured with `xaccount run ecs@0.1.37` would (installed
 * from PyPI and patched on the first run, cached under .cache/demo/xdg), runs `xaccount test --server`
 * against that install as the host, shows which account answered each tool call and that a write with
 * account_id is refused, and cleans up. Every step says what it does.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ADMIN, startMoto, type Identity, type Moto } from "./emulator.js";
import { sdkClient } from "./aws/clients.js";
import { parseArn } from "./aws/trust.js";
import { findClusterArns, parseBody } from "./smoke/server.js";
import { startMcpServer } from "./smoke/mcp.js";
import { PACKAGE_ROOT } from "./version.js";
import { getProfile } from "../codemods/index.js";

/** The real ECS server, at the newest version the test suite pins (test/python/servers.py). */
const SERVER = { ...getProfile("ecs"), version: "0.1.37" };
const MOTO_REQUIREMENT = "moto[server]==5.2.5";
/** Two emulated accounts, and the cluster each one holds: different names make a wrong answer visible. */
const ACCOUNTS: Array<{ id: string; cluster: string }> = [
  { id: "111111111111", cluster: "payments-prod" },
  { id: "222222222222", cluster: "analytics-dev" },
];
/** moto's default account: where the demo's own (dummy) credentials live. */
const HOME_ACCOUNT = "123456789012";
/** Where PyPI installs are kept between runs; XACCOUNT_CACHE_DIR moves it (e.g. to try a cold run). */
const CACHE = path.resolve(process.env.XACCOUNT_CACHE_DIR ?? path.join(PACKAGE_ROOT, ".cache"));
const BIN = path.join(PACKAGE_ROOT, "bin", "xaccount.js");

const started = Date.now();
let stepNo = 0;
const TOTAL_STEPS = 6;

function step(text: string): void {
  stepNo += 1;
  process.stdout.write(`\n==> [${stepNo}/${TOTAL_STEPS}] ${text}  (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}

function say(text: string): void {
  process.stdout.write(`    ${text}\n`);
}

function run(cmd: string, args: string[], what: string): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${what} failed (${cmd} ${args.join(" ")}):\n${r.stderr || r.stdout || r.error?.message}`);
  return r.stdout;
}

/** Runs the xaccount CLI as a user would, its output shown indented. Resolves to the exit code. */
function xaccount(args: string[], env: Record<string, string>, show = true): Promise<{ status: number; stdout: string }> {
  process.stdout.write(`    $ xaccount ${args.join(" ")}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    const relay = (chunk: Buffer, into: NodeJS.WriteStream): void => {
      const text = chunk.toString();
      stdout += into === process.stdout ? text : "";
      if (show) into.write(text.replace(/^(?=.)/gm, "      "));
    };
    child.stdout.on("data", (c: Buffer) => relay(c, process.stdout));
    child.stderr.on("data", (c: Buffer) => relay(c, process.stderr));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status: status ?? 1, stdout }));
  });
}

/** A Python with moto[server]: the project's .venv when it has one, else a small cached venv. */
function motoPython(): string {
  const candidates = [process.env.XACCOUNT_TEST_PYTHON, path.join(PACKAGE_ROOT, ".venv", "bin", "python")].filter((p): p is string => Boolean(p));
  for (const python of candidates) {
    if (existsSync(python) && spawnSync(python, ["-c", "import moto.server"]).status === 0) return python;
  }
  const venv = path.join(CACHE, "demo", "moto");
  const python = path.join(venv, "bin", "python");
  if (!existsSync(path.join(venv, ".installed"))) {
    say(`installing ${MOTO_REQUIREMENT} into ${venv} (once)`);
    run("python3", ["-m", "venv", venv], "creating a virtualenv for moto");
    run(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", MOTO_REQUIREMENT], `pip install ${MOTO_REQUIREMENT}`);
    writeFileSync(path.join(venv, ".installed"), MOTO_REQUIREMENT);
  }
  return python;
}

/** Where `xaccount run` keeps its installs for the demo (XDG_CACHE_HOME), and the pins it installs with. */
const RUN_ENV: Record<string, string> = {
  XDG_CACHE_HOME: path.join(CACHE, "demo", "xdg"),
  // The suite's dependency lock: a new upstream dependency release cannot change what the demo shows.
  PIP_CONSTRAINT: path.join(PACKAGE_ROOT, "test", "python", "server-locks", `${SERVER.distribution}-${SERVER.version}.txt`),
};

async function createCluster(account: string, name: string, admin: Identity): Promise<string> {
  const { ECSClient, CreateClusterCommand } = await import("@aws-sdk/client-ecs");
  const ecs = await sdkClient(ECSClient, { region: "us-east-1", credentials: admin.credentials });
  const out = await ecs.send(new CreateClusterCommand({ clusterName: name }));
  ecs.destroy();
  return out.cluster?.clusterArn ?? `(cluster ${name} in ${account})`;
}

/** The error a tool answered with (moto's AccessDenied text included), or undefined for a normal answer. */
function refusal(body: unknown, text: string): string | undefined {
  const error = body && typeof body === "object" ? (body as { error?: unknown }).error : undefined;
  const message = typeof error === "string" ? error : /AccessDenied|not authorized/.test(text) ? text : undefined;
  if (message === undefined) return undefined;
  // moto answers JSON-protocol services' denials in XML, which botocore does not parse: show its code and message.
  const xml = /<Code>([^<]+)<\/Code>\s*<Message>([^<]+)<\/Message>/.exec(message);
  return xml ? `${xml[1]}: ${xml[2]}` : message.split("\n")[0]?.slice(0, 240);
}

async function main(): Promise<number> {
  let moto: Moto | undefined;
  try {
    step("Starting the AWS emulator (moto) on a free loopback port, with IAM enforced: nothing here touches real AWS");
    moto = await startMoto(motoPython());
    const [host, ...admins] = await moto.bootstrap([
      { account: HOME_ACCOUNT, name: "mcp-host", actions: ["sts:AssumeRole"] },
      ...ACCOUNTS.map((a) => ({ account: a.id, name: "admin", actions: ADMIN })),
    ]);
    // The SDK calls in this process and every child below reach the emulator as the MCP host.
    Object.assign(process.env, host!.env);
    delete process.env.AWS_PROFILE;
    say(`AWS_ENDPOINT_URL=${moto.endpoint}; every request is checked against the caller's IAM policies`);
    say(`the MCP host is ${host!.arn}, allowed sts:AssumeRole and nothing else`);

    step(`Creating the read-only role McpReadOnlyRole in accounts ${ACCOUNTS.map((a) => a.id).join(" and ")}, trusting the MCP host`);
    for (const [i, account] of ACCOUNTS.entries()) {
      const admin = admins[i]!;
      say(`as ${admin.arn}, an administrator of ${account.id}:`);
      const r = await xaccount(["create-role", "--trust-principal", host!.arn], admin.env);
      if (r.status !== 0) throw new Error(`create-role in ${account.id} exited ${r.status}`);
      const arn = await createCluster(account.id, account.cluster, admin);
      say(`created ECS cluster ${arn}`);
    }

    const accounts = ACCOUNTS.map((a) => a.id).join(",");
    const runArgs = ["run", `ecs@${SERVER.version}`, "--accounts", ACCOUNTS.map((a) => `${a.cluster}=${a.id}`).join(",")];
    step(`Starting the real ECS MCP server as an MCP client would: command "xaccount", args ${JSON.stringify(runArgs)}`);
    say(`the first run installs ${SERVER.distribution}==${SERVER.version} from PyPI into a private cache and patches it (about a minute); later runs start in ~2 s, offline`);
    process.stdout.write(`    $ xaccount ${runArgs.join(" ")}\n`);
    // ALLOW_WRITE lets the server try a write, so the role's refusal shows below.
    const server = await startMcpServer({
      python: process.execPath,
      module: SERVER.entryModule,
      args: [BIN, ...runArgs],
      cwd: PACKAGE_ROOT,
      env: { ...(process.env as Record<string, string>), ...RUN_ENV, ALLOW_WRITE: "true", FASTMCP_LOG_LEVEL: "ERROR" },
      timeoutMs: 300_000,
    });
    try {
      const withAccount = server.tools.filter((t) => t.inputSchema.properties && "account_id" in t.inputSchema.properties).length;
      say(`connected: ${server.tools.length} tools, ${withAccount} of them take account_id`);
      const list = await xaccount(["run", "--list"], RUN_ENV);
      if (!/awslabs\.ecs-mcp-server\t/.test(list.stdout)) throw new Error("xaccount run --list does not show the server");
      const venv = path.join(RUN_ENV.XDG_CACHE_HOME!, "xaccount", "servers", SERVER.distribution, SERVER.version, "venv");

      step("Smoke-testing the chain with `xaccount test --server` on that install: identity, AssumeRole, read-only calls, the patched server over MCP");
      const test = await xaccount(["test", "--server", `ecs:${venv}`, "--accounts", accounts], host!.env);
      if (test.status !== 0) throw new Error(`xaccount test exited ${test.status}`);

      step("Which account answered each call: the same tool, called by the MCP client with and without account_id");
      for (const accountId of [...ACCOUNTS.map((a) => a.id), undefined]) {
        const args: Record<string, unknown> = { api_operation: "ListClusters", api_params: {} };
        if (accountId) args.account_id = accountId;
        const result = await server.call("ecs_resource_management", args);
        const body = parseBody(result.text, result.structured);
        const arns = findClusterArns(body);
        const call = accountId ? `account_id=${accountId}` : "without account_id (the host's own identity)";
        const refused = refusal(body, result.text);
        if (refused) say(`ecs_resource_management ListClusters ${call} -> refused: ${refused}`);
        else {
          const answeredBy = [...new Set(arns.map((a) => parseArn(a)?.account))].join(", ") || "(no clusters)";
          say(`ecs_resource_management ListClusters ${call} -> answered by ${answeredBy}: ${arns.map((a) => a.slice(a.lastIndexOf("/") + 1)).join(", ") || "[]"}`);
        }
      }
      // The role is read-only: a write with account_id reaches AWS as the role and is refused there.
      const target = ACCOUNTS[0]!.id;
      const write = await server.call("ecs_resource_management", { api_operation: "CreateCluster", api_params: { clusterName: "not-allowed" }, account_id: target });
      const denied = refusal(parseBody(write.text, write.structured), write.text);
      if (!denied || !/AccessDenied/.test(denied)) throw new Error(`a write with account_id was not refused: ${write.text.slice(0, 300)}`);
      say(`ecs_resource_management CreateCluster account_id=${target} -> refused: ${denied}`);
    } finally {
      await server.close();
    }
    return 0;
  } catch (err) {
    process.stderr.write(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    step("Cleaning up: stopping the emulator (its accounts, roles and clusters go with it)");
    await moto?.stop();
    say(`the server's install stays cached under ${RUN_ENV.XDG_CACHE_HOME} for the next run (xaccount run --list / --prune)`);
    process.stdout.write(`\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
}

process.exitCode = await main();
