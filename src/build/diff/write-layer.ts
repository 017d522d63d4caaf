/**
 * An overlay upper directory -> a layer blob on disk, in one pass: walk -> tar -> compress -> file,
 * hashing the tar (the diff ID) and the blob (the digest) on the way, or the tar only hashed (no
 * outPath). The tar is made on this thread (sync reads straight into 1 MiB chunks); gzip and zstd
 * run on the thread pool meanwhile. The file is not fsynced here: the store's adoptBlob syncs it
 * before the rename into blobs/.
 *
 * Deterministic: the same upper gives the same bytes. Node's gzip header has mtime 0, no name and
 * OS 3 (Unix; XFL 4 at level 1, 2 at level 9, else 0); zstd runs single-threaded with its defaults.
 * (The compressed bytes are zlib's and libzstd's, as bundled with Node: Go's compress/gzip, which
 * BuildKit uses, compresses differently and writes OS 255, so only the diff ID can equal BuildKit's.)
 */
import { closeSync, createWriteStream, openSync } from "node:fs";
import { rm } from "node:fs/promises";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { constants, createGzip, createZstdCompress } from "node:zlib";
import { noSpaceError } from "../../errors.ts";
import { Digester } from "../../oci/digest.ts";
import type { LayerCompression } from "../../oci/mediatype.ts";
import { OciMediaType } from "../../oci/mediatype.ts";
import { writeAllSync } from "../../util/write-all.ts";
import { CHUNK_SIZE, layerTarChunks } from "./layer-tar.ts";
import { upperChanges } from "./upper-changes.ts";

export type { LayerCompression };

export interface WriteLayerOptions {
  /** The step's overlay upper directory. */
  upperDir: string;
  /** The overlay's merged mount, STILL MOUNTED, used to tell opaque directories. Omit when the upper
   *  dir was written without overlay semantics (no whiteouts/opaques possible). */
  mergedDir?: string;
  /** Lower dirs, top first (to find which names an opaque directory hides). */
  lowerDirs: readonly string[];
  /** Paths (relative, no leading slash, e.g. "proc", "etc/hosts") to leave out: mount stubs the runtime made. */
  exclude?: ReadonlySet<string>;
  /** File mtimes later than this (seconds since the epoch) are clamped to it (SOURCE_DATE_EPOCH). */
  sourceDateEpoch?: number;
  compression: LayerCompression;
  /** gzip level (zlib's 0-9; default 6). For zstd, the zstd level (default: libzstd's, 3). */
  level?: number;
  /** Where to write the blob (created; the caller renames it into the store). Without it the tar is
   *  only hashed (a layer kept as a snapshot only): the result is then the uncompressed layer's. */
  outPath?: string;
}

export interface WrittenLayer {
  /** sha256:... of the blob as written (compressed). */
  digest: string;
  /** sha256:... of the uncompressed tar. */
  diffId: string;
  /** Blob bytes. */
  size: number;
  /** application/vnd.oci.image.layer.v1.tar+gzip | +zstd | application/vnd.oci.image.layer.v1.tar */
  mediaType: string;
  /** Tar entries written (0 for an empty layer). */
  entries: number;
  /** Bytes of the uncompressed tar. */
  tarSize: number;
}

const MEDIA_TYPES: Readonly<Record<LayerCompression, string>> = {
  gzip: OciMediaType.ImageLayerGzip,
  zstd: OciMediaType.ImageLayerZstd,
  none: OciMediaType.ImageLayer,
};

/** 1 MiB compressed chunks: one thread-pool round trip per MiB rather than per 16 KiB. */
function compressor(compression: LayerCompression, level: number | undefined): Transform | undefined {
  if (compression === "gzip") {
    return createGzip({ chunkSize: CHUNK_SIZE, ...(level === undefined ? {} : { level }) });
  }
  if (compression === "zstd") {
    const params = level === undefined ? {} : { [constants.ZSTD_c_compressionLevel]: level };
    return createZstdCompress({ chunkSize: CHUNK_SIZE, params });
  }
  return undefined;
}

/** Hashes what passes through. */
function digesting(digester: Digester): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      digester.update(chunk);
      callback(null, chunk);
    },
  });
}

function* hashedChunks(chunks: Iterable<Buffer>, digester: Digester): Generator<Buffer> {
  for (const chunk of chunks) {
    digester.update(chunk);
    yield chunk;
  }
}

/**
 * An uncompressed layer: each chunk written as the tar makes it, on this thread like the reads that
 * fill it (a stream in between cost ~40 ms per 50 MiB).
 */
function writeTar(chunks: Iterable<Buffer>, diff: Digester, outPath: string): void {
  const fd = openSync(outPath, "w", 0o644);
  try {
    for (const chunk of chunks) {
      diff.update(chunk);
      writeAllSync(fd, chunk);
    }
  } finally {
    closeSync(fd);
  }
}

/** Writes the layer blob of `options.upperDir` to `options.outPath` (removed again on failure). */
export async function writeLayer(options: WriteLayerOptions): Promise<WrittenLayer> {
  const diff = new Digester();
  const blob = new Digester();
  let entries = 0;
  const changes = upperChanges(options);
  const tar = layerTarChunks(changes, {
    ...(options.sourceDateEpoch === undefined ? {} : { sourceDateEpoch: options.sourceDateEpoch }),
    onEntry: () => {
      entries += 1;
    },
  });
  const { outPath } = options;
  const compression = outPath === undefined ? "none" : options.compression;
  const compress = compressor(compression, options.level);
  try {
    if (outPath === undefined) for (const chunk of tar) diff.update(chunk);
    else if (compress === undefined) writeTar(tar, diff, outPath);
    else {
      // A few chunks ahead of the compressor, so reading overlaps compressing without holding much.
      const source = Readable.from(hashedChunks(tar, diff), { highWaterMark: 4 });
      const file = createWriteStream(outPath);
      await pipeline(source, compress, digesting(blob), file);
    }
  } catch (err) {
    if (outPath === undefined) throw err;
    await rm(outPath, { force: true });
    throw noSpaceError(err, outPath) ?? err;
  }
  const diffId = diff.digest();
  return {
    digest: compress === undefined ? diffId : blob.digest(),
    diffId,
    size: compress === undefined ? diff.size : blob.size,
    mediaType: MEDIA_TYPES[compression],
    entries,
    tarSize: diff.size,
  };
}
