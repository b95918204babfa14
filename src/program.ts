/**
 * What every xaccount entry shares: the program's name, version and output, and how a run ends (exit
 * code, coded errors on stderr). src/cli.ts builds the full CLI on it; src/entry.ts builds `run` or
 * `patch` alone, so an MCP client's start of `xaccount run` loads no other command.
 */
import { Command, CommanderError } from "commander";
import { VERSION } from "./version.js";
import { XaError, type ExitCode } from "./errors.js";
import type { Io } from "./output.js";

export function baseProgram(io: Io): Command {
  return new Command()
    .name("xaccount")
    .version(VERSION, "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();
}

/** Parses argv with `program` and returns the exit code; never throws for expected failures. */
export async function runProgram(program: Command, argv: string[], io: Io): Promise<ExitCode> {
  try {
    await program.parseAsync(argv);
    return (process.exitCode as ExitCode | undefined) ?? 0;
  } catch (err) {
    return reportError(err, io);
  }
}

export function reportError(err: unknown, io: Io): ExitCode {
  if (err instanceof CommanderError) {
    // --help and --version end through here with exit code 0; commander already printed.
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof XaError) {
    io.err(`${io.cErr.red("xaccount: error")}[${err.code}]: ${err.message}`);
    if (err.hint) io.err(`  ${io.cErr.dim("hint:")} ${err.hint}`);
    return err.exitCode;
  }
  // An unexpected failure is a bug in xaccount: say so plainly, with the stack only on request.
  const message = err instanceof Error ? err.message : String(err);
  io.err(`xaccount: unexpected error: ${message}`);
  if (process.env.XACCOUNT_DEBUG && err instanceof Error && err.stack) io.err(err.stack);
  else io.err("  hint: set XACCOUNT_DEBUG=1 for details, and report it with the command you ran.");
  return 1;
}
