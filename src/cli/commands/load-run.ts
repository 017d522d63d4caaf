/**
 * `wharf load`: every image of an archive (file or stdin) into the store, then docker's lines:
 * `Loaded image: NAME:TAG` per name, the notice when a tag is taken from another image, and
 * `Loaded image ID: sha256:…` lines by dockerd 20.10's rule (below).
 */
import type { Command } from "commander";
import { WharfError } from "../../errors.ts";
import { shortDigest } from "../../oci/digest.ts";
import { familiarString, parseNormalizedNamed } from "../../oci/reference.ts";
import { isReportedInStream, loadArchive } from "../../transport/load.ts";
import type { CopyEvent } from "../../transport/types.ts";
import { ProgressPrinter } from "../progress.ts";
import { daemonError, withStore } from "./image-support.ts";

export interface LoadFlags {
  input?: string;
  quiet?: boolean;
}

function showLoading(printer: ProgressPrinter, event: CopyEvent): void {
  if (event.type !== "blob" || event.role !== "layer" || event.status !== "transferring") return;
  printer.layer(shortDigest(event.digest), "Loading layer", event.current ?? 0, event.total);
}

export async function runLoad(flags: LoadFlags, cmd: Command): Promise<void> {
  if (flags.input === undefined && process.stdin.isTTY) {
    throw new WharfError("TERMINAL_REFUSED", "requested load from stdin, but stdin is empty");
  }
  // On a terminal, Docker draws a "Loading layer" bar per layer; otherwise it prints only the result.
  const printer = process.stdout.isTTY && !flags.quiet ? new ProgressPrinter(process.stdout) : undefined;
  const result = await withStore(cmd, async (store) => {
    try {
      return await loadArchive(
        store,
        flags.input ?? process.stdin,
        printer ? { onEvent: (e) => showLoading(printer, e) } : {},
      );
    } catch (err) {
      throw isReportedInStream(err) ? err : daemonError(err);
    }
  });
  // What each name pointed at before, when the load moved it (docker's "renaming the old one").
  const previous = new Map<string, string>();
  for (const tag of result.commit.names) {
    if (tag.previous) previous.set(familiarString(parseNormalizedNamed(tag.name)), tag.previous.id);
  }
  let out = "";
  for (const image of result.images) {
    for (const name of image.names) {
      const before = previous.get(familiarString(parseNormalizedNamed(name)));
      if (before && before !== image.id) {
        out += `The image ${name} already exists, renaming the old one with ID ${before} to empty string\n`;
      }
      out += `Loaded image: ${name}\n`;
    }
  }
  // dockerd 20.10 counts the names of the last image only: when it has none, every image's ID follows
  // (tagged ones too); when it has some, none does, not even an untagged image's before it.
  const last = result.images.at(-1);
  if (last !== undefined && last.names.length === 0) {
    for (const image of result.images) out += `Loaded image ID: ${image.id}\n`;
  }
  process.stdout.write(out);
}
