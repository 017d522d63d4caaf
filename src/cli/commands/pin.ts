/**
 * `wharf pin`: digest pinning of a Dockerfile's base images (`FROM name:tag` -> `FROM
 * name:tag@sha256:…`), and `--image NAME` for one reference. Flags here; the work, loaded when it
 * runs, in pin-run.ts.
 */
import type { Command } from "commander";
import type { PinFlags } from "./pin-run.ts";

export function registerPin(program: Command): void {
  program
    .command("pin")
    .description("Pin the base images of a Dockerfile to the digests their tags point to")
    .option("-f, --file <path>", 'Name of the Dockerfile (default: "Dockerfile")')
    .option("--check", "Change nothing: list the base images not pinned, exit 1 if there are any")
    .option("--update", "Re-resolve pinned tags too, and rewrite those that moved")
    .option("--dry-run", "Print the changes as a diff instead of writing them")
    .option("--image <name>", "Print the pinned form of one image reference")
    .action(async (flags: PinFlags, command: Command) =>
      (await import("./pin-run.ts")).runPin(flags, command),
    );
}
