/**
 * `docker-archive:FILE`: what `docker save` writes and `docker load` reads, as image sources. One
 * reader for its variants: Docker ≤24 (`<id>/layer.tar`, `<config-hex>.json`), Docker 25+ (an OCI
 * layout inside, plus manifest.json) and skopeo's (`<digest-hex>.tar`). manifest.json lists the images
 * (Config, RepoTags, Layers). Where index.json holds the image's original manifest it is used as it
 * is (its digest survives); otherwise a Docker v2s2 manifest is made from the files, each layer's media
 * type by its content, as containers/image's docker/internal/tarfile does.
 */
import type { Readable } from "node:stream";
import { WharfError } from "../errors.ts";
import { detectCompression } from "../layer/compression.ts";
import { indexTar, type TarIndex } from "../layer/tar-index.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { type Digest, digestBytes, isDigest } from "../oci/digest.ts";
import { parseDocument, parseImageConfig, serializeDocument } from "../oci/document.ts";
import { OCI_LAYOUT_INDEX_FILE } from "../oci/layout.ts";
import type { DockerManifest } from "../oci/manifest.ts";
import { DockerMediaType, type LayerCompression } from "../oci/mediatype.ts";
import type { IngestSource } from "../store/ingest.ts";
import { type ArchiveFiles, tarFiles } from "./archive-files.ts";
import { type ArchiveInput, openArchiveFile, openArchiveStream, STDIN } from "./archive-input.ts";
import { OciLayoutReader } from "./oci-layout-source.ts";
import type { ImageSource, ManifestBytes } from "./types.ts";

export const DOCKER_ARCHIVE_MANIFEST = "manifest.json";

/** One entry of manifest.json. */
export interface DockerArchiveEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
  LayerSources?: Record<string, Descriptor>;
}

/** An image of the archive, as `images()` lists it. */
export interface DockerArchiveImage {
  /** Its names in the archive (familiar NAME:TAG, as docker save writes them); none for an untagged image. */
  repoTags: readonly string[];
  /** The image ID. */
  configDigest: Digest;
  /** The manifest copying it will give (the archive's own, or one made from its files). */
  manifest: ManifestBytes;
}

const LAYER_MEDIA_TYPE: Readonly<Record<LayerCompression, string>> = {
  gzip: DockerMediaType.Layer,
  zstd: DockerMediaType.LayerZstd,
  none: DockerMediaType.UncompressedLayer,
};

const BLOB_PATH = /^blobs\/sha256\/([a-f0-9]{64})$/;

/** Which entries the index must hash: files outside blobs/ are named by no digest (`<id>/layer.tar`). */
export function needsHash(name: string): boolean {
  return !BLOB_PATH.test(name);
}

export class DockerArchive {
  readonly #files: ArchiveFiles;
  readonly #input: ArchiveInput;
  readonly #images: DockerArchiveImage[];
  /** Where each blob of every image is in the archive. */
  readonly #paths: ReadonlyMap<string, string>;

  private constructor(
    input: ArchiveInput,
    files: ArchiveFiles,
    images: DockerArchiveImage[],
    paths: Map<string, string>,
  ) {
    this.#input = input;
    this.#files = files;
    this.#images = images;
    this.#paths = paths;
  }

  static async open(file: string | Readable): Promise<DockerArchive> {
    return DockerArchive.fromInput(
      typeof file === "string" ? await openArchiveFile(file) : await openArchiveStream(file),
      typeof file === "string" ? file : STDIN,
    );
  }

  /** Reads a plain tar (see archive-input.ts); the input is closed with the archive, or on failure. */
  static async fromInput(input: ArchiveInput, where = input.path): Promise<DockerArchive> {
    try {
      const index = await indexTar(input.path, { hash: needsHash, where });
      return await DockerArchive.fromIndex(input, index, where);
    } catch (err) {
      await input.close();
      throw err;
    }
  }

  /** From an index made with `needsHash`; the input is closed with the archive (not on failure). */
  static async fromIndex(input: ArchiveInput, index: TarIndex, where: string): Promise<DockerArchive> {
    {
      const files = tarFiles(index, where);
      const reader = new ArchiveReader(files, where, (path) => {
        const entry = index.entries.get(path);
        if (!entry) return undefined;
        const named = BLOB_PATH.exec(path);
        return entry.digest ?? (named ? (`sha256:${named[1]}` as Digest) : undefined);
      });
      const { images, paths } = await reader.read();
      return new DockerArchive(input, files, images, paths);
    }
  }

