/**
 * Load = copy(archive -> store) for every image of an archive: docker-archives of every vintage,
 * skopeo's, and oci-archives, plain or gzip/zstd-compressed, from a file or a stream. The tar is
 * indexed once; the store destination commits all images and tags in one transaction at the end, so a
 * bad archive leaves nothing half-imported. Digest faults of the archive's content read as
 * ARCHIVE_INVALID.
 */
import { randomInt } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { isWharfError, WharfError } from "../errors.ts";
import { indexTar, type TarIndex } from "../layer/tar-index.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import type { Digest } from "../oci/digest.ts";
import { parseDocument } from "../oci/document.ts";
import { OCI_LAYOUT_INDEX_FILE } from "../oci/layout.ts";
import { familiarString, parseNormalizedNamed } from "../oci/reference.ts";
import type { Store } from "../store/store.ts";
import { type ArchiveInput, openArchiveFile, openArchiveStream, STDIN } from "./archive-input.ts";
import { copyImage } from "./copy.ts";
import { DOCKER_ARCHIVE_MANIFEST, DockerArchive, needsHash } from "./docker-archive-source.ts";
import { OciArchive } from "./oci-archive.ts";
import { IMAGE_NAME_ANNOTATION, REF_NAME_ANNOTATION } from "./oci-layout-source.ts";
import { type StoreCommit, StoreDestination } from "./store-destination.ts";
import type { CopyEvent, ImageSource } from "./types.ts";

export interface LoadedImage {
  /** The image ID (config digest). */
  id: Digest;
  /** The familiar names recorded for it, in the archive's order. */
  names: string[];
}

export interface LoadResult {
  images: LoadedImage[];
  /** What each name pointed at before: a moved tag, as Docker reports it. */
  commit: StoreCommit;
}

interface ArchiveImage {
  names: string[];
  source: ImageSource;
}

/**
 * The detail that marks an error docker load reports in its progress stream (the daemon read the
 * archive and failed), which docker prints without "Error response from daemon: ".
 */
export const REPORTED_IN_STREAM = { reportedIn: "stream" } as const;

export function isReportedInStream(err: unknown): boolean {
  return isWharfError(err) && err.detail.reportedIn === REPORTED_IN_STREAM.reportedIn;
}

/**
 * dockerd's words for an archive that is not a tar: its untar (a child process, hence "exit status
 * 1") stops with Go's archive/tar error.
 */
function notATar(where: string, truncated: boolean): WharfError {
  const why = truncated ? "unexpected EOF" : "archive/tar: invalid tar header";
  return new WharfError("ARCHIVE_INVALID", `Error processing tar file(exit status 1): ${why}`, {
    path: where,
    ...REPORTED_IN_STREAM,
  });
}

/**
 * dockerd's words for a tar without manifest.json (nor, for wharf, index.json): it unpacks into a
 * fresh docker-import-N directory and falls back to the legacy format, whose `repositories` is absent.
 */
function notAnImageArchive(where: string): WharfError {
  const dir = join(tmpdir(), `docker-import-${randomInt(2 ** 31)}`);
  return new WharfError("ARCHIVE_INVALID", `open ${dir}/repositories: no such file or directory`, {
    path: where,
    ...REPORTED_IN_STREAM,
  });
}

async function indexArchive(input: ArchiveInput, where: string): Promise<TarIndex> {
  try {
    return await indexTar(input.path, { hash: needsHash, where });
  } catch (err) {
    if (!isWharfError(err, "ARCHIVE_INVALID")) throw err;
    throw notATar(where, err.message.endsWith(": truncated tar"));
  }
}

/** An archive's images, whichever format it is. */
async function archiveImages(
  input: ArchiveInput,
  where: string,
): Promise<{ images: ArchiveImage[]; close(): Promise<void> }> {
  const index = await indexArchive(input, where);
  if (index.entries.has(DOCKER_ARCHIVE_MANIFEST)) {
    const archive = await DockerArchive.fromIndex(input, index, where);
    // skopeo writes docker.io/library/NAME:TAG; Docker prints and records the familiar form.
    const images = archive.images().map((image) => ({
      names: image.repoTags.map((t) => familiarString(parseNormalizedNamed(t))),
      source: archive.source(image),
    }));
    return { images, close: () => archive.close() };
  }
  if (index.entries.has(OCI_LAYOUT_INDEX_FILE)) {
    const archive = OciArchive.fromIndex(input, index, where);
    const entries = await archive.images();
    if (entries.length === 0)
      throw new WharfError("ARCHIVE_INVALID", `invalid archive ${where}: index.json lists no image`);
    const images = entries.map((entry) => ({ names: ociImageNames(entry), source: archive.source(entry) }));
    return { images, close: () => archive.close() };
  }
  throw notAnImageArchive(where);
}

/**
 * The name an oci-archive gives an image: containerd's and Docker 25's io.containerd.image.name, else a
 * ref name that is a full reference (`busybox:latest`, not a bare tag).
 */
function ociImageNames(entry: Descriptor): string[] {
  const candidates = [entry.annotations?.[IMAGE_NAME_ANNOTATION], entry.annotations?.[REF_NAME_ANNOTATION]];
  for (const candidate of candidates) {
    if (!candidate || !/[:/]/.test(candidate)) continue;
    try {
      const ref = parseNormalizedNamed(candidate);
      if (ref.tag) return [familiarString(ref)];
    } catch {
      // not a reference: a plain ref name
    }
  }
  return [];
}

async function openInput(file: string | Readable, where: string): Promise<ArchiveInput> {
  try {
    return typeof file === "string" ? await openArchiveFile(file) : await openArchiveStream(file);
  } catch (err) {
    // A cut-off compressed archive: dockerd decompresses as it untars, and so stops the same way.
    if (isWharfError(err, "ARCHIVE_INVALID") && err.detail.truncated === true) throw notATar(where, true);
    throw err;
  }
}

export async function loadArchive(
  store: Store,
  file: string | Readable,
  options: { onEvent?: (event: CopyEvent) => void } = {},
): Promise<LoadResult> {
  const where = typeof file === "string" ? file : STDIN;
  const input = await openInput(file, where);
  let archive: Awaited<ReturnType<typeof archiveImages>>;
  try {
    archive = await archiveImages(input, where);
  } catch (err) {
    await input.close();
    throw err;
  }
  const destination = new StoreDestination(store);
  try {
    const images: LoadedImage[] = [];
    for (const image of archive.images) {
      const { top } = await copyImage(image.source, destination, {
        names: image.names,
        ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      });
      const manifest = parseDocument(top.bytes, top.mediaType);
      if (manifest.kind === "manifest") {
        images.push({ id: manifest.value.config.digest as Digest, names: image.names });
      }
    }
    await destination.commit();
    return { images, commit: destination.committed! };
  } catch (err) {
    await destination.abort().catch(() => undefined);
    if (isWharfError(err, "DIGEST_MISMATCH") || isWharfError(err, "SIZE_MISMATCH")) {
      throw new WharfError("ARCHIVE_INVALID", `invalid archive ${where}: ${err.message}`, err.detail, {
        cause: err,
      });
    }
    throw err;
  } finally {
    await archive.close();
  }
}
