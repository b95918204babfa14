/**
 * The codemod engine's public face: locate a server, check it, plan / write a patch or a revert.
 * Server-agnostic; the profiles live in codemods/.
 */
import { PROFILES } from "../../codemods/index.js";
import { locateIn, type LocatedServer } from "./locate.js";
import type { ServerProfile } from "./profile.js";

export type { ServerProfile, ExtraParam } from "./profile.js";
export type { LocatedServer } from "./locate.js";
export type { CheckResult, PatchPlan, RevertPlan, ToolReport, FileChange } from "./engine.js";
export { planPatch, writePatch, planRevert, writeRevert, checkPlan, recoverInterrupted } from "./engine.js";
export type { CheckFinding, CheckCode, PatchOptions } from "./engine.js";
export type { Recovery } from "./write.js";
export { shellQuote, patchCommand } from "./shell.js";
export { RUNTIME_FILE, MANIFEST_FILE } from "./contract.js";

/** Finds the profile's package under inputPath; XaError server-not-found / wrong-server otherwise. */
export function locateServer(profile: ServerProfile, inputPath: string): LocatedServer {
  return locateIn(profile, inputPath, Object.values(PROFILES));
}
