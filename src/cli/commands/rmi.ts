/** `wharf rmi` / `wharf image rm` (flags here; the work, loaded when it runs, in rmi-run.ts). */
import type { Command } from "commander";
import type { RmiFlags } from "./rmi-run.ts";

export function defineRmi(command: Command): Command {
  return command
    .description("Remove one or more images")
    .argument("<image...>")
    .option("-f, --force", "Force removal of the image")
    .option("--no-prune", "Do not delete untagged parents (wharf images have no parents)")
    .action(async (inputs: string[], flags: RmiFlags, cmd: Command) =>
      (await import("./rmi-run.ts")).runRmi(inputs, flags, cmd),
    );
}

export function registerRmi(program: Command): void {
  defineRmi(program.command("rmi"));
}
