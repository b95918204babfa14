/**
 * Which package index to ask, the way the installers would choose it: `--index-url`, then the
 * installer's environment variable (UV_INDEX_URL / UV_DEFAULT_INDEX for uv, PIP_INDEX_URL for pip),
 * then pip's configuration files (`index-url` under [global] or [install]), then PyPI.
 *
 * pip's files are read here rather than through `pip config list`: starting a Python costs more than
 * the whole lookup, and the order below is pip's own (later files win).
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const PYPI_SIMPLE = "https://pypi.org/simple";

export interface IndexChoice {
  url: string;
  /** Where the URL came from, for messages: "--index-url", "PIP_INDEX_URL", a config file, "default". */
  from: string;
}

export function pipConfigFiles(env: NodeJS.ProcessEnv): string[] {
  // PIP_CONFIG_FILE=os.devnull turns every file off, as pip documents.
  if (env.PIP_CONFIG_FILE === "/dev/null" || env.PIP_CONFIG_FILE === "nul") return [];
  const home = os.homedir();
  const xdgDirs = (env.XDG_CONFIG_DIRS || "/etc/xdg").split(":").filter(Boolean);
  const files = [
    ...xdgDirs.map((d) => path.join(d, "pip", "pip.conf")),
    "/etc/pip.conf",
    path.join(home, ".pip", "pip.conf"),
    path.join(env.XDG_CONFIG_HOME || path.join(home, ".config"), "pip", "pip.conf"),
  ];
  if (env.VIRTUAL_ENV) files.push(path.join(env.VIRTUAL_ENV, "pip.conf"));
  if (env.PIP_CONFIG_FILE) files.push(env.PIP_CONFIG_FILE);
  return files;
}

/** The `index-url` an INI text sets in [global] or [install] ([install] wins), if any. */
export function indexUrlFromIni(text: string): string | undefined {
  let section = "";
  const found: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1]!.trim().toLowerCase();
      continue;
    }
    const kv = /^([A-Za-z_-]+)\s*[=:]\s*(.*)$/.exec(line);
    if (kv && kv[1]!.toLowerCase().replace(/_/g, "-") === "index-url" && (section === "global" || section === "install")) {
      found[section] = kv[2]!.trim();
    }
  }
  return found.install ?? found.global;
}

export function chooseIndex(opts: { indexUrl?: string | undefined; uv: boolean }, env: NodeJS.ProcessEnv, read: (f: string) => string | undefined = readOptional): IndexChoice {
  if (opts.indexUrl) return { url: trimSlash(opts.indexUrl), from: "--index-url" };
  const names = opts.uv ? ["UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL"] : ["PIP_INDEX_URL", "UV_DEFAULT_INDEX", "UV_INDEX_URL"];
  for (const name of names) {
    const v = env[name];
    if (v) return { url: trimSlash(v), from: name };
  }
  let chosen: IndexChoice | undefined;
  for (const file of pipConfigFiles(env)) {
    const text = read(file);
    const url = text === undefined ? undefined : indexUrlFromIni(text);
    if (url) chosen = { url: trimSlash(url), from: file };
  }
  return chosen ?? { url: PYPI_SIMPLE, from: "default" };
}

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

/** An index URL with its password hidden, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^/@]*)@/, "//***@");
}
