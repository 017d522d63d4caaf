/**
 * The filesystem storage driver (the default): each path is a file under `root`. Whole-object writes
 * go to a temporary file that is fsynced and renamed into place, so a reader or a crash sees the
 * old object or the new one, never a part.
 */
import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { WharfError } from "../../../errors.ts";
import { writevAll } from "../../../util/write-all.ts";
import {
  checkPath,
  type FileInfo,
  type FileWriter,
  type RandomAccessFile,
  type StorageDriver,
} from "./driver.ts";

function notFound(path: string): WharfError {
  return new WharfError("STORAGE_PATH_NOT_FOUND", `storage path not found: ${path}`, { path });
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

async function fsyncDir(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

class FilesystemWriter implements FileWriter {
  readonly #handle: FileHandle;
  readonly #file: string;
  #size: number;

  constructor(handle: FileHandle, file: string, size: number) {
    this.#handle = handle;
    this.#file = file;
    this.#size = size;
  }

  get size(): number {
    return this.#size;
  }

  /** All of `chunk` or an error: on a full disk a write may be short, and the next one fails. */
  async write(chunk: Uint8Array): Promise<void> {
    await writevAll(this.#handle, [chunk], this.#size);
    this.#size += chunk.byteLength;
  }

  async commit(): Promise<void> {
    await this.#handle.sync();
    await this.#handle.close();
  }

  async cancel(): Promise<void> {
    await this.#handle.close();
    await rm(this.#file, { force: true });
  }

  async close(): Promise<void> {
    await this.#handle.close();
  }
}

export class FilesystemDriver implements StorageDriver {
  readonly name = "filesystem";
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  #file(path: string): string {
    checkPath(path);
    return join(this.root, path);
  }

  async stat(path: string): Promise<FileInfo | undefined> {
    try {
      const s = await stat(this.#file(path));
      return { path, size: s.isDirectory() ? 0 : s.size, modTime: s.mtime, isDir: s.isDirectory() };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async getContent(path: string): Promise<Buffer> {
    try {
      return await readFile(this.#file(path));
    } catch (err) {
      if (isMissing(err) || (err as NodeJS.ErrnoException).code === "EISDIR") throw notFound(path);
      throw err;
    }
  }

  async putContent(path: string, content: Uint8Array | string): Promise<void> {
    const file = this.#file(path);
    await mkdir(dirname(file), { recursive: true });
    const temp = `${file}.tmp-${randomUUID()}`;
    const handle = await open(temp, "w");
    try {
      await handle.writeFile(content);
      await handle.sync();
    } catch (err) {
      await handle.close();
      await rm(temp, { force: true });
      throw err;
    }
    await handle.close();
    await rename(temp, file);
    await fsyncDir(dirname(file));
  }

  async reader(path: string, offset = 0): Promise<Readable> {
    const file = this.#file(path);
    // Opened here, so that a missing object is an error now rather than on the stream.
    let handle: FileHandle;
    try {
      handle = await open(file, "r");
    } catch (err) {
      if (isMissing(err)) throw notFound(path);
      throw err;
    }
    return createReadStream("", { fd: handle, start: offset, highWaterMark: 1 << 20 });
  }

  async openFile(path: string): Promise<RandomAccessFile> {
    let handle: FileHandle;
    try {
      handle = await open(this.#file(path), "r");
    } catch (err) {
      if (isMissing(err)) throw notFound(path);
      throw err;
    }
    return {
      read: async (buffer, position) => (await handle.read(buffer, 0, buffer.length, position)).bytesRead,
      close: () => handle.close(),
    };
  }

  async writer(path: string, append: boolean): Promise<FileWriter> {
    const file = this.#file(path);
    await mkdir(dirname(file), { recursive: true });
    if (append) {
      try {
        // Positioned writes at the end: "a" mode would ignore positions.
        const handle = await open(file, "r+");
        return new FilesystemWriter(handle, file, (await handle.stat()).size);
      } catch (err) {
        if (!isMissing(err)) throw err;
      }
    }
    return new FilesystemWriter(await open(file, "w"), file, 0);
  }

  async move(from: string, to: string): Promise<void> {
    const source = this.#file(from);
    const target = this.#file(to);
    await mkdir(dirname(target), { recursive: true });
    try {
      await rename(source, target);
    } catch (err) {
      if (isMissing(err)) throw notFound(from);
      throw err;
    }
    await fsyncDir(dirname(target));
  }

  async delete(path: string): Promise<void> {
    const file = this.#file(path);
    try {
      const s = await stat(file);
      if (s.isDirectory()) await rm(file, { recursive: true });
      else await unlink(file);
    } catch (err) {
      if (isMissing(err)) throw notFound(path);
      throw err;
    }
  }

  async list(path: string): Promise<string[]> {
    const dir = path === "/" ? this.root : this.#file(path);
    try {
      const names = await readdir(dir);
      const prefix = path === "/" ? "" : path;
      return names
        .filter((n) => !n.includes(".tmp-"))
        .sort()
        .map((n) => `${prefix}/${n}`);
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
  }
}
