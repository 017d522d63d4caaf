/**
 * An OCI image layout as an ImageDestination (skopeo's `oci:DIR[:REF]`, and inside oci-archive and
 * Docker 25's docker-archive): blobs by digest, manifests as blobs, and at commit an index.json with
 * the copied images added — an entry with the same ref name replaced, as skopeo does — written after
 * everything it references.
 */
import type { Descriptor } from "../oci/descriptor.ts";
import { parseDocument, serializeDocument } from "../oci/document.ts";
import { layoutBlobPath, OCI_LAYOUT_FILE, OCI_LAYOUT_INDEX_FILE, ociLayout } from "../oci/layout.ts";
import type { OciIndex } from "../oci/manifest.ts";
import { OciMediaType } from "../oci/mediatype.ts";
import { parseNormalizedNamed, referenceString } from "../oci/reference.ts";
import type { IngestSource } from "../store/ingest.ts";
import { bytesSource } from "../store/sources.ts";
import type { ArchiveOutput } from "./archive-output.ts";
import { DirectoryOutput } from "./directory-output.ts";
import { IMAGE_NAME_ANNOTATION, REF_NAME_ANNOTATION } from "./oci-layout-source.ts";
import type { BlobReuse, ImageDestination, ManifestBytes, ManifestContext } from "./types.ts";

export interface OciLayoutDestinationOptions {
  /** `oci:DIR:REF`: the ref name every copied image is recorded under (else the copy's names). */
  ref?: string;
  /**
   * The copy's names are image references (`busybox:latest`): recorded as Docker 25 and containerd
   * do, the full name in io.containerd.image.name and the tag as the ref name. Else names are ref names.
   */
  namesAreReferences?: boolean;
  /** index.json as it was before the copy (an existing layout directory), kept except where replaced. */
  existingIndex?: Uint8Array;
}

export class OciLayoutDestination implements ImageDestination {
  readonly acceptsIndex: boolean = true;
  readonly output: ArchiveOutput;
  readonly #options: OciLayoutDestinationOptions;
  /** Index entries this copy adds, in order. */
  readonly #entries: Descriptor[] = [];

  constructor(output: ArchiveOutput, options: OciLayoutDestinationOptions = {}) {
    this.output = output;
    this.#options = options;
  }

  async reuseBlob(desc: Descriptor): Promise<BlobReuse | undefined> {
    return (await this.output.has(layoutBlobPath(desc.digest), desc.size)) ? { kind: "exists" } : undefined;
  }

  putBlob(desc: Descriptor, content: IngestSource, onProgress: (bytes: number) => void): Promise<void> {
    return this.output.putBlob(layoutBlobPath(desc.digest), desc, content, onProgress);
  }

  async putManifest(manifest: ManifestBytes, context: ManifestContext): Promise<void> {
    const desc: Descriptor = {
      mediaType: manifest.mediaType,
      digest: manifest.digest,
      size: manifest.bytes.byteLength,
    };
    if (!(await this.output.has(layoutBlobPath(desc.digest), desc.size))) {
      await this.output.putBlob(
        layoutBlobPath(desc.digest),
        desc,
        bytesSource(manifest.bytes),
        () => undefined,
      );
    }
    if (!context.top) return;
    const annotations = this.#annotations(context.names);
    if (annotations.length === 0) this.#entries.push(desc);
    for (const a of annotations) this.#entries.push({ ...desc, annotations: a });
  }

  /** The digests of the manifests recorded as images so far (for a docker-archive's manifest.json). */
  get entries(): readonly Descriptor[] {
    return this.#entries;
  }

  async commit(): Promise<void> {
    await this.output.putFile(OCI_LAYOUT_FILE, new TextEncoder().encode(JSON.stringify(ociLayout())));
    await this.output.putFile(OCI_LAYOUT_INDEX_FILE, this.#index());
    await this.output.commit();
  }

  abort(): Promise<void> {
    return this.output.abort();
  }

  #annotations(names: readonly string[]): Record<string, string>[] {
    if (this.#options.ref !== undefined) return [{ [REF_NAME_ANNOTATION]: this.#options.ref }];
    if (!this.#options.namesAreReferences) return names.map((n) => ({ [REF_NAME_ANNOTATION]: n }));
    return names.map((n) => {
      const ref = parseNormalizedNamed(n);
      return {
        [IMAGE_NAME_ANNOTATION]: referenceString(ref),
        ...(ref.tag ? { [REF_NAME_ANNOTATION]: ref.tag } : {}),
      };
    });
  }

  /** The existing entries minus those the new ones replace (same ref name; same digest unnamed), then the new. */
  #index(): Uint8Array {
    let kept: Descriptor[] = [];
    if (this.#options.existingIndex) {
      const existing = parseDocument(this.#options.existingIndex, OciMediaType.ImageIndex);
      if (existing.kind === "index") kept = existing.value.manifests as Descriptor[];
    }
    for (const entry of this.#entries) {
      const name = entry.annotations?.[REF_NAME_ANNOTATION];
      kept = kept.filter((d) => {
        const other = d.annotations?.[REF_NAME_ANNOTATION];
        return name === undefined ? !(other === undefined && d.digest === entry.digest) : other !== name;
      });
    }
    const index: OciIndex = {
      schemaVersion: 2,
      mediaType: OciMediaType.ImageIndex,
      manifests: [...kept, ...this.#entries],
    } as OciIndex;
    return serializeDocument(index);
  }
}

/** `oci:DIR[:REF]` as a destination: a new layout, or images added to an existing one. */
export async function openOciLayoutDestination(dir: string, ref?: string): Promise<OciLayoutDestination> {
  const output = new DirectoryOutput(dir);
  const existingIndex = await output.read(OCI_LAYOUT_INDEX_FILE);
  return new OciLayoutDestination(output, {
    ...(ref === undefined ? {} : { ref }),
    ...(existingIndex ? { existingIndex } : {}),
  });
}
