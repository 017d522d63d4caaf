/** `wharf builder prune`: docker's prompt, the removed cache objects and the space reclaimed. */
import type { Command } from "commander";
import { pruneBuildCacheAll } from "../../build/engine/build-cache-admin.ts";
import { parseGoDuration } from "../../dockerfile/instructions/go-duration.ts";
import { humanSize } from "../../format/units.ts";
import { usageError } from "../exit.ts";
import { confirm, withStore } from "./image-support.ts";

export interface BuilderPruneFlags {
  all?: boolean;
  filter?: string[];
  force?: boolean;
}

export async function runBuilderPrune(flags: BuilderPruneFlags, cmd: Command): Promise<void> {
  let until: number | undefined;
  for (const filter of flags.filter ?? []) {
    const [key, value] = filter.split("=", 2);
    if (key !== "until" || !value) throw usageError(`invalid filter '${filter}'`, "wharf builder prune");
    until = Date.now() - parseGoDuration(value) / 1e6;
  }
  const warning = flags.all
    ? "WARNING! This will remove all build cache. Are you sure you want to continue?"
    : "WARNING! This will remove all dangling build cache. Are you sure you want to continue?";
  if (!flags.force && !(await confirm(warning))) return;
  await withStore(cmd, async (store) => {
    const result = await pruneBuildCacheAll(store, {
      ...(flags.all ? { all: true } : {}),
      ...(until === undefined ? {} : { until }),
    });
    const removed = [
      ...result.removedRecords.map((k) => k.replace(/^sha256:/, "").slice(0, 25)),
      ...result.removedSnapshots.map((s) => s.slice(0, 25)),
    ];
    if (removed.length > 0) process.stdout.write(`Deleted build cache objects:\n${removed.join("\n")}\n\n`);
    process.stdout.write(`Total reclaimed space: ${humanSize(result.reclaimedBytes)}\n`);
  });
}
