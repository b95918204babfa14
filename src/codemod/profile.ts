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

  // --- Registration forms (issue 13, the engine's side) -------------------------------------------
  // What the engine cannot decide from the code alone. Each entry says why, and the report prints it.
  /**
   * Tools that already take an `account_id` of their own with another meaning (a billing or linked
   * account, the account a review is about): tool name -> what it means. They are kept as they are
   * and not made cross-account; --check accepts them. Unlisted ones are reported and fail --check.
   */
  ownAccountId?: Readonly<Record<string, string>>;
  /**
   * Registrations the engine cannot patch statically (a function known only at run time, a
   * pass-through wrapper whose wrapped functions cannot be traced) that are correct without
   * account_id: tool name (as the report shows it) -> why. --check accepts them.
   */
  unpatchedTools?: Readonly<Record<string, string>>;
  // --- end of registration forms --------------------------------------------------------------------
  /**
   * Set on a profile built from package metadata (codemods/generic.ts), not on a profile file: what it
   * was built from. Such a server is first checked to make AWS calls at all (no-aws-calls otherwise);
   * a profile file's server is known to.
   */
  generic?: { source: "dist-info" | "pyproject" };
}

export type ExtraParam = "account_id" | "region";
