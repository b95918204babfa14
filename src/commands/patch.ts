/**
 * `xaccount patch ecs|iac <path>`: options -> engine call -> report. The engine plans and verifies
 * everything in memory; this file decides what to write and how to say it.
 */
import path from "node:path";
import type { Command } from "commander";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { PROFILES, profileFor, profileOf } from "../../codemods/index.js";
import { detectServer } from "../codemod/detect.js";
import type { CheckResult, LocatedServer, PatchPlan, Recovery, ServerProfile } from "../codemod/index.js";
import { RUNTIME_FILE } from "../codemod/contract.js";
import { firstAwsImport, AWS_SDKS } from "../codemod/aws-imports.js";
import { patchCommand, shellQuote } from "../codemod/shell.js";
import { failure, usageError } from "../errors.js";
import type { Io } from "../output.js";
import { addEntryOptions, entryNotes, entrySettings, pythonEntry, type EntryOptions, type EntrySettings } from "../config/entry.js";
import { formatAccountList } from "../accounts-list.js";

type Engine = typeof import("../codemod/index.js");

interface PatchOptions extends EntryOptions {
  dryRun?: boolean;
  diff?: boolean;
  check?: boolean;
  revert?: boolean;
  force?: boolean;
  json?: boolean;
}

const EXAMPLES = `
Examples:
  $ xaccount patch .venv                             # whichever AWS Labs server is installed there
  $ xaccount patch eks .venv                         # the EKS server, when the venv holds several
  $ xaccount patch ecs ./mcp                         # a checkout of github.com/awslabs/mcp
  $ xaccount patch iac .venv                         # a virtualenv with the server installed
  $ xaccount patch ecs src/ecs-mcp-server --diff     # show the edits, write nothing
  $ xaccount patch ecs .venv --check                 # CI: exit 1 unless fully patched by this version
  $ xaccount patch ecs .venv --revert                # restore the original bytes
`;

export function registerPatch(program: Command, io: Io): void {
  const cmd = program
    .command("patch")
    .description(
      "Patch an MCP server so every tool takes account_id (ECS: also region) and runs in that account.\n" +
        "Any AWS Labs MCP server (awslabs.*-mcp-server) is found from its metadata: `patch <path>`.\n" +
        `[server] names one (${Object.keys(PROFILES).join(", ")}, or a short name such as eks) when the path holds several.\n` +
        "<path> is a monorepo checkout (with a name), the server folder, the package folder, or a\n" +
        "virtualenv / site-packages where the server is installed.",
    )
    // Commander takes no optional argument before a required one: `patch <path>` arrives as the first.
    .argument("[server]", `which server: ${Object.keys(PROFILES).join(" | ")} | a short name (eks, cloudwatch, ...); omit it to detect`)
    .argument("[path]", "where the server's source is")
    .option("--dry-run", "plan and verify, write nothing (with --revert: show what a revert would restore)")
    .option("--diff", "print a unified diff of the edits, write nothing")
    .option("--check", "exit 1 unless every tool is patched and the runtime is current")
    .option("--revert", "restore the original bytes and remove the runtime and manifest")
    .option("--force", "with --revert: restore files edited since the patch too (their edits are lost); on a patch: replace a modified vendored runtime")
    .option("--json", "machine-readable report on stdout")
    .addHelpText("after", EXAMPLES)
    .action(async (first: string | undefined, second: string | undefined, opts: PatchOptions) => {
      if (first === undefined) throw usageError("bad-path", "no path given", "xaccount patch <path> (or xaccount patch <server> <path>)");
      if (second === undefined) await runPatch(undefined, first, opts, io);
      else await runPatch(first, second, opts, io);
    });
  // The settings of the MCP client entry printed after a patch (same flags as `xaccount config`).
  addEntryOptions(cmd);
}

