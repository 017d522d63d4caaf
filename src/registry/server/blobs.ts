/**
 * Blobs of the registry: content stored once by digest, linked into the repositories that have it,
 * and uploads (monolithic, chunked, streamed) that become blobs only once their digest is verified.
 */
import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import { isWharfError } from "../../errors.ts";
import { type Algorithm, type Digest, Digester, digestAlgorithm, parseDigest } from "../../oci/digest.ts";
import { TtlCache } from "./cache.ts";
import { DistributionError } from "./errors.ts";
import { blobPath, layerLinkPath, uploadPath } from "./layout.ts";
import type { RandomAccessFile, StorageDriver } from "./storage/driver.ts";

/**
 * The running digest of an upload this process has been writing, so that finishing it needs no
 * second read. After a restart (or a size that disagrees) the stored bytes are hashed again.
 */
interface UploadState {
  digester: Digester;
  size: number;
}

export class BlobStore {
  readonly #driver: StorageDriver;
  readonly #uploads = new Map<string, UploadState>();
  /** Sizes of blobs known to be in a repository (a HEAD or GET costs two stats otherwise). */
  readonly #present = new TtlCache<number>(2000);

  constructor(driver: StorageDriver) {
    this.#driver = driver;
  }

  /** The blob's size when `name` has it, else undefined. */
  async stat(name: string, digest: Digest): Promise<number | undefined> {
    const key = `${name}\0${digest}`;
    const known = this.#present.get(key);
    if (known !== undefined) return known;
    const [link, blob] = await Promise.all([
      this.#driver.stat(layerLinkPath(name, digest)),
      this.#driver.stat(blobPath(digest)),
    ]);
    if (!link || !blob || blob.isDir) return undefined;
    this.#present.set(key, blob.size);
    return blob.size;
  }

  /** The blob's size anywhere in the registry (a cross-repository mount needs it in `from`). */
  async statGlobal(digest: Digest): Promise<number | undefined> {
    const blob = await this.#driver.stat(blobPath(digest));
    return blob && !blob.isDir ? blob.size : undefined;
  }

  async open(digest: Digest, offset = 0): Promise<Readable> {
    return this.#driver.reader(blobPath(digest), offset);
  }

  /** Positioned reads of the blob, when the driver offers them. */
  async openFile(digest: Digest): Promise<RandomAccessFile | undefined> {
    return this.#driver.openFile?.(blobPath(digest));
  }

  async readAll(digest: Digest): Promise<Buffer> {
    return this.#driver.getContent(blobPath(digest));
  }

  link(name: string, digest: Digest): Promise<void> {
    return this.#driver.putContent(layerLinkPath(name, digest), "");
  }

  /** Removes the blob from the repository (the content goes at the next garbage collection). */
  async unlink(name: string, digest: Digest): Promise<void> {
    this.#present.delete(`${name}\0${digest}`);
    try {
      await this.#driver.delete(layerLinkPath(name, digest));
    } catch (err) {
      if (isWharfError(err, "STORAGE_PATH_NOT_FOUND")) throw new DistributionError("BLOB_UNKNOWN");
      throw err;
    }
  }

  /** Stores content whose digest the caller computed (a manifest's bytes). */
  async putVerified(digest: Digest, bytes: Uint8Array): Promise<void> {
    if ((await this.statGlobal(digest)) === undefined) await this.#driver.putContent(blobPath(digest), bytes);
  }

  // ----------------------------------------------------------------------------------------------
  // Uploads

  async startUpload(name: string): Promise<string> {
    const uuid = randomUUID();
    const writer = await this.#driver.writer(uploadPath(name, uuid), false);
    await writer.close();
    this.#uploads.set(uuid, { digester: new Digester(), size: 0 });
    return uuid;
  }

  /** The upload's size so far; BLOB_UPLOAD_UNKNOWN when `name` has no such upload. */
  async uploadSize(name: string, uuid: string): Promise<number> {
    const info = isUuid(uuid) ? await this.#driver.stat(uploadPath(name, uuid)) : undefined;
    if (!info || info.isDir) throw new DistributionError("BLOB_UPLOAD_UNKNOWN");
    return info.size;
  }

