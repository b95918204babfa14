/**
 * The servers xaccount knows. Any AWS Labs MCP server is known from its package metadata (a generic
 * profile, codemods/generic.ts); a file here adds knowledge about one server (hazards, extra
 * parameters, tools that call no AWS): write codemods/<name>.ts exporting a ServerProfile and list it
 * in PROFILES. The engine in src/codemod/ does not change.
 */
import { existsSync } from "node:fs";
import type { ServerProfile } from "../src/codemod/profile.js";
import { detectServer, normalizeDistribution, type DetectedServer } from "../src/codemod/detect.js";
import { expandHome } from "../src/codemod/locate.js";
import { usageError } from "../src/errors.js";
import { ecs } from "./ecs.js";
import { iac } from "./iac.js";
import { amazonMq } from "./amazon-mq.js";
import { billingCostManagement } from "./billing-cost-management.js";
import { genericProfile } from "./generic.js";

export const PROFILES: Readonly<Record<string, ServerProfile>> = {
  ecs,
  iac,
  "amazon-mq": amazonMq,
  "billing-cost-management": billingCostManagement,
};

export function getProfile(name: string): ServerProfile {
  const profile = PROFILES[name];
  if (!profile) {
    throw usageError(
      "unknown-server",
      `unknown server ${JSON.stringify(name)}`,
      `known by name: ${Object.keys(PROFILES).join(", ")}; any other AWS Labs server: xaccount patch <path> (found from its metadata)`,
    );
  }
  return profile;
}

/** The profile file for a distribution, if one exists (ecs.ts for awslabs.ecs-mcp-server, ...). */
export function fileProfileFor(distribution: string): ServerProfile | undefined {
  return Object.values(PROFILES).find((p) => normalizeDistribution(p.distribution) === normalizeDistribution(distribution));
}

/** The profile of a detected server: its file profile when there is one, else the generic one. */
export function profileOf(server: DetectedServer): ServerProfile {
  return fileProfileFor(server.distribution) ?? genericProfile(server);
}

/**
 * The one lookup every command uses (patch, run, create-role, test):
 * - `profileFor("ecs")`: a profile file by name;
 * - `profileFor("/path/to/.venv")`: whatever AWS Labs server is installed or checked out there;
 * - `profileFor("eks", "/path/to/.venv")`: the named server among those at the path (a profile
 *   file's name, a short name like "eks" or the distribution "awslabs.eks-mcp-server").
 * Refuses with unknown-server, server-not-found, ambiguous-server or wrong-server.
 */
export function profileFor(nameOrPath: string, atPath?: string): ServerProfile {
  if (atPath === undefined) {
    if (PROFILES[nameOrPath]) return PROFILES[nameOrPath];
    if (!looksLikePath(nameOrPath)) return getProfile(nameOrPath);
    return profileOf(detectServer(nameOrPath));
  }
  const file = PROFILES[nameOrPath] ?? fileProfileFor(nameOrPath);
  if (file) return file;
  return profileOf(detectServer(atPath, nameOrPath));
}

/** A name is a path when it says so (a separator, ~, .) or names an existing folder. */
export function looksLikePath(s: string): boolean {
  return /[\\/]/.test(s) || s.startsWith(".") || s.startsWith("~") || existsSync(expandHome(s));
}
