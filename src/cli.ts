/** Commander wiring only: each subcommand lives in src/commands/. */
import type { Command } from "commander";
import type { ExitCode } from "./errors.js";
import { processIo, type Io } from "./output.js";
import { baseProgram, runProgram } from "./program.js";
import { registerCreateRole } from "./commands/create-role.js";
import { registerTest } from "./commands/test.js";
import { registerPatch } from "./commands/patch.js";
import { registerAccounts } from "./commands/accounts.js";
import { registerConfig } from "./commands/config.js";
import { registerRun } from "./commands/run.js";

export function buildProgram(io: Io): Command {
  const program = baseProgram(io);
  program
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
    );
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
  return runProgram(buildProgram(io), argv, io);
}
