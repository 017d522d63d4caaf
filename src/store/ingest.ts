/**
 * Verified, atomic, resumable blob ingest (containerd's content ingest, across processes):
 * content streams into ingest/<ref-key>/data, is checked against the expected size and digest,
 * fsynced, and renamed into blobs/ — a reader never sees a partial or unverified blob. The ingest is
 * keyed by a stable ref: an interrupted one resumes from the bytes already on disk, and while one
 * process owns a ref, another process ingesting the same ref waits for it and then finds the blob
 * present, so the blob is written once.
 */
import { createReadStream, existsSync, rmSync } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type ErrorCode, isWharfError, noSpaceError, WharfError } from "../errors.ts";
import { createHash, type Digest, Verifier } from "../oci/digest.ts";
import { fsyncDir } from "../util/fs-atomic.ts";
import { type PositionalFile, writevAll } from "../util/write-all.ts";
import type { BlobReader } from "./blobs.ts";
import type { StoreDb } from "./db.ts";
import type { Lease } from "./lease.ts";
import { currentOwner, formatOwner, isOwnerAlive, parseOwner } from "./owner.ts";
import type { StorePaths } from "./paths.ts";

export interface IngestSource {
  /**
   * Opens the content at `offset`. Returns where the stream really starts: a source that cannot
   * seek (an HTTP server without Range, a pipe) returns 0 and the ingest starts over.
   */
  open(offset: number): Promise<{ stream: AsyncIterable<Uint8Array>; offset: number }>;
}

export interface IngestRequest {
  digest: Digest;
  /** Expected size; content of another size is refused as soon as it is seen. */
  size?: number;
  source: IngestSource;
  /** Keeps the blob from garbage collection until the caller references it. */
  lease: Lease;
  /** Stable ingest ref; defaults to the digest, so that one blob is ingested by one writer at a time. */
  ref?: string;
  onProgress?: (bytes: number) => void;
  /** Sees every byte of the blob in order, e.g. to compute a layer's diff ID in the same pass. */
  observer?: ContentObserver;
}

/**
 * A second consumer of the content as it is ingested. On a resume it first sees the bytes already on
 * disk, then the new ones; `reset` means the content starts again from byte 0. A promise returned by
 * `update` holds the ingest back (backpressure).
 */
export interface ContentObserver {
  reset(): void;
  update(chunk: Uint8Array): void | Promise<void>;
}

export interface IngestResult {
  digest: Digest;
  size: number;
  /** The blob was already in the store: nothing was written. */
  existed: boolean;
  /** Bytes reused from an interrupted ingest. */
  resumedFrom: number;
}

/** The file operations an ingest writes with: node's FileHandle, or a fault double in tests. */
export interface IngestFile extends PositionalFile {
  datasync(): Promise<void>;
  sync(): Promise<void>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}
export type OpenIngestFile = (path: string, flags: "w" | "r+") => Promise<IngestFile>;

/** Failures after which the partial content is not to be trusted: it goes, and a retry starts over. */
const NOT_RESUMABLE: readonly ErrorCode[] = ["DIGEST_MISMATCH", "SIZE_MISMATCH", "STORE_CORRUPT"];

const POLL_MS = 25;
const MAX_POLL_MS = 250;

export class Ingester {
  readonly #db: StoreDb;
  readonly #paths: StorePaths;
  readonly #blobs: BlobReader;
  /** Refs this process is ingesting now: the process-wide owner identity cannot tell them apart. */
  readonly #local = new Map<string, Promise<unknown>>();
  readonly #openFile: OpenIngestFile;

  constructor(db: StoreDb, paths: StorePaths, blobs: BlobReader, openFile: OpenIngestFile = open) {
    this.#db = db;
    this.#paths = paths;
    this.#blobs = blobs;
    this.#openFile = openFile;
  }

  async ingest(request: IngestRequest): Promise<IngestResult> {
    const ref = request.ref ?? request.digest;
    await request.lease.add(request.digest);
    let delay = POLL_MS;
    for (;;) {
      const existing = await this.#existing(request, ref);
      if (existing) return existing;
      const pending = this.#local.get(ref);
      if (pending) {
        await pending.catch(() => undefined);
        continue;
      }
      const claim = await this.#claim(ref, request);
      if (claim === "exists") continue;
      if (claim === "busy") {
        await sleep(delay);
        delay = Math.min(delay * 2, MAX_POLL_MS);
        continue;
      }
      const work = this.#write(ref, request).finally(() => this.#local.delete(ref));
      this.#local.set(ref, work);
      return await work;
    }
  }

