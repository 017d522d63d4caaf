/** IngestSource implementations for content already on this machine. */
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import type { IngestSource } from "./ingest.ts";

/** A file: resumes at any offset. */
export function fileSource(path: string): IngestSource {
  return {
    async open(offset) {
      return { stream: createReadStream(path, { start: offset, highWaterMark: 1 << 20 }), offset };
    },
  };
}

/** Bytes in memory (manifests, configs). */
export function bytesSource(bytes: Uint8Array): IngestSource {
  return {
    async open(offset) {
      return { stream: Readable.from([bytes.subarray(offset)]), offset };
    },
  };
}
