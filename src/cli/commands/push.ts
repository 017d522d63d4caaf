/** `wharf push NAME[:TAG]`: docker push from the local store (the work is in push-run.ts). */
import type { Command } from "commander";
import type { PushFlags } from "./push-run.ts";

export function registerPush(program: Command): void {
  program
    .command("push")
    .description("Upload an image to a registry")
    .argument("<name>", "NAME[:TAG]")
    .option("-a, --all-tags", "Push all tags of an image to the repository")
    .option("--platform <platform>", "Push only this platform (the local image must be of it)")
    .option("-q, --quiet", "Suppress verbose output")
    .action(async (name: string, flags: PushFlags, command: Command) =>
      (await import("./push-run.ts")).runPush(name, flags, command),
    );
}
