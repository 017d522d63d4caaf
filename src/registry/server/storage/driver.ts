/**
 * The registry's storage driver: a small interface over a hierarchical key space, after
 * distribution's storagedriver.StorageDriver. Paths are "/"-separated, absolute ("/blobs/sha256/ab"),
 * made only by the registry's layout (layout.ts), never taken from a request as they are.
 *
 * Every driver must pass test/unit/server-storage-driver.test.ts; writes become visible only whole
 * (putContent, and a FileWriter's commit), so a crash never exposes a partial object.
 */
import type { Readable } from "node:stream";

export interface FileInfo {
  path: string;
  size: number;
  modTime: Date;
  isDir: boolean;
}

/** An object being written, possibly over several requests (a chunked upload). */
export interface FileWriter {
  /** Bytes in the object so far, including what an appending writer found there. */
  readonly size: number;
  write(chunk: Uint8Array): Promise<void>;
  /** Flushes to stable storage; the object stays where it is, readable at its path. */
  commit(): Promise<void>;
  /** Removes what was written. */
  cancel(): Promise<void>;
  /** Releases the writer without committing (the bytes written so far stay, for a later append). */
  close(): Promise<void>;
}

/** A file read at positions into the caller's buffers. */
export interface RandomAccessFile {
  /** Reads up to `buffer.length` bytes at `position`; 0 at the end. */
  read(buffer: Buffer, position: number): Promise<number>;
  close(): Promise<void>;
}

export interface StorageDriver {
  readonly name: string;
  /** undefined when nothing is at `path`. */
  stat(path: string): Promise<FileInfo | undefined>;
  /** The whole object (small things: links, manifests). Throws STORAGE_PATH_NOT_FOUND. */
  getContent(path: string): Promise<Buffer>;
  /** Replaces the object atomically. */
  putContent(path: string, content: Uint8Array | string): Promise<void>;
  /** A stream of the object from `offset`. Throws STORAGE_PATH_NOT_FOUND. */
  reader(path: string, offset?: number): Promise<Readable>;
  /**
   * Optional: positioned reads into reused buffers, for serving large blobs without a new buffer per
   * chunk (each one external memory that V8 collects with full GCs). Throws STORAGE_PATH_NOT_FOUND.
   */
  openFile?(path: string): Promise<RandomAccessFile>;
  /** A writer at `path`: a new object, or (append) the existing one continued. */
  writer(path: string, append: boolean): Promise<FileWriter>;
  /** Moves an object (replacing what is at `to`); the source must exist. */
  move(from: string, to: string): Promise<void>;
  /** Deletes an object or a whole directory. Throws STORAGE_PATH_NOT_FOUND. */
  delete(path: string): Promise<void>;
  /** The direct children of a directory, as full paths, sorted. [] for a missing directory. */
  list(path: string): Promise<string[]>;
}

/** Paths the layout makes: absolute, no empty, "." or ".." segments. */
export function checkPath(path: string): void {
  if (
    !path.startsWith("/") ||
    path
      .split("/")
      .slice(1)
      .some((s) => s === "" || s === "." || s === "..")
  ) {
    throw new Error(`invalid storage path: ${JSON.stringify(path)}`);
  }
}
