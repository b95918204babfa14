/** Commander wiring only: each subcommand lives in src/commands/. */
import { Command, CommanderError } from "commander";
import { VERSION } from "./version.js";
import { XaError, type ExitCode } from "./errors.js";
import { processIo, type Io } from "./output.js";
import { registerCreateRole } from "./commands/create-role.js";
import { registerTest } from "./commands/test.js";
import { registerPatch } from "./commands/patch.js";
import { registerAccounts } from "./commands/accounts.js";
import { registerConfig } from "./commands/config.js";
import { registerRun } from "./commands/run.js";

export function buildProgram(io: Io): Command {
  const program = new Command();
  program
    .name("xaccount")
    .description(
      "Per-call cross-account access for the AWS Labs ECS and IaC MCP servers: patch a server so " +
        "every tool takes account_id, create the read-only role it assumes, and smoke-test the chain.",
    )
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  $ xaccount patch ecs ./.venv                   # every ECS tool gets account_id and region",
        "  $ xaccount create-role --profile dev,prod      # McpReadOnlyRole in two accounts",
        "  $ xaccount test --accounts 111111111111 --server ecs:./.venv",
        "  $ xaccount accounts --ou ou-ab12-cdef3456 --format csv   # name=id,... of the OU's accounts",
        "  $ xaccount test --org --concurrency 32         # every ACTIVE account of the organization",
        "",
        "Every command takes --help. Exit codes: 0 success, 1 a failed check, 2 bad usage or input.",
        "Error codes such as error[server-not-found] are explained in TROUBLESHOOTING.md.",
      ].join("\n"),
    )
    .version(VERSION, "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();
  registerCreateRole(program, io);
  registerTest(program, io);
  registerPatch(program, io);
  registerAccounts(program, io);
  registerConfig(program, io);
  registerRun(program, io);
  return program;
}

/** Runs the CLI and returns the exit code; never throws for expected failures. */
export async function main(argv: string[], io: Io = processIo()): Promise<ExitCode> {
  const program = buildProgram(io);
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