/** The profile for `patch [server] <path>`: the named one, or the one detected at the path. */
export function patchProfile(server: string | undefined, target: string): ServerProfile {
  if (server !== undefined) return profileFor(server, target);
  if (PROFILES[target] && !existsSync(target)) {
    throw usageError("bad-path", `no path after the server name ${JSON.stringify(target)}`, `give where the server is: xaccount patch ${target} <path>`);
  }
  return profileOf(detectServer(target));
}

/**
 * A server that imports no AWS SDK has nothing for account_id to do: patching it would only add a
 * runtime that imports botocore, which such a server may not even install (it would stop starting).
 */
export function refuseNoAwsCalls(profile: ServerProfile, located: LocatedServer): void {
  // A profile file's server is known to call AWS (and the fixtures built for them need not import boto3).
  if (!profile.generic) return;
  if (firstAwsImport(located.packageDir, (rel) => rel === RUNTIME_FILE)) return;
  throw usageError(
    "no-aws-calls",
    `the ${profile.title} in ${located.packageDir} makes no AWS call (no module imports ${AWS_SDKS.join(", ")}): account_id would change nothing; nothing was written`,
    "use the server as it is: it behaves the same for every account",
  );
}

/** What the vendored runtime imports beyond the standard library (see codemods/runtime/_xaccount.py). */
const RUNTIME_IMPORTS = "import botocore.credentials, botocore.signers; from pydantic import Field, WithJsonSchema";
/** The distributions that provide them, as pip takes them (WithJsonSchema came in pydantic 2.5). */
export const RUNTIME_REQUIREMENTS = ["botocore", "pydantic>=2.5"] as const;

/**
 * The runtime imports botocore and pydantic (2.5 or later, for WithJsonSchema). A server that calls AWS
 * has them as a rule, but one that lacks them (an optional boto3, an old pydantic) would no longer start
 * once patched. When the package sits in a virtualenv we know its Python: ask it first.
 */
export function refuseMissingRuntimeDeps(located: LocatedServer): void {
  const python = located.venvPython;
  if (!python) return;
  const r = spawnSync(python, ["-c", RUNTIME_IMPORTS], { encoding: "utf8", timeout: 60_000 });
  // Only an import failure is ours to report; a Python that does not run at all is the compile step's.
  if (r.status === 0 || !/(ModuleNotFoundError|ImportError)/.test(r.stderr ?? "")) return;
  const why = (r.stderr ?? "").trim().split("\n").pop() ?? "";
  throw usageError(
    "runtime-deps-missing",
    `the server's Python ${python} cannot import what the xaccount runtime needs (${why}): patched, the server would no longer start; nothing was written`,
    `install them into that virtualenv: ${shellQuote(python)} -m pip install ${RUNTIME_REQUIREMENTS.map(shellQuote).join(" ")}, then patch again`,
  );
}

