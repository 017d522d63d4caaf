/**
 * Feeding tar-stream's parser from a byte stream with backpressure, and draining an entry nobody
 * reads: what the unpacker (unpack.ts) and the scanner's layer reader (src/scan/catalog) share.
 */
import type { extract } from "tar-stream";

export type TarParser = ReturnType<typeof extract>;

/**
 * Writes the input into the parser with backpressure; a failure of the input destroys the parser.
 * Never rejects.
 */
export async function feed(
  input: AsyncIterable<Uint8Array | string>,
  parser: TarParser,
  consumed?: (bytes: number) => void,
): Promise<void> {
  try {
    for await (const chunk of input) {
      // Leaving the loop ends the input (a stream is destroyed).
      if (parser.destroyed) return;
      if (typeof chunk === "string") throw new TypeError("a layer tar must be read as bytes, not text");
      consumed?.(chunk.byteLength);
      if (!parser.write(chunk)) await drained(parser);
    }
    // streamx's typings ask for an argument; without data, end() only ends.
    parser.end(undefined);
  } catch (err) {
    parser.destroy(err as Error);
  }
}

function drained(parser: TarParser): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      parser.off("drain", done);
      parser.off("close", done);
      resolve();
    };
    parser.on("drain", done);
    parser.on("close", done);
  });
}

/** Reads an entry to its end, throwing its content away (the parser moves on only then). */
export async function discard(content: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of content);
}
