/**
 * An ImageDestination into the local store: load and `wharf copy … wharf:NAME` write here. Blobs are
 * ingested verified (a layer's diff ID computed in the same pass) under one lease; each platform
 * manifest becomes an image record once its layers are checked against the config's diff IDs; the
 * records, tags and RepoDigests are written in one transaction at commit. Before commit nothing is
 * visible, and an aborted copy leaves only unreferenced blobs, which the lease release hands to GC.
 */
import { WharfError } from "../errors.ts";
import { DiffIdCalculator, type DiffIdResult } from "../layer/diffid.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import type { Digest } from "../oci/digest.ts";
import { type ParsedManifest, parseDocument, parseImageConfig } from "../oci/document.ts";
import { isLayerMediaType } from "../oci/mediatype.ts";
import { defaultPlatform } from "../oci/platform.ts";
import type { IngestSource } from "../store/ingest.ts";
import type { ImageData, ImageRecord, LayerRecord, RecordWriter } from "../store/records.ts";
import { bytesSource } from "../store/sources.ts";
import type { Store } from "../store/store.ts";
import { checkDiffId, storedLayerInfo, withResume } from "./layers.ts";
import { choosePlatformDescriptor } from "./platform-choice.ts";
import { recordImageName } from "./store-names.ts";
import type { BlobReuse, ImageDestination, ManifestBytes, ManifestContext } from "./types.ts";

export interface StoreDestinationOptions {
  /**
   * Record the top manifest's digest as a RepoDigest of each name's repository, as a pull does
   * (copies from a registry). Docker's load records none.
   */
  repoDigests?: boolean;
}

/** What a commit did: the images it wrote, and what each name now points at. */
export interface StoreCommit {
  images: ImageRecord[];
  names: {
    /** The full reference recorded: a tag (`host/repo:tag`) or a digest (`host/repo@sha256:…`). */
    name: string;
    image: ImageRecord;
    /** The name points at an image it did not point at before (a new tag or RepoDigest). */
    changed: boolean;
    /** The image a moved tag was taken from (left dangling if it has no other name). */
    previous?: ImageRecord;
  }[];
}

interface PendingTop {
  manifest: ManifestBytes;
  names: readonly string[];
  /** The platform manifest the names point at (the top itself, or the host's child of an index). */
  target: Digest;
  repoDigest: ManifestBytes;
}

export class StoreDestination implements ImageDestination {
  readonly acceptsIndex = true;
  readonly #store: Store;
  readonly #options: StoreDestinationOptions;
  readonly #lease;
  readonly #layerInfo = new Map<string, DiffIdResult>();
  readonly #images = new Map<string, ImageData>();
  readonly #tops: PendingTop[] = [];
  #result: StoreCommit | undefined;

  constructor(store: Store, options: StoreDestinationOptions = {}) {
    this.#store = store;
    this.#options = options;
    this.#lease = store.lease();
  }

  /** Set once commit() has succeeded. */
  get committed(): StoreCommit | undefined {
    return this.#result;
  }

