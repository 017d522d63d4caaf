/**
 * An OCI image layout as an ImageSource (skopeo's `oci:DIR[:REF]`, and inside `oci-archive:`):
 * index.json names the images, `org.opencontainers.image.ref.name` picks one, blobs are files.
 */
import { type ErrorCode, isWharfError, WharfError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { type Digest, digestBytes, parseDigest } from "../oci/digest.ts";
import { type ParsedIndex, parseDocument } from "../oci/document.ts";
import { layoutBlobPath, OCI_LAYOUT_FILE, OCI_LAYOUT_INDEX_FILE, parseOciLayout } from "../oci/layout.ts";
import type { IngestSource } from "../store/ingest.ts";
import { type ArchiveFiles, directoryFiles } from "./archive-files.ts";
import type { ImageSource, ManifestBytes } from "./types.ts";

export const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";
/** The full image name containerd and Docker 25+ record beside the ref name. */
export const IMAGE_NAME_ANNOTATION = "io.containerd.image.name";

/** Reads a layout's index and blobs; `code` is what its faults are reported as. */
export class OciLayoutReader {
  readonly files: ArchiveFiles;
  readonly code: ErrorCode;

  constructor(files: ArchiveFiles, code: ErrorCode = "OCI_LAYOUT_INVALID") {
    this.files = files;
    this.code = code;
  }

  invalid(why: string): WharfError {
    return new WharfError(this.code, `invalid OCI layout ${this.files.where}: ${why}`, {
      where: this.files.where,
    });
  }

  /** index.json, after checking the `oci-layout` marker. */
  async index(): Promise<ParsedIndex> {
    const marker = await this.files.read(OCI_LAYOUT_FILE);
    if (!marker) throw this.invalid(`no ${OCI_LAYOUT_FILE} file`);
    const bytes = await this.files.read(OCI_LAYOUT_INDEX_FILE);
    if (!bytes) throw this.invalid(`no ${OCI_LAYOUT_INDEX_FILE}`);
    try {
      parseOciLayout(marker);
      const index = parseDocument(bytes, "application/vnd.oci.image.index.v1+json");
      if (index.kind !== "index") throw this.invalid(`${OCI_LAYOUT_INDEX_FILE} is not an image index`);
      return index;
    } catch (err) {
      if (isWharfError(err, this.code)) throw err;
      throw this.invalid((err as Error).message);
    }
  }

  /** The index entry named `ref`, or the only entry when no ref is given (skopeo's rule). */
  async entry(ref?: string): Promise<Descriptor> {
    const manifests = (await this.index()).value.manifests as Descriptor[];
    if (ref === undefined) {
      if (manifests.length === 1) return manifests[0] as Descriptor;
      throw this.invalid(
        manifests.length === 0
          ? "no image in index.json"
          : `${manifests.length} images in index.json: name one (${refNames(manifests).join(", ")})`,
      );
    }
    const found = manifests.find((d) => d.annotations?.[REF_NAME_ANNOTATION] === ref);
    if (!found) throw this.invalid(`no image named ${JSON.stringify(ref)} in index.json`);
    return found;
  }

  /** A manifest or index blob, checked against its digest. */
  async manifest(digest: Digest, declaredMediaType?: string): Promise<ManifestBytes> {
    const bytes = await this.blobBytes(digest);
    const mediaType = parseDocument(bytes, declaredMediaType).mediaType;
    return { bytes, mediaType, digest };
  }

  /** A small blob (manifest, config), verified. */
  async blobBytes(digest: Digest): Promise<Uint8Array> {
    const path = layoutBlobPath(digest);
    const bytes = await this.files.read(path);
    if (!bytes) throw this.invalid(`blob ${digest} is missing`);
    const actual = digestBytes(bytes);
    if (actual !== digest) throw this.invalid(`blob ${path} has digest ${actual}`);
    return bytes;
  }

  blob(digest: Digest): IngestSource {
    return this.files.source(layoutBlobPath(digest));
  }

  async hasBlob(digest: Digest): Promise<boolean> {
    return (await this.files.size(layoutBlobPath(digest))) !== undefined;
  }
}

function refNames(manifests: readonly Descriptor[]): string[] {
  return manifests.map((d) => d.annotations?.[REF_NAME_ANNOTATION] ?? d.digest);
}

/** One image of a layout: the entry `ref` names (or the only one). */
export class OciLayoutSource implements ImageSource {
  readonly #reader: OciLayoutReader;
  readonly #entry: Promise<Descriptor>;
  readonly #onClose: () => Promise<void>;

  /** `onClose`: what closing the source releases (an archive's temporary copy). */
  constructor(
    reader: OciLayoutReader,
    entry: Descriptor | string | undefined,
    onClose: () => Promise<void> = async () => undefined,
  ) {
    this.#reader = reader;
    this.#onClose = onClose;
    this.#entry = typeof entry === "object" ? Promise.resolve(entry) : reader.entry(entry);
    this.#entry.catch(() => undefined); // reported by topManifest
  }

  async topManifest(): Promise<ManifestBytes> {
    const entry = await this.#entry;
    return this.#reader.manifest(parseDigest(entry.digest), entry.mediaType);
  }

  manifest(digest: Digest): Promise<ManifestBytes> {
    return this.#reader.manifest(digest);
  }

  blob(digest: Digest): IngestSource {
    return this.#reader.blob(digest);
  }

  close(): Promise<void> {
    return this.#onClose();
  }
}

/** `oci:DIR[:REF]` as a source. */
export function openOciLayoutSource(dir: string, ref?: string): OciLayoutSource {
  return new OciLayoutSource(new OciLayoutReader(directoryFiles(dir)), ref);
}
