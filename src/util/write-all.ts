/**
 * Writes that write every byte or fail. A short write is no error at the system-call
 * level: on a full disk `FileHandle.writev` returned 147,456 of 1,048,576 bytes without throwing, and
 * the next call is the one that says ENOSPC. Node's FileHandle.write/writev return the count and leave
 * the rest to the caller (its WriteStream and writeFile loop; these are for code that writes with
 * positions), so this loops over the remainder until it is written or the kernel gives an error.
 */
import { writeSync } from "node:fs";

/** The part of node's FileHandle these need (a test can stand in a handle that writes short). */
export interface PositionalFile {
  writev(buffers: Uint8Array[], position: number): Promise<{ bytesWritten: number }>;
}

/** Zero-byte writes in a row after which the device is taken to be full. */
const MAX_ZERO_WRITES = 3;

/** Writes all of `buffers` at `position`; returns the byte count (their total). */
export async function writevAll(
  file: PositionalFile,
  buffers: Uint8Array[],
  position: number,
): Promise<number> {
  let total = 0;
  for (const b of buffers) total += b.byteLength;
  let rest = buffers;
  let written = 0;
  let zeroWrites = 0;
  while (written < total) {
    const { bytesWritten } = await file.writev(rest, position + written);
    if (bytesWritten === 0) {
      zeroWrites += 1;
      if (zeroWrites >= MAX_ZERO_WRITES) throw shortWriteError(written, total);
      continue;
    }
    zeroWrites = 0;
    written += bytesWritten;
    if (written < total) rest = remainder(rest, bytesWritten);
  }
  return total;
}

/** Writes all of `data` at the descriptor's offset, synchronously (a small file's whole content). */
export function writeAllSync(fd: number, data: Uint8Array): void {
  let written = 0;
  let zeroWrites = 0;
  while (written < data.byteLength) {
    const count = writeSync(fd, data, written);
    if (count === 0) {
      zeroWrites += 1;
      if (zeroWrites >= MAX_ZERO_WRITES) throw shortWriteError(written, data.byteLength);
      continue;
    }
    zeroWrites = 0;
    written += count;
  }
}

/** The buffers that remain after the first `count` bytes, the first one cut where the write stopped. */
function remainder(buffers: Uint8Array[], count: number): Uint8Array[] {
  let skip = count;
  let i = 0;
  while (i < buffers.length && skip >= buffers[i]!.byteLength) {
    skip -= buffers[i]!.byteLength;
    i += 1;
  }
  const rest = buffers.slice(i);
  if (skip > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(skip);
  return rest;
}

/** What the kernel means by a write that keeps writing nothing: the device is full. */
function shortWriteError(written: number, total: number): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(
    `ENOSPC: no space left on device, write (${written} of ${total} bytes written)`,
  );
  err.code = "ENOSPC";
  err.errno = -28;
  err.syscall = "write";
  return err;
}
