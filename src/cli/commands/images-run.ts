/** `wharf images` / `wharf image ls`: docker's list, columns and --format (loaded when they run). */
import type { Command } from "commander";
// Modules, not the barrels: what `wharf images` loads is what it runs (start-up is most of its time).
import { TABLE_FORMAT_KEY } from "../../format/format-keys.ts";
import { IMAGE_HEADER, imageRows, newImageFormat } from "../../format/image.ts";
import { writeContextSimple } from "../../format/simple-template.ts";
import { listImages } from "../../images/list.ts";
import { daemon, imagesOf, parseFilters, withStore } from "./image-support.ts";

export interface ListFlags {
  all?: boolean;
  quiet?: boolean;
  trunc?: boolean;
  digests?: boolean;
  format?: string;
  filter?: string[];
}

/** docker's printAmbiguousHint: `wharf images ls` probably meant `wharf image ls`. */
const SUBCOMMANDS = new Set([
  "build",
  "history",
  "import",
  "inspect",
  "list",
  "load",
  "ls",
  "prune",
  "pull",
  "push",
  "rm",
  "save",
  "tag",
]);

export async function runList(
  matchName: string | undefined,
  flags: ListFlags,
  cmd: Command,
  calledAs: "images" | "image ls",
): Promise<void> {
  const filters = parseFilters(flags.filter, `wharf ${calledAs}`, "-f, --filter");
  if (matchName) {
    const values = filters.get("reference") ?? new Set<string>();
    filters.set("reference", values.add(matchName));
  }
  await withStore(cmd, async (store) => {
    const images = await imagesOf(store);
    const listed = await daemon(() => listImages(images, { filters, all: flags.all === true }));
    const digests = flags.digests === true;
    const format = newImageFormat(flags.format || TABLE_FORMAT_KEY, flags.quiet === true, digests);
    const rows = imageRows(
      listed.map((l) => l.summary),
      { format, trunc: flags.trunc !== false, digest: digests },
    );
    // docker's ImageWrite; the template engine is loaded only for a format that needs it.
    const out =
      writeContextSimple(format, IMAGE_HEADER, rows) ??
      (await import("../../format/formatter.ts")).writeContext(format, IMAGE_HEADER, rows);
    process.stdout.write(out);
    if (matchName && listed.length === 0 && calledAs === "images" && SUBCOMMANDS.has(matchName)) {
      process.stderr.write(
        `\nNo images found matching "${matchName}": did you mean "wharf image ${matchName}"?\n`,
      );
    }
  });
}