  /**
   * Appends a chunk. `start`, when given (Content-Range), must be where the upload ends: anything
   * else is an out-of-order chunk (416). Returns the new size.
   */
  async append(name: string, uuid: string, body: AsyncIterable<Uint8Array>, start?: number): Promise<number> {
    const size = await this.uploadSize(name, uuid);
    if (start !== undefined && start !== size) {
      throw new DistributionError(
        "BLOB_UPLOAD_INVALID",
        `chunk starts at ${start}, but the upload has ${size} bytes`,
        undefined,
        416,
      );
    }
    const writer = await this.#driver.writer(uploadPath(name, uuid), true);
    let state = this.#uploads.get(uuid);
    if (state && state.size !== size) {
      this.#uploads.delete(uuid);
      state = undefined;
    }
    // One write in flight while the next chunk is read and hashed: the socket and the disk overlap.
    let pending: Promise<void> = Promise.resolve();
    let failed = false;
    let discarded = 0;
    try {
      for await (const chunk of body) {
        if (failed) {
          // The rest of the body is read and dropped, so that the client, still sending, gets the
          // answer on a connection that stays usable; past DISCARD_LIMIT it is cut instead.
          discarded += chunk.byteLength;
          if (discarded > DISCARD_LIMIT) break;
          continue;
        }
        state?.digester.update(chunk);
        failed = await pending.then(
          () => false,
          () => true,
        );
        if (failed) continue;
        pending = writer.write(chunk);
        // Awaited at the next chunk; a failure meanwhile (a full disk) is no unhandled rejection.
        pending.catch(() => undefined);
      }
      await pending;
    } catch (err) {
      // What arrived stays: the client may resume from the size GET .../uploads/<uuid> reports.
      await pending.catch(() => undefined);
      this.#uploads.delete(uuid);
      await writer.close();
      throw err;
    }
    await writer.close();
    if (state) state.size = writer.size;
    return writer.size;
  }

  /** Finishes an upload: its bytes must digest to `digest`; then they are the blob, linked to `name`. */
  async finish(name: string, uuid: string, digest: Digest): Promise<void> {
    const path = uploadPath(name, uuid);
    const size = await this.uploadSize(name, uuid);
    const state = this.#uploads.get(uuid);
    const algorithm = digestAlgorithm(digest);
    const actual =
      state && state.size === size && state.digester.algorithm === algorithm
        ? state.digester.digest()
        : await this.#digestOf(path, algorithm);
    // Past this point the running digest is spent; a failed finish hashes the stored bytes again.
    this.#uploads.delete(uuid);
    if (actual !== digest) {
      throw new DistributionError("DIGEST_INVALID", `upload digests to ${actual}, not ${digest}`, {
        digest,
      });
    }
    const writer = await this.#driver.writer(path, true);
    await writer.commit(); // durable before it becomes visible as a blob
    if ((await this.statGlobal(digest)) === undefined) await this.#driver.move(path, blobPath(digest));
    else await this.#driver.delete(path);
    await this.link(name, digest);
  }

  async cancel(name: string, uuid: string): Promise<void> {
    await this.uploadSize(name, uuid);
    this.#uploads.delete(uuid);
    await this.#driver.delete(uploadPath(name, uuid));
  }

  async #digestOf(path: string, algorithm: Algorithm): Promise<Digest> {
    const digester = new Digester(algorithm);
    for await (const chunk of await this.#driver.reader(path)) digester.update(chunk as Buffer);
    return digester.digest();
  }
}

/** Bytes of a request body read and dropped after a failed write before the connection is cut. */
const DISCARD_LIMIT = 64 * 1024 * 1024;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Upload ids are ours (randomUUID): anything else never names a storage path. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** A digest from a request (`?digest=`, a path): DIGEST_INVALID when malformed or unsupported. */
export function requestDigest(value: string | undefined): Digest {
  if (value === undefined || value === "") throw new DistributionError("DIGEST_INVALID", "digest missing");
  try {
    return parseDigest(value);
  } catch (err) {
    throw new DistributionError("DIGEST_INVALID", (err as Error).message);
  }
}
