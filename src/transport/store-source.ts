/**
 * An ImageSource over the local store: push, save and copy read an image from here. The manifest
 * bytes are the stored ones, so a pushed image keeps the digest it was pulled with. The image's blobs
 * are leased for the copy, so that a concurrent `rmi` or prune cannot take them mid-transfer.
 *
 * Lease first, then confirm: the caller found the image in the records, but another process may
 * have removed it since, and its garbage collection the blobs. A collection that runs after the lease
 * is added keeps every leased blob; one that ran before has removed them already, which a look at the
 * blobs after the lease sees. So `open` leases the manifest (for an index, also each platform
 * manifest there is), reads it, leases what it names, and then checks that those blobs are all still
 * there. If one is gone the image was removed under us: given a way to look the name up again, `open`
 * does (the image may be back, or the name may now mean another one), a few times; given only a
 * manifest, it fails as IMAGE_NOT_FOUND (or, when that manifest itself is absent, which may mean it
 * never was there, STORE_BLOB_UNKNOWN as before). Nothing of this costs more than a stat per blob.
 */
import { isWharfError, WharfError } from "../errors.ts";
import type { Digest } from "../oci/digest.ts";
import { type ParsedDocument, parseDocument } from "../oci/document.ts";
import { isNonDistributableLayer } from "../oci/mediatype.ts";
import type { IngestSource } from "../store/ingest.ts";
import type { Lease } from "../store/lease.ts";
import type { ManifestRef } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import type { ImageSource, ManifestBytes } from "./types.ts";

/**
 * What a StoreSource starts from: the manifest (or index), or a lookup that names it now (run again
 * when the image it named is removed before its blobs are leased; its own not-found errors pass).
 */
export type StoreSourceTop = ManifestRef | (() => ManifestRef | Promise<ManifestRef>);

/** Lookups when the image found keeps vanishing before it is leased (removed, re-created, removed...). */
const OPEN_ATTEMPTS = 5;

/** The top manifest, or what was removed before it was leased. */
type Opened = { kind: "open"; top: ManifestBytes } | { kind: "removed"; digest: Digest };

export class StoreSource implements ImageSource {
  readonly #store: Store;
  readonly #top: ManifestRef;
  readonly #topBytes: ManifestBytes;
  readonly #lease: Lease;

  private constructor(store: Store, top: ManifestRef, topBytes: ManifestBytes, lease: Lease) {
    this.#store = store;
    this.#top = top;
    this.#topBytes = topBytes;
    this.#lease = lease;
  }

  /**
   * `top`: the manifest (or index) the copy starts from, a blob of the store, or a lookup of it.
   * Throws IMAGE_NOT_FOUND when the image was removed before its blobs could be leased (with a
   * lookup: each time it was tried), and the lookup's own errors.
   */
  static async open(store: Store, top: StoreSourceTop): Promise<StoreSource> {
    const lookup = typeof top === "function" ? top : undefined;
    let removed: ManifestRef | undefined;
    for (let attempt = 1; attempt <= (lookup ? OPEN_ATTEMPTS : 1); attempt++) {
      const ref = lookup ? await lookup() : (top as ManifestRef);
      const lease = store.lease();
      let opened: Opened;
      try {
        opened = await leaseImage(store, ref, lease);
      } catch (err) {
        await lease.release();
        throw err;
      }
      if (opened.kind === "open") return new StoreSource(store, ref, opened.top, lease);
      await lease.release();
      // Given only a digest, a manifest that is not there may never have been: say so as before.
      if (!lookup && opened.digest === ref.digest) throw notInStore(ref.digest);
      removed = ref;
    }
    throw new WharfError(
      "IMAGE_NOT_FOUND",
      `No such image: ${removed!.digest} (it was removed from the local store)`,
      { digest: removed!.digest, removed: true },
    );
  }

  /** The manifest (or index) this source starts from. */
  get top(): ManifestRef {
    return this.#top;
  }

  async topManifest(): Promise<ManifestBytes> {
    return this.#topBytes;
  }

  async manifest(digest: Digest): Promise<ManifestBytes> {
    await this.#lease.add(digest);
    const bytes = await read(this.#store, digest);
    await this.#lease.addAll(references(parseDocument(bytes.bytes, bytes.mediaType)));
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
}

/**
 * Leases the image at `top` and what it names (an index: each platform manifest it lists that the
 * store has, and theirs), then confirms that all of it is still in the store.
 */
async function leaseImage(store: Store, top: ManifestRef, lease: Lease): Promise<Opened> {
  await lease.add(top.digest);
  let bytes: ManifestBytes;
  try {
    bytes = await read(store, top.digest, top.mediaType);
  } catch (err) {
    if (!isWharfError(err, "STORE_BLOB_UNKNOWN")) throw err;
    return { kind: "removed", digest: top.digest };
  }
  const parsed = parseDocument(bytes.bytes, bytes.mediaType);
  const manifests: ParsedDocument[] = [];
  if (parsed.kind === "manifest") manifests.push(parsed);
  else if (parsed.kind === "index") {
    // Only the platforms that were pulled are in the store; the others are not leased or looked for.
    const children = parsed.value.manifests.map((m) => m.digest as Digest);
    await lease.addAll(children);
    for (const digest of children) {
      try {
        const child = await read(store, digest);
        manifests.push(parseDocument(child.bytes, child.mediaType));
      } catch (err) {
        if (!isWharfError(err, "STORE_BLOB_UNKNOWN")) throw err;
      }
    }
  }
  const named = manifests.flatMap(references);
  await lease.addAll(named);
  // From here on the lease keeps them; what is missing now was removed before it was leased.
  for (const m of manifests) {
    if (m.kind !== "manifest") continue;
    const required = [m.value.config, ...m.value.layers.filter((l) => !isNonDistributableLayer(l.mediaType))];
    for (const d of required) {
      if (!(await store.blobs.has(d.digest as Digest)))
        return { kind: "removed", digest: d.digest as Digest };
    }
  }
  return { kind: "open", top: bytes };
}

/** The blobs a platform manifest names (config and layers); nothing for an index. */
function references(parsed: ParsedDocument): Digest[] {
  if (parsed.kind !== "manifest") return [];
  const v = parsed.value;
  return [v.config.digest, ...v.layers.map((l) => l.digest)] as Digest[];
}

async function read(store: Store, digest: Digest, mediaType?: string): Promise<ManifestBytes> {
  let bytes: Uint8Array;
  try {
    bytes = await store.blobs.readBytes(digest);
  } catch (err) {
    if (!isWharfError(err, "STORE_BLOB_UNKNOWN")) throw err;
    throw notInStore(digest, err);
  }
  const parsed = parseDocument(bytes, mediaType);
  return { bytes, mediaType: parsed.mediaType, digest };
}

function notInStore(digest: Digest, cause?: unknown): WharfError {
  return new WharfError(
    "STORE_BLOB_UNKNOWN",
    `manifest ${digest} is not in the local store (only the platforms that were pulled are)`,
    { digest },
    cause === undefined ? undefined : { cause },
  );
}
