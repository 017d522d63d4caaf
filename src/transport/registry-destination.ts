/**
 * An ImageDestination on a registry: one repository, and the tag the top manifest gets (push, and
 * `wharf copy ... docker://`). A blob already in the repository is reused (HEAD); else it is
 * cross-mounted from a repository of the same registry known to hold it (the blob info cache, the
 * source's own repository); else uploaded. Manifests go byte for byte: children by digest, the top
 * one by tag (by digest when there is no tag).
 *
 * A layer that is a plain tar (loaded from `docker save`) goes up gzip-compressed, as docker pushes
 * it (layer-gzip.ts), and the manifest pushed names the compressed blob (manifest-rewrite.ts); an
 * index names its rewritten platform manifests. Layers already compressed (pulled ones) go as they
 * are, so a pulled image keeps its digest. `storedManifest` tells the copy what the registry got.
 * Which blob a layer was compressed to is remembered (the blob info cache), so that a second
 * push finds it at the registry, or mounts it, without compressing again.
 *
 * A registry has no transactions: what was put is visible at once, so commit and abort have nothing
 * to do. An aborted push leaves blobs (and child manifests) that nothing tags; the registry's GC takes
 * them, as it does for docker's and skopeo's failed pushes.
 */
import { WharfError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import type { Digest } from "../oci/digest.ts";
import type { Reference } from "../oci/reference.ts";
import type { RegistryClient } from "../registry/client/client.ts";
import type { IngestSource } from "../store/ingest.ts";
import { fileSource } from "../store/sources.ts";
import type { BlobInfoCache } from "./blob-info-cache.ts";
import { gzipDescriptor, gzipLayer, gzipMediaType } from "./layer-gzip.ts";
import { rewriteManifest } from "./manifest-rewrite.ts";
import type {
  BlobReuse,
  ImageDestination,
  ImageSource,
  ManifestBytes,
  ManifestContext,
  RegistryLocation,
} from "./types.ts";

/** Repositories tried for a cross-mount of one blob (docker's maxMountAttempts). */
const MAX_MOUNT_ATTEMPTS = 3;

export interface RegistryDestinationOptions {
  /** Where blobs were seen (mount candidates) and what plain layers were compressed to; pushed and found blobs are recorded in it. */
  cache?: BlobInfoCache;
  /** Close the client at commit or abort (a destination opened for one copy owns its client). */
  ownsClient?: boolean;
}

export class RegistryDestination implements ImageDestination {
  readonly acceptsIndex = true;
  readonly #client: RegistryClient;
  readonly #ref: Reference;
  readonly #location: RegistryLocation;
  readonly #cache: BlobInfoCache | undefined;
  readonly #ownsClient: boolean;
  /** Uncompressed layers of this copy (by their digest) as they went up: gzip descriptors. */
  readonly #compressed = new Map<string, Descriptor>();
  /** Manifests (by their original digest) pushed rewritten, as the registry got them. */
  readonly #rewritten = new Map<string, ManifestBytes>();

  /** `ref`: the registry (domain), repository (path) and the tag for the top manifest. */
  constructor(client: RegistryClient, ref: Reference, options: RegistryDestinationOptions = {}) {
    this.#client = client;
    this.#ref = ref;
    this.#location = { registry: ref.domain, repository: ref.path };
    this.#cache = options.cache;
    this.#ownsClient = options.ownsClient === true;
  }

  /** The manifest the registry got for the one given as `digest`, when it was rewritten. */
  storedManifest(digest: Digest): ManifestBytes | undefined {
    return this.#rewritten.get(digest);
  }

  async reuseBlob(desc: Descriptor, source: ImageSource): Promise<BlobReuse | undefined> {
    if (gzipMediaType(desc.mediaType) === undefined) return this.#reuse(desc.digest as Digest, source);
    // An uncompressed layer is never pushed as it is: only its gzip blob, if one is known, is reused.
    const known = this.#cache?.compressed(desc.digest as Digest, "gzip");
    if (known === undefined) return undefined;
    const reuse = await this.#reuse(known.digest, source);
    if (reuse) this.#compressed.set(desc.digest, gzipDescriptor(desc, known));
    return reuse;
  }

  async #reuse(digest: Digest, source: ImageSource): Promise<BlobReuse | undefined> {
    if (await this.#client.blobExists(this.#ref.path, digest)) {
      this.#record(digest);
      return { kind: "exists" };
    }
    for (const from of this.#mountCandidates(digest, source)) {
      // A refused mount (no pull access there, the blob gone) is only a missed shortcut: the upload
      // that follows reports any real problem with the target.
      const mounted = await this.#client.mountBlob(this.#ref.path, digest, from).catch(() => false);
      if (mounted) {
        this.#record(digest);
        return { kind: "mounted", from };
      }
    }
    return undefined;
  }

  /** The source's own repository first (when on this registry), then the cache's, newest first. */
  #mountCandidates(digest: Digest, source: ImageSource): string[] {
    const registry = this.#location.registry;
    const candidates: string[] = [];
    if (source.location?.registry === registry) candidates.push(source.location.repository);
    candidates.push(...(this.#cache?.candidates(registry, digest) ?? []));
    return [...new Set(candidates)]
      .filter((repository) => repository !== this.#ref.path)
      .slice(0, MAX_MOUNT_ATTEMPTS);
  }

  async putBlob(desc: Descriptor, content: IngestSource, onProgress: (bytes: number) => void): Promise<void> {
    if (gzipMediaType(desc.mediaType) !== undefined) return this.#putCompressed(desc, content, onProgress);
    const digest = desc.digest as Digest;
    await this.#client.uploadBlob(this.#ref.path, { digest, size: desc.size }, content, { onProgress });
    this.#record(digest);
  }

  /** Compresses an uncompressed layer and uploads the result, unless the registry has it already. */
  async #putCompressed(
    desc: Descriptor,
    content: IngestSource,
    onProgress: (bytes: number) => void,
  ): Promise<void> {
    const gzipped = await gzipLayer(desc, content, onProgress);
    try {
      const blob = { digest: gzipped.descriptor.digest as Digest, size: gzipped.descriptor.size };
      if (!(await this.#client.blobExists(this.#ref.path, blob.digest))) {
        await this.#client.uploadBlob(this.#ref.path, blob, fileSource(gzipped.path));
      }
      this.#record(blob.digest);
      this.#cache?.recordCompressed(desc.digest as Digest, "gzip", blob);
      this.#compressed.set(desc.digest, gzipped.descriptor);
    } finally {
      await gzipped.remove();
    }
  }

  async putManifest(given: ManifestBytes, context: ManifestContext): Promise<void> {
    const manifest = rewriteManifest(given, this.#compressed, this.#rewritten);
    if (manifest !== given) this.#rewritten.set(given.digest, manifest);
    const reference = context.top && this.#ref.tag !== undefined ? this.#ref.tag : manifest.digest;
    const digest = await this.#client.putManifest(this.#ref.path, reference, manifest);
    if (digest !== manifest.digest) {
      throw new WharfError(
        "DIGEST_MISMATCH",
        `manifest digest mismatch: pushed ${manifest.digest}, the registry stored ${digest}`,
        { expected: manifest.digest, actual: digest },
      );
    }
  }

  /** Nothing to make visible: every put is visible on the registry when it returns. */
  async commit(): Promise<void> {
    await this.#release();
  }

  /** Nothing to roll back remotely: untagged leftovers are the registry's GC's (see above). */
  async abort(): Promise<void> {
    await this.#release();
  }

  async #release(): Promise<void> {
    if (this.#ownsClient) await this.#client.close();
  }

  #record(digest: Digest): void {
    this.#cache?.record(this.#location, [digest]);
  }
}
