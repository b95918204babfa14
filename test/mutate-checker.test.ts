/**
 * scripts/mutate/file-typescript-checker.mjs: the StrykerJS checker that drops the mutants that do not
 * type-check. A checker that passed a broken mutant would let it be run and counted; one that refused a
 * good mutant would hide it from the score. Tried on a project of two files in a temporary directory.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { PACKAGE_ROOT } from "../src/version.js";

interface Position {
  line: number;
  column: number;
}
interface Mutant {
  id: string;
  fileName: string;
  location: { start: Position; end: Position };
  replacement: string;
}
interface Checker {
  init(): Promise<void>;
  check(mutants: Mutant[]): Promise<Record<string, { status: string; reason?: string }>>;
  group(mutants: Mutant[]): Promise<string[][]>;
}
interface CheckerModule {
  FileTypescriptChecker: new (options: { tsconfigFile: string }) => Checker;
  applyMutant(text: string, location: { start: Position; end: Position }, replacement: string): string;
}

const { FileTypescriptChecker, applyMutant } = (await import(
  pathToFileURL(path.join(PACKAGE_ROOT, "scripts", "mutate", "file-typescript-checker.mjs")).href
)) as CheckerModule;

const LIB = 'export function width(text: string): number {\n  return text.length;\n}\n';
const USE = 'import { width } from "./lib.js";\nexport const total: number = width("abc") + 1;\n';

function project(files: Record<string, string>): { dir: string; tsconfigFile: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "xaccount-checker-"));
  const tsconfigFile = path.join(dir, "tsconfig.json");
  writeFileSync(tsconfigFile, JSON.stringify({ compilerOptions: { strict: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", types: [], skipLibCheck: true }, include: ["*.ts"] }));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return { dir, tsconfigFile };
}

/** A mutant replacing the first `from` of the file's text (located as StrykerJS does: lines and columns from 0). */
function mutant(id: string, fileName: string, text: string, from: string, replacement: string): Mutant {
  const at = text.indexOf(from);
  assert.ok(at >= 0, from);
  const pos = (offset: number): Position => {
    const before = text.slice(0, offset).split("\n");
    return { line: before.length - 1, column: before[before.length - 1]!.length };
  };
  return { id, fileName, location: { start: pos(at), end: pos(at + from.length) }, replacement };
}

test("applyMutant replaces the located span, on any line", () => {
  const text = "ab\ncdef\ng";
  assert.equal(applyMutant(text, { start: { line: 1, column: 1 }, end: { line: 1, column: 3 } }, "XY"), "ab\ncXYf\ng");
  assert.equal(applyMutant(text, { start: { line: 0, column: 2 }, end: { line: 2, column: 0 } }, ""), "abg");
});

test("a mutant that breaks its file's types is a compile error; one that type-checks passes; the file is restored after each", async () => {
  const { dir, tsconfigFile } = project({ "lib.ts": LIB, "use.ts": USE });
  try {
    const checker = new FileTypescriptChecker({ tsconfigFile });
    await checker.init();
    const lib = path.join(dir, "lib.ts");
    const use = path.join(dir, "use.ts");
    const mutants = [
      mutant("1", lib, LIB, "text.length", '"text"'), // a string where a number is returned
      mutant("2", lib, LIB, "text.length", "0"),
      mutant("3", use, USE, 'width("abc") + 1', 'width("abc") - 1'),
      mutant("4", use, USE, '"abc"', "3"), // a number where width takes a string
      mutant("5", lib, LIB, "return text.length;", "return text.length"), // still valid
      mutant("6", lib, LIB, "{\n  return", "{\n  retur"), // a syntax error
    ];
    const groups = await checker.group(mutants);
    assert.deepEqual(groups.map((g) => [...g].sort()), [["1", "2", "5", "6"], ["3", "4"]]);
    const results = await checker.check(mutants);
    assert.deepEqual(
      Object.fromEntries(Object.entries(results).map(([id, r]) => [id, r.status])),
      { "1": "compileError", "2": "passed", "3": "passed", "4": "compileError", "5": "passed", "6": "compileError" },
    );
    assert.match(results["1"]?.reason ?? "", /not assignable to type 'number'/);
    // each mutant was checked on the original text: checked alone, the good ones still pass
    assert.equal((await checker.check([mutants[1]!]))["2"]?.status, "passed");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a mutant that changes what its file exports is checked in the other files too; a file outside the project passes", async () => {
  const { dir, tsconfigFile } = project({ "lib.ts": LIB, "use.ts": USE });
  try {
    const checker = new FileTypescriptChecker({ tsconfigFile });
    await checker.init();
    const lib = path.join(dir, "lib.ts");
    const results = await checker.check([
      // width now returns a string: lib.ts is fine, use.ts (`total: number`) is not
      mutant("1", lib, LIB, "number {\n  return text.length", "string {\n  return text"),
      // width now takes a number: use.ts passes a string
      mutant("2", lib, LIB, "text: string): number {\n  return text.length", "text: number): number {\n  return text"),
      // width's declared types unchanged: use.ts is not concerned
      mutant("3", lib, LIB, "text.length", "text.length + 1"),
      { ...mutant("4", lib, LIB, "text.length", '"x"'), fileName: path.join(dir, "elsewhere", "lib.ts") },
    ]);
    assert.equal(results["1"]?.status, "compileError");
    assert.match(results["1"]?.reason ?? "", /use\.ts/);
    assert.equal(results["2"]?.status, "compileError");
    assert.equal(results["3"]?.status, "passed");
    assert.equal(results["4"]?.status, "passed");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a project that does not type-check before any mutant is refused at start", async () => {
  const { dir, tsconfigFile } = project({ "lib.ts": LIB.replace("text.length", '"oops"'), "use.ts": USE });
  try {
    await assert.rejects(new FileTypescriptChecker({ tsconfigFile }).init(), /does not type-check before any mutant/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