  images(): readonly DockerArchiveImage[] {
    return this.#images;
  }

  /** An ImageSource for one image of `images()`; closing it leaves the archive open. */
  source(image: DockerArchiveImage): ImageSource {
    const blob = (digest: Digest): IngestSource => {
      const path = this.#paths.get(digest);
      if (!path) throw new WharfError("ARCHIVE_INVALID", `blob ${digest} is not in the archive`);
      return this.#files.source(path);
    };
    return {
      topManifest: async () => image.manifest,
      manifest: async (digest) => {
        if (digest === image.manifest.digest) return image.manifest;
        throw new WharfError("ARCHIVE_INVALID", `manifest ${digest} is not in the archive`);
      },
      blob,
      close: async () => undefined,
    };
  }

  close(): Promise<void> {
    return this.#input.close();
  }
}

/** Reads manifest.json and everything it names, refusing what is missing or inconsistent. */
class ArchiveReader {
  readonly #files: ArchiveFiles;
  readonly #where: string;
  readonly #digestOf: (path: string) => Digest | undefined;
  readonly #paths = new Map<string, string>();

  constructor(files: ArchiveFiles, where: string, digestOf: (path: string) => Digest | undefined) {
    this.#files = files;
    this.#where = where;
    this.#digestOf = digestOf;
  }

