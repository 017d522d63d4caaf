/** `wharf history` / `wharf image history` (flags here; the work, loaded when it runs, in history-run.ts). */
import type { Command } from "commander";
import { usageError } from "../exit.ts";

export interface HistoryFlags {
  human?: boolean;
  quiet?: boolean;
  trunc?: boolean;
  format?: string;
}

/**
 * `-H`/`--human` is a boolean that is on by default, so docker users turn it off as pflag allows:
 * `--human=false`, `-H=false` (or 0, f, F, FALSE, False). Commander has no `--flag=value` for a
 * boolean, so those spellings become `--no-human` / `--human` before commander reads the flags.
 */
function humanFlag(arg: string): string {
  const m = /^(?:-H|--human)=(.*)$/.exec(arg);
  if (!m) return arg;
  const v = m[1]!;
  if (["1", "t", "T", "true", "TRUE", "True"].includes(v)) return "--human";
  if (["0", "f", "F", "false", "FALSE", "False"].includes(v)) return "--no-human";
  throw usageError(
    `invalid argument "${v}" for "-H, --human" flag: strconv.ParseBool: parsing "${JSON.stringify(v).slice(1, -1)}": invalid syntax`,
    "wharf history",
  );
}

export function defineHistory(command: Command): Command {
  const parseOptions = command.parseOptions.bind(command);
  command.parseOptions = (args: string[]) => parseOptions(args.map(humanFlag));
  return command
    .description("Show the history of an image")
    .argument("<image>")
    .option("-H, --human", "Print sizes and dates in human readable format (default true)")
    .option("--no-human", "Print sizes in bytes and dates as RFC 3339 (as --human=false)")
    .option("-q, --quiet", "Only show image IDs")
    .option("--no-trunc", "Don't truncate output")
    .option("--format <string>", "Format output using a custom template ('table', 'json' or a Go template)")
    .action(async (name: string, flags: HistoryFlags, cmd: Command) =>
      (await import("./history-run.ts")).runHistory(name, flags, cmd),
    );
}

export function registerHistory(program: Command): void {
  defineHistory(program.command("history"));
}
