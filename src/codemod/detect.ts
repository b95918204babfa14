/**
 * Which AWS Labs MCP server a path holds, read from the package's own metadata: an installed
 * distribution's `*.dist-info` (METADATA Name and Version, RECORD for the package folder,
 * entry_points.txt for the console script) or a source tree's pyproject.toml ([project] name and
 * [project.scripts]). Every `awslabs.<name>-mcp-server` is found this way; nothing here knows one
 * server from another.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { usageError } from "../errors.js";
import { expandHome, userFolder } from "./locate.js";
import { shellQuote } from "./shell.js";

export interface DetectedServer {
  /** PyPI distribution as its metadata spells it, e.g. "awslabs.eks-mcp-server". */
  distribution: string;
  /** The installed or declared version, when the metadata names one. */
  version?: string;
  /** "awslabs/eks_mcp_server": the package folder relative to the import root. */
  packagePath: string;
  /** The module the console script runs ("awslabs.eks_mcp_server.server"), started as `python -m`. */
  entryModule: string;
  /** Where the facts came from: a dist-info folder or a pyproject.toml. */
  source: { kind: "dist-info" | "pyproject"; file: string };
}

/** awslabs.<name>-mcp-server, with PEP 503's equivalent spellings (awslabs_eks_mcp_server, ...). */
const AWSLABS_SERVER = /^awslabs[._-]([a-z0-9][a-z0-9._-]*?)[._-]mcp[._-]server$/i;

/** PEP 503 normal form: lower case, runs of `-_.` as one `-`. */
export function normalizeDistribution(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** True for any AWS Labs MCP server distribution name. */
export function isAwslabsServer(distribution: string): boolean {
  return AWSLABS_SERVER.test(distribution.trim());
}

/** The short name `xaccount patch <name>` accepts: "awslabs.eks-mcp-server" -> "eks". */
export function shortName(distribution: string): string {
  const m = AWSLABS_SERVER.exec(distribution.trim());
  return m ? normalizeDistribution(m[1] as string) : normalizeDistribution(distribution);
}

/** The import package a distribution installs when its metadata does not say: awslabs/<name>_mcp_server. */
export function defaultPackagePath(distribution: string): string {
  return `awslabs/${shortName(distribution).replace(/-/g, "_")}_mcp_server`;
}

/** `module.path:function` (a console script's target) -> `module.path`. */
function scriptModule(target: string): string | undefined {
  const m = /^\s*([A-Za-z_][\w.]*)\s*(?::\s*[\w.]+)?\s*(?:\[.*\])?\s*$/.exec(target);
  return m?.[1];
}

/** The console script entries of an entry_points.txt (INI) or a pyproject [project.scripts] table. */
export function parseScripts(text: string, section: string): Array<{ name: string; target: string }> {
  const out: Array<{ name: string; target: string }> = [];
  let inSection = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, "").trim();
    if (line.startsWith("[")) {
      inSection = line === `[${section}]`;
      continue;
    }
    if (!inSection || line === "" || line.startsWith("#")) continue;
    const m = /^["']?([^"'=]+?)["']?\s*=\s*["']?([^"']+?)["']?$/.exec(line);
    if (m) out.push({ name: (m[1] as string).trim(), target: (m[2] as string).trim() });
  }
  return out;
}

