/** `wharf load` / `wharf image load` (the work, loaded when it runs, in load-run.ts). */
import type { Command } from "commander";
import type { LoadFlags } from "./load-run.ts";

export function defineLoad(command: Command): Command {
  return command
    .description("Load an image from a tar archive or STDIN")
    .option("-i, --input <file>", "Read from tar archive file, instead of STDIN")
    .option("-q, --quiet", "Suppress the load output")
    .action(async (flags: LoadFlags, cmd: Command) => (await import("./load-run.ts")).runLoad(flags, cmd));
}

export function registerLoad(program: Command): void {
  defineLoad(program.command("load"));
}
