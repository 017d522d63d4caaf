/**
 * The built image into the local store (`-o type=image`, the default): the manifest and config
 * ingested, the record and its tags written in one transaction. The layers are already store blobs
 * with known diff IDs (the build made or checked them), so this is the part of StoreDestination's
 * work that is left, without the copy engine's re-parsing: a cached build then never loads the
 * schema modules (zod alone costs ~50 ms of start-up). Names land as every store writer's do
 * (transport/store-names.ts).
 */
import { WharfError } from "../../errors.ts";
import { diffIdOfFile } from "../../layer/diffid.ts";
import type { Digest } from "../../oci/digest.ts";
import type { ImageData, LayerRecord } from "../../store/records.ts";
import { bytesSource } from "../../store/sources.ts";
import type { Store } from "../../store/store.ts";
import { type RecordedName, recordImageName } from "../../transport/store-names.ts";
import type { ImageDocuments } from "./image-export.ts";
import type { LayerRef } from "./snapshots.ts";

export async function commitBuiltImage(
  store: Store,
  docs: ImageDocuments,
  layers: readonly LayerRef[],
  platform: { os: string; architecture: string; variant?: string },
  created: string | undefined,
  names: readonly string[],
): Promise<RecordedName[]> {
  const lease = store.lease();
  try {
    const manifest = docs.manifest;
    await store.ingest({
      digest: docs.config.digest,
      size: docs.config.bytes.byteLength,
      source: bytesSource(docs.config.bytes),
      lease,
    });
    await store.ingest({
      digest: manifest.digest,
      size: manifest.bytes.byteLength,
      source: bytesSource(manifest.bytes),
      lease,
    });
    const manifestLayers = (
      JSON.parse(new TextDecoder().decode(manifest.bytes)) as { layers: { mediaType: string }[] }
    ).layers;
    const records: LayerRecord[] = [];
    for (const [i, layer] of layers.entries()) {
      if (!(await store.blobs.has(layer.digest))) {
        throw new WharfError(
          "STORE_BLOB_UNKNOWN",
          `layer ${layer.digest} of the built image is not in the store`,
        );
      }
      const info =
        store.read((r) => r.layerInfo(layer.digest)) ??
        (await diffIdOfFile(store.blobs.path(layer.digest), layer.mediaType));
      if (info.diffId !== layer.diffId) {
        throw new WharfError(
          "LAYER_DIFFID_MISMATCH",
          `layer ${layer.digest} uncompresses to ${info.diffId}, not ${layer.diffId}`,
        );
      }
      records.push({
        digest: layer.digest,
        mediaType: manifestLayers[i]?.mediaType ?? layer.mediaType,
        size: layer.size,
        diffId: layer.diffId,
        uncompressedSize: info.uncompressedSize,
      });
    }
    const image: ImageData = {
      id: docs.config.digest,
      manifest: { digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.bytes.byteLength },
      platform: {
        os: platform.os,
        architecture: platform.architecture,
        ...(platform.variant ? { variant: platform.variant } : {}),
      },
      layers: records,
      ...(created ? { created } : {}),
    };
    const target = manifest.digest as Digest;
    // A rebuild that changed nothing: the record and every tag are there already; no write.
    const unchanged = store.read(
      (r) => r.get(target) !== undefined && names.every((n) => r.byTag(n)?.manifest.digest === target),
    );
    if (unchanged) return [];
    return await store.update((w) => {
      w.putImage(image);
      const recorded: RecordedName[] = [];
      for (const name of names) {
        const r = recordImageName(
          w,
          {
            target,
            repoDigest: { digest: target, mediaType: manifest.mediaType, size: manifest.bytes.byteLength },
            recordRepoDigest: false,
          },
          name,
        );
        if (r) recorded.push(r);
      }
      return recorded;
    });
  } finally {
    await lease.release();
  }
}