/** A METADATA (RFC 822 style) header's value. */
function header(metadata: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:[ \\t]*(.+)$`, "mi").exec(metadata);
  return m?.[1]?.trim();
}

/** The `awslabs/<pkg>` folders a RECORD lists files in (skipping caches and the dist-info itself). */
export function recordPackages(record: string): string[] {
  const found = new Set<string>();
  for (const line of record.split(/\r?\n/)) {
    const file = line.split(",")[0] ?? "";
    const m = /^awslabs\/([A-Za-z_]\w*)\/[^,]*\.py$/.exec(file);
    if (m) found.add(`awslabs/${m[1]}`);
  }
  return [...found].sort();
}

/**
 * The entry module: the console script named like the distribution if there is one, else the only
 * one, else `<package>.server` (the layout of the AWS Labs template).
 */
function entryModuleFrom(scripts: Array<{ name: string; target: string }>, distribution: string, packagePath: string): string {
  const pkg = packagePath.split("/").join(".");
  const own = scripts.filter((s) => scriptModule(s.target)?.startsWith(`${pkg}.`) || scriptModule(s.target) === pkg);
  const named = own.find((s) => normalizeDistribution(s.name) === normalizeDistribution(distribution)) ?? own[0];
  return (named && scriptModule(named.target)) || `${pkg}.server`;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Every AWS Labs server installed in one site-packages folder, from its dist-info folders. */
export function fromSitePackages(sitePackages: string): DetectedServer[] {
  const out: DetectedServer[] = [];
  for (const entry of listDir(sitePackages).sort()) {
    if (!entry.endsWith(".dist-info") || !/^awslabs[._-]/i.test(entry)) continue;
    const dir = path.join(sitePackages, entry);
    const metadata = readText(path.join(dir, "METADATA"));
    const distribution = metadata ? header(metadata, "Name") : undefined;
    if (!distribution || !isAwslabsServer(distribution)) continue;
    const fromRecord = recordPackages(readText(path.join(dir, "RECORD")) ?? "");
    const topLevel = (readText(path.join(dir, "top_level.txt")) ?? "").split(/\r?\n/).filter((l) => l.startsWith("awslabs/"));
    const packagePath = [...fromRecord, ...topLevel].find((p) => isDir(path.join(sitePackages, p))) ?? defaultPackagePath(distribution);
    const scripts = parseScripts(readText(path.join(dir, "entry_points.txt")) ?? "", "console_scripts");
    const version = metadata ? header(metadata, "Version") : undefined;
    out.push({
      distribution,
      ...(version ? { version } : {}),
      packagePath,
      entryModule: entryModuleFrom(scripts, distribution, packagePath),
      source: { kind: "dist-info", file: dir },
    });
  }
  return out;
}

/** The [project] name/version of a pyproject.toml (a plain reading: xaccount needs two keys, not TOML). */
export function projectKeys(text: string): { name?: string; version?: string } {
  const out: { name?: string; version?: string } = {};
  let inProject = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("[")) {
      inProject = line === "[project]";
      continue;
    }
    if (!inProject) continue;
    const m = /^(name|version)\s*=\s*["']([^"']+)["']/.exec(line);
    if (m) out[m[1] as "name" | "version"] = m[2] as string;
  }
  return out;
}

/** The AWS Labs server a source tree (a folder with pyproject.toml) declares, if any. */
export function fromPyproject(root: string): DetectedServer | undefined {
  const file = path.join(root, "pyproject.toml");
  const text = readText(file);
  if (text === undefined) return undefined;
  const { name, version } = projectKeys(text);
  if (!name || !isAwslabsServer(name)) return undefined;
  const guess = defaultPackagePath(name);
  const packagePath = isDir(path.join(root, guess))
    ? guess
    : (listDir(path.join(root, "awslabs")).map((d) => `awslabs/${d}`).find((p) => existsSync(path.join(root, p, "__init__.py"))) ?? guess);
  return {
    distribution: name,
    ...(version ? { version } : {}),
    packagePath,
    entryModule: entryModuleFrom(parseScripts(text, "project.scripts"), name, packagePath),
    source: { kind: "pyproject", file },
  };
}

/** The site-packages folders a path may be or hold: itself, a virtualenv's, or the one it sits in. */
function sitePackagesDirs(p: string): string[] {
  const out: string[] = [];
  const inside = /^(.*[\\/]site-packages)(?:[\\/]|$)/.exec(p);
  if (inside) out.push(inside[1] as string);
  out.push(p);
  for (const venv of [p, path.join(p, ".venv"), path.join(p, "venv")]) {
    for (const lib of ["lib", "lib64"]) {
      for (const py of listDir(path.join(venv, lib)).filter((d) => d.startsWith("python")).sort()) {
        out.push(path.join(venv, lib, py, "site-packages"));
      }
    }
    out.push(path.join(venv, "Lib", "site-packages"));
  }
  return [...new Set(out)].filter(isDir);
}

/** True when `abs` is the server's package folder or inside it. */
function holds(s: DetectedServer, abs: string): boolean {
  // The dist-info and the pyproject.toml both sit in the import root.
  const pkg = path.join(path.dirname(s.source.file), ...s.packagePath.split("/"));
  return abs === pkg || abs.startsWith(pkg + path.sep);
}

/**
 * Every AWS Labs server at `inputPath`: installed ones (a virtualenv, a site-packages, a folder laid
 * out like one, or a package folder inside one) and source trees (the server's folder with its
 * pyproject.toml, or a folder inside it). De-duplicated by distribution, in a stable order.
 */
export function detectServers(inputPath: string): DetectedServer[] {
  const abs = path.resolve(expandHome(inputPath));
  const found: DetectedServer[] = [];
  for (const site of sitePackagesDirs(abs)) found.push(...fromSitePackages(site));
  // A package folder (awslabs/<pkg>, or a folder in it) of a tree laid out like site-packages: the
  // folders above count only for the server whose package holds the path.
  for (let dir = path.dirname(abs), i = 0; i < 3; i++, dir = path.dirname(dir)) {
    found.push(...fromSitePackages(dir).filter((s) => holds(s, abs)));
  }
  // A source tree: the folder itself, or up to three levels above (the package folder, awslabs/).
  for (let dir = abs, i = 0; i < 4; i++, dir = path.dirname(dir)) {
    const server = fromPyproject(dir);
    if (server) {
      found.push(server);
      break;
    }
  }
  const seen = new Set<string>();
  const unique = found.filter((s) => {
    const key = normalizeDistribution(s.distribution);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  // A package folder (or a folder inside one) names its server: keep only that one.
  const within = unique.filter((s) => holds(s, abs));
  return within.length ? within : unique;
}

/**
 * The one AWS Labs server at `inputPath`, or `name`'s when several are installed there. Refuses with
 * server-not-found (none), ambiguous-server (several, no name) or wrong-server (not the one named).
 */
export function detectServer(inputPath: string, name?: string): DetectedServer {
  const abs = userFolder(inputPath);
  const all = detectServers(abs);
  const wanted = name === undefined ? all : all.filter((s) => shortName(s.distribution) === normalizeDistribution(name) || normalizeDistribution(s.distribution) === normalizeDistribution(name));
  if (wanted.length === 1) return wanted[0] as DetectedServer;
  const listing = all.map((s) => `${shortName(s.distribution)} (${s.distribution}${s.version ? ` ${s.version}` : ""})`).join(", ");
  if (wanted.length === 0 && all.length > 0 && name !== undefined) {
    throw usageError("wrong-server", `${abs} holds ${listing}, not ${JSON.stringify(name)}`, `run: xaccount patch ${shortName((all[0] as DetectedServer).distribution)} ${shellQuote(abs)}`);
  }
  if (wanted.length === 0) {
    throw usageError(
      "server-not-found",
      `no AWS Labs MCP server (awslabs.*-mcp-server) under ${abs}: no *.dist-info of one in its site-packages and no pyproject.toml naming one`,
      "give a virtualenv or site-packages with the server installed, the server's source folder (with pyproject.toml), or its package folder",
    );
  }
  throw usageError(
    "ambiguous-server",
    `${abs} holds ${wanted.length} AWS Labs MCP servers: ${listing}`,
    `name the one to patch: xaccount patch ${shortName((wanted[0] as DetectedServer).distribution)} ${shellQuote(abs)}`,
  );
}
