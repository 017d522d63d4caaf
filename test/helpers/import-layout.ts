/**
 * Test helper: puts one image of an OCI layout (the shared fixtures) into a wharf store through the
 * store's public API: ingest every blob, then record and tag the image in one transaction.
 */
import { createReadStream, readFileSync } from "node:fs";
import { join } from "node:path";
import { createGunzip } from "node:zlib";
import type { Digest } from "../../src/oci/digest.ts";
import { bytesSource, fileSource, type ImageData, type Lease, type Store } from "../../src/store/index.ts";

interface Desc {
  mediaType: string;
  digest: Digest;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
}

function blobPath(layout: string, digest: Digest): string {
  const [alg, hex] = digest.split(":") as [string, string];
  return join(layout, "blobs", alg, hex);
}

async function uncompressedSize(path: string, mediaType: string): Promise<number> {
  let size = 0;
  const input = createReadStream(path);
  const stream = mediaType.endsWith("gzip") ? input.pipe(createGunzip()) : input;
  for await (const chunk of stream) size += (chunk as Buffer).length;
  return size;
}

export async function ingestLayoutBlob(store: Store, layout: string, d: Desc, lease: Lease): Promise<void> {
  await store.ingest({
    digest: d.digest,
    size: d.size,
    source: fileSource(blobPath(layout, d.digest)),
    lease,
  });
}

/** Imports the manifest named `refName` in the layout's index.json (or the given descriptor), tagged as `tag`. */
export async function importLayoutImage(
  store: Store,
  layout: string,
  options: { refName?: string; manifest?: Desc; tag?: string },
): Promise<ImageData> {
  const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as { manifests: Desc[] };
  const manifestDesc =
    options.manifest ??
    index.manifests.find(
      (m) => m.annotations?.["org.opencontainers.image.ref.name"] === (options.refName ?? "latest"),
    );
  if (!manifestDesc) throw new Error(`no ref ${options.refName} in ${layout}`);
  const manifestBytes = readFileSync(blobPath(layout, manifestDesc.digest));
  const manifest = JSON.parse(manifestBytes.toString()) as { config: Desc; layers: Desc[] };
  const config = JSON.parse(readFileSync(blobPath(layout, manifest.config.digest), "utf8")) as {
    created?: string;
    os: string;
    architecture: string;
    variant?: string;
    rootfs: { diff_ids: Digest[] };
  };
  const lease = store.lease();
  try {
    for (const d of [manifest.config, ...manifest.layers]) await ingestLayoutBlob(store, layout, d, lease);
    await store.ingest({
      digest: manifestDesc.digest,
      size: manifestBytes.length,
      source: bytesSource(manifestBytes),
      lease,
    });
    const layers = await Promise.all(
      manifest.layers.map(async (l, i) => ({
        digest: l.digest,
        mediaType: l.mediaType,
        size: l.size,
        diffId: config.rootfs.diff_ids[i]!,
        uncompressedSize: await uncompressedSize(blobPath(layout, l.digest), l.mediaType),
      })),
    );
    const image: ImageData = {
      id: manifest.config.digest,
      manifest: { digest: manifestDesc.digest, mediaType: manifestDesc.mediaType, size: manifestDesc.size },
      platform: {
        os: config.os,
        architecture: config.architecture,
        ...(config.variant ? { variant: config.variant } : {}),
      },
      layers,
      ...(config.created ? { created: config.created } : {}),
    };
    await store.update((records) => {
      records.putImage(image);
      if (options.tag) records.setTag(options.tag, image.manifest.digest, null);
    });
    return image;
  } finally {
    await lease.release();
  }
}
