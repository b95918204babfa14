/**
 * `create-role --server ecs:<path>`: the read actions the installed server calls, derived from its code.
 * Finds the package as `patch` does, parses every module with tree-sitter, reads botocore's models with the
 * server's own Python, and keeps only reads.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { profileFor } from "../../../codemods/index.js";
import { locateServer } from "../../codemod/index.js";
import { choosePython } from "../../smoke/python.js";
import { analyze, type AnalyzeOptions, type SourceFile } from "./analyze.js";
import { toActions, type Derivation } from "./actions.js";
import { readModels } from "./models.js";

export type { Derivation, DerivedAction, ExcludedCall } from "./actions.js";

/** What each server needs beyond boto3's own `client(...)`: its client wrappers and dispatch lists. */
export const ANALYSIS: Record<string, AnalyzeOptions> = {
  ecs: {
    // utils/aws.py's wrapper; some modules import it as aws_get_aws_client.
    factories: ["get_aws_client", "aws_get_aws_client"],
    // ecs_resource_management runs any listed operation; the server treats Describe*/List* as read-only.
    dispatch: [{ variable: "SUPPORTED_ECS_OPERATIONS", service: "ecs", readOnly: (op) => op.startsWith("Describe") || op.startsWith("List") }],
  },
  iac: { factories: ["get_aws_client"], dispatch: [] },
};

/**
 * Any other AWS Labs server: boto3's own `client(...)`, plus the client factory names the AWS Labs servers
 * commonly define (utils/aws.py in most of them). A server whose clients come from elsewhere yields
 * fewer actions, never wrong ones: a method is mapped to an action only with botocore's models.
 */
export const GENERIC_ANALYSIS: AnalyzeOptions = {
  factories: ["get_aws_client", "aws_get_aws_client", "create_aws_client", "create_boto3_client", "get_client", "get_boto3_client", "create_client"],
  dispatch: [],
};

function pythonFiles(dir: string, skip: readonly string[], base = dir): SourceFile[] {
  const out: SourceFile[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === "__pycache__" || entry.name.startsWith(".") || skip.includes(path.relative(base, full))) continue;
      out.push(...pythonFiles(full, skip, base));
    } else if (entry.name.endsWith(".py")) {
      out.push({ path: path.relative(base, full).split(path.sep).join("/"), text: readFileSync(full, "utf8") });
    }
  }
  return out;
}

/** The installed version, from the distribution's .dist-info next to the package, else "unknown". */
export function installedVersion(importRoot: string, distribution: string): string {
  const stem = distribution.replace(/[-.]/g, "_").toLowerCase();
  if (!existsSync(importRoot)) return "unknown";
  for (const name of readdirSync(importRoot)) {
    const m = /^(.+)-([^-]+)\.dist-info$/.exec(name);
    if (m && m[1]!.replace(/[-.]/g, "_").toLowerCase() === stem) return m[2]!;
  }
  return "unknown";
}

/**
 * The read actions of the server `kind` installed at `serverPath`: ecs and iac with their profile files
 * and analysis options; any other AWS Labs server (eks, cloudwatch, ...) found from its metadata, as
 * `xaccount patch` finds it, with the generic options.
 */
export function deriveFromServer(kind: string, serverPath: string, python?: string): Derivation {
  const profile = profileFor(kind, serverPath);
  const located = locateServer(profile, serverPath);
  const files = pythonFiles(located.packageDir, profile.skipDirs ?? []);
  const options = ANALYSIS[kind] ?? GENERIC_ANALYSIS;
  const analysis = analyze(files, options);
  const choice = choosePython({ explicit: python, venvPython: located.venvPython, packageDir: located.packageDir, startDir: located.serverRoot ?? located.importRoot });
  const services = [...new Set([...analysis.services, ...options.dispatch.map((d) => d.service)])].sort();
  const models = readModels(choice.python, services);
  const derivation = toActions(kind, installedVersion(located.importRoot, profile.distribution), analysis, models);
  const prefix = `${profile.packagePath}/`;
  // Paths as a person finds them in the installed tree.
  const rel = <T extends { file: string }>(x: T): T => ({ ...x, file: prefix + x.file });
  return {
    ...derivation,
    actions: derivation.actions.map((a) => ({ ...a, sources: a.sources.map(rel) })),
    excluded: derivation.excluded.map(rel),
  };
}
