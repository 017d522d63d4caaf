/**
 * An ImageSource over the local store: push, save and copy read an image from here. The manifest
 * bytes are the stored ones, so a pushed image keeps the digest it was pulled with. The image's blobs
 * are leased for the copy, so that a concurrent `rmi` or prune cannot take them mid-transfer.
 */
import { isWharfError, WharfError } from "../errors.ts";
import type { Digest } from "../oci/digest.ts";
import { parseDocument } from "../oci/document.ts";
import type { IngestSource } from "../store/ingest.ts";
import type { Lease } from "../store/lease.ts";
import type { ManifestRef } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import type { ImageSource, ManifestBytes } from "./types.ts";

export class StoreSource implements ImageSource {
  readonly #store: Store;
  readonly #top: ManifestRef;
  readonly #lease: Lease;

  private constructor(store: Store, top: ManifestRef, lease: Lease) {
    this.#store = store;
    this.#top = top;
    this.#lease = lease;
  }

  /** `top`: the manifest (or index) the copy starts from, a blob of the store. */
  static async open(store: Store, top: ManifestRef): Promise<StoreSource> {
    const lease = store.lease();
    try {
      await lease.add(top.digest);
      const source = new StoreSource(store, top, lease);
      await source.#leaseReferences(await source.topManifest());
      return source;
    } catch (err) {
      await lease.release();
      throw err;
    }
  }

  async topManifest(): Promise<ManifestBytes> {
    return this.#read(this.#top.digest, this.#top.mediaType);
  }

  async manifest(digest: Digest): Promise<ManifestBytes> {
    await this.#lease.add(digest);
    const bytes = await this.#read(digest);
    await this.#leaseReferences(bytes);
    return bytes;
  }

  blob(digest: Digest): IngestSource {
    const blobs = this.#store.blobs;
    return {
      async open(offset) {
        return { stream: await blobs.open(digest, offset), offset };
      },
    };
  }

  close(): Promise<void> {
    return this.#lease.release();
  }

  async #read(digest: Digest, mediaType?: string): Promise<ManifestBytes> {
    let bytes: Uint8Array;
    try {
      bytes = await this.#store.blobs.readBytes(digest);
    } catch (err) {
      if (!isWharfError(err, "STORE_BLOB_UNKNOWN")) throw err;
      throw new WharfError(
        "STORE_BLOB_UNKNOWN",
        `manifest ${digest} is not in the local store (only the platforms that were pulled are)`,
        { digest },
        { cause: err },
      );
    }
    const parsed = parseDocument(bytes, mediaType);
    return { bytes, mediaType: parsed.mediaType, digest };
  }

  async #leaseReferences(manifest: ManifestBytes): Promise<void> {
    const parsed = parseDocument(manifest.bytes, manifest.mediaType);
    if (parsed.kind === "manifest") {
      const v = parsed.value;
      await this.#lease.addAll([v.config.digest, ...v.layers.map((l) => l.digest)] as Digest[]);
    }
  }
}
