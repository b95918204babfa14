/**
 * Every error code the CLI or the runtime can print has a section in TROUBLESHOOTING.md, so a person who
 * sees `error[server-not-found]` or `[xaccount:assume-role-denied]` can look it up.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { PACKAGE_ROOT } from "../src/version.js";

// Errors are made by these constructors with the code as a literal first argument (src/errors.ts and
// the runtime's CrossAccountError); a code built at run time would escape this test, so there are none.
const ERROR_CALL = /\b(?:usageError|failure|XaError|CrossAccountError)\(\s*["']([a-z][a-z0-9-]*)["']/g;

function sourceFiles(dir: string, exts: string[]): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full, exts);
    return exts.some((e) => name.endsWith(e)) ? [full] : [];
  });
}

export function emittedCodes(): Map<string, string[]> {
  const codes = new Map<string, string[]>();
  const files = [
    ...sourceFiles(path.join(PACKAGE_ROOT, "src"), [".ts"]),
    ...sourceFiles(path.join(PACKAGE_ROOT, "codemods"), [".ts", ".py"]),
  ];
  for (const file of files) {
    for (const m of readFileSync(file, "utf8").matchAll(ERROR_CALL)) {
      const code = m[1] as string;
      codes.set(code, [...(codes.get(code) ?? []), path.relative(PACKAGE_ROOT, file)]);
    }
  }
  return codes;
}

function documentedCodes(): Set<string> {
  const doc = readFileSync(path.join(PACKAGE_ROOT, "TROUBLESHOOTING.md"), "utf8");
  // A section is a heading that names the code in backticks, e.g. "### `server-not-found` ...".
  return new Set([...doc.matchAll(/^#{2,4} .*?`([a-z][a-z0-9-]*)`/gm)].map((m) => m[1] as string));
}

test("the scan finds the codes of every part (CLI, codemod, AWS commands, runtime)", () => {
  const codes = emittedCodes();
  for (const known of ["server-not-found", "wrong-server", "source-syntax-error", "account-id-invalid", "assume-role-denied", "config-invalid"]) {
    assert.ok(codes.has(known), `expected the scan to find ${known}`);
  }
});

test("every error code has a section in TROUBLESHOOTING.md", () => {
  const documented = documentedCodes();
  const missing = [...emittedCodes()].filter(([code]) => !documented.has(code)).map(([code, files]) => `${code} (${files.join(", ")})`);
  assert.deepEqual(missing, [], `codes without a section in TROUBLESHOOTING.md:\n  ${missing.join("\n  ")}`);
});

test("TROUBLESHOOTING.md documents no code that nothing emits any more", () => {
  const emitted = emittedCodes();
  const stale = [...documentedCodes()].filter((code) => !emitted.has(code));
  assert.deepEqual(stale, []);
});
