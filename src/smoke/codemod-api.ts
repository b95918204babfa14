/**
 * The part of the codemod engine `xaccount test` uses: find the server's package and import root, and
 * the `patch --check` verdict. Loaded lazily, so a test without --server never loads tree-sitter.
 */
import type { LocatedServer } from "../codemod/index.js";
import type { ServerKind } from "./plan.js";

export type { LocatedServer };

export interface ServerProfileInfo {
  name: string;
  entryModule: string;
}

export interface PatchVerdict {
  packageDir: string;
  patched: boolean;
  problems: string[];
  tools: Array<{ file: string; name: string; status: "patched" | "unpatched" | "skipped"; reason?: string | undefined }>;
}

export interface CodemodApi {
  profile: ServerProfileInfo;
  locate: (inputPath: string) => Promise<LocatedServer>;
  check: (inputPath: string) => Promise<PatchVerdict>;
}

export async function codemodApi(kind: ServerKind): Promise<CodemodApi> {
  const { getProfile } = await import("../../codemods/index.js");
  const { checkPatch, locateServer } = await import("../codemod/index.js");
  const profile = getProfile(kind);
  return {
    profile,
    locate: async (inputPath) => locateServer(profile, inputPath),
    check: async (inputPath) => checkPatch(profile, inputPath),
  };
}
