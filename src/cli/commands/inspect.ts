/** `wharf inspect` and `wharf image inspect` (flags here; the work, loaded when it runs, in inspect-run.ts). */
import type { Command } from "commander";
import type { InspectFlags, Mode } from "./inspect-run.ts";

function define(command: Command, mode: Mode): Command {
  return command
    .description(
      mode === "object"
        ? "Return low-level information on objects"
        : "Display detailed information on one or more images",
    )
    .argument("<image...>")
    .option("-f, --format <string>", "Format output using a custom template ('json' or a Go template)");
}

export function registerInspect(program: Command): void {
  define(program.command("inspect"), "object")
    .option("--type <string>", "Only inspect objects of the given type")
    .option("-s, --size", "Display total file sizes if the type is container")
    .action(async (refs: string[], flags: InspectFlags, cmd: Command) => {
      const { checkedType, inspectAbsentType } = await import("./inspect-type.ts");
      const type = checkedType(flags.type);
      if (type === undefined || type === "image") {
        // --type image: docker image inspect's lookups and errors.
        const { runInspect } = await import("./inspect-run.ts");
        await runInspect(refs, flags, cmd, type === "image" ? "image" : "object");
      } else inspectAbsentType(refs, type, flags.format ?? "");
    });
}

export function defineImageInspect(command: Command): Command {
  return define(command, "image").action(async (refs: string[], flags: InspectFlags, cmd: Command) =>
    (await import("./inspect-run.ts")).runInspect(refs, flags, cmd, "image"),
  );
}
