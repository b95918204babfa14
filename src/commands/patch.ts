/**
 * `xaccount patch ecs|iac <path>`: options -> engine call -> report. The engine plans and verifies
 * everything in memory; this file decides what to write and how to say it.
 */
import path from "node:path";
import type { Command } from "commander";
import { getProfile, PROFILES } from "../../codemods/index.js";
import type { LocatedServer, PatchPlan, ServerProfile } from "../codemod/index.js";
import { RUNTIME_FILE } from "../codemod/contract.js";
import { failure, usageError } from "../errors.js";
import type { Io } from "../output.js";

type Engine = typeof import("../codemod/index.js");

interface PatchOptions {
  dryRun?: boolean;
  diff?: boolean;
  check?: boolean;
  revert?: boolean;
  force?: boolean;
  json?: boolean;
}

const EXAMPLES = `
Examples:
  $ xaccount patch ecs ./mcp                         # a checkout of github.com/awslabs/mcp
  $ xaccount patch iac .venv                         # a virtualenv with the server installed
  $ xaccount patch ecs src/ecs-mcp-server --diff     # show the edits, write nothing
  $ xaccount patch ecs .venv --check                 # CI: exit 1 unless fully patched by this version
  $ xaccount patch ecs .venv --revert                # restore the original bytes
`;

export function registerPatch(program: Command, io: Io): void {
  program
    .command("patch")
    .description(
      "Patch an MCP server so every tool takes account_id (ECS: also region) and runs in that account.\n" +
        `<server> is one of: ${Object.keys(PROFILES).join(", ")}. <path> is a monorepo checkout, the server\n` +
        "folder, the package folder, or a virtualenv / site-packages where the server is installed.",
    )
    .argument("<server>", `which server: ${Object.keys(PROFILES).join(" | ")}`)
    .argument("<path>", "where the server's source is")
    .option("--dry-run", "plan and verify, write nothing")
    .option("--diff", "print a unified diff of the edits, write nothing")
    .option("--check", "exit 1 unless every tool is patched and the runtime is current")
    .option("--revert", "restore the original bytes and remove the runtime and manifest")
    .option("--force", "with --revert: restore files edited since the patch too (their edits are lost)")
    .option("--json", "machine-readable report on stdout")
    .addHelpText("after", EXAMPLES)
    .action(async (server: string, target: string, opts: PatchOptions) => {
      await runPatch(server, target, opts, io);
    });
}

export async function runPatch(server: string, target: string, opts: PatchOptions, io: Io): Promise<void> {
  const modes = [opts.check && "--check", opts.revert && "--revert", (opts.dryRun || opts.diff) && "--dry-run/--diff"].filter(Boolean);
  if (modes.length > 1) throw usageError("bad-option", `${modes.join(" and ")} cannot be combined`, "pick one mode");
  if (opts.force && !opts.revert) throw usageError("bad-option", "--force only applies to --revert", "add --revert, or drop --force");
  const profile = getProfile(server);
  // The engine is loaded only when this command runs, so other commands start without it.
  const engine: Engine = await import("../codemod/index.js");
  const located = engine.locateServer(profile, target);
  if (opts.revert) return revert(engine, profile, located, target, opts, io);

  const plan = await engine.planPatch(profile, located, { verify: !opts.check });
  if (opts.check) return check(engine, plan, target, opts, io);
  const write = !opts.dryRun && !opts.diff;
  if (write && !plan.upToDate) engine.writePatch(plan);
  if (opts.json) io.out(JSON.stringify(patchJson(plan, target, write), null, 2));
  else {
    if (opts.diff) await printDiff(plan, io);
    printReport(plan, target, write, io);
  }
}

function check(engine: Engine, plan: PatchPlan, target: string, opts: PatchOptions, io: Io): void {
  const verdict = engine.checkPlan(plan);
  const runtime = plan.runtime.existing ?? null;
  if (opts.json) io.out(JSON.stringify({ mode: "check", server: plan.profile.name, ...verdict, runtime }, null, 2));
  else if (verdict.patched) {
    io.out(`${io.c.green("✓")} ${plan.profile.title} in ${plan.located.packageDir} is patched by this xaccount (${countLine(plan)})`);
  } else {
    io.out(`${plan.profile.title} in ${plan.located.packageDir} is not fully patched:`);
    for (const p of verdict.problems) io.out(`  ${io.c.red("✗")} ${p}`);
  }
  if (!verdict.patched) {
    throw failure("not-patched", `${verdict.problems.length} problem(s) found by --check`, `run: xaccount patch ${plan.profile.name} ${target}`);
  }
}

