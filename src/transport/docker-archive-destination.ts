/**
 * `docker-archive:FILE` as a destination, in Docker 25's format: an OCI layout (blobs/sha256 for
 * configs, layers and manifests; index.json with each name; oci-layout) plus manifest.json (Config and
 * Layers as `blobs/sha256/<hex>` paths, RepoTags) and `repositories`. Several images and tags go into
 * one archive, shared layers once. Layers stay as stored (compressed) so their digests survive:
 * `docker load` decompresses layer files (moby tarexport's DecompressStream; checked against Docker 20
 * in test/integration/archive-docker.test.ts). One platform per image, as manifest.json can say no more.
 */
import type { Descriptor } from "../oci/descriptor.ts";
import { parseDocument } from "../oci/document.ts";
import { layoutBlobPath } from "../oci/layout.ts";
import { familiarName, familiarString, parseNormalizedNamed } from "../oci/reference.ts";
import type { IngestSource } from "../store/ingest.ts";
import { DOCKER_ARCHIVE_MANIFEST, type DockerArchiveEntry } from "./docker-archive-source.ts";
import { OciLayoutDestination } from "./oci-layout-destination.ts";
import { TarOutput, type TarTarget } from "./tar-output.ts";
import type { BlobReuse, ImageDestination, ManifestBytes, ManifestContext } from "./types.ts";

const REPOSITORIES_FILE = "repositories";

export class DockerArchiveDestination implements ImageDestination {
  readonly acceptsIndex = false;
  readonly #layout: OciLayoutDestination;
  /** manifest.json's entries by config path: an image copied again only gains names. */
  readonly #entries = new Map<string, DockerArchiveEntry>();
  readonly #repositories: Record<string, Record<string, string>> = {};

  constructor(target: TarTarget) {
    this.#layout = new OciLayoutDestination(new TarOutput(target), { namesAreReferences: true });
  }

  reuseBlob(desc: Descriptor): Promise<BlobReuse | undefined> {
    return this.#layout.reuseBlob(desc);
  }

  putBlob(desc: Descriptor, content: IngestSource, onProgress: (bytes: number) => void): Promise<void> {
    return this.#layout.putBlob(desc, content, onProgress);
  }

  async putManifest(manifest: ManifestBytes, context: ManifestContext): Promise<void> {
    await this.#layout.putManifest(manifest, context);
    if (!context.top) return;
    const parsed = parseDocument(manifest.bytes, manifest.mediaType);
    if (parsed.kind !== "manifest") return; // acceptsIndex is false: the engine never sends one
    const config = layoutBlobPath(parsed.value.config.digest);
    const layers = (parsed.value.layers as Descriptor[]).map((l) => layoutBlobPath(l.digest));
    const entry = this.#entries.get(config) ?? { Config: config, RepoTags: null, Layers: layers };
    this.#entries.set(config, entry);
    const topLayer = layers.at(-1)?.split("/").at(-1) ?? "";
    for (const name of context.names) {
      const ref = parseNormalizedNamed(name);
      const familiar = familiarString(ref);
      entry.RepoTags = [...(entry.RepoTags ?? []).filter((t) => t !== familiar), familiar];
      if (ref.tag) (this.#repositories[familiarName(ref)] ??= {})[ref.tag] = topLayer;
    }
  }

  async commit(): Promise<void> {
    const json = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value)}\n`);
    await this.#layout.output.putFile(DOCKER_ARCHIVE_MANIFEST, json([...this.#entries.values()]));
    await this.#layout.output.putFile(REPOSITORIES_FILE, json(this.#repositories));
    await this.#layout.commit();
  }

  abort(): Promise<void> {
    return this.#layout.abort();
  }
}
