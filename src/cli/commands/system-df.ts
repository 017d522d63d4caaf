/** `wharf system df` (flags here; the work, loaded when it runs, in system-df-run.ts). */
import type { Command } from "commander";
import type { DfFlags } from "./system-df-run.ts";

export function defineDf(command: Command): Command {
  return command
    .description("Show wharf disk usage")
    .option("-v, --verbose", "Show detailed information on space usage")
    .option("--format <string>", "Format output using a custom template ('table', 'json' or a Go template)")
    .action(async (flags: DfFlags, cmd: Command) => (await import("./system-df-run.ts")).runDf(flags, cmd));
}
