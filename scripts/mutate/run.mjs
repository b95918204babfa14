/* global process, console */
/**
 * `npm run mutate [area...]`: mutation testing on demand (never in CI). Areas:
 *   codemod  src/codemod/*.ts  with the codemod and patch tests          (StrykerJS)
 *   aws      src/aws/*.ts      with the create-role, input-limits and smoke tests (StrykerJS)
 *   smoke    src/smoke/*.ts    with the smoke tests                      (StrykerJS)
 *   runtime  codemods/runtime/_xaccount.py with test/python/test_runtime_*.py (mutmut)
 * No area: all four. Prints the score of each area and every surviving mutant (file:line, mutator,
 * replacement); full reports go to reports/mutation/ (HTML and JSON for StrykerJS, mutmut's own
 * stage in .mutmut/). Runs are incremental: a second run re-tests only mutants whose code or tests
 * changed (--full to start over). mutmut keeps an earlier verdict even when tests were added since:
 * `runtime --survivors` re-tests only the mutants that survived or had no test.
 */
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, watch, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { drawn } from "./sample-checker.mjs";
import { UsageError, concurrencyFor, isMessageText, mutmutLine, parseArgs, parseProgress, reportName, resultsSource, sample, samplePercent, score, seedOf, summarizeDiff } from "./results.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const REPORTS = path.join(ROOT, "reports", "mutation");
const PYTHON = process.env.XACCOUNT_TEST_PYTHON ?? path.join(ROOT, ".venv", "bin", "python");

/**
 * What each StrykerJS area mutates and the compiled tests that cover it (built in Stryker's sandbox).
 * A mutant runs only the test files that reached it, in this order, and stops at the first that fails
 * (ordered-tap-runner.mjs): fast unit-level files first, the ones that start the emulator or a real
 * server last.
 */
const JS_AREAS = {
  codemod: {
    mutate: ["src/codemod/**/*.ts"],
    tests: [
      "dist/test/codemod-decisions-a.test.js",
      "dist/test/codemod-units.test.js",
      "dist/test/codemod-plan.test.js",
      "dist/test/codemod-locate.test.js",
      "dist/test/codemod-registration.test.js",
      "dist/test/codemod-decisions-b.test.js",
      "dist/test/codemod-detect-units.test.js",
      "dist/test/detect-server.test.js",
      "dist/test/codemod-fixtures.test.js",
      "dist/test/patch-cli.test.js",
    ],
  },
  aws: {
    // releases.ts is generated data (`node scripts/derive-releases.mjs`), checked whole against a fresh
    // derivation from the pinned servers by test_real_servers.py: its strings are not decisions to mutate.
    mutate: ["src/aws/**/*.ts", "!src/aws/derive/releases.ts"],
    tests: [
      "dist/test/aws-errors-units.test.js",
      "dist/test/aws-trust-units.test.js",
      "dist/test/aws-validate-units.test.js",
      "dist/test/aws-derive-units.test.js",
      "dist/test/aws-role-units.test.js",
      "dist/test/aws-stackset-units.test.js",
      "dist/test/aws-sts-units.test.js",
      "dist/test/aws-releases-units.test.js",
      "dist/test/derive-actions.test.js",
      "dist/test/stackset-units.test.js",
      "dist/test/smoke-units.test.js",
      "dist/test/input-limits.test.js",
      "dist/test/create-role-docs.test.js",
      "dist/test/create-role-startup.test.js",
      "dist/test/create-role-denied.test.js",
      "dist/test/accounts-pages.test.js",
      "dist/test/create-role-cfn.test.js",
      "dist/test/accounts.test.js",
      "dist/test/stackset.test.js",
      "dist/test/create-role.test.js",
      "dist/test/smoke-test.test.js",
    ],
  },
  smoke: {
    mutate: ["src/smoke/**/*.ts"],
    tests: ["dist/test/smoke-units.test.js", "dist/test/smoke-run-units.test.js", "dist/test/smoke-server-units.test.js", "dist/test/smoke-test.test.js"],
  },
};
const AREAS = [...Object.keys(JS_AREAS), "runtime"];

