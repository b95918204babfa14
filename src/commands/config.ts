/**
 * `xaccount config <client> <server>`: writes (or merges) the one MCP client entry that starts
 * xaccount run <server> with the user's real settings, or prints it (--print) or the diff (--dry-run).
 */
import os from "node:os";
import { Option, type Command } from "commander";
import { PROFILES } from "../../codemods/index.js";
import { usageError } from "../errors.js";
import type { Io } from "../output.js";
import { CLIENTS, clientInfo, configPath, type Scope } from "../config/clients.js";
import { addEntryOptions, entryNotes, entrySettings, runEntry, type EntryOptions } from "../config/entry.js";
import { mergeEntry } from "../config/merge.js";
import { readConfig, writeConfig } from "../config/write.js";

interface ConfigOptions extends EntryOptions {
  name?: string;
  scope?: Scope;
  configFile?: string;
  print?: boolean;
  dryRun?: boolean;
  command?: string;
}

const EXAMPLES = `
Examples:
  $ xaccount config claude-desktop ecs@latest --accounts prod=111111111111,dev=222222222222 --profile mcp-host --region eu-west-1
  $ xaccount config vscode iac@1.0.26 --scope project --accounts "$(xaccount accounts --ou ou-ab12-cdef3456 --format csv)"
  $ xaccount config cursor ecs@latest --dry-run          # the diff of the file, nothing written
  $ xaccount config kiro ecs@latest --print              # the entry on stdout, for pasting

Clients: ${CLIENTS.join(", ")}. Settings come from the flags, else from this shell's XACCOUNT_ACCOUNTS,
XACCOUNT_ROLE_NAME, XACCOUNT_SESSION_NAME, AWS_PROFILE, AWS_REGION; one that is not given is left out of the
entry (stderr says what the server does then), except the account list, which is required.
The file keeps every other entry and byte; the old file is kept as <file>.<time>.xaccount.bak; a run that
would change nothing writes nothing. Exit status: 0 written or unchanged, 1 the file could not be written,
2 bad input or a configuration file that does not parse (nothing written).`;

export function registerConfig(program: Command, io: Io): void {
  const command = program
    .command("config")
    .description("Add the MCP client entry that starts a server through xaccount run (or print it)")
    .argument("<client>", `the MCP client: ${CLIENTS.join(" | ")}`)
    .argument("<server>", "the server and version for xaccount run, e.g. ecs@latest or iac@1.0.26");
  addEntryOptions(command)
    .option("--name <name>", "the entry's name in the client (default: <distribution>-xaccount, e.g. awslabs.ecs-mcp-server-xaccount)")
    .addOption(new Option("--scope <scope>", "the client's user file, or the project's (in the working directory)").choices(["user", "project"]).default("user"))
    .option("--config-file <path>", "write this file instead of the client's own (tests, unusual installs)")
    .option("--command <path>", "how the client starts xaccount (default: xaccount, found on the client's PATH)")
    .option("--print", "print the entry on stdout, write nothing")
    .option("--dry-run", "print the change to the file as a diff, write nothing")
    .addHelpText("after", EXAMPLES)
    .action(async (client: string, server: string, options: ConfigOptions) => {
      await runConfig(client, server, options, io);
    });
}

// What xaccount run takes: a name, optionally @version or @latest. Checked here so no odd text reaches a file.
const SERVER_SPEC = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(@[A-Za-z0-9][A-Za-z0-9.+!_-]{0,63})?$/;

const hasControl = (text: string): boolean => [...text].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);

/** The entry's default name: the server's distribution, marked as the xaccount one. */
export function defaultEntryName(server: string): string {
  const base = server.replace(/@.*$/, "");
  const distribution = Object.hasOwn(PROFILES, base) ? PROFILES[base]!.distribution : base;
  return `${distribution}-xaccount`;
}

export async function runConfig(client: string, server: string, options: ConfigOptions, io: Io, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const info = clientInfo(client);
  if (!SERVER_SPEC.test(server)) {
    throw usageError("config-server-invalid", `${JSON.stringify(server)} is not a server for xaccount run`, "name the server and version, e.g. ecs@latest, iac@1.0.26");
  }
  if (options.print && options.dryRun) throw usageError("options-conflict", "--print and --dry-run both say what to show", "pass one of them");
  if (options.print && options.configFile !== undefined) throw usageError("options-conflict", "--print writes no file, so --config-file has no use", "drop one of them");
  const name = options.name ?? defaultEntryName(server);
  if (name.length < 1 || name.length > 100 || hasControl(name) || name.trim() !== name) {
    throw usageError("config-value-invalid", `--name ${JSON.stringify(name)} is not a usable entry name (1-100 characters, no control characters or outer spaces)`, "e.g. --name ecs-prod");
  }
  const command = options.command ?? "xaccount";
  if (command === "" || hasControl(command)) throw usageError("config-value-invalid", "--command is empty or has control characters", "pass the path of xaccount, e.g. --command /usr/local/bin/xaccount");
  const settings = entrySettings(options, env);
  if (settings.accounts.length === 0) {
    throw usageError(
      "config-accounts-missing",
      "no accounts: pass --accounts (or set XACCOUNT_ACCOUNTS) with the accounts this server may reach",
      "--accounts prod=111111111111,dev=222222222222 with your ids; xaccount accounts --format csv prints the organization's list",
    );
  }
  const entry = runEntry(server, settings, command, info.stdioType);
  // Said once the rest of the input is known good, so a refusal is the last thing on stderr.
  const notes = (): void => {
    for (const note of entryNotes(settings, "run")) io.err(`xaccount: note: ${note}`);
  };

  if (options.print) {
    io.out(JSON.stringify({ [info.serversKey]: { [name]: entry } }, null, 2));
    notes();
    return;
  }
  const file = options.configFile ?? configPath(info.id, options.scope ?? "user", { platform: process.platform, env, home: os.homedir(), cwd: process.cwd() });
  const before = readConfig(file);
  const merged = mergeEntry(before, info.serversKey, name, entry, file);
  if (!merged.changed) {
    io.out(`${info.title}: ${file} already has this entry "${name}"; nothing changed.`);
    return;
  }
  if (options.dryRun) {
    const { createTwoFilesPatch } = await import("diff");
    const patch = createTwoFilesPatch(file, file, before ?? "", merged.text, before === undefined ? "(no file)" : "", "", { context: 3 });
    for (const line of patch.replace(/\n$/, "").split("\n")) {
      if (line.startsWith("+++") || line.startsWith("---")) io.out(io.c.bold(line));
      else if (line.startsWith("+")) io.out(io.c.green(line));
      else if (line.startsWith("-")) io.out(io.c.red(line));
      else if (line.startsWith("@@")) io.out(io.c.cyan(line));
      else io.out(line);
    }
    notes();
    io.err(`xaccount: dry run, nothing written; without --dry-run this ${merged.added ? "adds" : "updates"} "${name}" in ${file}`);
    return;
  }
  const written = writeConfig(file, merged.text);
  notes();
  io.out(`${io.c.green("✓")} ${merged.added ? "Added" : "Updated"} "${name}" in ${written.path}${written.backup ? ` (the old file is kept as ${written.backup})` : ""}`);
  io.out(`  Restart ${info.title} (or reload its MCP servers) to start it; the first start installs the server.`);
}