  async #existing(request: IngestRequest, ref: string): Promise<IngestResult | undefined> {
    const info = await this.#blobs.stat(request.digest);
    if (!info) return undefined;
    // A writer that died between moving its blob into place and removing its folder left the folder.
    if (existsSync(ingestDirFor(this.#paths, ref))) await this.#removeStale(ref);
    if (request.size !== undefined && info.size !== request.size) {
      throw new WharfError(
        "SIZE_MISMATCH",
        `blob ${request.digest} is ${info.size} bytes, not the ${request.size} expected`,
        { digest: request.digest, expected: request.size, actual: info.size },
      );
    }
    return { digest: request.digest, size: info.size, existed: true, resumedFrom: 0 };
  }

  /**
   * Takes the ref unless a live process holds it; a dead holder's claim is taken over atomically.
   * The blob is looked for again under the lock: a writer renames its blob into place before it
   * gives its claim up, so a claim that finds no holder also sees any blob that holder wrote.
   */
  #claim(ref: string, request: IngestRequest): Promise<"claimed" | "busy" | "exists"> {
    const me = formatOwner(currentOwner());
    return this.#db.write(() => {
      const row = this.#db.sqlite.prepare("SELECT owner FROM ingests WHERE ref = ?").get(ref) as
        | { owner: string }
        | undefined;
      if (row && row.owner !== me) {
        const holder = parseOwner(row.owner);
        if (holder && isOwnerAlive(holder)) return "busy";
      }
      if (existsSync(this.#paths.blob(request.digest))) return "exists";
      this.#db.sqlite
        .prepare(
          `INSERT INTO ingests (ref, owner, expected_digest, expected_size, started_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(ref) DO UPDATE SET owner = excluded.owner, expected_digest = excluded.expected_digest,
             expected_size = excluded.expected_size`,
        )
        .run(ref, me, request.digest, request.size ?? null, new Date().toISOString());
      return "claimed";
    });
  }

  /**
   * Gives the ref up; an interrupted ingest keeps its row (no owner, this process as the last one)
   * so that a later ingest resumes it and GC knows whose it was. Best effort: on a full disk the
   * database may refuse the change, and a row left owned by this process is reclaimed once it exits.
   */
  async #release(ref: string, keepPartial: boolean): Promise<void> {
    const me = formatOwner(currentOwner());
    try {
      await this.#db.write(() => {
        const sql = keepPartial
          ? "UPDATE ingests SET owner = '', last_owner = owner WHERE ref = ? AND owner = ?"
          : "DELETE FROM ingests WHERE ref = ? AND owner = ?";
        this.#db.sqlite.prepare(sql).run(ref, me);
      });
    } catch (err) {
      if (!noSpaceError(err)) throw err;
    }
  }

  /** Removes the ingest folder of `ref` (and its row) unless a live process is writing it. */
  #removeStale(ref: string): Promise<void> {
    const dir = ingestDirFor(this.#paths, ref);
    return this.#db.write(() => {
      const row = this.#db.sqlite.prepare("SELECT owner FROM ingests WHERE ref = ?").get(ref) as
        | { owner: string }
        | undefined;
      const holder = row ? parseOwner(row.owner) : undefined;
      if (holder && isOwnerAlive(holder)) return;
      this.#db.sqlite.prepare("DELETE FROM ingests WHERE ref = ?").run(ref);
      rmSync(dir, { recursive: true, force: true });
    });
  }

  async #write(ref: string, request: IngestRequest): Promise<IngestResult> {
    const dir = ingestDirFor(this.#paths, ref);
    const data = join(dir, "data");
    let keepPartial = false;
    try {
      await mkdir(dir, { recursive: true });
      const result = await this.#stream(data, request);
      await this.#commit(data, request.digest);
      await rm(dir, { recursive: true, force: true });
      return result;
    } catch (err) {
      // Content that failed verification must not be resumed; an interrupted transfer (a cut
      // connection, a full disk) is kept: what reached the disk is valid, and a retry resumes after it.
      keepPartial = !NOT_RESUMABLE.some((code) => isWharfError(err, code));
      if (!keepPartial) await rm(dir, { recursive: true, force: true });
      throw noSpaceError(err, data) ?? err;
    } finally {
      await this.#release(ref, keepPartial);
    }
  }

  async #stream(data: string, request: IngestRequest): Promise<IngestResult> {
    let offset = await partialSize(data);
    if (request.size !== undefined && offset > request.size) offset = 0;
    let verifier = new Verifier(request.digest, request.size);
    const observer = request.observer;
    observer?.reset();
    if (offset > 0) await rehashPartial(data, offset, verifier, observer);
    if (offset > 0 && offset === request.size) {
      // Everything arrived before the interruption: verify and sync what is there.
      await writeVerified(this.#openFile, data, offset, [], verifier);
      return { digest: request.digest, size: offset, existed: false, resumedFrom: offset };
    }
    const opened = await request.source.open(offset);
    if (opened.offset !== offset) {
      if (opened.offset !== 0) {
        throw new WharfError(
          "STORE_CORRUPT",
          `source resumed at ${opened.offset}, not at ${offset} as asked`,
        );
      }
      offset = 0;
      verifier = new Verifier(request.digest, request.size);
      observer?.reset();
    }
    await writeVerified(this.#openFile, data, offset, opened.stream, verifier, request.onProgress, observer);
    return { digest: request.digest, size: verifier.size, existed: false, resumedFrom: offset };
  }

  /** Renames the verified, fsynced data into blobs/ and fsyncs the directory: durable before visible. */
  async #commit(data: string, digest: Digest): Promise<void> {
    const target = this.#paths.blob(digest);
    await mkdir(dirname(target), { recursive: true });
    await rename(data, target);
    await fsyncDir(dirname(target));
  }
}