function usage(message) {
  if (message) console.error(`error: ${message}`);
  console.error(`usage: npm run mutate -- [--full|--report|--survivors|--sample N|P% [--seed S]] [--concurrency N] [${AREAS.join("|")} ...] [--mutate FILE[:LINES]]`);
  process.exit(2);
}

function strykerOptions(area, options) {
  const { mutate, tests } = JS_AREAS[area];
  const name = reportName(area, options);
  return {
    mutate: options.mutate.length ? options.mutate : mutate,
    testRunner: "tap-ordered",
    tap: {
      testFiles: tests,
      // child-coverage.cjs first: it adds the CLI child processes' coverage to the test file's own.
      nodeArgs: ["-r", path.join(ROOT, "scripts", "mutate", "child-coverage.cjs"), "-r", "{{hookFile}}", "{{testFile}}"],
      forceBail: true,
    },
    // Stryker instruments src/*.ts in its sandbox; tsc compiles the instrumented tree into its dist/.
    buildCommand: "tsc -p .", // found in the project's node_modules/.bin (the sandbox is inside the project)
    // Mutants that do not type-check are never run (reported as CompileError, outside the score):
    // file-typescript-checker.mjs, the mutated file's diagnostics only. A sample draws first, so only the
    // drawn mutants are type-checked.
    checkers: options.sampleFraction ? ["sample", "file-typescript"] : ["file-typescript"],
    tsconfigFile: path.join("scripts", "mutate", "tsconfig.check.json"),
    // Per test file: a mutant runs only the test files that reached it (the CLI children included).
    coverageAnalysis: "perTest",
    ignorers: ["message-text"],
    plugins: [
      "@stryker-mutator/*",
      path.join(ROOT, "scripts", "mutate", "ignore-message-text.mjs"),
      path.join(ROOT, "scripts", "mutate", "ordered-tap-runner.mjs"),
      path.join(ROOT, "scripts", "mutate", "sample-checker.mjs"),
      path.join(ROOT, "scripts", "mutate", "progress-file-reporter.mjs"),
      path.join(ROOT, "scripts", "mutate", "file-typescript-checker.mjs"),
    ],
    concurrency: concurrencyFor("stryker", options.concurrency, availableParallelism()),
    // The emulator and the servers start slowly on a loaded machine: a generous margin before a
    // mutant is called a timeout (which counts as detected).
    timeoutMS: 15000,
    timeoutFactor: 2,
    dryRunTimeoutMinutes: 15,
    // dist/test stays an input file: the tap runner names each test by its compiled file there, and
    // StrykerJS's incremental mode reuses a verdict only for tests whose file it has read and found
    // unchanged. With all of dist ignored, any change to any test re-ran nearly every mutant (56 of
    // 4141 verdicts reused). runStryker builds first, so dist/test is the tests being run.
    ignorePatterns: ["dist/src", "dist/codemods", "dist/bench", ".venv", ".cache", "reports", ".mutmut", ".git", "*.log"],
    incremental: true,
    force: options.full,
    incrementalFile: path.join("reports", "mutation", `${name}.incremental.json`),
    reporters: ["progress-append-only", "progress-file", "html", "json"],
    htmlReporter: { fileName: path.join("reports", "mutation", `${name}.html`) },
    jsonReporter: { fileName: path.join("reports", "mutation", `${name}.json`) },
    tempDirName: ".stryker-tmp",
    cleanTempDir: true,
    fileLogLevel: "off",
    logLevel: "info",
    thresholds: { high: 90, low: 80, break: null },
  };
}

