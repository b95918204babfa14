/**
 * What bin/xaccount.js runs. The commands that programs start over and over load alone, without the
 * other commands and what those import (the AWS SDK clients above all): `run`, which an MCP client
 * starts at every session (its engine is loaded only when a release must be installed or checked in
 * full), and `patch`, which set-up scripts and the patch tests start dozens of times (78 starts in one
 * run of the engine's slow tests, which a mutation run repeats for every mutant they must judge).
 * Anything else, help and unknown commands included, loads the full CLI (src/cli.ts).
 */
import type { Command } from "commander";
import type { ExitCode } from "./errors.js";
import { processIo, type Io } from "./output.js";
import { baseProgram, runProgram } from "./program.js";

type Register = (program: Command, io: Io) => void;

const ALONE: Record<string, () => Promise<Register>> = {
  run: async () => (await import("./commands/run.js")).registerRun,
  patch: async () => (await import("./commands/patch.js")).registerPatch,
};

export async function main(argv: string[], io: Io = processIo()): Promise<ExitCode> {
  const command = argv[2];
  const load = command !== undefined && Object.hasOwn(ALONE, command) ? ALONE[command] : undefined;
  if (!load) return (await import("./cli.js")).main(argv, io);
  const program = baseProgram(io);
  (await load())(program, io);
  return runProgram(program, argv, io);
}
