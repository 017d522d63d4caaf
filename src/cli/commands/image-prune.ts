/** `wharf image prune` (flags here; the work, loaded when it runs, in image-prune-run.ts). */
import type { Command } from "commander";
import type { PruneFlags } from "./image-prune-run.ts";
import { collect } from "./images.ts";

export function definePrune(command: Command): Command {
  return command
    .description("Remove unused images")
    .option("-a, --all", "Remove all unused images, not just dangling ones")
    .option("-f, --force", "Do not prompt for confirmation")
    .option("--filter <filter>", 'Provide filter values (e.g. "until=<timestamp>")', collect)
    .action(async (flags: PruneFlags, cmd: Command) =>
      (await import("./image-prune-run.ts")).runPrune(flags, cmd),
    );
}