async function runStryker(area, options) {
  build();
  process.env.XACCOUNT_TEST_PYTHON = PYTHON; // the sandbox has no .venv link; the tests find the venv through this
  process.env.XACCOUNT_MUTATE_SAMPLE = String(options.sampleFraction || 1); // read by sample-checker.mjs
  process.env.XACCOUNT_MUTATE_SEED = seedOf(options);
  process.env.XACCOUNT_MUTATE_PROGRESS = progressFile(area, options); // progress-file-reporter.mjs
  const { Stryker } = await import("@stryker-mutator/core");
  // Stryker makes its sandbox with mkdtemp (mode 0700). patch-cli's permission tests run the CLI as
  // nobody (root ignores file modes), who must be able to reach the sandbox's dist/ to run it.
  const tmp = path.join(ROOT, ".stryker-tmp");
  mkdirSync(tmp, { recursive: true });
  chmodSync(tmp, 0o755);
  const opened = new Set(); // once each: the chmod itself is an event on the same name
  const watcher = watch(tmp, (_event, name) => {
    if (name && /^sandbox-/.test(name) && !opened.has(name)) {
      opened.add(name);
      try {
        chmodSync(path.join(tmp, name), 0o755);
      } catch {
        // gone already (cleaned up)
      }
    }
  });
  try {
    await new Stryker(strykerOptions(area, options)).runMutationTest();
  } finally {
    watcher.close();
  }
  return summarizeStryker(area, options);
}

function progressFile(area, options) {
  return path.join(REPORTS, `${reportName(area, options)}.progress.jsonl`);
}

/**
 * The last run's results: from its JSON report (mutation-testing-report-schema), or, when the run was
 * stopped before writing one (its progress file is newer), from the verdicts it had reached.
 */
function summarizeStryker(area, options) {
  const file = path.join(REPORTS, `${reportName(area, options)}.json`);
  const progress = progressFile(area, options);
  const mtime = (f) => (existsSync(f) ? statSync(f).mtimeMs : undefined);
  const source = resultsSource(mtime(progress), mtime(file));
  if (!source) return undefined;
  const stopped = source === "progress";
  const results = stopped ? parseProgress(readFileSync(progress, "utf8")) : readReport(file);
  if (stopped && results.length === 0) return undefined;
  const survivors = results
    .filter((r) => r.status === "Survived" || r.status === "NoCoverage")
    .sort((x, y) => x.fileName.localeCompare(y.fileName) || x.location.start.line - y.location.start.line)
    .map((r) => ({
      where: `${path.relative(ROOT, path.resolve(ROOT, r.fileName))}:${r.location.start.line}`,
      mutator: r.status === "NoCoverage" ? `${r.mutatorName} (no coverage)` : r.mutatorName,
      replacement: (r.replacement ?? "").replace(/\s+/g, " ").slice(0, 100),
    }));
  const sample = options.sampleFraction ? ` (sample ${samplePercent(options)}%${options.seed ? `, seed ${options.seed}` : ""})` : "";
  const label = `${area}${sample}${stopped ? " (unfinished run: the mutants checked so far)" : ""}`;
  const inSample = (r) => drawn(r, options.sampleFraction || 1, seedOf(options));
  return { area: label, tool: "StrykerJS", ...score(results, inSample), survivors };
}

function readReport(file) {
  const report = JSON.parse(readFileSync(file, "utf8"));
  const results = [];
  for (const [fileName, { mutants }] of Object.entries(report.files)) {
    for (const m of mutants) results.push({ ...m, fileName });
  }
  return results;
}

/**
 * mutmut names a mutant by the module path of its file from where it runs, and the tests import the
 * runtime as the top-level module `_xaccount` (from codemods/runtime/, as a patched server does). So
 * mutmut runs in a staged copy, .mutmut/: the runtime at its top, the Python tests, and in mutmut's
 * own copy (.mutmut/mutants/) codemods/runtime/_xaccount.py linked to the mutated file, for the
 * tests that load the runtime by path or start a child process with it. The stage is kept between
 * runs so mutmut re-tests only what changed.
 */
const STAGE = path.join(ROOT, ".mutmut");
const RUNTIME_TESTS = "test_runtime_"; // test/python/test_runtime_*.py, selected by module name