function revert(engine: Engine, profile: ServerProfile, located: LocatedServer, target: string, opts: PatchOptions, io: Io): void {
  const plan = engine.planRevert(profile, located, { force: opts.force });
  if (plan.wasPatched) engine.writeRevert(plan);
  if (opts.json) {
    const { restored, unchanged, missing, edited, removes, wasPatched } = plan;
    io.out(JSON.stringify({ mode: "revert", server: profile.name, packageDir: located.packageDir, wasPatched, restored, unchanged, missing, forced: edited, removed: removes }, null, 2));
    return;
  }
  if (!plan.wasPatched) {
    io.out(`${profile.title} in ${located.packageDir} has no xaccount manifest: nothing to revert.`);
    return;
  }
  io.out(`Reverted the ${profile.title} in ${located.packageDir}`);
  for (const f of plan.restored) io.out(`  restored ${f}${plan.edited.includes(f) ? io.c.yellow(" (forced: edits made since the patch are gone)") : ""}`);
  for (const f of plan.missing) io.out(`  ${io.c.yellow("missing")} ${f} (was patched, now deleted; left as is)`);
  for (const f of plan.removes) io.out(`  removed ${f}`);
  io.out(`Check: xaccount patch ${profile.name} ${target} --check  (now exits 1: not patched)`);
}

function countLine(plan: PatchPlan): string {
  const patched = plan.tools.filter((t) => t.status !== "skipped").length;
  const skipped = plan.tools.length - patched;
  return `${patched} tool(s) patched${skipped ? `, ${skipped} skipped` : ""}`;
}

/** The runtime's settings, the same for every server, as a starting point for the MCP client configuration. */
const CLIENT_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: "us-east-1",
  XACCOUNT_ROLE_NAME: "McpReadOnlyRole",
  XACCOUNT_ALLOWED_ACCOUNTS: "111111111111,222222222222",
  FASTMCP_LOG_LEVEL: "ERROR",
};

export function nextSteps(plan: PatchPlan): { start: string; mcpServers: Record<string, unknown> } {
  const { located, profile } = plan;
  const python = located.venvPython ?? "python3";
  const env: Record<string, string> = located.venvPython ? {} : { PYTHONPATH: located.importRoot };
  Object.assign(env, CLIENT_ENV);
  const start = located.venvPython
    ? `${python} -m ${profile.entryModule}`
    : `cd ${located.importRoot} && ${python} -m ${profile.entryModule}`;
  return {
    start,
    mcpServers: { mcpServers: { [`${profile.distribution}`]: { command: python, args: ["-m", profile.entryModule], env } } },
  };
}

function patchJson(plan: PatchPlan, target: string, write: boolean): Record<string, unknown> {
  const files = [...new Set(plan.tools.map((t) => t.file))].map((file) => ({
    file,
    changed: plan.changes.some((c) => c.file === file),
    tools: plan.tools
      .filter((t) => t.file === file)
      .map((t) => ({ name: t.name, function: t.funcName ?? null, line: t.line, status: t.status, added: t.adds, ...(t.reason ? { reason: t.reason } : {}) })),
  }));
  return {
    mode: write ? "patch" : "dry-run",
    server: plan.profile.name,
    path: target,
    packageDir: plan.located.packageDir,
    importRoot: plan.located.importRoot,
    written: write && !plan.upToDate,
    alreadyPatched: plan.upToDate,
    files,
    toolsPatched: plan.tools.filter((t) => t.status !== "skipped").map((t) => ({ file: t.file, name: t.name, added: t.adds })),
    toolsSkipped: plan.tools.filter((t) => t.status === "skipped").map((t) => ({ file: t.file, name: t.name, reason: t.reason })),
    runtime: { file: RUNTIME_FILE, action: plan.runtime.action, version: plan.manifest.runtime.version, sha256: plan.manifest.runtime.sha256 },
    verified: plan.compile ? { reparsed: plan.changes.length, pythonCompiled: plan.compile.ran } : { reparsed: 0, pythonCompiled: false },
    next: nextSteps(plan),
  };
}

