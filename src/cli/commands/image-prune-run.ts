/**
 * `wharf image prune`: docker's prompt, moby's prune and docker's report. Without --force the
 * question is asked on stdout and the answer read from stdin, terminal or not; anything but "y"
 * cancels quietly (exit 0), as docker does.
 */
import type { Command } from "commander";
import { humanSize } from "../../format/index.ts";
import { addFilter, pruneImages } from "../../images/index.ts";
import { confirm, daemon, parseFilters, withStore } from "./image-support.ts";

export interface PruneFlags {
  all?: boolean;
  force?: boolean;
  filter?: string[];
}

const ALL_WARNING = `WARNING! This will remove all images without at least one container associated to them.
Are you sure you want to continue?`;
const DANGLING_WARNING = `WARNING! This will remove all dangling images.
Are you sure you want to continue?`;

export async function runPrune(flags: PruneFlags, cmd: Command): Promise<void> {
  const all = flags.all === true;
  const filters = addFilter(
    parseFilters(flags.filter, "wharf image prune", "--filter"),
    "dangling",
    String(!all),
  );
  if (flags.force !== true && !(await confirm(all ? ALL_WARNING : DANGLING_WARNING))) return;
  await withStore(cmd, async (store) => {
    const report = await daemon(() => pruneImages(store, { filters }));
    let out = "";
    if (report.deleted.length > 0) {
      out += "Deleted Images:\n";
      for (const d of report.deleted) {
        out += d.Untagged !== undefined ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted}\n`;
      }
      out += "\n";
    }
    out += `Total reclaimed space: ${humanSize(report.spaceReclaimed)}\n`;
    process.stdout.write(out);
  });
}
