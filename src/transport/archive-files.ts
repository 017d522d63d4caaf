/**
 * Files of an image layout or archive, by relative path, wherever they are: a directory (`oci:DIR`)
 * or a tar read in place through its index (oci-archive, docker-archive). Sources read through this,
 * so one layout reader serves a directory and an archive alike.
 */
import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { join } from "node:path";
import { normalizeEntryName, type TarIndex } from "../layer/tar-index.ts";
import type { IngestSource } from "../store/ingest.ts";
import { fileSource } from "../store/sources.ts";

/** Small files are read whole; larger ones only as streams. */
const MAX_SMALL_FILE = 16 << 20;

export interface ArchiveFiles {
  /** Where they are, for messages (a directory or an archive file). */
  readonly where: string;
  /** The size of a file, or undefined when there is none at `path`. */
  size(path: string): Promise<number | undefined>;
  /**
   * A small file's bytes (manifests, configs, index.json), or undefined when there is none; with
   * `limit`, its first `limit` bytes whatever its size (to sniff compression).
   */
  read(path: string, limit?: number): Promise<Uint8Array | undefined>;
  /** A file as a resumable ingest source. */
  source(path: string): IngestSource;
}

async function readRange(file: string, position: number, length: number): Promise<Uint8Array> {
  const handle = await open(file, "r");
  try {
    const bytes = Buffer.alloc(length);
    const { bytesRead } = await handle.read(bytes, 0, length, position);
    return bytes.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export function directoryFiles(dir: string): ArchiveFiles {
  const full = (path: string) => join(dir, normalizeEntryName(path));
  return {
    where: dir,
    async size(path) {
      const info = await stat(full(path)).catch(() => undefined);
      return info?.isFile() ? info.size : undefined;
    },
    async read(path, limit) {
      const info = await stat(full(path)).catch(() => undefined);
      if (!info?.isFile() || (limit === undefined && info.size > MAX_SMALL_FILE)) return undefined;
      return readRange(full(path), 0, Math.min(info.size, limit ?? info.size));
    },
    source: (path) => fileSource(full(path)),
  };
}

/** A tar's files, read by offset from the tar itself. */
export function tarFiles(index: TarIndex, where: string = index.path): ArchiveFiles {
  const entry = (path: string) => index.entries.get(normalizeEntryName(path));
  return {
    where,
    size: async (path) => entry(path)?.size,
    async read(path, limit) {
      const e = entry(path);
      if (!e || (limit === undefined && e.size > MAX_SMALL_FILE)) return undefined;
      return readRange(index.path, e.offset, Math.min(e.size, limit ?? e.size));
    },
    source(path) {
      return {
        async open(offset) {
          const e = entry(path);
          if (!e) throw new Error(`${path} is not in ${index.path}`);
          const stream =
            e.size === offset
              ? (async function* () {})()
              : createReadStream(index.path, {
                  start: e.offset + offset,
                  end: e.offset + e.size - 1,
                  // 64 KiB, as store blob reads (src/store/blobs.ts): less garbage in flight.
                  highWaterMark: 1 << 16,
                });
          return { stream, offset };
        },
      };
    },
  };
}
