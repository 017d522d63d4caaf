/** `wharf builder prune`: docker builder prune over wharf build's cache (the work in builder-run.ts). */
import type { Command } from "commander";
import type { BuilderPruneFlags } from "./builder-run.ts";

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerBuilder(program: Command): void {
  const builder = program.command("builder").description("Manage builds");
  builder
    .command("prune")
    .description("Remove build cache")
    .option("-a, --all", "Remove all unused build cache, not just dangling ones")
    .option("--filter <filter>", 'Provide filter values (e.g. "until=24h")', collect)
    .option("-f, --force", "Do not prompt for confirmation")
    .action(async (flags: BuilderPruneFlags, cmd: Command) =>
      (await import("./builder-run.ts")).runBuilderPrune(flags, cmd),
    );
}
