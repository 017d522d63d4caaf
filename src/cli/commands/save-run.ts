/**
 * `wharf save`: the named images from the store into one archive (docker's format, or an oci-archive
 * with --format oci), shared layers once. A file is written beside its target and renamed into place
 * at the end, so a failed save leaves nothing; without -o the archive streams to stdout, which
 * must not be a terminal (docker's rule and wording).
 */
import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { WharfError } from "../../errors.ts";
import { currentRecord, selectImagesToSave } from "../../images/save-selection.ts";
import { copyImage } from "../../transport/copy.ts";
import { DockerArchiveDestination } from "../../transport/docker-archive-destination.ts";
import { createOciArchiveDestination } from "../../transport/oci-archive.ts";
import { StoreSource } from "../../transport/store-source.ts";
import type { TarTarget } from "../../transport/tar-output.ts";
import type { ImageDestination } from "../../transport/types.ts";
import { usageError } from "../exit.ts";
import { daemon, withStore } from "./image-support.ts";
import type { SaveFlags } from "./save.ts";

export async function runSave(images: string[], flags: SaveFlags, cmd: Command): Promise<void> {
  if (flags.format !== "docker" && flags.format !== "oci") {
    throw usageError(`invalid --format "${flags.format}": docker or oci`, "wharf save");
  }
  if (flags.output === undefined && process.stdout.isTTY) {
    throw new WharfError(
      "TERMINAL_REFUSED",
      "cowardly refusing to save to a terminal. Use the -o flag or redirect",
    );
  }
  if (flags.output !== undefined) checkOutputPath(flags.output);
  const target: TarTarget = flags.output === undefined ? { stream: process.stdout } : { file: flags.output };
  await withStore(cmd, async (store) => {
    const items = await daemon(() => selectImagesToSave(store, images));
    const destination: ImageDestination =
      flags.format === "oci"
        ? createOciArchiveDestination(target, { namesAreReferences: true })
        : new DockerArchiveDestination(target);
    try {
      for (const item of items) {
        // Looked up again if another process removed the image before its blobs were leased.
        let first = true;
        const lookup = () => {
          if (first) {
            first = false;
            return item.record.manifest;
          }
          return currentRecord(store, item).manifest;
        };
        const source = await daemon(() => StoreSource.open(store, lookup));
        try {
          await copyImage(source, destination, { names: item.names });
        } finally {
          await source.close();
        }
      }
      await destination.commit();
    } catch (err) {
      await destination.abort().catch(() => undefined);
      throw err;
    }
  });
}

/** docker's ValidateOutputPath, checked before any image is looked at: its wording, one line. */
function checkOutputPath(output: string): void {
  const dir = dirname(resolve(output));
  if (!existsSync(dir)) {
    throw new WharfError(
      "OUTPUT_PATH_INVALID",
      `failed to save image: invalid output path: directory "${dirname(output)}" does not exist`,
    );
  }
  const info = statSync(output, { throwIfNoEntry: false });
  if (info && !info.isFile() && !info.isDirectory()) {
    throw new WharfError(
      "OUTPUT_PATH_INVALID",
      `failed to save image: invalid output path: "${output}" must be a directory or a regular file`,
    );
  }
}
