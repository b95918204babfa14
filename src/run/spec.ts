/**
 * `<server>[@<version>|@latest]`: which distribution, which profile patches it, which version.
 */
import { fileProfileFor, PROFILES } from "../../codemods/index.js";
import type { ServerProfile } from "../codemod/profile.js";
import { usageError } from "../errors.js";
import { isVersion } from "./versions.js";

export interface RunTarget {
  /** As typed, before the @. */
  name: string;
  distribution: string;
  /**
   * The profile file that patches it (ecs, iac, ...), or undefined: then the profile is built from the
   * installed release's metadata once it is installed (codemods/index.ts profileFor, the one lookup).
   */
  profile: ServerProfile | undefined;
  /** A pinned version, or "latest" (also when no @ was given). */
  version: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/;

export function parseRunTarget(text: string): RunTarget {
  const at = text.lastIndexOf("@");
  const name = at >= 0 ? text.slice(0, at) : text;
  const version = at >= 0 ? text.slice(at + 1) : "latest";
  if (!NAME.test(name)) {
    throw usageError("run-target-invalid", `${JSON.stringify(text)} is not a server name`, "use ecs, iac or an AWS Labs server name, optionally with @<version> or @latest: xaccount run ecs@latest");
  }
  if (version !== "latest" && !isVersion(version)) {
    throw usageError("run-target-invalid", `${JSON.stringify(version)} in ${JSON.stringify(text)} is not a version`, "write a release version such as ecs@0.1.37, or ecs@latest");
  }
  const known = PROFILES[name];
  // `aws-documentation` -> awslabs.aws-documentation-mcp-server; a full distribution name is kept.
  const distribution = known
    ? known.distribution
    : name.startsWith("awslabs.") || name.startsWith("awslabs-")
      ? name
      : `awslabs.${name.replace(/-mcp-server$/, "")}-mcp-server`;
  return { name, distribution, profile: known ?? fileProfileFor(distribution), version };
}
