/**
 * The package-wide scan: read each module once, find every registration, resolve it across modules,
 * and say, with the profile, which skipped tools are fine. The engine plans edits from the result.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { usageError } from "../errors.js";
import { DEFAULT_RULES, findTools, registrationPattern, type FoundTools } from "./find-tools.js";
import { guarded } from "./fs-errors.js";
import type { PackageIndex, ModuleSource } from "./package-index.js";
import { firstSyntaxProblem, parsePython, type Tree } from "./parse.js";
import type { ToolVerdict } from "./plan.js";
import type { ServerProfile } from "./profile.js";
import type { Resolver } from "./resolve.js";
import { decodeSource } from "./source.js";

/** A module that registers tools names one of these (`.tool`, `.add_tool`, `.mount`, `.from_function`). */
const REGISTRATION_HINT = new RegExp(`${registrationPattern(DEFAULT_RULES).source}|\\.[ \\t]*from_function\\b`);

export interface PackageSources {
  raw(rel: string): Buffer;
  /** The decoded text; refuses a file that is not UTF-8. */
  text(rel: string): string;
  /** Cheap text for a look before decoding (latin1: every byte one character). */
  bytesText(rel: string): string;
  /** Parsed; refuses a file that does not parse. */
  parse(rel: string): ModuleSource & { tree: Tree };
}

/** Each file read, decoded and parsed at most once per run. */
export function packageSources(packageDir: string): PackageSources {
  const raws = new Map<string, Buffer>();
  const texts = new Map<string, string>();
  const trees = new Map<string, ModuleSource & { tree: Tree }>();
  const raw = (rel: string): Buffer => {
    let b = raws.get(rel);
    if (!b) {
      const abs = path.join(packageDir, rel);
      raws.set(rel, (b = guarded(abs, "read", () => readFileSync(abs))));
    }
    return b;
  };
  const text = (rel: string): string => {
    let t = texts.get(rel);
    if (t === undefined) {
      t = decodeSource(raw(rel));
      if (t === undefined) {
        throw usageError("source-syntax-error", `${rel}: not valid UTF-8; nothing was written`, "xaccount edits UTF-8 Python source only");
      }
      texts.set(rel, t);
    }
    return t;
  };
  const parse = (rel: string): ModuleSource & { tree: Tree } => {
    let p = trees.get(rel);
    if (!p) {
      const tree = parsePython(text(rel));
      const problem = firstSyntaxProblem(tree);
      if (problem) {
        throw usageError(
          "source-syntax-error",
          `${path.join(packageDir, rel)}:${problem.line}:${problem.column}: ${problem.what}; nothing was written`,
          "the server's own source does not parse: fix that line or reinstall the package, then patch again",
        );
      }
      trees.set(rel, (p = { rel, root: tree.rootNode, tree }));
    }
    return p;
  };
  return { raw, text, parse, bytesText: (rel) => raw(rel).toString("latin1") };
}

export interface PackageScan {
  /** What each registering module found (tools may be defined in other files). */
  byFile: Map<string, FoundTools>;
  /** Registering module -> lines that register `<tool>.fn`. */
  toolObjectFns: Map<string, number[]>;
  /** Functions found through Tool.from_function, and from_function calls that did not resolve. */
  factoryTools: number;
  factoryProblems: number;
}

export function scanPackage(files: readonly string[], index: PackageIndex, resolver: Resolver): PackageScan {
  const byFile = new Map<string, FoundTools>();
  const toolObjectFns = new Map<string, number[]>();
  let factoryTools = 0;
  let factoryProblems = 0;
  for (const rel of files) {
    const bytes = index.text(rel);
    // Cheap filter: a module that names no `.tool` / `.add_tool` / `.mount` / `.from_function`
    // registers no tool, so it is not even parsed (unless it holds a def registered elsewhere).
    if (!REGISTRATION_HINT.test(bytes)) continue;
    const found = findTools(index.source(rel).root, DEFAULT_RULES, { resolver, file: rel });
    byFile.set(rel, found);
    if (found.toolObjectFns.length) toolObjectFns.set(rel, found.toolObjectFns);
    factoryTools += found.factoryTools;
    factoryProblems += found.factoryProblems;
  }
  return { byFile, toolObjectFns, factoryTools, factoryProblems };
}

/**
 * A skipped tool, judged with the profile: a tool whose own account_id means something else, or a
 * registration the engine cannot resolve, is accepted only where the profile says why.
 */
export function judgeSkip(profile: ServerProfile, t: ToolVerdict): ToolVerdict {
  if (t.status !== "skipped") return t;
  if (t.skip === "own-account-id") {
    const why = profile.ownAccountId?.[t.name];
    return why !== undefined
      ? { ...t, acknowledged: true, reason: `has its own account_id (${why}, says the profile): kept as it is, no cross-account access` }
      : {
          ...t,
          reason:
            "already has an account_id parameter of its own, which may mean something else (a billing or linked account): kept as it is, not made cross-account; " +
            "list it in the profile's ownAccountId with what it means",
        };
  }
  if (t.skip === "unresolved" || t.skip === "wrapper") {
    const why = profile.unpatchedTools?.[t.name];
    if (why !== undefined) return { ...t, acknowledged: true, reason: `${t.reason ?? ""}; the profile says: ${why}` };
  }
  return t;
}
