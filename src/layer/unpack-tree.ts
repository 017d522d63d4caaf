/**
 * The layer directory being filled: creates each kind of entry, never through a symlink and never
 * outside the root. Every path handled here is relative to the root and already cleaned.
 *
 * The invariant that makes it safe: `#dirs` holds only paths that are real directories whose
 * ancestors are real directories (made here or checked with lstat, component by component). An
 * entry's parent must be in it before anything is created under it, and replacing a path forgets
 * it and everything below. Creation itself never follows a final symlink: O_CREAT|O_EXCL|O_NOFOLLOW,
 * mkdir, symlink and link all fail with EEXIST on an existing name, which is then removed (unlink,
 * or rm of a directory, which does not follow links either) and created again.
 */
import { constants, lchownSync, lutimesSync, symlinkSync } from "node:fs";
import { type FileHandle, link, lstat, mkdir, open, readdir, rm, unlink } from "node:fs/promises";
import { writevAll } from "../util/write-all.ts";
import { DeviceBatch, type DeviceNode, WHITEOUT } from "./unpack-devices.ts";
import { writeSmallFile } from "./unpack-files.ts";
import {
  childOf,
  cleanEntryName,
  type EntryMetadata,
  invalidEntry,
  parentOf,
  unsafeEntry,
} from "./unpack-header.ts";
import type { LowerStack } from "./unpack-lower.ts";

/** A directory's metadata, applied once everything in it is written; implied directories have no times. */
interface DirMetadata {
  uid: number;
  gid: number;
  mode: number;
  atime?: number;
  mtime?: number;
}

const CREATE_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const OPEN_DIR = constants.O_RDONLY | constants.O_DIRECTORY;
/** Large files whose last bytes, owner, mode and times are still being written while the next entries unpack. */
const MAX_OPEN_FILES = 16;
/** File data is written in batches of this many bytes. */
const WRITE_BATCH = 1 << 20;
/** Files up to this size are written with synchronous calls (see unpack-files.ts). */
const SMALL_FILE = 1 << 20;
/** Directories whose metadata is applied at once at the end. */
const DIR_METADATA_CONCURRENCY = 16;

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

export class LayerTree {
  readonly root: string;
  readonly #lower: LowerStack;
  readonly #dirs = new Set<string>([""]);
  readonly #dirMetadata = new Map<string, DirMetadata>();
  readonly #opaque = new Set<string>();
  readonly #devices = new DeviceBatch();
  readonly #openFiles = new Set<Promise<void>>();
  #fileFailure: { error: unknown } | undefined;

  constructor(root: string, lower: LowerStack) {
    this.root = root;
    this.#lower = lower;
  }

