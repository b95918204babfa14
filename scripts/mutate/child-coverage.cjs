/* global process, require, __filename */
/* eslint-disable @typescript-eslint/no-require-imports -- a `node -r` preload is CommonJS */
"use strict";
/**
 * Stryker's tap runner collects mutant coverage only in the test file's own process, but many of our
 * tests run the CLI as a child process (`node bin/xaccount.js ...`). Without the children's coverage,
 * a mutant reached only through the CLI would be reported as "no coverage" instead of being tested.
 *
 * Loaded with `-r` before the tap runner's hook. In the test file's process during the dry run it
 * hands itself to every child node process (NODE_OPTIONS) and, at exit, merges what the children
 * recorded into the coverage the tap runner writes. In a child it writes its own coverage at exit.
 * Mutant runs need none of this: the active mutant reaches children through the environment.
 */
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const NS = process.env.STRYKER_NAMESPACE || "__stryker__";
const DIR_VAR = "XACCOUNT_STRYKER_CHILD_COVERAGE";

function addInto(target, counts) {
  for (const [id, n] of Object.entries(counts || {})) target[id] = (target[id] || 0) + n;
}

if (process.env[DIR_VAR]) {
  // A child (or grandchild) of a test file during the dry run.
  const dir = process.env[DIR_VAR];
  process.on("exit", () => {
    const coverage = globalThis[NS] && globalThis[NS].mutantCoverage;
    if (!coverage) return;
    const counts = { ...(coverage.static || {}) };
    for (const perTest of Object.values(coverage.perTest || {})) addInto(counts, perTest);
    try {
      fs.writeFileSync(path.join(dir, `${process.pid}.json`), JSON.stringify(counts));
    } catch {
      // The test file's process is gone and took the directory with it: nothing left to merge into.
    }
  });
} else if (process.env.STRYKER_DRY_RUN === "true") {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "xaccount-stryker-"));
  process.env[DIR_VAR] = dir;
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS || ""} -r ${JSON.stringify(__filename)}`.trim();
  // Registered before the tap runner's hook, so it runs first and the hook writes the merged result.
  process.on("exit", () => {
    const ns = (globalThis[NS] = globalThis[NS] || {});
    const coverage = (ns.mutantCoverage = ns.mutantCoverage || { static: {}, perTest: {} });
    coverage.static = coverage.static || {};
    for (const name of fs.readdirSync(dir)) {
      try {
        addInto(coverage.static, JSON.parse(fs.readFileSync(path.join(dir, name), "utf8")));
      } catch {
        // A child killed mid-write: its coverage is lost, the mutant is then reported "no coverage".
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
}
