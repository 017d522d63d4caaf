/**
 * `wharf save`: the named images from the store into one archive (docker's format, or an oci-archive
 * with --format oci), shared layers once. A file is written beside its target and renamed into place
 * at the end, so a failed save leaves nothing; without -o the archive streams to stdout, which
 * must not be a terminal (docker's rule and wording).
 */
import { lstatSync, type Stats, statSync } from "node:fs";
import { dirname } from "node:path";
import type { Command } from "commander";
import { WharfError } from "../../errors.ts";
import { selectImagesToSave } from "../../images/save-selection.ts";
import { DockerArchiveDestination } from "../../transport/docker-archive-destination.ts";
import { createOciArchiveDestination } from "../../transport/oci-archive.ts";
import { saveImages } from "../../transport/save-images.ts";
import type { TarTarget } from "../../transport/tar-output.ts";
import type { ImageDestination } from "../../transport/types.ts";
import { usageError } from "../exit.ts";
import { daemon, daemonError, withStore } from "./image-support.ts";

export interface SaveFlags {
  output?: string;
  format: string;
}

/** docker save -o writes a temporary file, makes it 0600 and renames it into place. */
const SAVED_FILE_MODE = 0o600;

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
  const target: TarTarget =
    flags.output === undefined ? { stream: process.stdout } : { file: flags.output, mode: SAVED_FILE_MODE };
  await withStore(cmd, async (store) => {
    const items = await daemon(() => selectImagesToSave(store, images));
    const destination: ImageDestination =
      flags.format === "oci"
        ? createOciArchiveDestination(target, { namesAreReferences: true })
        : new DockerArchiveDestination(target);
    await saveImages(store, items, destination, { lookupError: daemonError });
  });
}

/** Go's wording of the errors a stat can give here (os.PathError's text after "OP PATH: "). */
const GO_ERRNO_TEXT: Record<string, string> = {
  ENOENT: "no such file or directory",
  ENOTDIR: "not a directory",
  EACCES: "permission denied",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "file name too long",
};

function goPathError(op: string, path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code ?? "";
  return `${op} ${path}: ${GO_ERRNO_TEXT[code] ?? (err as Error).message}`;
}

function outputPathError(message: string): WharfError {
  return new WharfError("OUTPUT_PATH_INVALID", `failed to save image: ${message}`);
}

/**
 * docker's check of `-o` (moby's atomicwriter validateDestination), made before any image is looked
 * at: the directory must exist, and the path must be absent or a plain regular file (lstat: a
 * symbolic link is refused, as the final rename would replace the link). Its wording, one line.
 */
function checkOutputPath(output: string): void {
  const dir = dirname(output);
  if (dir !== "." && dir !== "..") {
    let info: Stats;
    try {
      info = statSync(dir);
    } catch (err) {
      throw outputPathError(`invalid output path: ${goPathError("stat", dir, err)}`);
    }
    if (!info.isDirectory()) {
      throw outputPathError(`invalid output path: stat ${dir}: ${GO_ERRNO_TEXT.ENOTDIR}`);
    }
  }
  let info: Stats | undefined;
  try {
    info = lstatSync(output, { throwIfNoEntry: false });
  } catch (err) {
    throw outputPathError(`failed to stat output path: ${goPathError("lstat", output, err)}`);
  }
  if (info === undefined) return;
  const refusal = outputRefusal(info);
  if (refusal !== undefined) throw outputPathError(refusal);
}

/** Why an existing path cannot be the archive, in the order docker tests its mode; undefined: it can. */
function outputRefusal(info: Stats): string | undefined {
  const special = info.mode & 0o7000;
  if (info.isFile() && special === 0) return undefined;
  if (info.isDirectory()) return "cannot write to a directory";
  if (info.isSymbolicLink()) return "cannot write to a symbolic link directly";
  if (info.isFIFO()) return "cannot write to a named pipe (FIFO)";
  if (info.isSocket()) return "cannot write to a socket";
  if (info.isCharacterDevice()) return "cannot write to a character device file";
  if (info.isBlockDevice()) return "cannot write to a block device file";
  if (special & 0o4000) return "cannot write to a setuid file";
  if (special & 0o2000) return "cannot write to a setgid file";
  return "cannot write to a sticky bit file";
}