  #abs(rel: string): string {
    return rel === "" ? this.root : `${this.root}/${rel}`;
  }

  /**
   * Makes sure `rel` is a real directory, creating missing ones (implied directories: the lower
   * stack's attributes if it has that directory, else 0755 root). A symlink on the way is refused.
   */
  async #ensureDir(rel: string, entry: string, create = true): Promise<void> {
    if (this.#dirs.has(rel)) return;
    await this.#ensureDir(parentOf(rel), entry, create);
    const path = this.#abs(rel);
    if (this.#devices.has(path))
      throw invalidEntry(entry, `has a non-directory in its path (${JSON.stringify(rel)})`);
    if (create) {
      try {
        await mkdir(path);
        this.#dirs.add(rel);
        await this.#impliedDirectory(rel);
        return;
      } catch (err) {
        if (errnoCode(err) !== "EEXIST") throw err;
      }
    }
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(path);
    } catch (err) {
      if (errnoCode(err) === "ENOENT")
        throw invalidEntry(entry, `links to a missing file (${JSON.stringify(rel)} does not exist)`);
      throw err;
    }
    if (st.isDirectory()) {
      this.#dirs.add(rel);
      return;
    }
    if (st.isSymbolicLink())
      throw unsafeEntry(entry, `has a symbolic link in its path (${JSON.stringify(rel)})`);
    throw invalidEntry(entry, `has a non-directory in its path (${JSON.stringify(rel)})`);
  }

  async #impliedDirectory(rel: string): Promise<void> {
    const lower = this.#lower.empty ? undefined : await this.#lower.dirStats(rel);
    // Overlay shows the upper directory's attributes: keep the lower one's, as a copy-up would.
    this.#dirMetadata.set(
      rel,
      lower === undefined
        ? { uid: 0, gid: 0, mode: 0o755 }
        : {
            uid: lower.uid,
            gid: lower.gid,
            mode: lower.mode & 0o7777,
            atime: lower.atimeMs / 1000,
            mtime: lower.mtimeMs / 1000,
          },
    );
  }

  /** Removes whatever is at `rel` (nothing there is fine), and forgets what was known below it. */
  async #clear(rel: string): Promise<void> {
    const path = this.#abs(rel);
    this.#devices.dropAt(path);
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(path);
    } catch (err) {
      if (errnoCode(err) === "ENOENT") return;
      throw err;
    }
    if (!st.isDirectory()) return await unlink(path);
    await rm(path, { recursive: true, force: true });
    const below = `${rel}/`;
    for (const set of [this.#dirs, this.#opaque]) {
      for (const p of set) if (p === rel || p.startsWith(below)) set.delete(p);
    }
    for (const p of this.#dirMetadata.keys())
      if (p === rel || p.startsWith(below)) this.#dirMetadata.delete(p);
  }

  /** Runs `create`; if the name exists, replaces it (a later entry for a path wins) and runs it again. */
  async #create<T>(rel: string, create: () => Promise<T>): Promise<T> {
    this.#devices.dropAt(this.#abs(rel));
    try {
      return await create();
    } catch (err) {
      if (errnoCode(err) !== "EEXIST") throw err;
    }
    await this.#clear(rel);
    return await create();
  }

  async directory(rel: string, metadata: EntryMetadata, entry: string): Promise<void> {
    if (rel !== "" && !this.#dirs.has(rel)) {
      await this.#ensureDir(parentOf(rel), entry);
      const path = this.#abs(rel);
      this.#devices.dropAt(path);
      try {
        await mkdir(path);
      } catch (err) {
        if (errnoCode(err) !== "EEXIST") throw err;
        // A directory over a directory merges; over anything else it replaces.
        if (!(await lstat(path)).isDirectory()) {
          await this.#clear(rel);
          await mkdir(path);
        }
      }
      this.#dirs.add(rel);
    }
    this.#dirMetadata.set(rel, metadata);
  }

  /** A regular file of `size` bytes (from its header): small ones at once, large ones streamed. */
  async file(
    rel: string,
    size: number,
    metadata: EntryMetadata,
    content: AsyncIterable<Uint8Array>,
    entry: string,
  ): Promise<void> {
    this.#throwFileFailure();
    await this.#ensureDir(parentOf(rel), entry);
    const path = this.#abs(rel);
    if (size <= SMALL_FILE) {
      // Read first: a tar that ends inside the entry leaves no file open.
      const chunks: Uint8Array[] = [];
      for await (const chunk of content) chunks.push(chunk);
      return await this.#create(rel, async () => writeSmallFile(path, CREATE_FILE, chunks, metadata));
    }
    const handle = await this.#create(rel, () => open(path, CREATE_FILE, 0o600));
    let chunks: Uint8Array[] = [];
    let buffered = 0;
    let position = 0;
    let writing: Promise<unknown> = Promise.resolve();
    try {
      for await (const chunk of content) {
        chunks.push(chunk);
        buffered += chunk.byteLength;
        if (buffered < WRITE_BATCH) continue;
        // One batch is written while the next one arrives.
        await writing;
        writing = writevAll(handle, chunks, position);
        writing.catch(() => undefined);
        position += buffered;
        chunks = [];
        buffered = 0;
      }
    } catch (err) {
      await writing.catch(() => undefined);
      await handle.close();
      throw err;
    }
    await this.#track(this.#finishFile(handle, writing, chunks, position, metadata));
  }

  async #finishFile(
    handle: FileHandle,
    writing: Promise<unknown>,
    chunks: Uint8Array[],
    position: number,
    metadata: EntryMetadata,
  ): Promise<void> {
    try {
      await writing;
      if (chunks.length > 0) await writevAll(handle, chunks, position);
      // chown first: it clears setuid/setgid bits, which chmod then sets.
      await handle.chown(metadata.uid, metadata.gid);
      await handle.chmod(metadata.mode);
      await handle.utimes(metadata.atime, metadata.mtime);
    } finally {
      await handle.close();
    }
  }

  /** Keeps at most MAX_OPEN_FILES files finishing in the background; their first failure is reported. */
  async #track(finishing: Promise<void>): Promise<void> {
    const tracked: Promise<void> = finishing
      .catch((error: unknown) => {
        this.#fileFailure ??= { error };
      })
      .finally(() => this.#openFiles.delete(tracked));
    this.#openFiles.add(tracked);
    if (this.#openFiles.size >= MAX_OPEN_FILES) await Promise.race(this.#openFiles);
  }

  #throwFileFailure(): void {
    if (this.#fileFailure !== undefined) throw this.#fileFailure.error;
  }

  /** Waits for the files still being finished (also after a failure, so no write outlives the call). */
  async settle(): Promise<void> {
    while (this.#openFiles.size > 0) await Promise.all(this.#openFiles);
  }

  /** A symlink's target is kept verbatim (absolute, relative, dangling): it is never followed here. */
  async symlink(rel: string, target: string, metadata: EntryMetadata, entry: string): Promise<void> {
    if (target === "") throw invalidEntry(entry, "is a symbolic link without a target");
    await this.#ensureDir(parentOf(rel), entry);
    const path = this.#abs(rel);
    // Synchronous calls, as for small files (unpack-files.ts): busybox is 270 symlinks.
    await this.#create(rel, async () => {
      symlinkSync(target, path);
      lchownSync(path, metadata.uid, metadata.gid);
      lutimesSync(path, metadata.atime, metadata.mtime);
    });
  }

  /**
   * A hard link to a regular file of this layer directory, its target resolved like an entry name
   * (never through a symlink). The link shares the target's inode, so its owner, mode and times.
   */
  async hardlink(rel: string, linkname: string, entry: string): Promise<void> {
    let target: string;
    try {
      target = cleanEntryName(linkname);
    } catch {
      throw unsafeEntry(entry, `links to ${JSON.stringify(linkname)}, which escapes the root`);
    }
    if (target === "") throw unsafeEntry(entry, "links to the root, not a regular file");
    await this.#ensureDir(parentOf(target), entry, false);
    const targetPath = this.#abs(target);
    if (this.#devices.has(targetPath))
      throw unsafeEntry(entry, `links to ${JSON.stringify(linkname)}, not a regular file`);
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(targetPath);
    } catch (err) {
      if (errnoCode(err) === "ENOENT")
        throw invalidEntry(entry, `links to a missing file (${JSON.stringify(linkname)})`);
      throw err;
    }
    if (!st.isFile()) throw unsafeEntry(entry, `links to ${JSON.stringify(linkname)}, not a regular file`);
    if (target === rel) return;
    await this.#ensureDir(parentOf(rel), entry);
    const path = this.#abs(rel);
    try {
      await this.#create(rel, () => link(targetPath, path));
    } catch (err) {
      // Replacing `rel` removed the target (it was below it).
      if (errnoCode(err) === "ENOENT")
        throw invalidEntry(entry, `links to a missing file (${JSON.stringify(linkname)})`);
      throw err;
    }
  }

  /** Character and block devices and fifos, made in one batch at the end. */
  async device(rel: string, node: DeviceNode, entry: string): Promise<void> {
    await this.#ensureDir(parentOf(rel), entry);
    await this.#clear(rel);
    this.#devices.add(this.#abs(rel), node);
  }

  /** `DIR/.wh.NAME`: an overlay whiteout, a character device 0,0 at `DIR/NAME`. */
  async whiteout(dir: string, name: string, entry: string): Promise<void> {
    await this.#ensureDir(dir, entry);
    const rel = childOf(dir, name);
    await this.#clear(rel);
    this.#devices.add(this.#abs(rel), WHITEOUT);
  }

  /** `DIR/.wh..wh..opq`: what the lower stack shows in DIR is hidden at the end (see #hideLower). */
  async opaque(dir: string, entry: string): Promise<void> {
    await this.#ensureDir(dir, entry);
    this.#opaque.add(dir);
  }

  /** Completes the layer: files, whiteouts for opaque directories, device nodes, directory metadata. */
  async finish(): Promise<void> {
    await this.settle();
    this.#throwFileFailure();
    const hidden = new Set<string>();
    for (const dir of this.#opaque) await this.#hideLower(dir, hidden);
    await this.#devices.flush();
    await this.#applyDirMetadata();
  }

  /**
   * Overlay would need the xattr trusted.overlay.opaque, which Node cannot set: instead every name
   * the lower stack shows in `dir` that this layer does not have gets a whiteout, and a directory
   * this layer has over a lower directory is hidden the same way (an opaque directory shows none of
   * the lower content at any depth).
   */
  async #hideLower(dir: string, done: Set<string>): Promise<void> {
    if (done.has(dir)) return;
    done.add(dir);
    const names = await this.#lower.visibleNames(dir);
    if (names.size === 0) return;
    const here = new Map<string, boolean>();
    for (const dirent of await readdir(this.#abs(dir), { withFileTypes: true })) {
      here.set(dirent.name, dirent.isDirectory());
    }
    for (const name of names) {
      const rel = childOf(dir, name);
      const isDir = here.get(name);
      if (isDir === undefined) {
        if (!this.#devices.has(this.#abs(rel))) this.#devices.add(this.#abs(rel), WHITEOUT);
      } else if (isDir) {
        await this.#hideLower(rel, done);
      }
    }
  }

  async #applyDirMetadata(): Promise<void> {
    const work = [...this.#dirMetadata].filter(([rel]) => this.#dirs.has(rel));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < work.length) {
        const [rel, metadata] = work[next++]!;
        // The root may be given as a symlink by the caller; below it, never follow one.
        const handle = await open(this.#abs(rel), rel === "" ? OPEN_DIR : OPEN_DIR | constants.O_NOFOLLOW);
        try {
          await handle.chown(metadata.uid, metadata.gid);
          await handle.chmod(metadata.mode);
          if (metadata.mtime !== undefined)
            await handle.utimes(metadata.atime ?? metadata.mtime, metadata.mtime);
        } finally {
          await handle.close();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(DIR_METADATA_CONCURRENCY, work.length) }, worker));
  }
}
