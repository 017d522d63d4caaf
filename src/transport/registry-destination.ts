/**
 * An ImageDestination on a registry: one repository, and the tag the top manifest gets (push, and
 * `wharf copy ... docker://`). A blob already in the repository is reused (HEAD); else it is
 * cross-mounted from a repository of the same registry known to hold it (the blob info cache, the
 * source's own repository); else uploaded. Manifests go byte for byte: children by digest, the top
 * one by tag (by digest when there is no tag).
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
import type { BlobInfoCache } from "./blob-info-cache.ts";
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
  /** Where blobs were seen (mount candidates); pushed and found blobs are recorded in it. */
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

  /** `ref`: the registry (domain), repository (path) and the tag for the top manifest. */
  constructor(client: RegistryClient, ref: Reference, options: RegistryDestinationOptions = {}) {
    this.#client = client;
    this.#ref = ref;
    this.#location = { registry: ref.domain, repository: ref.path };
    this.#cache = options.cache;
    this.#ownsClient = options.ownsClient === true;
  }

  async reuseBlob(desc: Descriptor, source: ImageSource): Promise<BlobReuse | undefined> {
    const digest = desc.digest as Digest;
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
    const digest = desc.digest as Digest;
    await this.#client.uploadBlob(this.#ref.path, { digest, size: desc.size }, content, { onProgress });
    this.#record(digest);
  }

  async putManifest(manifest: ManifestBytes, context: ManifestContext): Promise<void> {
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