function stageRuntime() {
  mkdirSync(STAGE, { recursive: true });
  syncFile(path.join(ROOT, "codemods", "runtime", "_xaccount.py"), path.join(STAGE, "_xaccount.py"));
  rmSync(path.join(STAGE, "test"), { recursive: true, force: true });
  cpSync(path.join(ROOT, "test", "python"), path.join(STAGE, "test", "python"), {
    recursive: true,
    preserveTimestamps: true,
    filter: (src) => !/(__pycache__|\.pytest_cache|server-locks)$/.test(src),
  });
  const pytestSettings = readFileSync(path.join(ROOT, "pyproject.toml"), "utf8");
  const messagePatterns = messageLinePatterns(path.join(STAGE, "_xaccount.py"));
  writeIfChanged(path.join(STAGE, "pyproject.toml"), `${pytestSettings}
# Written by scripts/mutate/run.mjs for this stage.
[tool.mutmut]
source_paths = ["_xaccount.py"]
# --tb=no: a failing test's traceback makes pytest parse the source of every frame, and the mutated
# runtime holds every mutant (5 MB): 7 s per killed mutant, for a report nobody reads.
# --timeout: a mutant that hangs a test is caught once it has hung for a minute and a half (the suite's own
# limit, for CI, is 10 minutes); no runtime test takes a tenth of that.
pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "mutmut_plugin", "--tb=no", "--timeout=90"]
pytest_add_cli_args_test_selection = ["test/python", "-k", "${RUNTIME_TESTS}"]
# Mutants that do not type-check (mypy --strict, as CI checks the runtime) are never run: outside the
# score, like StrykerJS's compile errors.
type_check_command = ${JSON.stringify([PYTHON, "-m", "mypy", "--strict", "--no-warn-unused-ignores", "--no-incremental", "--output", "json", "_xaccount.py"])}
# Lines of message text only (scripts/mutate/message_lines.py): not mutated, as StrykerJS's ignorer.
do_not_mutate_patterns = [
${messagePatterns}
]
# Each mutant imports the runtime afresh: the runtime installs its hooks at import (_install_hook,
# _shared_var, the log filter), and a worker forked after the import would never run those mutants.
# The fork server preloads only the heavy libraries, not the runtime or the tests that import it.
process_isolation = "forkserver"
forkserver_warmup = "import"
preload_modules_file = "preload-modules.txt"
# A mutant's CPU-time limit is (its tests' time + this constant) x the multiplier. Each mutant pays a fresh
# import and an emulator start, which its tests' recorded time does not include (import-time functions
# record almost none): the constant keeps a slow start from being filed as a timeout (counted as caught).
timeout_constant = 60.0
timeout_multiplier = 4.0
`);
  // Import-time functions filed under every test, fastest tests first, moto servers pooled across
  // mutants: see the plugin's docstring.
  // In a directory of its own on PYTHONPATH: the stage's top holds the unmutated runtime, which must
  // not shadow the mutated one in the child processes the tests start.
  mkdirSync(path.join(STAGE, "plugin"), { recursive: true });
  syncFile(path.join(ROOT, "scripts", "mutate", "mutmut_plugin.py"), path.join(STAGE, "plugin", "mutmut_plugin.py"));
  writeIfChanged(path.join(STAGE, "preload-modules.txt"), ["pytest", "boto3", "botocore.session", "botocore.credentials", "mcp.server.fastmcp", "pydantic"].join("\n") + "\n");
  const link = path.join(STAGE, "mutants", "codemods", "runtime", "_xaccount.py");
  mkdirSync(path.dirname(link), { recursive: true });
  rmSync(link, { force: true });
  symlinkSync(path.join("..", "..", "_xaccount.py"), link);
  stageCli(path.join(STAGE, "mutants"));
}

/**
 * The end-to-end runtime tests patch a fixture server with the CLI, which vendors the runtime found
 * beside its own package.json. A copy of the built CLI in mutmut's tree vendors the mutated runtime
 * (linked above); a link to the project's would vendor the unmutated one (Node follows the link to
 * the real path), and the mutant would survive those tests unseen. The fixtures and node_modules are
 * only read: links.
 */
function stageCli(tree) {
  build();
  for (const dir of ["dist", "bin"]) {
    rmSync(path.join(tree, dir), { recursive: true, force: true });
    cpSync(path.join(ROOT, dir), path.join(tree, dir), { recursive: true });
  }
  cpSync(path.join(ROOT, "package.json"), path.join(tree, "package.json"));
  for (const dir of ["node_modules", "fixtures"]) {
    rmSync(path.join(tree, dir), { force: true });
    symlinkSync(path.join(ROOT, dir), path.join(tree, dir));
  }
}

/**
 * `tsc -p .` in the project, once per `npm run mutate` (every area run asks for it): the CLI the
 * runtime's stage copies, and the dist/test StrykerJS compares.
 */
