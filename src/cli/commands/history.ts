/** `wharf history` / `wharf image history` (flags here; the work, loaded when it runs, in history-run.ts). */
import type { Command } from "commander";
import type { HistoryFlags } from "./history-run.ts";

export function defineHistory(command: Command): Command {
  return (
    command
      .description("Show the history of an image")
      .argument("<image>")
      // pflag's `--human=false` (and -H=0, ...) is this --no-human (program.ts: acceptBooleanValues).
      .option("-H, --human", "Print sizes and dates in human readable format (default true)")
      .option("--no-human", "Print sizes in bytes and dates as RFC 3339 (as --human=false)")
      .option("-q, --quiet", "Only show image IDs")
      .option("--no-trunc", "Don't truncate output")
      .option("--format <string>", "Format output using a custom template ('table', 'json' or a Go template)")
      .action(async (name: string, flags: HistoryFlags, cmd: Command) =>
        (await import("./history-run.ts")).runHistory(name, flags, cmd),
      )
  );
}

export function registerHistory(program: Command): void {
  defineHistory(program.command("history"));
}
