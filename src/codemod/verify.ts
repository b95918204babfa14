/**
 * Proof before writing: every edited file re-parses with no ERROR or MISSING node, and Python itself
 * compiles it (when a python3 is on PATH). One Python process compiles every file from stdin, so
 * nothing is written to disk to check it.
 */
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";
import { firstSyntaxProblem, parsePython } from "./parse.js";

export interface VerifyFailure {
  file: string;
  line: number;
  message: string;
}

export function reparseProblems(files: ReadonlyArray<{ file: string; text: string }>): VerifyFailure[] {
  const out: VerifyFailure[] = [];
  for (const f of files) {
    const p = firstSyntaxProblem(parsePython(f.text));
    if (p) out.push({ file: f.file, line: p.line, message: `${p.what} after patching (tree-sitter)` });
  }
  return out;
}

// Reads {"name": [original, patched], ...} as JSON on stdin and compiles each patched text whose
// original compiles with this Python (an older Python than the server's may not know its syntax:
// that is no evidence against the patch). Prints the first error as JSON.
const COMPILE_ALL = [
  "import json, sys",
  "files = json.load(sys.stdin)",
  "for name, (orig, new) in files.items():",
  "    try:",
  "        compile(orig.encode('utf-8'), name, 'exec', dont_inherit=True)",
  "    except SyntaxError:",
  "        continue",
  "    try:",
  "        compile(new.encode('utf-8'), name, 'exec', dont_inherit=True)",
  "    except SyntaxError as e:",
  "        print(json.dumps({'file': name, 'line': e.lineno or 0, 'message': str(e.msg)}))",
  "        sys.exit(3)",
].join("\n");

/**
 * The Python to compile with: XACCOUNT_PYTHON, else the server's own virtualenv python, else the
 * first python3 on PATH that is not a version-manager shim (a pyenv or asdf shim costs ~0.2 s per
 * start), else plain python3.
 */
export function choosePython(venvPython?: string): string {
  if (process.env.XACCOUNT_PYTHON) return process.env.XACCOUNT_PYTHON;
  if (venvPython) return venvPython;
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir || /[\\/]shims$/.test(dir)) continue;
    const candidate = path.join(dir, "python3");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return "python3";
}

export type CompileResult = { ran: false; why: string } | { ran: true; failure?: VerifyFailure };

export interface CompileInput {
  file: string;
  original: string;
  text: string;
}

export interface Compiler {
  /** Compiles the files (once); resolves when Python has answered. */
  compile(files: ReadonlyArray<CompileInput>): Promise<CompileResult>;
  /** Ends the Python process without compiling anything. */
  cancel(): void;
}

/**
 * Starts Python right away, so its start-up overlaps with parsing and planning; the sources go to
 * its stdin once they are ready. `ran: false` when there is no Python to ask.
 */
export function startCompiler(python = choosePython()): Compiler {
  // -I -S: isolated and no site import, which also makes the start-up quick. stdin, stdout and
  // stderr are pipes (spawn's default).
  const child = spawn(python, ["-I", "-S", "-c", COMPILE_ALL]);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdin.on("error", () => undefined);
  const done = new Promise<CompileResult>((resolve) => {
    child.on("error", (err) => resolve({ ran: false, why: `${python}: ${err.message}` }));
    child.on("close", (code) => {
      if (code === 0) return resolve({ ran: true });
      if (code === 3) {
        try {
          return resolve({ ran: true, failure: JSON.parse(stdout.trim()) as VerifyFailure });
        } catch {
          // fall through to the generic failure below
        }
      }
      resolve({ ran: true, failure: { file: "?", line: 0, message: `python exited ${code}: ${stderr.trim().split("\n").pop() ?? ""}` } });
    });
  });
  return {
    compile(files) {
      child.stdin.end(JSON.stringify(Object.fromEntries(files.map((f) => [f.file, [f.original, f.text]]))));
      return done;
    },
    cancel() {
      child.stdin.end("{}");
      child.kill();
    },
  };
}

/** Compiles with `python` (python3 by default) in one go. */
export function pythonCompile(files: ReadonlyArray<CompileInput>, python?: string): Promise<CompileResult> {
  return startCompiler(python).compile(files);
}
