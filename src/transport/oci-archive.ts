/**
 * `oci-archive:FILE[:REF]`: a tar of an OCI image layout. As a source the tar is indexed once and
 * its blobs read in place (a compressed or piped archive is first made a plain tar file: see
 * archive-input.ts); as a destination the layout is written as a tar into a temporary file that
 * commit renames into place, or into a stream.
 */
import type { Readable } from "node:stream";
import { indexTar, type TarIndex } from "../layer/tar-index.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { tarFiles } from "./archive-files.ts";
import { type ArchiveInput, openArchiveFile, openArchiveStream, STDIN } from "./archive-input.ts";
import { OciLayoutDestination, type OciLayoutDestinationOptions } from "./oci-layout-destination.ts";
import { OciLayoutReader, OciLayoutSource } from "./oci-layout-source.ts";
import { TarOutput, type TarTarget } from "./tar-output.ts";

export class OciArchive {
  readonly reader: OciLayoutReader;
  readonly #input: ArchiveInput;

  private constructor(input: ArchiveInput, reader: OciLayoutReader) {
    this.#input = input;
    this.reader = reader;
  }

  /** Opens a plain tar (see openArchiveFile / openArchiveStream); it is closed with the archive. */
  static async fromInput(input: ArchiveInput, where = input.path): Promise<OciArchive> {
    try {
      return OciArchive.fromIndex(input, await indexTar(input.path, { where }), where);
    } catch (err) {
      await input.close();
      throw err;
    }
  }

  /** From the tar's index; the input is closed with the archive. */
  static fromIndex(input: ArchiveInput, index: TarIndex, where: string): OciArchive {
    return new OciArchive(input, new OciLayoutReader(tarFiles(index, where), "ARCHIVE_INVALID"));
  }

  static async open(file: string | Readable): Promise<OciArchive> {
    return OciArchive.fromInput(
      typeof file === "string" ? await openArchiveFile(file) : await openArchiveStream(file),
      typeof file === "string" ? file : STDIN,
    );
  }

  /** The images index.json lists. */
  async images(): Promise<Descriptor[]> {
    return (await this.reader.index()).value.manifests as Descriptor[];
  }

  /** One image: an index entry, or the one a ref name picks (the only one when none is given). */
  source(entry?: Descriptor | string): OciLayoutSource {
    return new OciLayoutSource(this.reader, entry);
  }

  close(): Promise<void> {
    return this.#input.close();
  }
}

/** `oci-archive:FILE[:REF]` as an ImageSource; closing it closes the archive. */
export async function openOciArchiveSource(file: string, ref?: string): Promise<OciLayoutSource> {
  const archive = await OciArchive.open(file);
  return new OciLayoutSource(archive.reader, ref, () => archive.close());
}

/** `oci-archive:FILE[:REF]` (or a stream) as an ImageDestination. */
export function createOciArchiveDestination(
  target: TarTarget,
  options: Omit<OciLayoutDestinationOptions, "existingIndex"> = {},
): OciLayoutDestination {
  return new OciLayoutDestination(new TarOutput(target), options);
}
