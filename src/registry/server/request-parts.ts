/** Pieces of requests and responses: query strings, capped bodies, Content-Range and Range. */
import type { FastifyRequest } from "fastify";
import { DistributionError } from "./errors.ts";

export function query(url: string): URLSearchParams {
  const q = url.indexOf("?");
  return new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
}

/** `n` of a paginated list: a non-negative integer, or absent. */
export function pageSize(value: string | null): number | undefined {
  if (value === null || value === "") return undefined;
  if (!/^\d+$/.test(value))
    throw new DistributionError("BLOB_UPLOAD_INVALID", `invalid n: ${value}`, undefined, 400);
  return Number(value);
}

export async function readCapped(request: FastifyRequest, limit: number): Promise<Buffer> {
  const declared = Number(request.headers["content-length"] ?? Number.NaN);
  const tooLarge = () =>
    new DistributionError("MANIFEST_INVALID", `manifest too large: more than ${limit} bytes`, undefined, 413);
  if (declared > limit) throw tooLarge();
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.raw) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge();
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts, size);
}

/** Content-Range of a chunk (`start-end`, inclusive), as docker and the spec send it. */
export function chunkStart(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const m = /^(?:bytes )?(\d+)-(\d+)(?:\/\d+|\/\*)?$/.exec(header.trim());
  if (!m)
    throw new DistributionError("BLOB_UPLOAD_INVALID", `invalid Content-Range: ${header}`, undefined, 416);
  return Number(m[1]);
}

/** A single `bytes=a-b` / `bytes=a-` / `bytes=-n` range of a blob, or "invalid" (416). */
export function byteRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | "invalid" | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return "invalid";
  let start: number;
  let end: number;
  if (m[1] === "") {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return "invalid";
  return { start, end };
}

/** The first `length` bytes of a stream (a Range's end). */
export async function* limitStream(stream: AsyncIterable<Uint8Array> & { destroy(): void }, length: number) {
  let left = length;
  try {
    for await (const chunk of stream) {
      if (chunk.byteLength >= left) {
        yield chunk.subarray(0, left);
        return;
      }
      left -= chunk.byteLength;
      yield chunk;
    }
  } finally {
    stream.destroy();
  }
}
