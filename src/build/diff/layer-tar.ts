/**
 * Upper-dir changes -> the bytes of the layer tar, as containerd's changeWriter writes them: a
 * deletion is an empty regular file `.wh.NAME` (mode 0, 0:0, the parent's mtime); anything else
 * carries its mode bits, uid, gid, size and mtime (seconds, clamped to SOURCE_DATE_EPOCH), a
 * directory's name ends with "/", and a second path to an inode already written is a hard link to
 * the first path written.
 *
 * Output comes in chunks of about 1 MiB: headers and small files are packed together, big files
 * are read straight into the chunks (no copy), so a large file costs one read per MiB.
 */
import { closeSync, openSync, readSync, type Stats } from "node:fs";
import { WharfError } from "../../errors.ts";
import {
  END_OF_ARCHIVE,
  encodeHeader,
  padding,
  type TarHeader,
  TYPE_BLOCK,
  TYPE_CHAR,
  TYPE_DIR,
  TYPE_FIFO,
  TYPE_LINK,
  TYPE_REG,
  TYPE_SYMLINK,
} from "./tar-header.ts";
import { mtimeSeconds, type UpperChange } from "./upper-changes.ts";

export const CHUNK_SIZE = 1 << 20;

const WHITEOUT_PREFIX = Buffer.from(".wh.");
const EMPTY = Buffer.alloc(0);

export interface LayerTarOptions {
  sourceDateEpoch?: number;
  /** Called once per entry written (not for PAX extended headers). */
  onEntry?: () => void;
}

/** Fills fixed-size chunks; full ones wait in `ready` for the generator to hand on. */
class ChunkFiller {
  #chunk = Buffer.allocUnsafe(CHUNK_SIZE);
  #used = 0;
  readonly ready: Buffer[] = [];

  append(bytes: Buffer): void {
    let offset = 0;
    while (offset < bytes.length) {
      const n = Math.min(bytes.length - offset, CHUNK_SIZE - this.#used);
      bytes.copy(this.#chunk, this.#used, offset, offset + n);
      this.#used += n;
      offset += n;
      if (this.#used === CHUNK_SIZE) this.#rotate();
    }
  }

  /** Reads up to `length` bytes of `fd` into the chunk; returns the count (0 at end of file). */
  readFrom(fd: number, length: number): number {
    const n = readSync(fd, this.#chunk, this.#used, Math.min(length, CHUNK_SIZE - this.#used), null);
    this.#used += n;
    if (this.#used === CHUNK_SIZE) this.#rotate();
    return n;
  }

  /** The partly filled chunk, at the end. */
  finish(): void {
    if (this.#used > 0) this.ready.push(this.#chunk.subarray(0, this.#used));
    this.#used = 0;
  }

  #rotate(): void {
    this.ready.push(this.#chunk);
    this.#chunk = Buffer.allocUnsafe(CHUNK_SIZE);
    this.#used = 0;
  }
}

/** Linux's dev_t encoding (glibc's gnu_dev_major/minor, as Go's archive/tar decodes it). */
function deviceNumbers(rdev: number): { devmajor: number; devminor: number } {
  const low = rdev % 2 ** 32;
  const high = Math.floor(rdev / 2 ** 32);
  return {
    devmajor: (((low >>> 8) & 0xfff) | (high & 0xfffff000)) >>> 0,
    devminor: ((low & 0xff) | ((low >>> 12) & 0xfff00) | ((high & 0xfff) << 20)) >>> 0,
  };
}

function typeflagOf(stats: Stats): number {
  if (stats.isFile()) return TYPE_REG;
  if (stats.isDirectory()) return TYPE_DIR;
  if (stats.isSymbolicLink()) return TYPE_SYMLINK;
  if (stats.isCharacterDevice()) return TYPE_CHAR;
  if (stats.isBlockDevice()) return TYPE_BLOCK;
  if (stats.isFIFO()) return TYPE_FIFO;
  throw new WharfError("LAYER_INVALID", "unsupported file type in the upper directory", {
    mode: stats.mode,
  });
}

/** The layer tar's bytes, in chunks, ending with the two zero blocks. */
export function* layerTarChunks(
  changes: Iterable<UpperChange>,
  options: LayerTarOptions = {},
): Generator<Buffer> {
  const epoch = options.sourceDateEpoch;
  const clamp = (mtime: number) => (epoch !== undefined && mtime > epoch ? epoch : mtime);
  const out = new ChunkFiller();
  /** inode -> the first path written for it (containerd's inodeSrc). */
  const written = new Map<number, Buffer>();

  for (const change of changes) {
    options.onEntry?.();
    if (change.kind === "delete") {
      const slash = change.path.lastIndexOf(0x2f);
      const name = Buffer.concat([
        change.path.subarray(0, slash + 1),
        WHITEOUT_PREFIX,
        change.path.subarray(slash + 1),
      ]);
      const header: TarHeader = {
        name,
        typeflag: TYPE_REG,
        mode: 0,
        uid: 0,
        gid: 0,
        size: 0,
        mtime: clamp(change.parentMtime),
        linkname: EMPTY,
        devmajor: 0,
        devminor: 0,
      };
      for (const block of encodeHeader(header)) out.append(block);
      yield* drain(out);
      continue;
    }

    const { stats } = change;
    const typeflag = typeflagOf(stats);
    const isDevice = typeflag === TYPE_CHAR || typeflag === TYPE_BLOCK;
    const header: TarHeader = {
      name: typeflag === TYPE_DIR ? Buffer.concat([change.path, Buffer.from("/")]) : change.path,
      typeflag,
      mode: stats.mode & 0o7777,
      uid: stats.uid,
      gid: stats.gid,
      size: typeflag === TYPE_REG ? stats.size : 0,
      mtime: clamp(mtimeSeconds(stats)),
      linkname: change.linkTarget ?? EMPTY,
      ...(isDevice ? deviceNumbers(stats.rdev) : { devmajor: 0, devminor: 0 }),
    };
    if (typeflag !== TYPE_DIR && stats.nlink > 1) {
      const first = written.get(stats.ino);
      if (first === undefined) {
        written.set(stats.ino, header.name);
      } else {
        header.typeflag = TYPE_LINK;
        header.linkname = first;
        header.size = 0;
      }
    }
    for (const block of encodeHeader(header)) out.append(block);
    if (header.typeflag === TYPE_REG && header.size > 0) {
      yield* copyFile(out, change.source, header.size, change.path);
      out.append(padding(header.size));
    }
    yield* drain(out);
  }
  out.append(END_OF_ARCHIVE);
  out.finish();
  yield* drain(out);
}

function* drain(out: ChunkFiller): Generator<Buffer> {
  while (out.ready.length > 0) yield out.ready.shift()!;
}

/** Exactly `size` bytes of the file (the size its header promised). */
function* copyFile(out: ChunkFiller, source: Buffer, size: number, path: Buffer): Generator<Buffer> {
  const fd = openSync(source, "r");
  try {
    let left = size;
    while (left > 0) {
      const n = out.readFrom(fd, left);
      if (n === 0) {
        throw new WharfError("LAYER_INVALID", `file shrank while being written to the layer: ${path}`, {
          path: path.toString(),
          size,
        });
      }
      left -= n;
      yield* drain(out);
    }
  } finally {
    closeSync(fd);
  }
}
