/**
 * Layers that are plain tars (a `docker save` archive's layer.tar, loaded) go to a registry
 * gzip-compressed, as docker push sends every layer (Go's gzip at its default level; zlib's default
 * here) and as containers/image does for registries: two to three times fewer bytes up, and what
 * other clients expect to pull. A registry upload states its digest and size up front and resumes
 * from an offset, so the layer is compressed first, streaming, into a temporary file (memory stays
 * bounded whatever the layer's size) that is then uploaded like any file; its digest and size are
 * computed on the way in, and the uncompressed content is verified against its own digest meanwhile.
 */
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { constants, createGzip } from "node:zlib";
import { noSpaceError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { Digester, Verifier } from "../oci/digest.ts";
import { DockerMediaType, OciMediaType } from "../oci/mediatype.ts";
import type { IngestSource } from "../store/ingest.ts";
import { interruptSafeTempDir } from "../util/interrupt-cleanup.ts";

/** The media type of an uncompressed layer's gzip form: only plain, distributable layer tars have one. */
const GZIP_MEDIA_TYPE: Readonly<Record<string, string>> = {
  [DockerMediaType.UncompressedLayer]: DockerMediaType.Layer,
  [OciMediaType.ImageLayer]: OciMediaType.ImageLayerGzip,
};

/** The gzip media type a layer of this media type is pushed as, or undefined when it goes as it is. */
export function gzipMediaType(mediaType: string): string | undefined {
  return Object.hasOwn(GZIP_MEDIA_TYPE, mediaType) ? GZIP_MEDIA_TYPE[mediaType] : undefined;
}

/** `layer`'s descriptor for its gzip form `blob`. */
export function gzipDescriptor(layer: Descriptor, blob: { digest: string; size: number }): Descriptor {
  const mediaType = gzipMediaType(layer.mediaType);
  if (mediaType === undefined) throw new Error(`${layer.mediaType} is not an uncompressed layer`);
  const descriptor: Descriptor = { ...layer, mediaType, digest: blob.digest, size: blob.size };
  // Where the uncompressed tar could also be fetched is not where this blob is.
  delete descriptor.urls;
  return descriptor;
}

export interface GzippedLayer {
  /** The compressed blob: the layer's descriptor with the gzip media type, digest and size. */
  descriptor: Descriptor;
  /** The temporary file that holds it. */
  path: string;
  remove(): Promise<void>;
}

/** A pass-through stage that feeds every chunk to `see` (which may throw to fail the pipeline). */
function tap(see: (chunk: Uint8Array) => void): Transform {
  return new Transform({
    transform(chunk: Uint8Array, _encoding, done) {
      try {
        see(chunk);
        done(null, chunk);
      } catch (err) {
        done(err as Error);
      }
    },
  });
}

/**
 * Compresses `layer` (read from `content`) into a temporary file. `onProgress` gets the uncompressed
 * bytes read so far, as docker's "Pushing" bar counts them. The caller removes the file.
 */
export async function gzipLayer(
  layer: Descriptor,
  content: IngestSource,
  onProgress: (bytes: number) => void,
): Promise<GzippedLayer> {
  if (gzipMediaType(layer.mediaType) === undefined) {
    throw new Error(`${layer.mediaType} is not an uncompressed layer`);
  }
  const { dir, remove } = interruptSafeTempDir("wharf-push-");
  const path = join(dir, "layer.tar.gz");
  try {
    const verifier = new Verifier(layer.digest, layer.size);
    const compressed = new Digester();
    const { stream } = await content.open(0);
    await pipeline(
      stream,
      tap((chunk) => {
        verifier.update(chunk);
        onProgress(verifier.size);
      }),
      createGzip({ level: constants.Z_DEFAULT_COMPRESSION }),
      tap((chunk) => compressed.update(chunk)),
      createWriteStream(path, { flags: "wx" }),
    );
    verifier.verify();
    const descriptor = gzipDescriptor(layer, { digest: compressed.digest(), size: compressed.size });
    return { descriptor, path, remove };
  } catch (err) {
    await remove();
    throw noSpaceError(err, path) ?? err;
  }
}
