/** `wharf save` / `wharf image save` (the work, loaded when it runs, in save-run.ts). */
import type { Command } from "commander";
import type { SaveFlags } from "./save-run.ts";

export function defineSave(command: Command): Command {
  return command
    .description("Save one or more images to a tar archive (streamed to STDOUT by default)")
    .argument("<image...>", "IMAGE")
    .option("-o, --output <file>", "Write to a file, instead of STDOUT")
    .option("--format <format>", "Archive format: docker (docker load) or oci (an OCI layout)", "docker")
    .action(async (images: string[], flags: SaveFlags, cmd: Command) =>
      (await import("./save-run.ts")).runSave(images, flags, cmd),
    );
}

export function registerSave(program: Command): void {
  defineSave(program.command("save"));
}
