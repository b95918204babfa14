/**
 * Unit tests of the codemod's proof step (src/codemod/verify.ts): which Python it asks, what that Python
 * is told, and how each of its answers reads. Fast (no emulator, no server): they are what
 * `npm run mutate -- codemod` runs for most mutants of verify.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { choosePython, pythonCompile, reparseProblems, startCompiler } from "../src/codemod/verify.js";

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), "xaccount-verify-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** An executable `python3` in `dir` (a shell script). */
function fakePython(dir: string, body: string, name = "python3"): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

function withEnv(t: { after: (fn: () => void) => void }, vars: Record<string, string | undefined>): void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  t.after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

test("reparse: clean files give nothing; a broken one gives its file, its first bad line and tree-sitter's word", () => {
  assert.deepEqual(reparseProblems([{ file: "a.py", text: "x = 1\n" }, { file: "b.py", text: "def f():\n    return 2\n" }]), []);
  const problems = reparseProblems([
    { file: "ok.py", text: "x = 1\n" },
    { file: "bad.py", text: "x = 1\ny = 2\ndef f(:\n    pass\n" },
    { file: "worse.py", text: "(\n" },
  ]);
  assert.deepEqual(problems.map((p) => [p.file, p.line]), [["bad.py", 3], ["worse.py", 1]]);
  assert.match(problems[0]!.message, /after patching \(tree-sitter\)$/);
});

test("choosePython: XACCOUNT_PYTHON, then the server's venv python, then the first python3 on PATH that is not a shim", (t) => {
  const dir = scratch(t);
  const shims = path.join(dir, "shims");
  fakePython(shims, "exit 0");
  const notExecutable = path.join(dir, "plain");
  mkdirSync(notExecutable);
  writeFileSync(path.join(notExecutable, "python3"), "");
  const real = fakePython(path.join(dir, "bin"), "exit 0");
  const later = fakePython(path.join(dir, "later"), "exit 0");
  withEnv(t, {
    XACCOUNT_PYTHON: "/chosen/python",
    PATH: ["", shims, notExecutable, path.dirname(real), path.dirname(later)].join(path.delimiter),
  });
  assert.equal(choosePython("/srv/.venv/bin/python"), "/chosen/python");
  delete process.env.XACCOUNT_PYTHON;
  assert.equal(choosePython("/srv/.venv/bin/python"), "/srv/.venv/bin/python");
  assert.equal(choosePython(), real, "the shim directory and a python3 that cannot run are skipped");
  // Only a directory named shims is a version manager's: one below it is an ordinary directory.
  const belowShims = fakePython(path.join(shims, "bin"), "exit 0");
  process.env.PATH = [shims, path.dirname(belowShims)].join(path.delimiter);
  assert.equal(choosePython(), belowShims);
  process.env.PATH = [shims, path.join(dir, "nowhere")].join(path.delimiter);
  assert.equal(choosePython(), "python3");
  process.env.PATH = "";
  assert.equal(choosePython(), "python3");
});

test("compile: the first file that breaks, by name and line, in any order of files; non-ASCII text compiles", async () => {
  const good = await pythonCompile([
    { file: "a.py", original: "x = 1\n", text: "x = 'é'\n" },
    { file: "b.py", original: "y = 1\n", text: "y = 2\n" },
  ]);
  assert.deepEqual(good, { ran: true });
  const bad = await pythonCompile([
    { file: "a.py", original: "x = 1\n", text: "x = 1\n" },
    { file: "b.py", original: "def f(a):\n    pass\n", text: "def f(a):\n    pass\ndef g(a, a):\n    pass\n" },
  ]);
  assert.equal(bad.ran, true);
  assert.ok(bad.ran && bad.failure);
  assert.deepEqual([bad.failure.file, bad.failure.line], ["b.py", 3]);
  assert.match(bad.failure.message, /duplicate argument/);
});

test("compile: Python is isolated from the user's environment (a PYTHONPATH shadowing json does not break it)", async (t) => {
  const dir = scratch(t);
  writeFileSync(path.join(dir, "json.py"), "raise SystemExit(7)\n");
  withEnv(t, { PYTHONPATH: dir });
  assert.deepEqual(await pythonCompile([{ file: "a.py", original: "x = 1\n", text: "x = 2\n" }]), { ran: true });
});

test("compile: no Python to ask is `ran: false` naming it; a Python that fails otherwise is a failure with its last stderr line", async (t) => {
  const dir = scratch(t);
  const missing = path.join(dir, "no-such-python");
  const none = await pythonCompile([{ file: "a.py", original: "", text: "" }], missing);
  assert.equal(none.ran, false);
  assert.ok(!none.ran && none.why.startsWith(`${missing}: `));

  const crashing = fakePython(dir, "cat >/dev/null; echo first >&2; echo 'last words' >&2; exit 5", "crash");
  const crashed = await pythonCompile([{ file: "a.py", original: "", text: "" }], crashing);
  assert.deepEqual(crashed, { ran: true, failure: { file: "?", line: 0, message: "python exited 5: last words" } });

  // Only exit 3 means "here is the error": a Python that prints JSON-looking output and fails otherwise
  // is reported as failed, not as a compile error it did not find.
  const other = fakePython(dir, `cat >/dev/null; echo '{"file": "a.py", "line": 9, "message": "m"}'; echo 'oops' >&2; exit 4`, "other");
  assert.deepEqual(await pythonCompile([{ file: "a.py", original: "", text: "" }], other), {
    ran: true,
    failure: { file: "?", line: 0, message: "python exited 4: oops" },
  });

  // Exit 3 is the compile script's "here is the error" code; unreadable output is still a failure.
  const garbled = fakePython(dir, "cat >/dev/null; echo 'not json'; exit 3", "garbled");
  const g = await pythonCompile([{ file: "a.py", original: "", text: "" }], garbled);
  assert.deepEqual(g, { ran: true, failure: { file: "?", line: 0, message: "python exited 3: " } });
});

test("compile: Python gets every file as {name: [original, patched]} on stdin, once", async (t) => {
  const dir = scratch(t);
  const seen = path.join(dir, "stdin.json");
  const recorder = fakePython(dir, `cat > ${JSON.stringify(seen)}; exit 0`, "recorder");
  const files = [
    { file: "a.py", original: "x = 1\n", text: "x = 2\n" },
    { file: "pkg/b.py", original: "", text: "y = 1\n" },
  ];
  assert.deepEqual(await startCompiler(recorder).compile(files), { ran: true });
  const { readFileSync } = await import("node:fs");
  assert.deepEqual(JSON.parse(readFileSync(seen, "utf8")), { "a.py": ["x = 1\n", "x = 2\n"], "pkg/b.py": ["", "y = 1\n"] });
});

test("cancel: the Python started for a patch that will not be written ends without being asked to compile", async (t) => {
  const dir = scratch(t);
  const seen = path.join(dir, "stdin.json");
  const recorder = fakePython(dir, `cat > ${JSON.stringify(seen)}; exit 0`, "recorder");
  const compiler = startCompiler(recorder);
  compiler.cancel();
  // The pending answer still settles (the process is gone), and it compiled nothing.
  const result = await compiler.compile([]).catch(() => undefined);
  assert.ok(result === undefined || result.ran === true);
  const { readFileSync, existsSync } = await import("node:fs");
  if (existsSync(seen)) assert.ok(["", "{}"].includes(readFileSync(seen, "utf8")));
});