  invalid(why: string): WharfError {
    return new WharfError("ARCHIVE_INVALID", `invalid archive ${this.#where}: ${why}`, { path: this.#where });
  }

  async read(): Promise<{ images: DockerArchiveImage[]; paths: Map<string, string> }> {
    const entries = await this.#manifestJson();
    const originals = await this.#originalManifests();
    const images: DockerArchiveImage[] = [];
    for (const entry of entries) images.push(await this.#image(entry, originals));
    return { images, paths: this.#paths };
  }

  async #manifestJson(): Promise<DockerArchiveEntry[]> {
    const bytes = await this.#files.read(DOCKER_ARCHIVE_MANIFEST);
    if (!bytes) throw this.invalid(`no ${DOCKER_ARCHIVE_MANIFEST} (not a docker-archive)`);
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder().decode(bytes));
    } catch (err) {
      throw this.invalid(`${DOCKER_ARCHIVE_MANIFEST}: ${(err as Error).message}`);
    }
    const ok =
      Array.isArray(value) &&
      value.every(
        (e: Partial<DockerArchiveEntry>) =>
          typeof e === "object" &&
          e !== null &&
          typeof e.Config === "string" &&
          Array.isArray(e.Layers) &&
          e.Layers.every((l) => typeof l === "string") &&
          (e.RepoTags == null ||
            (Array.isArray(e.RepoTags) && e.RepoTags.every((t) => typeof t === "string"))),
      );
    if (!ok) throw this.invalid(`${DOCKER_ARCHIVE_MANIFEST} is not a list of {Config, RepoTags, Layers}`);
    if ((value as unknown[]).length === 0) throw this.invalid(`${DOCKER_ARCHIVE_MANIFEST} lists no image`);
    return value as DockerArchiveEntry[];
  }

  /** The manifests an index.json (Docker 25+) holds, by config digest; nested indexes one level down. */
  async #originalManifests(): Promise<Map<string, ManifestBytes>> {
    const found = new Map<string, ManifestBytes>();
    if ((await this.#files.size(OCI_LAYOUT_INDEX_FILE)) === undefined) return found;
    const layout = new OciLayoutReader(this.#files, "ARCHIVE_INVALID");
    const visit = async (descs: readonly Descriptor[], depth: number) => {
      for (const desc of descs) {
        if (!isDigest(desc.digest) || !(await layout.hasBlob(desc.digest))) continue;
        const m = await layout.manifest(desc.digest, desc.mediaType).catch(() => undefined);
        if (!m) continue;
        const parsed = parseDocument(m.bytes, m.mediaType);
        if (parsed.kind === "manifest") found.set(parsed.value.config.digest, m);
        else if (depth === 0) await visit(parsed.value.manifests as Descriptor[], 1);
      }
    };
    await visit((await layout.index()).value.manifests as Descriptor[], 0);
    return found;
  }

  async #image(
    entry: DockerArchiveEntry,
    originals: Map<string, ManifestBytes>,
  ): Promise<DockerArchiveImage> {
    const config = await this.#blob(entry.Config, "config");
    const configBytes = await this.#files.read(entry.Config);
    if (!configBytes) throw this.invalid(`config ${entry.Config} cannot be read`);
    let diffIds: readonly string[];
    try {
      diffIds = parseImageConfig(configBytes).value.rootfs.diff_ids;
    } catch (err) {
      throw this.invalid(`config ${entry.Config}: ${(err as Error).message}`);
    }
    if (diffIds.length !== entry.Layers.length) {
      throw this.invalid(
        `${DOCKER_ARCHIVE_MANIFEST} lists ${entry.Layers.length} layers for ${entry.Config}, its config ${diffIds.length}`,
      );
    }
    const layers: Descriptor[] = [];
    for (const path of entry.Layers) layers.push(await this.#blob(path, "layer"));
    const repoTags = entry.RepoTags ?? [];
    const original = originals.get(config.digest);
    if (original && (await this.#covers(original))) {
      return { repoTags, configDigest: config.digest as Digest, manifest: original };
    }
    const manifest: DockerManifest = {
      schemaVersion: 2,
      mediaType: DockerMediaType.Manifest,
      config: { ...config, mediaType: DockerMediaType.ImageConfig },
      layers,
    };
    const bytes = serializeDocument(manifest);
    return {
      repoTags,
      configDigest: config.digest as Digest,
      manifest: { bytes, mediaType: DockerMediaType.Manifest, digest: digestBytes(bytes) },
    };
  }

  /** A file manifest.json names, as a descriptor (layer media type by content); recorded by digest. */
  async #blob(path: string, what: "config" | "layer"): Promise<Descriptor> {
    const size = await this.#files.size(path);
    const digest = this.#digestOf(path.replace(/^(\.\/|\/)+/, ""));
    if (size === undefined || digest === undefined)
      throw this.invalid(`${what} ${path} is not in the archive`);
    // Docker ≤24 names a config by its digest: check the name against the content.
    const named = /^([a-f0-9]{64})\.json$/.exec(path);
    if (named && digest !== `sha256:${named[1]}`) throw this.invalid(`${path} has digest ${digest}`);
    this.#paths.set(digest, path);
    let mediaType: string = DockerMediaType.ImageConfig;
    if (what === "layer") {
      const head = (await this.#files.read(path, 4)) ?? new Uint8Array();
      mediaType = LAYER_MEDIA_TYPE[detectCompression(head)];
    }
    return { mediaType, digest, size };
  }

  /** Whether the archive holds every blob an original manifest references (then it is used as is). */
  async #covers(manifest: ManifestBytes): Promise<boolean> {
    const parsed = parseDocument(manifest.bytes, manifest.mediaType);
    if (parsed.kind !== "manifest") return false;
    for (const desc of [parsed.value.config, ...parsed.value.layers] as Descriptor[]) {
      const path = `blobs/sha256/${desc.digest.replace(/^sha256:/, "")}`;
      if ((await this.#files.size(path)) !== desc.size) return false;
      this.#paths.set(desc.digest, path);
    }
    return true;
  }
}

/**
 * `docker-archive:FILE[:NAME:TAG|:@INDEX]` as an ImageSource: the image with that tag, the one at that
 * position of manifest.json, or the only one. Closing it closes the archive.
 */
export async function openDockerArchiveSource(
  file: string,
  pick: { tag?: string; index?: number } = {},
): Promise<ImageSource> {
  const archive = await DockerArchive.open(file);
  try {
    const images = archive.images();
    let image: DockerArchiveImage | undefined;
    if (pick.tag !== undefined) image = images.find((i) => i.repoTags.includes(pick.tag as string));
    else if (pick.index !== undefined) image = images[pick.index];
    else if (images.length === 1) image = images[0];
    else
      throw new WharfError(
        "ARCHIVE_INVALID",
        `${file} holds ${images.length} images: name one (FILE:NAME:TAG or FILE:@INDEX)`,
      );
    if (!image) {
      throw new WharfError("ARCHIVE_INVALID", `no image ${pick.tag ?? `@${pick.index}`} in ${file}`);
    }
    const source = archive.source(image);
    return { ...source, close: () => archive.close() };
  } catch (err) {
    await archive.close();
    throw err;
  }
}
