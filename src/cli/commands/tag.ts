/** `wharf tag SOURCE TARGET` / `wharf image tag` (the work, loaded when it runs, in tag-run.ts). */
import type { Command } from "commander";

export function defineTag(command: Command): Command {
  return command
    .description("Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE")
    .argument("<source>", "SOURCE_IMAGE[:TAG]")
    .argument("<target>", "TARGET_IMAGE[:TAG]")
    .action(async (source: string, target: string, _flags: object, cmd: Command) =>
      (await import("./tag-run.ts")).runTag(source, target, cmd),
    );
}

export function registerTag(program: Command): void {
  defineTag(program.command("tag"));
}
