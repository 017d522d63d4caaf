/**
 * The image a scan reads, from any ImageSource (the store, an OCI layout or archive, a docker-archive,
 * a registry): the platform manifest (chosen from an index as `wharf pull` chooses), its config, and
 * each layer with the history line that made it. Layer streams are verified against their digest as
 * they are read, so a hostile source cannot have a scan (or its cache) believe another layer's content.
 */
import { Readable, Transform } from "node:stream";
import { WharfError } from "../errors.ts";
import type { History } from "../oci/config.ts";
import type { Digest } from "../oci/digest.ts";
import { Digester, parseDigest } from "../oci/digest.ts";
import { parseDocument, parseImageConfig } from "../oci/document.ts";
import { defaultPlatform, type Platform } from "../oci/platform.ts";
import { choosePlatformManifest } from "../transport/platform-choice.ts";
import type { ImageSource } from "../transport/types.ts";

export interface ScannedLayer {
  index: number;
  digest: Digest;
  mediaType: string;
  size: number;
  diffId?: string;
  /** The history entry's created_by for this layer (BuildKit's "RUN ... # buildkit", ...). */
  createdBy?: string;
}

export interface ScannedImage {
  /** The platform manifest's digest (what `--format json` reports as the artifact's digest). */
  manifestDigest: Digest;
  /** The index's digest when the reference named one. */
  indexDigest?: Digest;
  /** The config digest: the image ID. */
  imageId: Digest;
  os: string;
  architecture: string;
  variant?: string;
  created?: string;
  layers: ScannedLayer[];
  /** Opens one layer's blob (compressed as its media type says), verified against its digest. */
  openLayer(layer: ScannedLayer): Promise<Readable>;
}

export async function readScannedImage(source: ImageSource, platform?: Platform): Promise<ScannedImage> {
  const top = await source.topManifest();
  let parsed = parseDocument(top.bytes, top.mediaType);
  let indexDigest: Digest | undefined;
  if (parsed.kind === "index") {
    indexDigest = top.digest;
    const chosen = choosePlatformManifest(parsed, platform ?? defaultPlatform());
    const child = await source.manifest(parseDigest(chosen.digest));
    parsed = parseDocument(child.bytes, child.mediaType);
    if (parsed.kind !== "manifest") {
      throw new WharfError(
        "MANIFEST_INVALID",
        `manifest ${chosen.digest} of index ${top.digest} is an index`,
      );
    }
  }
  const manifest = parsed.value;
  const configDigest = parseDigest(manifest.config.digest);
  const config = parseImageConfig(await readAll(source, configDigest)).value;
  const layerHistory = (config.history ?? []).filter((h: History) => h.empty_layer !== true);
  const layers = manifest.layers.map((l, index): ScannedLayer => {
    const diffId = config.rootfs.diff_ids[index];
    const createdBy = layerHistory[index]?.created_by;
    return {
      index,
      digest: parseDigest(l.digest),
      mediaType: l.mediaType,
      size: l.size,
      ...(diffId === undefined ? {} : { diffId }),
      ...(createdBy === undefined ? {} : { createdBy }),
    };
  });
  return {
    manifestDigest: parsed.digest,
    ...(indexDigest === undefined ? {} : { indexDigest }),
    imageId: configDigest,
    os: config.os,
    architecture: config.architecture,
    ...(config.variant ? { variant: config.variant } : {}),
    ...(config.created ? { created: config.created } : {}),
    layers,
    openLayer: async (layer) => {
      const { stream } = await source.blob(layer.digest).open(0);
      return Readable.from(stream).pipe(verifying(layer.digest, layer.size));
    },
  };
}

async function readAll(source: ImageSource, digest: Digest): Promise<Buffer> {
  const { stream } = await source.blob(digest).open(0);
  const chunks: Buffer[] = [];
  const digester = new Digester();
  for await (const chunk of stream) {
    digester.update(chunk);
    chunks.push(Buffer.from(chunk));
  }
  if (digester.digest() !== digest) throw mismatch(digest, digester.digest());
  return Buffer.concat(chunks);
}

/** Passes the blob through, failing at its end when its bytes are not the digest's (or the size's). */
function verifying(digest: Digest, size: number): Transform {
  const digester = new Digester();
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      digester.update(chunk);
      if (digester.size > size) callback(sizeMismatch(digest, size, digester.size));
      else callback(null, chunk);
    },
    flush(callback) {
      if (digester.size !== size) callback(sizeMismatch(digest, size, digester.size));
      else if (digester.digest() !== digest) callback(mismatch(digest, digester.digest()));
      else callback();
    },
  });
}

function mismatch(expected: Digest, actual: Digest): WharfError {
  return new WharfError("DIGEST_MISMATCH", `blob ${expected} has the content of ${actual}`, {
    expected,
    actual,
  });
}

function sizeMismatch(digest: Digest, expected: number, actual: number): WharfError {
  return new WharfError("SIZE_MISMATCH", `blob ${digest} is not ${expected} bytes (read ${actual})`, {
    digest,
    expected,
    actual,
  });
}
