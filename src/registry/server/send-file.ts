/**
 * Sends a byte range of a file to an HTTP response through two reused 1 MiB buffers: one is read
 * into while the other is being written to the socket. A stream would allocate a buffer per chunk:
 * a 1 GiB blob is then 1 GiB of external memory that V8 reclaims only with full collections (measured
 * here: ~25 per GiB, half the throughput of distribution).
 */
import type { ServerResponse } from "node:http";
import type { RandomAccessFile } from "./storage/driver.ts";

const BUFFER_BYTES = 1 << 20;

function written(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    res.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}

/** Writes `length` bytes from `start`; returns the bytes sent (fewer if the client went away). */
export async function sendFileRange(
  res: ServerResponse,
  file: RandomAccessFile,
  start: number,
  length: number,
): Promise<number> {
  const buffers = [Buffer.allocUnsafe(BUFFER_BYTES), Buffer.allocUnsafe(BUFFER_BYTES)];
  const pending: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
  let sent = 0;
  let which = 0;
  try {
    while (sent < length && !res.destroyed) {
      const buffer = buffers[which]!;
      await pending[which]; // this buffer's previous write is done: it may be filled again
      const want = Math.min(BUFFER_BYTES, length - sent);
      const n = await file.read(want === BUFFER_BYTES ? buffer : buffer.subarray(0, want), start + sent);
      if (n === 0) break;
      pending[which] = written(res, buffer.subarray(0, n));
      pending[which]!.catch(() => undefined); // awaited before reuse or at the end
      sent += n;
      which ^= 1;
    }
    await Promise.all(pending);
  } finally {
    await file.close();
  }
  return sent;
}
