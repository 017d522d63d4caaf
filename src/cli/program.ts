/** The `wharf` command tree. Commands parse flags, call the library and render; nothing else. */
import { Command, CommanderError } from "commander";
import { WHARF_VERSION } from "../version.ts";
import { registerCopy } from "./commands/copy.ts";
import { registerHistory } from "./commands/history.ts";
import { registerImage } from "./commands/image.ts";
import { registerImages } from "./commands/images.ts";
import { registerInspect } from "./commands/inspect.ts";
import { registerLoad } from "./commands/load.ts";
import { registerLogin } from "./commands/login.ts";
import { registerManifest } from "./commands/manifest.ts";
import { registerPull } from "./commands/pull.ts";
import { registerPush } from "./commands/push.ts";
import { registerRmi } from "./commands/rmi.ts";
import { registerSave } from "./commands/save.ts";
import { registerServe } from "./commands/serve.ts";
import { registerSystem } from "./commands/system.ts";
import { registerTag } from "./commands/tag.ts";
import { registerVersion } from "./commands/version.ts";
import { EXIT_USAGE, exitCodeFor, formatError } from "./exit.ts";

export function buildProgram(): Command {
  const program = new Command("wharf")
    .description("Docker images without a daemon")
    // Only the long form here: "-v" belongs to subcommands too (system df -v); `wharf -v` is handled in run().
    .version(WHARF_VERSION, "--version", "Print version information and quit")
    .option("--root <dir>", "Location of the local store (default: $WHARF_ROOT or $XDG_DATA_HOME/wharf)")
    .option(
      "--insecure-registry <host>",
      "Allow plain HTTP or unverified TLS for this registry (repeatable)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .showSuggestionAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
  registerVersion(program);
  registerPull(program);
  registerPush(program);
  registerLogin(program);
  registerManifest(program);
  registerImages(program);
  registerImage(program);
  registerInspect(program);
  registerHistory(program);
  registerTag(program);
  registerRmi(program);
  registerSystem(program);
  registerSave(program);
  registerLoad(program);
  registerServe(program);
  registerCopy(program);
  for (const command of program.commands) configure(command);
  return program;
}

/** Every subcommand reports usage errors through the same path as the root. */
function configure(command: Command): void {
  command
    .exitOverride()
    .configureOutput({ writeErr: () => undefined })
    .showSuggestionAfterError(false);
  for (const sub of command.commands) configure(sub);
}

/** Commander's own messages, reshaped into Docker's wording. */
function usageMessage(err: CommanderError): string {
  const msg = err.message.replace(/^error: /, "");
  const unknown = /^unknown option '(.+)'/.exec(msg);
  if (unknown) return `unknown flag: ${unknown[1]}`;
  const command = /^unknown command '(.+)'/.exec(msg);
  if (command) return `unknown command: ${command[1]}`;
  return msg;
}

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === "-v") {
    process.stdout.write(`${WHARF_VERSION}\n`);
    return 0;
  }
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (["commander.helpDisplayed", "commander.version", "commander.help"].includes(err.code)) return 0;
      process.stderr.write(`${usageMessage(err)}\nSee 'wharf --help'.\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`${formatError(err)}\n`);
    return exitCodeFor(err);
  }
}
