/**
 * A layer's diff ID (the digest of its uncompressed tar) and uncompressed size, computed while the
 * compressed blob streams past. Decompression runs on the libuv thread pool (zlib's asynchronous
 * streams), so several layers decompress on other cores while this thread hashes and writes.
 */

import { createReadStream } from "node:fs";
import type { Transform } from "node:stream";
import { WharfError } from "../errors.ts";
import { type Digest, Digester } from "../oci/digest.ts";
import { type LayerCompression, layerCompression } from "../oci/mediatype.ts";
import { decompressor } from "./compression.ts";

export interface DiffIdResult {
  diffId: Digest;
  uncompressedSize: number;
}

/**
 * Compressed bytes are copied into a few reusable 1 MiB input buffers before they go to the
 * decompressor: network chunks are 16-64 KiB, and one thread-pool round trip per chunk costs more
 * than the copy, while a fresh buffer per batch would be garbage (RSS) of the blob's size.
 */
const INPUT_BUFFER_BYTES = 1 << 20;
const INPUT_BUFFERS = 3;

/** Implements the store's ContentObserver: feed it the blob, then `finish()`. */
export class DiffIdCalculator {
  readonly #compression: LayerCompression;
  #digester = new Digester();
  #size = 0;
  #decompressor: Transform | undefined;
  #ended: Promise<void> = Promise.resolve();
  /** Input buffers not held by the decompressor, and the one being filled (with its fill level). */
  #free: Buffer[] = [];
  #filling: Buffer | undefined;
  #filled = 0;
  #bufferFreed: (() => void) | undefined;

  constructor(mediaType: string) {
    this.#compression = layerCompression(mediaType);
    this.reset();
  }

  reset(): void {
    this.#decompressor?.destroy();
    this.#digester = new Digester();
    this.#size = 0;
    // Buffers held by a destroyed decompressor may never be released: start with new ones.
    this.#free = [];
    this.#filling = undefined;
    this.#filled = 0;
    this.#decompressor = decompressor(this.#compression);
    const d = this.#decompressor;
    if (!d) {
      this.#ended = Promise.resolve();
      return;
    }
    for (let i = 0; i < INPUT_BUFFERS; i += 1) this.#free.push(Buffer.allocUnsafe(INPUT_BUFFER_BYTES));
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
    if (!this.#decompressor) {
      this.#digester.update(chunk);
      this.#size += chunk.byteLength;
      return;
    }
    return this.#stage(chunk, 0);
  }

  /** Copies `chunk` from `at` into input buffers, sending each one that fills up. */
  #stage(chunk: Uint8Array, at: number): void | Promise<void> {
    while (at < chunk.byteLength) {
      if (!this.#filling) {
        const buffer = this.#free.pop();
        if (!buffer) return this.#whenBufferFree().then(() => this.#stage(chunk, at));
        this.#filling = buffer;
        this.#filled = 0;
      }
      const n = Math.min(chunk.byteLength - at, INPUT_BUFFER_BYTES - this.#filled);
      this.#filling.set(chunk.subarray(at, at + n), this.#filled);
      this.#filled += n;
      at += n;
      if (this.#filled === INPUT_BUFFER_BYTES) this.#send();
    }
  }

  #send(): void {
    const buffer = this.#filling;
    if (!buffer || this.#filled === 0) return;
    const length = this.#filled;
    this.#filling = undefined;
    this.#filled = 0;
    // The write callback runs once the decompressor is done with the input: the buffer is free again.
    this.#decompressor?.write(buffer.subarray(0, length), () => {
      this.#free.push(buffer);
      const wake = this.#bufferFreed;
      this.#bufferFreed = undefined;
      wake?.();
    });
  }

  #whenBufferFree(): Promise<void> {
    const freed = new Promise<void>((resolve) => {
      this.#bufferFreed = resolve;
    });
    return Promise.race([freed, this.#ended]);
  }

  async finish(): Promise<DiffIdResult> {
    this.#send();
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
