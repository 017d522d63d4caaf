/**
 * A layer's diff ID (the digest of its uncompressed tar) and uncompressed size, computed while the
 * compressed blob streams past. Decompression runs on the libuv thread pool (zlib's asynchronous
 * streams), so several layers decompress on other cores while this thread hashes and writes.
 */

import { once } from "node:events";
import { createReadStream } from "node:fs";
import type { Transform } from "node:stream";
import { createGunzip, createZstdDecompress } from "node:zlib";
import { WharfError } from "../errors.ts";
import { type Digest, Digester } from "../oci/digest.ts";
import { type LayerCompression, layerCompression } from "../oci/mediatype.ts";

export interface DiffIdResult {
  diffId: Digest;
  uncompressedSize: number;
}

/**
 * 1 MiB output chunks and a 4 MiB input buffer: fewer round trips between the thread pool and this
 * thread, and the download need not wait for every chunk to be inflated (zlib's options reach its
 * Transform, though @types/node does not list the stream ones).
 */
const STREAM_OPTIONS = { chunkSize: 1 << 20, writableHighWaterMark: 4 << 20 } as { chunkSize: number };

function decompressorFor(compression: LayerCompression): Transform | undefined {
  if (compression === "gzip") return createGunzip(STREAM_OPTIONS);
  if (compression === "zstd") return createZstdDecompress(STREAM_OPTIONS);
  return undefined;
}

/** Implements the store's ContentObserver: feed it the blob, then `finish()`. */
export class DiffIdCalculator {
  readonly #compression: LayerCompression;
  #digester = new Digester();
  #size = 0;
  #decompressor: Transform | undefined;
  #ended: Promise<void> = Promise.resolve();

  constructor(mediaType: string) {
    this.#compression = layerCompression(mediaType);
    this.reset();
  }

  reset(): void {
    this.#decompressor?.destroy();
    this.#digester = new Digester();
    this.#size = 0;
    this.#decompressor = decompressorFor(this.#compression);
    const d = this.#decompressor;
    if (!d) {
      this.#ended = Promise.resolve();
      return;
    }
    d.on("data", (chunk: Buffer) => {
      this.#digester.update(chunk);
      this.#size += chunk.length;
    });
    this.#ended = new Promise<void>((resolve, reject) => {
      d.once("end", resolve);
      d.once("error", (err) =>
        reject(
          new WharfError(
            "LAYER_INVALID",
            `layer does not decompress as ${this.#compression}: ${err.message}`,
          ),
        ),
      );
    });
    this.#ended.catch(() => undefined); // reported by update() or finish()
  }

  update(chunk: Uint8Array): void | Promise<void> {
    const d = this.#decompressor;
    if (!d) {
      this.#digester.update(chunk);
      this.#size += chunk.byteLength;
      return;
    }
    if (!d.write(chunk)) return Promise.race([once(d, "drain").then(() => undefined), this.#ended]);
  }

  async finish(): Promise<DiffIdResult> {
    this.#decompressor?.end();
    await this.#ended;
    return { diffId: this.#digester.digest(), uncompressedSize: this.#size };
  }
}

/** The diff ID of a layer blob already on disk. */
export async function diffIdOfFile(path: string, mediaType: string): Promise<DiffIdResult> {
  const calculator = new DiffIdCalculator(mediaType);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const pending = calculator.update(chunk as Buffer);
    if (pending) await pending;
  }
  return calculator.finish();
}