export async function runPatch(server: string | undefined, target: string, opts: PatchOptions, io: Io): Promise<void> {
  const modes = [opts.check && "--check", opts.revert && "--revert", opts.diff && "--diff"].filter(Boolean);
  if (modes.length > 1) throw usageError("bad-option", `${modes.join(" and ")} cannot be combined`, "pick one mode");
  if (opts.check && opts.dryRun) throw usageError("bad-option", "--check and --dry-run cannot be combined", "--check writes nothing already");
  if (opts.diff && opts.json) {
    throw usageError("bad-option", "--diff and --json cannot be combined", "--json reports every edited file and tool; --diff prints the edits as a unified diff: pick one");
  }
  if (opts.force && opts.check) throw usageError("bad-option", "--force does not apply to --check", "drop --force: --check only reads");
  const profile = patchProfile(server, target);
  // Checked before anything is written: a bad --accounts is refused with nothing patched.
  const entry: EntrySettings = opts.check || opts.revert ? { accounts: [] } : entrySettings(opts, process.env);
  // The engine is loaded only when this command runs, so other commands start without it.
  const engine: Engine = await import("../codemod/index.js");
  const located = engine.locateServer(profile, target);
  const preview = Boolean(opts.dryRun || opts.diff);
  // A run that crashed part-way left its journal: undo it before anything reads the half-written tree
  // (a preview writes nothing, so it refuses instead; see planPatch).
  if (!preview) {
    const recovery = engine.recoverInterrupted(located);
    if (recovery) io.err(recoveryLine(recovery, located, opts));
  }
  if (opts.revert) return revert(engine, profile, located, opts, io);
  refuseNoAwsCalls(profile, located);
  if (!opts.check) refuseMissingRuntimeDeps(located);

  const plan = await engine.planPatch(profile, located, { verify: !opts.check, check: Boolean(opts.check), force: Boolean(opts.force) });
  if (opts.check) return check(engine, plan, opts, io);
  const write = !preview;
  if (write && !plan.upToDate) await engine.writePatch(plan);
  if (plan.runtime.forced) {
    io.err(
      `xaccount: warning[runtime-modified]: ${write ? "replaced" : "would replace"} the modified ${RUNTIME_FILE} in ${located.packageDir} with this xaccount's runtime (--force)`,
    );
  }
  if (opts.json) io.out(JSON.stringify(patchJson(plan, write, entry), null, 2));
  else if (opts.diff) {
    // stdout carries the diff alone (empty when there is nothing to change), so it can be piped to
    // `patch` or `git apply`; the report goes to stderr.
    await printDiff(plan, io);
    printReport(plan, write, { ...io, out: io.err, c: io.cErr }, entry);
  } else printReport(plan, write, io, entry);
}

function recoveryLine(r: Recovery, located: LocatedServer, opts: PatchOptions): string {
  const next = opts.revert ? "reverting now" : opts.check ? "checking the restored tree" : "patching again";
  if (r.total === 0) return `xaccount: warning[patch-interrupted]: removed ${r.strayTemps} temp file(s) left in ${located.packageDir} by an interrupted xaccount run (no file had changed); ${next}`;
  return (
    `xaccount: warning[patch-interrupted]: a ${r.operation} of ${located.packageDir} (pid ${r.pid}) was interrupted after ${r.done} of ${r.total} file change(s)` +
    `${r.strayTemps ? ` and left ${r.strayTemps} temp file(s)` : ""}; rolled back to the exact bytes before it; ${next}`
  );
}

function checkError(code: CheckResult["code"], message: string, hint: string): Error {
  switch (code) {
    case "runtime-modified":
      return failure("runtime-modified", message, hint);
    case "patched-file-edited":
      return failure("patched-file-edited", message, hint);
    case "manifest-incomplete":
      return failure("manifest-incomplete", message, hint);
    // Registration forms the engine could not patch (issue 13): say which, the profile may accept them.
    case "tool-wrapper-unresolved":
      return failure("tool-wrapper-unresolved", message, hint);
    case "tool-unresolved":
      return failure("tool-unresolved", message, hint);
    case "tool-own-account-id":
      return failure("tool-own-account-id", message, hint);
    default:
      return failure("not-patched", message, hint);
  }
}

