/**
 * Upload request bodies cut from one blob's content: a monolithic PUT is one range, a chunked upload
 * a series of ranges. The content is read once, front to back, through one open stream; it is
 * re-opened (content.open(offset)) only when a range does not start where the stream stands: a
 * resume after a dropped connection, or a request sent again. Nothing is buffered beyond the chunk
 * being written.
 */
import { WharfError } from "../../errors.ts";
import type { StreamBody } from "./http.ts";

/** What the upload reads: a store blob, a registry blob, a file (src/store/ingest.ts IngestSource). */
export interface UploadContent {
  open(offset: number): Promise<{ stream: AsyncIterable<Uint8Array>; offset: number }>;
}

export class ContentCursor {
  readonly #content: UploadContent;
  readonly #onProgress: ((bytes: number) => void) | undefined;
  #iterator: AsyncIterator<Uint8Array> | undefined;
  /** Bytes taken from the open stream so far (its position in the content). */
  #position = 0;
  /** Read past the end of the previous range: the start of the next. */
  #carry: Uint8Array | undefined;
  /** Each range claims the stream; an abandoned range (its request failed) stops reading. */
  #generation = 0;
  /** The last range was read to its end: the stream stands exactly at #position. */
  #settled = false;

  constructor(content: UploadContent, onProgress?: (bytes: number) => void) {
    this.#content = content;
    this.#onProgress = onProgress;
  }

  /** The request body for bytes [start, start + length). */
  body(start: number, length: number): StreamBody {
    return { length, open: () => this.#range(start, length) };
  }

  async *#range(start: number, length: number): AsyncGenerator<Uint8Array> {
    const generation = ++this.#generation;
    // The open stream is reused only when the previous range was read to its end right before.
    if (!this.#settled || this.#position !== start) await this.#seek(start);
    if (generation !== this.#generation) return;
    this.#settled = false;
    let left = length;
    while (left > 0) {
      let chunk = this.#carry;
      this.#carry = undefined;
      if (chunk === undefined) {
        const next = await (this.#iterator as AsyncIterator<Uint8Array>).next();
        // A newer range took over the stream while this one waited (its request was abandoned).
        if (generation !== this.#generation) return;
        if (next.done) {
          throw new WharfError(
            "SIZE_MISMATCH",
            `blob content ended at byte ${this.#position}, before the ${start + length} expected`,
            { expected: start + length, actual: this.#position },
          );
        }
        chunk = next.value;
      }
      if (chunk.byteLength > left) {
        this.#carry = chunk.subarray(left);
        chunk = chunk.subarray(0, left);
      }
      left -= chunk.byteLength;
      this.#position += chunk.byteLength;
      this.#onProgress?.(this.#position);
      if (left === 0) this.#settled = true;
      yield chunk;
    }
    this.#settled = true;
  }

  /** Re-opens the content at `offset`; a source that cannot seek starts at 0 and is skipped forward. */
  async #seek(offset: number): Promise<void> {
    await this.close();
    const opened = await this.#content.open(offset);
    const iterator = opened.stream[Symbol.asyncIterator]();
    this.#iterator = iterator;
    this.#position = opened.offset;
    while (this.#position < offset) {
      const next = await iterator.next();
      if (next.done) {
        throw new WharfError(
          "SIZE_MISMATCH",
          `blob content ended at byte ${this.#position}, before ${offset}`,
        );
      }
      const skip = Math.min(next.value.byteLength, offset - this.#position);
      this.#position += skip;
      if (skip < next.value.byteLength) this.#carry = next.value.subarray(skip);
    }
    this.#onProgress?.(this.#position);
  }

  /** Closes the open stream (a file descriptor, a registry connection). */
  async close(): Promise<void> {
    const iterator = this.#iterator;
    this.#iterator = undefined;
    this.#carry = undefined;
    await iterator?.return?.().catch(() => undefined);
  }
}
