/** `wharf inspect` and `wharf image inspect` (flags here; the work, loaded when it runs, in inspect-run.ts). */
import type { Command } from "commander";

export interface InspectFlags {
  format?: string;
}

/** "object": docker inspect (missing -> "Error: No such object"); "image": docker image inspect. */
export type Mode = "object" | "image";

function define(command: Command, mode: Mode): Command {
  return command
    .description(
      mode === "object"
        ? "Return low-level information on objects"
        : "Display detailed information on one or more images",
    )
    .argument("<image...>")
    .option("-f, --format <string>", "Format output using a custom template ('json' or a Go template)")
    .action(async (refs: string[], flags: InspectFlags, cmd: Command) =>
      (await import("./inspect-run.ts")).runInspect(refs, flags, cmd, mode),
    );
}

export function registerInspect(program: Command): void {
  define(program.command("inspect"), "object");
}

export function defineImageInspect(command: Command): Command {
  return define(command, "image");
}