/**
 * Dirty bytes after which a background flush (fdatasync) starts: the kernel then writes the blob back
 * while the rest is still being hashed, instead of all of it in the final fsync. Measured on a 1 GiB
 * file from the page cache (bench/ingest.ts, ext4 on virtio): ingest 4.3-4.6 s -> 3.3-3.4 s, median
 * of interleaved runs. 16 and 64 MiB do alike, 128 MiB less well; with the flush, 4 MiB chunks or 2
 * writes in flight gained nothing.
 */
const FLUSH_BYTES = 64 * 1024 * 1024;

/**
 * Hashes each batch while the previous one is being written (one write in flight), so that hashing
 * on this thread and writing on the I/O pool overlap. Unlike a stream pipeline, a failing source
 * does not discard writes already issued: everything received reaches the file and can be resumed.
 * Every FLUSH_BYTES a flush starts (one at a time, not waited for, its error still thrown); on
 * success the data is fsynced, and the file's size is checked against the bytes hashed: every byte
 * hashed was written whole (writevAll) at its place, so the digest verified is that of the file.
 */
async function writeVerified(
  openFile: OpenIngestFile,
  path: string,
  offset: number,
  stream: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  verifier: Verifier,
  onProgress?: (bytes: number) => void,
  observer?: ContentObserver,
): Promise<void> {
  const handle = await openFile(path, offset > 0 ? "r+" : "w");
  let pending: Promise<unknown> = Promise.resolve();
  let flush: Promise<unknown> | undefined;
  let flushDone = true;
  let flushedTo = offset;
  let position = offset;
  try {
    for await (const batch of batches(stream, BATCH_BYTES)) {
      let length = 0;
      for (const chunk of batch) {
        verifier.update(chunk);
        const observed = observer?.update(chunk);
        if (observed) await observed;
        length += chunk.byteLength;
      }
      await pending;
      pending = writevAll(handle, batch, position);
      // Awaited at the next batch or below; meanwhile its failure is no unhandled rejection.
      pending.catch(() => undefined);
      position += length;
      if (flushDone && position - flushedTo >= FLUSH_BYTES) {
        await flush; // settled already: only rethrows its error
        flushDone = false;
        flushedTo = position;
        flush = handle.datasync().finally(() => {
          flushDone = true;
        });
        flush.catch(() => undefined); // awaited later; not an unhandled rejection meanwhile
      }
      onProgress?.(verifier.size);
    }
    await pending;
    await flush;
    verifier.verify();
    await handle.sync();
    const onDisk = (await handle.stat()).size;
    if (onDisk !== verifier.size) {
      throw new WharfError(
        "STORE_CORRUPT",
        `ingest of ${path}: ${onDisk} bytes on disk, ${verifier.size} written`,
        { path, expected: verifier.size, actual: onDisk },
      );
    }
  } catch (err) {
    await pending.catch(() => undefined);
    await flush?.catch(() => undefined);
    throw err;
  } finally {
    await handle.close();
  }
}

/**
 * Network streams arrive in chunks of 16-64 KiB; one write per chunk costs more than the write
 * itself. Chunks are gathered into batches of about this size and written with one writev, without
 * copying them into one buffer (a copy of every byte, and as much garbage).
 */
const BATCH_BYTES = 1 << 20;

async function* batches(
  stream: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  size: number,
): AsyncGenerator<Uint8Array[]> {
  let parts: Uint8Array[] = [];
  let length = 0;
  const gathered = () => {
    const out = parts;
    parts = [];
    length = 0;
    return out;
  };
  try {
    for await (const chunk of stream) {
      parts.push(chunk);
      length += chunk.byteLength;
      if (length >= size) yield gathered();
    }
  } catch (err) {
    // A transfer cut short: what arrived still reaches the file, so that the next attempt resumes after it.
    if (length > 0) yield gathered();
    throw err;
  }
  if (length > 0) yield gathered();
}

/** ingest/<sha256 of the ref>: refs may hold any characters, directory names may not. */
export function ingestDirFor(paths: StorePaths, ref: string): string {
  return join(paths.ingestDir, createHash("sha256").update(ref).digest("hex"));
}

async function partialSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw err;
  }
}

/**
 * Node's hash state cannot be saved, so a resumed ingest hashes the bytes already on disk again
 * (reading them is far cheaper than downloading them again).
 */
async function rehashPartial(
  path: string,
  length: number,
  verifier: Verifier,
  observer: ContentObserver | undefined,
): Promise<void> {
  for await (const chunk of createReadStream(path, { end: length - 1, highWaterMark: 1 << 20 })) {
    verifier.update(chunk as Buffer);
    const observed = observer?.update(chunk as Buffer);
    if (observed) await observed;
  }
}
