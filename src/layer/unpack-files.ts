/**
 * Small files of a layer, written with synchronous system calls: open, one writev, fchown, fchmod,
 * futimes and close are each a short in-memory inode operation, and a thread-pool round trip per
 * call cost more than the calls themselves (a 211 MB tar of 20,000 files into tmpfs: 1.3 s this way,
 * 3-4.5 s and twice the CPU with fs.promises). Large files are written asynchronously (unpack-tree.ts).
 */
import { closeSync, fchmodSync, fchownSync, futimesSync, openSync, writevSync } from "node:fs";
import type { EntryMetadata } from "./unpack-header.ts";

/** Writes of nothing in a row after which the device is taken to be full (as util/write-all.ts). */
const MAX_ZERO_WRITES = 3;

/** Writes all of `chunks` from offset 0: a short write (a full disk) is continued or becomes ENOSPC. */
function writevAllSync(fd: number, chunks: Uint8Array[]): void {
  let total = 0;
  for (const c of chunks) total += c.byteLength;
  let written = writevSync(fd, chunks, 0);
  let zeroWrites = 0;
  while (written < total) {
    // Rare (a nearly full disk): the rest as one buffer.
    const rest = Buffer.concat(chunks).subarray(written);
    const n = writevSync(fd, [rest], written);
    zeroWrites = n === 0 ? zeroWrites + 1 : 0;
    if (zeroWrites >= MAX_ZERO_WRITES) {
      const err: NodeJS.ErrnoException = new Error(
        `ENOSPC: no space left on device, write (${written} of ${total} bytes written)`,
      );
      err.code = "ENOSPC";
      throw err;
    }
    written += n;
  }
}

/** Opens a new file (never through a symlink: O_EXCL|O_NOFOLLOW in `flags`) and fills it. */
export function writeSmallFile(
  path: string,
  flags: number,
  chunks: Uint8Array[],
  metadata: EntryMetadata,
): void {
  const fd = openSync(path, flags, 0o600);
  try {
    if (chunks.length > 0) writevAllSync(fd, chunks);
    // chown first: it clears setuid/setgid bits, which chmod then sets.
    fchownSync(fd, metadata.uid, metadata.gid);
    fchmodSync(fd, metadata.mode);
    futimesSync(fd, metadata.atime, metadata.mtime);
  } finally {
    closeSync(fd);
  }
}