function check(engine: Engine, plan: PatchPlan, opts: PatchOptions, io: Io): void {
  const verdict = engine.checkPlan(plan);
  const runtime = plan.runtime.existing ?? null;
  const { profile, located } = plan;
  if (opts.json) io.out(JSON.stringify({ mode: "check", server: profile.name, ...verdict, runtime }, null, 2));
  else {
    if (verdict.patched) io.out(`${io.c.green("✓")} ${profile.title} in ${located.packageDir} is patched by this xaccount (${countLine(plan)})`);
    else {
      io.out(`${profile.title} in ${located.packageDir} is not fully patched:`);
      for (const f of verdict.findings) io.out(`  ${io.c.red("✗")} [${f.code}] ${f.message}`);
    }
    for (const t of verdict.skipped) {
      // A tool with an account_id of its own does have one, with its meaning: say that, not "has none".
      const what = t.kind === "own-account-id" ? "keeps an account_id of its own" : "is not patched and has no account_id";
      io.out(`  ${io.c.yellow("!")} warning: tool ${t.name} (${t.file}:${t.line}) ${what}: ${t.reason}`);
    }
  }
  if (!verdict.patched) {
    const first = verdict.findings.find((f) => f.code === verdict.code);
    const where = first ? path.join(located.packageDir, first.file) : located.packageDir;
    const hint =
      verdict.code === "not-patched"
        ? `run: ${patchCommand(profile.name, located.inputPath)}`
        : verdict.code === "manifest-incomplete"
          ? `reinstall the server package (pip install --force-reinstall --no-deps ${profile.distribution}==<version>), then ${patchCommand(profile.name, located.inputPath)}`
          : verdict.code === "tool-unresolved" || verdict.code === "tool-wrapper-unresolved" || verdict.code === "tool-own-account-id"
            ? "these tools would be exposed without cross-account access: if that is correct, say why in the server's profile (unpatchedTools, ownAccountId); see TROUBLESHOOTING.md"
            : `look at ${shellQuote(where)}: someone changed what xaccount wrote; ${patchCommand(profile.name, located.inputPath, "--revert", "--force")} then ${patchCommand(profile.name, located.inputPath)} rewrites it`;
    throw checkError(verdict.code, `${where}: ${first?.message ?? "not patched"} (${verdict.findings.length} problem(s) found by --check)`, hint);
  }
}

async function revert(engine: Engine, profile: ServerProfile, located: LocatedServer, opts: PatchOptions, io: Io): Promise<void> {
  const plan = engine.planRevert(profile, located, { force: opts.force });
  const write = !opts.dryRun;
  if (plan.wasPatched && write) await engine.writeRevert(plan);
  if (opts.json) {
    const { restored, unchanged, missing, edited, removes, wasPatched } = plan;
    io.out(
      JSON.stringify(
        { mode: write ? "revert" : "revert-dry-run", server: profile.name, packageDir: located.packageDir, wasPatched, written: write && wasPatched, restored, unchanged, missing, forced: edited, removed: removes },
        null,
        2,
      ),
    );
    return;
  }
  if (!plan.wasPatched) {
    io.out(`${profile.title} in ${located.packageDir} has no xaccount manifest: nothing to revert.`);
    return;
  }
  const [restore, remove] = write ? ["restored", "removed"] : ["would restore", "would remove"];
  io.out(write ? `Reverted the ${profile.title} in ${located.packageDir}` : `${io.c.yellow("Dry run, nothing written:")} would revert the ${profile.title} in ${located.packageDir}`);
  for (const f of plan.restored) io.out(`  ${restore} ${f}${plan.edited.includes(f) ? io.c.yellow(" (forced: edits made since the patch are gone)") : ""}`);
  for (const f of plan.missing) io.out(`  ${io.c.yellow("missing")} ${f} (was patched, now deleted; left as is)`);
  for (const f of plan.removes) io.out(`  ${remove} ${f}`);
  if (write) io.out(`Check: ${patchCommand(profile.name, located.inputPath, "--check")}  (now exits 1: not patched)`);
  else io.out(`Run without --dry-run to revert: ${patchCommand(profile.name, located.inputPath, "--revert", ...(opts.force ? ["--force"] : []))}`);
}

function countLine(plan: PatchPlan): string {
  const patched = plan.tools.filter((t) => t.status !== "skipped").length;
  const skipped = plan.tools.length - patched;
  return `${patched} tool(s) patched${skipped ? `, ${skipped} skipped` : ""}`;
}

/**
 * How to start the patched tree, and its MCP client entry: this tree's python -m the entry module, with the
 * settings the user gave (flags, else their environment) and nothing made up: what was not given is left out.
 */
