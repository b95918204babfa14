/**
 * The servers xaccount knows. Adding one: write codemods/<name>.ts exporting a ServerProfile and
 * list it here; the engine in src/codemod/ does not change.
 */
import type { ServerProfile } from "../src/codemod/profile.js";
import { usageError } from "../src/errors.js";
import { ecs } from "./ecs.js";
import { iac } from "./iac.js";

export const PROFILES: Readonly<Record<string, ServerProfile>> = { ecs, iac };

export function getProfile(name: string): ServerProfile {
  const profile = PROFILES[name];
  if (!profile) {
    throw usageError("unknown-server", `unknown server ${JSON.stringify(name)}`, `known servers: ${Object.keys(PROFILES).join(", ")}`);
  }
  return profile;
}
