/** The `wharf` command tree. Commands parse flags, call the library and render; nothing else. */
import { Command, type CommanderError } from "commander";
import { isWharfError } from "../errors.ts";
import { WHARF_VERSION } from "../version.ts";
import { invokedCommand, registrars } from "./command-table.ts";
import { EXIT_USAGE, exitCodeFor, formatError } from "./exit.ts";
import { bareManagementHelp, helpText } from "./help.ts";
import {
  acceptBooleanValues,
  adoptDockerUsage,
  checkArguments,
  commanderFailure,
  findCommand,
  flagErrorText,
} from "./usage.ts";

/** The command tree: of the one command `argv` invokes when it names one, else of them all. */
export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command("wharf")
    .description("Docker images without a daemon")
    // Only the long form here: "-v" belongs to subcommands too (system df -v); `wharf -v` is handled in run().
    .version(WHARF_VERSION, "--version", "Print version information and quit")
    .option("--root <dir>", "Location of the local store (default: $WHARF_ROOT or $XDG_DATA_HOME/wharf)")
    .option(
      "--insecure-registry <host>",
      "Allow plain HTTP or unverified TLS for this registry (repeatable)",
      (value: string, previous: string[] = []) => [...previous, value],
    );
  for (const register of await registrars(invokedCommand(argv))) register(program);
  configure(program);
  // cobra checks the number of arguments after the flags and before running the command.
  program.hook("preAction", (_root, action) => checkArguments(action));
  return program;
}

/** A usage error commander reported on `command` (which commander's error does not name). */
class CommandLineError extends Error {
  readonly command: Command;
  readonly error: CommanderError;

  constructor(command: Command, error: CommanderError) {
    super(error.message);
    this.command = command;
    this.error = error;
  }
}

/** Every command: docker's usage line, argument checks, flag wordings and help. */
function configure(command: Command): void {
  adoptDockerUsage(command);
  acceptBooleanValues(command);
  command
    .exitOverride((err) => {
      throw new CommandLineError(command, err);
    })
    .configureOutput({ writeErr: () => undefined })
    .showSuggestionAfterError(false);
  command.helpInformation = () => helpText(command);
  for (const sub of command.commands) configure(sub);
}

/** What commander stopped for: help or the version (exit 0), or a usage error in docker's words. */
function commandLineFailure(failure: CommandLineError, argv: readonly string[]): number {
  const { command, error } = failure;
  if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return 0;
  if (error.code === "commander.help") {
    // A management command (or the root) without a subcommand: its help, on stderr, as docker does.
    process.stderr.write(bareManagementHelp(command));
    return 0;
  }
  const { text, exitCode } = commanderFailure(command, error, argv);
  process.stderr.write(`${text}\n`);
  return exitCode;
}

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === "-v") {
    process.stdout.write(`${WHARF_VERSION}\n`);
    return 0;
  }
  const program = await buildProgram(argv);
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommandLineError) return commandLineFailure(err, argv);
    const command = isWharfError(err, "USAGE") ? err.detail.command : undefined;
    const usageOf = typeof command === "string" ? findCommand(program, command) : undefined;
    if (usageOf) {
      // A bad flag value: docker's FlagErrorFunc block.
      process.stderr.write(`${flagErrorText(usageOf, formatError(err))}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`${formatError(err)}\n`);
    return exitCodeFor(err);
  }
}
