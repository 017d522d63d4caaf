/**
 * `docker-archive:FILE` as a destination, in Docker 25's format: an OCI layout (blobs/sha256 for
 * configs, layers and manifests; index.json with each name; oci-layout) plus manifest.json (Config and
 * Layers as `blobs/sha256/<hex>` paths, RepoTags) and `repositories`. Several images and tags go into
 * one archive, shared layers once. Layers stay as stored so their digests survive: `docker load`
 * decompresses gzip layer files (moby tarexport's DecompressStream). Docker 20 cannot read zstd ones
 * (its load fails with "archive/tar: invalid tar header"; measured with dockerd 20.10), so those are written
 * decompressed, named by their diff ID, and the image's manifest is rewritten to match (the image ID,
 * its config digest, stays). One platform per image, as manifest.json can say no more.
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { decompressor } from "../layer/compression.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { Digester, digestBytes } from "../oci/digest.ts";
import { parseDocument, serializeDocument } from "../oci/document.ts";
import { layoutBlobPath } from "../oci/layout.ts";
import type { DockerManifest } from "../oci/manifest.ts";
import { DockerMediaType, isLayerMediaType, layerCompression, OciMediaType } from "../oci/mediatype.ts";
import { familiarName, familiarString, parseNormalizedNamed } from "../oci/reference.ts";
import type { IngestSource } from "../store/ingest.ts";
import { fileSource } from "../store/sources.ts";
import { interruptSafeTempDir } from "../util/interrupt-cleanup.ts";
import { copyVerified } from "./archive-output.ts";
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
  /** zstd layers written decompressed: their descriptors in the archive, by the original digest. */
  readonly #decompressed = new Map<string, Descriptor>();

  constructor(target: TarTarget) {
    this.#layout = new OciLayoutDestination(new TarOutput(target), { namesAreReferences: true });
  }

  async reuseBlob(desc: Descriptor): Promise<BlobReuse | undefined> {
    if (this.#decompressed.has(desc.digest)) return { kind: "exists" };
    return this.#layout.reuseBlob(desc);
  }

  async putBlob(desc: Descriptor, content: IngestSource, onProgress: (bytes: number) => void): Promise<void> {
    if (!isLayerMediaType(desc.mediaType) || layerCompression(desc.mediaType) !== "zstd") {
      return this.#layout.putBlob(desc, content, onProgress);
    }
    const plain = await decompressToTemp(desc, content, onProgress);
    try {
      await this.#layout.putBlob(plain.desc, fileSource(plain.path), () => undefined);
      this.#decompressed.set(desc.digest, plain.desc);
    } finally {
      await plain.remove();
    }
  }

  async putManifest(original: ManifestBytes, context: ManifestContext): Promise<void> {
    const manifest = this.#withDecompressedLayers(original);
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
      if (!ref.tag) continue;
      const tags = this.#repositories[familiarName(ref)] ?? {};
      tags[ref.tag] = topLayer;
      this.#repositories[familiarName(ref)] = tags;
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

  /** The manifest with its zstd layers replaced by the decompressed ones; unchanged when it has none. */
  #withDecompressedLayers(manifest: ManifestBytes): ManifestBytes {
    const parsed = parseDocument(manifest.bytes, manifest.mediaType);
    if (parsed.kind !== "manifest") return manifest;
    const layers = parsed.value.layers as Descriptor[];
    if (!layers.some((l) => this.#decompressed.has(l.digest))) return manifest;
    const docker = parsed.mediaType === DockerMediaType.Manifest;
    const value = {
      ...parsed.value,
      layers: layers.map((l) => {
        const plain = this.#decompressed.get(l.digest);
        if (!plain) return l;
        const mediaType = docker ? DockerMediaType.UncompressedLayer : OciMediaType.ImageLayer;
        return { ...l, mediaType, digest: plain.digest, size: plain.size };
      }),
    };
    const bytes = serializeDocument(value as DockerManifest);
    return { bytes, mediaType: manifest.mediaType, digest: digestBytes(bytes) };
  }
}

/** A zstd layer, verified, decompressed into a temporary file: its diff ID and size. */
async function decompressToTemp(
  desc: Descriptor,
  content: IngestSource,
  onProgress: (bytes: number) => void,
): Promise<{ path: string; desc: Descriptor; remove: () => Promise<void> }> {
  const { dir, remove } = interruptSafeTempDir("wharf-layer-");
  try {
    const path = join(dir, "layer.tar");
    const digester = new Digester();
    const decompress = decompressor("zstd")!;
    const out = createWriteStream(path);
    decompress.on("data", (chunk: Buffer) => digester.update(chunk));
    const written = pipeline(decompress, out);
    await copyVerified(
      desc,
      content,
      (chunk) => (decompress.write(chunk) ? undefined : once(decompress, "drain").then(() => undefined)),
      onProgress,
    );
    decompress.end();
    await written;
    const plain = {
      mediaType: DockerMediaType.UncompressedLayer,
      digest: digester.digest(),
      size: digester.size,
    };
    return { path, desc: plain, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}
