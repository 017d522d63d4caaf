/** An ImageSource over the distribution protocol: one repository of one registry. */
import { isWharfError, WharfError } from "../errors.ts";
import type { Digest } from "../oci/digest.ts";
import { familiarString, type Reference } from "../oci/reference.ts";
import type { RegistryClient } from "../registry/client/client.ts";
import type { IngestSource } from "../store/ingest.ts";
import type { ImageSource, ManifestBytes } from "./types.ts";

export class RegistrySource implements ImageSource {
  readonly #client: RegistryClient;
  readonly #ref: Reference;

  constructor(client: RegistryClient, ref: Reference) {
    this.#client = client;
    this.#ref = ref;
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

  blob(digest: Digest): IngestSource {
    return {
      open: async (offset) => {
        const res = await this.#client.getBlob(this.#ref.path, digest, { offset });
        return { stream: res.stream, offset: res.offset };
      },
    };
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}