let builtOnce = false;
function build() {
  if (builtOnce) return;
  const built = spawnSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "."], { cwd: ROOT, stdio: "inherit" });
  if (built.status !== 0) throw new Error("the TypeScript build failed: fix it before a mutation run");
  builtOnce = true;
}

/** do_not_mutate_patterns for the lines that hold only message text: each line, whole and exact. */
function messageLinePatterns(file) {
  return messageLines(file, "--pure-lines")
    .map((line) => `  ${JSON.stringify(`^${line.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`)},`)
    .join("\n");
}

/** scripts/mutate/message_lines.py's answer for the runtime: its message spans, or with --pure-lines its lines of message text only. */
function messageLines(file, ...flags) {
  const run = spawnSync(PYTHON, [path.join(ROOT, "scripts", "mutate", "message_lines.py"), file, ...flags], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`message_lines.py failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** Copies only when the content differs, keeping the time stamp: mutmut compares them. */
function syncFile(from, to) {
  if (existsSync(to) && readFileSync(to).equals(readFileSync(from))) return;
  cpSync(from, to, { preserveTimestamps: true });
}

function writeIfChanged(file, text) {
  if (existsSync(file) && readFileSync(file, "utf8") === text) return;
  writeFileSync(file, text);
}

/**
 * mutmut through `python -m mutmut`, not its `bin/mutmut` script: a venv shared between worktrees can
 * hold a script whose `#!` names the worktree that installed it, gone since (spawn fails with ENOENT).
 */
function mutmut(args, options) {
  const env = {
    ...process.env,
    // Each mutant is a fresh process that imports the mutated runtime (5 MB, 1.4 s to compile):
    // let the first import write its bytecode so the others load it.
    PYTHONDONTWRITEBYTECODE: "",
    XACCOUNT_TEST_PYTHON: PYTHON,
    PYTHONPATH: [path.join(STAGE, "plugin"), process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
    XACCOUNT_MUTATE_MOTO_POOL: path.join(STAGE, "moto-pool"),
  };
  return spawnSync(PYTHON, ["-m", "mutmut", ...args], { cwd: STAGE, env, ...options });
}

function mutmutInstalled() {
  return spawnSync(PYTHON, ["-c", "import mutmut"], { stdio: "ignore" }).status === 0;
}

function runMutmut(options) {
  if (options.full) rmSync(STAGE, { recursive: true, force: true });
  if (!mutmutInstalled()) {
    console.error(`mutmut is not installed in ${path.dirname(path.dirname(PYTHON))}: run: ${path.relative(ROOT, PYTHON)} -m pip install -r requirements-mutate.txt`);
    process.exit(2);
  }
  stageRuntime();
  // mutmut re-tests a mutant that has a verdict only when it is named.
  const names = options.survivors
    ? mutmutStatuses(["survived", "no tests"])
    : options.sample
      ? sample(mutmutStatuses(["not checked"]).sort(), options.sample)
      : [];
  if ((options.survivors || options.sample) && names.length === 0) return summarizeMutmut();
  let run;
  try {
    run = mutmut(["run", "--max-children", String(concurrencyFor("mutmut", options.concurrency, availableParallelism())), ...names], { stdio: "inherit" });
  } finally {
    spawnSync(PYTHON, [path.join("plugin", "mutmut_plugin.py"), "stop-pool"], {
      cwd: STAGE,
      env: { ...process.env, XACCOUNT_MUTATE_MOTO_POOL: path.join(STAGE, "moto-pool") },
      stdio: "inherit",
    });
  }
  if (run.status !== 0) throw new Error(`mutmut run exited with ${run.status ?? run.signal ?? run.error}`);
  return summarizeMutmut();
}

function mutmutStatuses(wanted) {
  const results = mutmut(["results", "--all", "true"], { encoding: "utf8" });
  const names = [];
  for (const line of (results.stdout ?? "").split("\n")) {
    const m = /^\s*(\S+): (.+)$/.exec(line);
    if (m && wanted.includes(m[2].trim())) names.push(m[1]);
  }
  return names;
}

/** mutmut's results so far (a stopped run keeps what it checked; the rest is "not checked"). */
function summarizeMutmut() {
  if (!existsSync(path.join(STAGE, "mutants"))) return undefined;
  const results = mutmut(["results", "--all", "true"], { encoding: "utf8" });
  const statuses = {};
  for (const line of results.stdout.split("\n")) {
    const m = /^\s*(\S+): (.+)$/.exec(line);
    if (m) statuses[m[1]] = m[2].trim();
  }
  const count = (s) => Object.values(statuses).filter((v) => v === s).length;
  // "segfault" is mutmut's name for a mutant's process killed by a signal (SIGKILL once it has used
  // up its CPU-time limit): caught, like a timeout.
  const detected = count("killed") + count("timeout") + count("segfault");
  const undetected = count("survived") + count("no tests");
  const sourceFile = path.join(STAGE, "_xaccount.py");
  const source = readFileSync(sourceFile, "utf8").split("\n");
  const spans = messageLines(sourceFile);
  const survivors = [];
  let messageText = 0;
  for (const [name, status] of Object.entries(statuses)) {
    if (status !== "survived" && status !== "no tests") continue;
    const diff = mutmut(["show", name], { encoding: "utf8" }).stdout;
    const line = mutmutLine(source, name, diff);
    if (status === "survived" && line !== undefined && isMessageText(diff, line, source, spans)) {
      messageText++;
      continue;
    }
    survivors.push({
      where: `codemods/runtime/_xaccount.py:${line ?? "?"}`,
      mutator: `${name.replace(/^_xaccount\./, "")}${status === "no tests" ? " (no coverage)" : ""}`,
      replacement: summarizeDiff(diff),
    });
  }
  return {
    area: "runtime",
    tool: "mutmut",
    total: Object.keys(statuses).length,
    killed: count("killed"),
    timeout: count("timeout") + count("segfault"),
    survived: count("survived") - messageText,
    noCoverage: count("no tests"),
    notChecked: count("not checked"),
    compileError: count("caught by type check"), // mypy --strict refused them: never run, outside the score
    suspicious: count("suspicious"),
    ignored: count("skipped") + messageText,
    score: detected + undetected - messageText ? (100 * detected) / (detected + undetected - messageText) : NaN,
    survivors,
  };
}

function print(summary) {
  const s = summary;
  console.log(`\n== ${s.area} (${s.tool}): score ${s.score.toFixed(1)}% — ${s.killed} killed, ${s.timeout} timeout, ${s.survived} survived, ${s.noCoverage} no coverage` +
    (s.compileError !== undefined ? `, ${s.compileError} ${s.tool === "mutmut" ? "refused by mypy" : "compile errors"} (not run)` : "") +
    (s.ignored ? `, ${s.ignored} ignored (message text)` : "") +
    (s.notChecked ? `, ${s.notChecked} not checked yet (a stopped run)` : "") + ` of ${s.total}` +
    (s.notDrawn ? ` drawn (${s.notDrawn} not drawn)` : ""));
  for (const v of s.survivors) console.log(`  ${v.where}  ${v.mutator}  ${v.replacement}`);
}

let options;
try {
  options = parseArgs(process.argv.slice(2), AREAS);
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  usage(error.message);
}
mkdirSync(REPORTS, { recursive: true });
const summaries = [];
for (const area of options.areas) {
  const started = Date.now();
  const summary = options.report
    ? area === "runtime" ? summarizeMutmut() : summarizeStryker(area, options)
    : area === "runtime" ? runMutmut(options) : await runStryker(area, options);
  if (!summary) {
    console.log(`\n== ${area}: no results yet (run: npm run mutate -- ${area})`);
    continue;
  }
  summary.minutes = (Date.now() - started) / 60000;
  summaries.push(summary);
  print(summary);
}
console.log("\n== mutation scores (goal: runtime and codemod >= 90%, aws and smoke >= 80%)");
for (const s of summaries) {
  console.log(`  ${s.area.padEnd(8)} ${s.score.toFixed(1).padStart(5)}%  ${String(s.survived + s.noCoverage).padStart(4)} surviving of ${s.total}  ${options.report ? "" : `(${s.minutes.toFixed(1)} min)`}`);
}
