/**
 * A copy source made by the build: a manifest and a config from memory, the other blobs from the
 * store (or from files made for this copy, such as the gzip forms of plain layers a cache export
 * pushes). The built image and the build cache export are both copied out through it.
 */
import type { Digest } from "../../oci/digest.ts";
import type { IngestSource } from "../../store/ingest.ts";
import { bytesSource, fileSource } from "../../store/sources.ts";
import type { Store } from "../../store/store.ts";
import type { ImageSource, ManifestBytes } from "../../transport/types.ts";

export interface InMemoryDocuments {
  config: { bytes: Uint8Array; digest: Digest };
  manifest: ManifestBytes;
}

export class DocumentsSource implements ImageSource {
  readonly #store: Store;
  readonly #docs: InMemoryDocuments;
  readonly #files: ReadonlyMap<string, string>;

  constructor(store: Store, docs: InMemoryDocuments, files: ReadonlyMap<string, string> = new Map()) {
    this.#store = store;
    this.#docs = docs;
    this.#files = files;
  }

  async topManifest(): Promise<ManifestBytes> {
    return this.#docs.manifest;
  }

  async manifest(): Promise<ManifestBytes> {
    return this.#docs.manifest;
  }

  blob(digest: Digest): IngestSource {
    if (digest === this.#docs.config.digest) return bytesSource(this.#docs.config.bytes);
    const file = this.#files.get(digest);
    return file === undefined ? storeBlob(this.#store, digest) : fileSource(file);
  }

  async close(): Promise<void> {}
}

/** A store blob as an ingest source (resumable at any offset). */
export function storeBlob(store: Store, digest: Digest): IngestSource {
  return {
    async open(offset) {
      return { stream: await store.blobs.open(digest, offset), offset };
    },
  };
}
