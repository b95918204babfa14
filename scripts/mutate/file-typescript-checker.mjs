/**
 * A StrykerJS checker that drops the mutants that do not type-check, asking TypeScript about the mutated
 * file only. It replaces StrykerJS's own TypeScript checker, which re-checks the program for each group
 * of mutants: about 1.6 s of CPU per mutant here, two hours for the codemod area's 4150 before a single
 * test ran. This one keeps a language service over the project and, per mutant, swaps the file's text and
 * asks for that file's diagnostics: the other files' types come from the same program, checked once.
 *
 * A mutant can also break other files, by changing what its file exports (an emptied function body whose
 * return type was inferred: its callers no longer type-check). Other files see only a file's declarations,
 * so when the mutated file's declarations (its .d.ts) differ from the original's, every other file of the
 * project is checked too; that is rare and costs a whole check, about what StrykerJS's checker pays for
 * every mutant. Compared with StrykerJS's checker on earlier runs' reports (docs/mutation.md): the same
 * verdict for every mutant, at a tenth of the CPU.
 *
 * The project is StrykerJS's `tsconfigFile` (run.mjs: scripts/mutate/tsconfig.check.json, src/ only). A
 * mutant in a file outside it passes. Mutant locations are StrykerJS's: lines and columns from 0.
 */
import path from "node:path";
import ts from "typescript";
import { CheckStatus } from "@stryker-mutator/api/check";
import { PluginKind, commonTokens, declareClassPlugin, tokens } from "@stryker-mutator/api/plugin";

/** How many mutants of one file go to `check` at once: fewer round trips, and still a steady progress. */
const GROUP_SIZE = 40;

/** `text` with the span from `start` to `end` (0-based line and column) replaced by `replacement`. */
export function applyMutant(text, { start, end }, replacement) {
  const offsets = [0];
  for (const line of text.split("\n")) offsets.push(offsets[offsets.length - 1] + line.length + 1);
  const at = (p) => offsets[p.line] + p.column;
  return text.slice(0, at(start)) + replacement + text.slice(at(end));
}

export class FileTypescriptChecker {
  static inject = tokens(commonTokens.options);
  texts = new Map(); // file name (as TypeScript spells it) -> current text
  versions = new Map();
  declared = new Map(); // file name -> the unmutated file's declarations

  constructor(options) {
    this.tsconfigFile = path.resolve(options.tsconfigFile ?? "tsconfig.json");
  }

  async init() {
    const config = ts.getParsedCommandLineOfConfigFile(this.tsconfigFile, {}, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(`${this.tsconfigFile}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
      },
    });
    if (config.errors.length) throw new Error(this.describe(config.errors));
    this.fileNames = config.fileNames;
    this.byPath = new Map(config.fileNames.map((file) => [path.resolve(file), file]));
    for (const file of config.fileNames) {
      this.texts.set(file, ts.sys.readFile(file) ?? "");
      this.versions.set(file, 0);
    }
    const host = {
      getScriptFileNames: () => this.fileNames,
      getScriptVersion: (file) => String(this.versions.get(file) ?? 0),
      getScriptSnapshot: (file) => {
        const text = this.texts.get(file) ?? ts.sys.readFile(file);
        return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
      },
      getCurrentDirectory: () => path.dirname(this.tsconfigFile),
      // Declarations on, to compare a mutated file's exported types with the original's (never written).
      getCompilationSettings: () => ({ ...config.options, declaration: true, noEmit: false, emitDeclarationOnly: true }),
      getDefaultLibFileName: (options) => ts.getDefaultLibFilePath(options),
      fileExists: ts.sys.fileExists,
      readFile: ts.sys.readFile,
      readDirectory: ts.sys.readDirectory,
      directoryExists: ts.sys.directoryExists,
      getDirectories: ts.sys.getDirectories,
    };
    this.service = ts.createLanguageService(host, ts.createDocumentRegistry());
    // As StrykerJS's checker: the unmutated project must type-check, or every verdict would be noise.
    const errors = this.fileNames.flatMap((file) => this.diagnostics(file));
    if (errors.length) throw new Error(`the project does not type-check before any mutant:\n${this.describe(errors)}`);
  }

  async check(mutants) {
    const results = {};
    for (const mutant of mutants) {
      const file = this.fileOf(mutant);
      if (file === undefined) {
        results[mutant.id] = { status: CheckStatus.Passed };
        continue;
      }
      const original = this.texts.get(file);
      const declarations = this.originalDeclarations(file);
      this.setText(file, applyMutant(original, mutant.location, mutant.replacement));
      try {
        let errors = this.diagnostics(file);
        if (!errors.length && this.declarations(file) !== declarations) {
          errors = this.fileNames.filter((other) => other !== file).flatMap((other) => this.diagnostics(other));
        }
        results[mutant.id] = errors.length ? { status: CheckStatus.CompileError, reason: this.describe(errors) } : { status: CheckStatus.Passed };
      } finally {
        this.setText(file, original);
      }
    }
    return results;
  }

  /** Mutants of one file together, in groups of GROUP_SIZE. */
  async group(mutants) {
    const byFile = new Map();
    for (const m of mutants) {
      if (!byFile.has(m.fileName)) byFile.set(m.fileName, []);
      byFile.get(m.fileName).push(m.id);
    }
    const groups = [];
    for (const ids of byFile.values()) {
      for (let i = 0; i < ids.length; i += GROUP_SIZE) groups.push(ids.slice(i, i + GROUP_SIZE));
    }
    return groups;
  }

  fileOf(mutant) {
    return this.byPath.get(path.resolve(mutant.fileName));
  }

  setText(file, text) {
    this.texts.set(file, text);
    this.versions.set(file, (this.versions.get(file) ?? 0) + 1);
  }

  /**
   * The unmutated file's declarations, once per file: each mutant's check starts from a new program (the
   * text was just restored), and emitting them again would check the file a second time per mutant.
   */
  originalDeclarations(file) {
    if (!this.declared.has(file)) this.declared.set(file, this.declarations(file));
    return this.declared.get(file);
  }

  /** What other files see of `file`: its declaration output, computed for the current text. */
  declarations(file) {
    return this.service.getEmitOutput(file, true).outputFiles.map((f) => f.text).join("\n");
  }

  diagnostics(file) {
    return [...this.service.getSyntacticDiagnostics(file), ...this.service.getSemanticDiagnostics(file)];
  }

  describe(diagnostics) {
    return ts.formatDiagnostics(diagnostics, {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => path.dirname(this.tsconfigFile),
      getNewLine: () => "\n",
    });
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Checker, "file-typescript", FileTypescriptChecker)];
