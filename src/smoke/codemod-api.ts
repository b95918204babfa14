/**
 * The part of the codemod engine `xaccount test` uses (the contract in DESIGN.md): find the server's
 * package and import root, and the `patch --check` verdict.
 */
// TEMPORARY until the engine lands: loaded by a computed specifier so this compiles without it.
const PROFILES_MODULE = "../../codemods/index.js";
const ENGINE_MODULE = "../codemod/index.js";
import type { ServerKind } from "./plan.js";

export interface ServerProfileInfo {
  name: string;
  distribution: string;
  packagePath: string;
  entryModule: string;
  extraParams: string[];
}

export interface LocatedServer {
  packageDir: string;
  importRoot: string;
  serverRoot?: string | undefined;
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

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function codemodApi(kind: ServerKind): Promise<CodemodApi> {
  const { getProfile } = (await import(PROFILES_MODULE)) as any;
  const { checkPatch, locateServer } = (await import(ENGINE_MODULE)) as any;
  const profile = getProfile(kind) as ServerProfileInfo;
  return {
    profile,
    // await: the engine may answer synchronously or not; both are fine here.
    locate: async (inputPath) => (await locateServer(profile, inputPath)) as LocatedServer,
    check: async (inputPath) => (await checkPatch(profile, inputPath)) as PatchVerdict,
  };
}
