/** `wharf images` / `wharf image ls` (flags here; the work, loaded only when it runs, in images-run.ts). */
import type { Command } from "commander";
import type { ListFlags } from "./images-run.ts";

/** Commander collector for a repeatable flag such as `--filter`. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function defineList(command: Command, calledAs: "images" | "image ls"): Command {
  return command
    .description("List images")
    .argument("[repository]", "REPOSITORY[:TAG] (a path.Match pattern)")
    .option("-a, --all", "Show all images (default hides intermediate images)")
    .option("-q, --quiet", "Only show image IDs")
    .option("--no-trunc", "Don't truncate output")
    .option("--digests", "Show digests")
    .option("--format <string>", "Format output using a custom template ('table', 'json' or a Go template)")
    .option("-f, --filter <filter>", "Filter output based on conditions provided", collect)
    .action(async (matchName: string | undefined, flags: ListFlags, cmd: Command) =>
      (await import("./images-run.ts")).runList(matchName, flags, cmd, calledAs),
    );
}

export function registerImages(program: Command): void {
  defineList(program.command("images"), "images");
}