  async reuseBlob(desc: Descriptor): Promise<BlobReuse | undefined> {
    const digest = desc.digest as Digest;
    // Leased before looking, so that a concurrent GC cannot take it between the look and the commit.
    await this.#lease.add(digest);
    return (await this.#store.blobs.has(digest)) ? { kind: "exists" } : undefined;
  }

  async putBlob(desc: Descriptor, content: IngestSource, onProgress: (bytes: number) => void): Promise<void> {
    const digest = desc.digest as Digest;
    const calculator = isLayerMediaType(desc.mediaType) ? new DiffIdCalculator(desc.mediaType) : undefined;
    const result = await withResume(() =>
      this.#store.ingest({
        digest,
        size: desc.size,
        source: content,
        lease: this.#lease,
        onProgress,
        ...(calculator ? { observer: calculator } : {}),
      }),
    );
    // Another process may have ingested it meanwhile: then the calculator saw nothing.
    if (calculator && !result.existed) this.#layerInfo.set(digest, await calculator.finish());
  }

  async putManifest(manifest: ManifestBytes, context: ManifestContext): Promise<void> {
    await this.#store.ingest({
      digest: manifest.digest,
      size: manifest.bytes.byteLength,
      source: bytesSource(manifest.bytes),
      lease: this.#lease,
    });
    const parsed = parseDocument(manifest.bytes, manifest.mediaType);
    if (parsed.kind === "manifest") {
      const image = await this.#image(parsed, manifest);
      if (image) this.#images.set(manifest.digest, image);
    }
    if (context.top) {
      if (context.index) await this.#storeIndex(context.index);
      this.#tops.push({
        manifest,
        names: context.names,
        target:
          parsed.kind === "manifest"
            ? manifest.digest
            : this.#hostChild(parsed.value.manifests as readonly Descriptor[]),
        repoDigest: context.index ?? manifest,
      });
    }
  }

  /**
   * Writes every image and name in one transaction. A `repo@digest` name that another image holds
   * stays with it (records.ts addRepoDigest): the images are committed all the same, then the commit
   * fails with dockerd's words for a pull by that digest, `Cannot overwrite digest DIGEST`.
   */
  async commit(): Promise<void> {
    const refused: string[] = [];
    try {
      this.#result = await this.#store.update((records) => {
        refused.length = 0; // a retried transaction starts over
        for (const image of this.#images.values()) records.putImage(image);
        const names: StoreCommit["names"] = [];
        for (const top of this.#tops) {
          if (!this.#images.has(top.target)) continue; // an artifact, not an image: blobs only
          for (const name of top.names) {
            const recorded = this.#recordName(records, top, name);
            if (recorded) names.push(recorded);
            else refused.push(top.repoDigest.digest);
          }
        }
        const images = [...this.#images.keys()].map((d) => records.get(d as Digest)!);
        return { images, names };
      });
    } finally {
      await this.#lease.release();
    }
    const digest = refused[0];
    if (digest !== undefined) {
      throw new WharfError("IMAGE_CONFLICT", `Cannot overwrite digest ${digest}`, { digest });
    }
  }

  /** Records one name of a committed top (undefined: a `repo@digest` another image keeps). */
  #recordName(
    records: RecordWriter,
    top: PendingTop,
    name: string,
  ): StoreCommit["names"][number] | undefined {
    return recordImageName(
      records,
      {
        target: top.target,
        repoDigest: {
          digest: top.repoDigest.digest,
          mediaType: top.repoDigest.mediaType,
          size: top.repoDigest.bytes.byteLength,
        },
        recordRepoDigest: this.#options.repoDigests ?? false,
      },
      name,
    );
  }

  async abort(): Promise<void> {
    await this.#lease.release();
  }

  /** The image record for a platform manifest, its layers checked against the config's diff IDs. */
  async #image(manifest: ParsedManifest, bytes: ManifestBytes): Promise<ImageData | undefined> {
    const configDesc = manifest.value.config;
    const layers = manifest.value.layers as readonly Descriptor[];
    // Artifacts (signatures, attestations) are kept as blobs; only images become records.
    if (!layers.every((l) => isLayerMediaType(l.mediaType))) return undefined;
    const config = parseImageConfig(await this.#store.blobs.readBytes(configDesc.digest as Digest));
    const diffIds = config.value.rootfs.diff_ids;
    if (diffIds.length !== layers.length) {
      throw new WharfError(
        "MANIFEST_INVALID",
        `image config lists ${diffIds.length} diff IDs for ${layers.length} layers in manifest ${bytes.digest}`,
      );
    }
    const records: LayerRecord[] = [];
    for (const [i, layer] of layers.entries()) {
      const info = this.#layerInfo.get(layer.digest) ?? (await storedLayerInfo(this.#store, layer));
      checkDiffId(layer.digest as Digest, info.diffId, diffIds[i]);
      records.push({ digest: layer.digest as Digest, mediaType: layer.mediaType, size: layer.size, ...info });
    }
    return {
      id: config.digest,
      manifest: { digest: bytes.digest, mediaType: bytes.mediaType, size: bytes.bytes.byteLength },
      platform: {
        os: config.value.os,
        architecture: config.value.architecture,
        ...(config.value.variant ? { variant: config.value.variant } : {}),
      },
      layers: records,
      ...(config.value.created ? { created: config.value.created } : {}),
    };
  }

  async #storeIndex(index: ManifestBytes): Promise<void> {
    await this.#store.ingest({
      digest: index.digest,
      size: index.bytes.byteLength,
      source: bytesSource(index.bytes),
      lease: this.#lease,
    });
  }

  /** With --all, a name points at the image for this host, as a pull of the index would choose. */
  #hostChild(children: readonly Descriptor[]): Digest {
    const copied = children.filter((c) => this.#images.has(c.digest));
    try {
      return choosePlatformDescriptor(copied, defaultPlatform()).digest as Digest;
    } catch {
      return (copied[0]?.digest ?? children[0]?.digest) as Digest;
    }
  }
}