export function nextSteps(plan: PatchPlan, settings: EntrySettings = { accounts: [] }): { start: string; mcpServers: Record<string, unknown>; notes: string[] } {
  const { located, profile } = plan;
  const python = located.venvPython ?? "python3";
  const extraEnv: Record<string, string> = located.venvPython ? {} : { PYTHONPATH: located.importRoot };
  const start = located.venvPython
    ? `${shellQuote(python)} -m ${profile.entryModule}`
    : `cd ${shellQuote(located.importRoot)} && ${shellQuote(python)} -m ${profile.entryModule}`;
  return {
    start,
    mcpServers: { mcpServers: { [`${profile.distribution}`]: pythonEntry(python, profile.entryModule, settings, extraEnv) } },
    notes: entryNotes(settings, "python"),
  };
}

function patchJson(plan: PatchPlan, write: boolean, settings: EntrySettings): Record<string, unknown> {
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
    path: plan.located.inputPath,
    packageDir: plan.located.packageDir,
    importRoot: plan.located.importRoot,
    written: write && !plan.upToDate,
    alreadyPatched: plan.upToDate,
    files,
    toolsPatched: plan.tools.filter((t) => t.status !== "skipped").map((t) => ({ file: t.file, name: t.name, added: t.adds })),
    toolsSkipped: plan.tools.filter((t) => t.status === "skipped").map((t) => ({ file: t.file, name: t.name, reason: t.reason })),
    runtime: { file: RUNTIME_FILE, action: plan.runtime.action, version: plan.manifest.runtime.version, sha256: plan.manifest.runtime.sha256 },
    verified: plan.compile ? { reparsed: plan.changes.length, pythonCompiled: plan.compile.ran } : { reparsed: 0, pythonCompiled: false },
    next: nextSteps(plan, settings),
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
  if (plan.runtime.action === "add" || plan.runtime.action === "replace" || plan.runtime.forced) {
    io.err(io.cErr.dim(`(${plan.runtime.action === "add" ? "adds" : "replaces"} ${RUNTIME_FILE}, the vendored runtime, and the manifest)`));
  }
}

function printReport(plan: PatchPlan, write: boolean, io: Io, settings: EntrySettings): void {
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
  const rtWhat = {
    add: "added",
    replace: `replaced ${rt.existing?.version ?? "an unstamped copy"}`,
    keep: "current",
    "keep-newer": `kept (from newer xaccount ${rt.existing?.version ?? ""})`,
    modified: "replaced a modified copy (--force)",
  }[rt.action];
  io.out(`  runtime: ${RUNTIME_FILE} ${rtWhat} (xaccount ${plan.manifest.runtime.version}, sha256 ${plan.manifest.runtime.sha256.slice(0, 12)})`);
  if (plan.compile) {
    io.out(
      `  verified: ${plan.changes.length} edited file(s) re-parsed clean` +
        (plan.compile.ran ? "; python compiled them" : `; python not run (${plan.compile.why})`),
    );
  }
  if (!write) {
    io.out(`Run without --dry-run/--diff to write: ${patchCommand(plan.profile.name, plan.located.inputPath, ...(plan.runtime.forced ? ["--force"] : []))}`);
    return;
  }
  const next = nextSteps(plan, settings);
  io.out("");
  io.out(c.bold("Next steps"));
  io.out(`  1. Create the role in each target account: xaccount create-role --trust-principal <the server's IAM principal ARN>`);
  io.out(`  2. Start the server from this tree (its dependencies installed in that python):`);
  io.out(`       ${next.start}`);
  io.out(`  3. Or add it to your MCP client (settings from --accounts, --role-name, --profile, --region or the environment):`);
  for (const l of JSON.stringify(next.mcpServers, null, 2).split("\n")) io.out(`       ${l}`);
  for (const n of next.notes) io.out(c.dim(`     note: ${n}`));
  const accounts = settings.accounts.length ? shellQuote(formatAccountList(settings.accounts)) : "<id>";
  io.out(`  4. Smoke-test: xaccount test --server ${shellQuote(`${plan.profile.name}:${plan.located.inputPath}`)} --accounts ${accounts}`);
  for (const n of plan.profile.notes ?? []) io.out(c.dim(`  note: ${n}`));
}
