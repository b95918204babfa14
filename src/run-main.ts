/**
 * The entry of `xaccount run ...` (bin/xaccount.js picks it when the first argument is `run`): the
 * program with the run command alone. An MCP client starts this at every session, so it loads neither
 * the other commands nor what they import (the AWS SDK clients, the patch engine, tree-sitter); the
 * engine is loaded by `run` itself only when a release must be installed or checked in full.
 */
import type { ExitCode } from "./errors.js";
import { processIo, type Io } from "./output.js";
import { baseProgram, runProgram } from "./program.js";
import { registerRun } from "./commands/run.js";

export async function main(argv: string[], io: Io = processIo()): Promise<ExitCode> {
  const program = baseProgram(io);
  registerRun(program, io);
  return runProgram(program, argv, io);
}
