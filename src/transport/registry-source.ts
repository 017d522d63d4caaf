/** An ImageSource over the distribution protocol: one repository of one registry. */
import { isWharfError, WharfError } from "../errors.ts";
import type { Digest } from "../oci/digest.ts";
import { familiarString, type Reference } from "../oci/reference.ts";
import type { BlobResult, RegistryClient } from "../registry/client/client.ts";
import type { IngestSource } from "../store/ingest.ts";
import type { ImageSource, ManifestBytes, RegistryLocation } from "./types.ts";

/** A failure worth another attempt: the registry unreachable or too slow, not a refusal. */
export function isTransient(err: unknown): boolean {
  return isWharfError(err, "REGISTRY_UNAVAILABLE") || isWharfError(err, "REGISTRY_TIMEOUT");
}

export class RegistrySource implements ImageSource {
  readonly #client: RegistryClient;
  readonly #ref: Reference;

  constructor(client: RegistryClient, ref: Reference) {
    this.#client = client;
    this.#ref = ref;
  }

  /** A destination on the same registry can mount this repository's blobs. */
  get location(): RegistryLocation {
    return { registry: this.#ref.domain, repository: this.#ref.path };
  }

  async topManifest(): Promise<ManifestBytes> {
    const wanted = this.#ref.digest ?? this.#ref.tag ?? "latest";
    try {
      return await this.#client.getManifest(this.#ref.path, wanted);
    } catch (err) {
      // Docker's wording: "manifest for HOST/REPO:TAG not found: manifest unknown: manifest unknown".
      if (isWharfError(err, "REGISTRY_NOT_FOUND")) {
        throw new WharfError(
          "REGISTRY_NOT_FOUND",
          `manifest for ${familiarString(this.#ref)} not found: ${err.message}`,
          {
            ...err.detail,
          },
          { cause: err },
        );
      }
      throw err;
    }
  }

  manifest(digest: Digest): Promise<ManifestBytes> {
    return this.#client.getManifest(this.#ref.path, digest);
  }

  /**
   * The registry first; for a layer with `urls` that the registry cannot give, each URL in turn, as
   * Docker does (moby distribution/pull_v2.go). A transient failure of the registry is not a reason to
   * go elsewhere: the ingest's resume retries it. The content is verified by digest either way.
   */
  blob(digest: Digest, urls: readonly string[] = []): IngestSource {
    return {
      open: async (offset) => {
        let res: BlobResult;
        try {
          res = await this.#client.getBlob(this.#ref.path, digest, { offset });
        } catch (err) {
          if (urls.length === 0 || isTransient(err)) throw err;
          res = await this.#fromUrls(urls, digest, offset, err);
        }
        return { stream: res.stream, offset: res.offset };
      },
    };
  }

  async #fromUrls(
    urls: readonly string[],
    digest: Digest,
    offset: number,
    registryError: unknown,
  ): Promise<BlobResult> {
    const failures: string[] = [];
    for (const url of urls) {
      try {
        return await this.#client.getForeignBlob(url, digest, { offset });
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    throw new WharfError(
      "REGISTRY_NOT_FOUND",
      `non-distributable layer ${digest}: not on the registry (${(registryError as Error).message}) ` +
        `nor at its URLs (${failures.join("; ")})`,
      { digest, urls: [...urls] },
      { cause: registryError },
    );
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}
