/**
 * An archive to read as a plain tar file on disk, since its blobs are read in place by offset: a tar
 * file is used as it is; a gzip- or zstd-compressed one is first decompressed to a temporary file, and
 * a stream (stdin) is spooled to one (decompressed on the way when it is compressed).
 */
import { createReadStream, createWriteStream } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { WharfError } from "../errors.ts";
import { decompressor, detectCompression } from "../layer/compression.ts";
import type { LayerCompression } from "../oci/mediatype.ts";
import { interruptSafeTempDir } from "../util/interrupt-cleanup.ts";

/** How messages name an archive read from standard input. */
export const STDIN = "from standard input";

export interface ArchiveInput {
  /** The uncompressed tar. */
  readonly path: string;
  /** Removes the temporary copy, if one was made. */
  close(): Promise<void>;
}

async function fileHead(path: string): Promise<Uint8Array> {
  const handle = await open(path, "r");
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function tempFile(): { path: string; remove: () => Promise<void> } {
  const { dir, remove } = interruptSafeTempDir("wharf-archive-");
  return { path: join(dir, "archive.tar"), remove };
}

/** Writes `input` to a temporary file, decompressed; removes the file again if that fails. */
async function spool(input: Readable, compression: LayerCompression, what: string): Promise<ArchiveInput> {
  const temp = tempFile();
  try {
    const out = createWriteStream(temp.path, { flags: "wx" });
    const inflate = decompressor(compression);
    if (inflate) await pipeline(input, inflate, out);
    else await pipeline(input, out);
  } catch (err) {
    await temp.remove();
    if (
      (err as NodeJS.ErrnoException).code?.startsWith("Z_") ||
      /zstd|incorrect header|unexpected end/i.test((err as Error).message)
    ) {
      const truncated = /unexpected end/i.test((err as Error).message);
      throw new WharfError(
        "ARCHIVE_INVALID",
        `invalid archive ${what}: ${compression} data is damaged (${(err as Error).message})`,
        { path: what, truncated },
      );
    }
    throw err;
  }
  return { path: temp.path, close: temp.remove };
}

/** A file: used in place unless compressed. */
export async function openArchiveFile(path: string): Promise<ArchiveInput> {
  const compression = detectCompression(await fileHead(path));
  if (compression === "none") return { path, close: async () => undefined };
  return spool(createReadStream(path, { highWaterMark: 1 << 20 }), compression, path);
}

/** A stream (stdin): spooled to a temporary file, then read like one. */
export async function openArchiveStream(input: Readable, what = STDIN): Promise<ArchiveInput> {
  const raw = await spool(input, "none", what);
  const compression = detectCompression(await fileHead(raw.path));
  if (compression === "none") return raw;
  try {
    return await spool(createReadStream(raw.path, { highWaterMark: 1 << 20 }), compression, what);
  } finally {
    await raw.close();
  }
}
