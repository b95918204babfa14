/**
 * What the engine needs to know about one server. A profile is data plus, at most, small hooks:
 * everything server-specific lives in codemods/<name>.ts, never in src/codemod/.
 */
export interface ServerProfile {
  /** The CLI name: `xaccount patch <name> <path>`. */
  name: string;
  /** Human name for reports, e.g. "AWS Labs ECS MCP server". */
  title: string;
  /** PyPI distribution, e.g. "awslabs.ecs-mcp-server". */
  distribution: string;
  /** The package folder relative to the import root, with "/" separators: "awslabs/ecs_mcp_server". */
  packagePath: string;
  /** The folder of the server inside the awslabs/mcp monorepo (under src/), e.g. "ecs-mcp-server". */
  monorepoDir: string;
  /** Run as `python -m <entryModule>`. */
  entryModule: string;
  /** The parameters every tool gets, in order; each must be a name the runtime exports a type for. */
  extraParams: readonly ExtraParam[];
  /** Folders (relative to the package) that hold no tool code, never scanned. */
  skipDirs?: readonly string[];
  /** Known hazards of this server, printed with the next steps (client caches, sessions, proxies). */
  notes?: readonly string[];
  /**
   * Set on a profile built from package metadata (codemods/generic.ts), not on a profile file: what it
   * was built from. Such a server is first checked to make AWS calls at all (no-aws-calls otherwise);
   * a profile file's server is known to.
   */
  generic?: { source: "dist-info" | "pyproject" };
}

export type ExtraParam = "account_id" | "region";