async function printDiff(plan: PatchPlan, io: Io): Promise<void> {
  // Loaded here: only --diff needs it, and every import costs start-up time.
  const { createTwoFilesPatch } = await import("diff");
  for (const c of plan.changes) {
    const patch = createTwoFilesPatch(`a/${c.file}`, `b/${c.file}`, c.before, c.after, "", "", { context: 3 });
    for (const line of patch.replace(/\n$/, "").split("\n")) {
      if (line.startsWith("+++") || line.startsWith("---")) io.out(io.c.bold(line));
      else if (line.startsWith("+")) io.out(io.c.green(line));
      else if (line.startsWith("-")) io.out(io.c.red(line));
      else if (line.startsWith("@@")) io.out(io.c.cyan(line));
      else io.out(line);
    }
  }
  if (plan.runtime.action === "add" || plan.runtime.action === "replace") {
    io.out(io.c.dim(`(${plan.runtime.action === "add" ? "adds" : "replaces"} ${RUNTIME_FILE}, the vendored runtime, and the manifest)`));
  }
}

function printReport(plan: PatchPlan, target: string, write: boolean, io: Io): void {
  const { c } = io;
  const where = plan.located.packageDir;
  if (plan.upToDate) {
    io.out(`${c.green("✓")} ${plan.profile.title} in ${where} is already patched (${countLine(plan)}); nothing changed.`);
  } else {
    io.out(`${write ? "Patched" : c.yellow("Dry run, nothing written:") + " would patch"} the ${plan.profile.title} in ${where}`);
  }
  const byFile = new Map<string, PatchPlan["tools"]>();
  for (const t of plan.tools) byFile.set(t.file, [...(byFile.get(t.file) ?? []), t]);
  for (const [file, tools] of byFile) {
    const active = tools.filter((t) => t.status !== "skipped");
    if (active.length === 0) continue;
    io.out(`  ${file}`);
    for (const t of active) {
      const what = t.adds.length ? `+ ${t.adds.join(", ")}` : "already patched";
      io.out(`    ${c.green("✓")} ${t.name} ${c.dim(`(line ${t.line}, ${what})`)}`);
    }
  }
  const skipped = plan.tools.filter((t) => t.status === "skipped");
  if (skipped.length) {
    io.out("  skipped:");
    for (const t of skipped) io.out(`    ${c.yellow("-")} ${t.name} ${c.dim(`(${t.file}:${t.line})`)}: ${t.reason ?? ""}`);
  }
  const rt = plan.runtime;
  const rtWhat = { add: "added", replace: `replaced ${rt.existing?.version ?? "an unstamped copy"}`, keep: "current", "keep-newer": `kept (from newer xaccount ${rt.existing?.version ?? ""})` }[rt.action];
  io.out(`  runtime: ${RUNTIME_FILE} ${rtWhat} (xaccount ${plan.manifest.runtime.version}, sha256 ${plan.manifest.runtime.sha256.slice(0, 12)})`);
  if (plan.compile) {
    io.out(
      `  verified: ${plan.changes.length} edited file(s) re-parsed clean` +
        (plan.compile.ran ? "; python compiled them" : `; python not run (${plan.compile.why})`),
    );
  }
  if (!write) {
    io.out(`Run without --dry-run/--diff to write: xaccount patch ${plan.profile.name} ${target}`);
    return;
  }
  const next = nextSteps(plan);
  io.out("");
  io.out(c.bold("Next steps"));
  io.out(`  1. Create the role in each target account: xaccount create-role --trust-principal <the server's IAM principal ARN>`);
  io.out(`  2. Start the server from this tree (its dependencies installed in that python):`);
  io.out(`       ${next.start}`);
  io.out(`  3. Or add it to your MCP client (edit the XACCOUNT_* values):`);
  for (const l of JSON.stringify(next.mcpServers, null, 2).split("\n")) io.out(`       ${l}`);
  io.out(`  4. Smoke-test: xaccount test --server ${plan.profile.name}:${path.resolve(target)} --accounts <id>`);
  for (const n of plan.profile.notes ?? []) io.out(c.dim(`  note: ${n}`));
}
