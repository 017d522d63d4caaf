/** `wharf history` / `wharf image history` (flags here; the work, loaded when it runs, in history-run.ts). */
import type { Command } from "commander";
import { usageError } from "../exit.ts";

export interface HistoryFlags {
  human?: boolean;
  quiet?: boolean;
  trunc?: boolean;
  format?: string;
}

/** `-H=false` and `--human=false` read as pflag reads a boolean. */
function parseBool(value: string): boolean {
  const v = value.replace(/^=/, "");
  if (["1", "t", "T", "true", "TRUE", "True"].includes(v)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(v)) return false;
  throw usageError(
    `invalid argument "${v}" for "-H, --human" flag: strconv.ParseBool: parsing "${v}": invalid syntax`,
    "wharf history",
  );
}

export function defineHistory(command: Command): Command {
  return command
    .description("Show the history of an image")
    .argument("<image>")
    .option("-H, --human [bool]", "Print sizes and dates in human readable format", parseBool, true)
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
