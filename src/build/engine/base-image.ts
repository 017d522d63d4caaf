/**
 * A stage's base image out of the store: its config and layer stack (diff IDs from the config,
 * blobs from the manifest), leased for the build so no GC takes them from under it.
 */
import { WharfError } from "../../errors.ts";
import type { ImageConfig } from "../../oci/config.ts";
import type { Digest } from "../../oci/digest.ts";
import type { Lease } from "../../store/lease.ts";
import type { ManifestRef } from "../../store/records.ts";
import type { Store } from "../../store/store.ts";
import type { LayerRef } from "./snapshots.ts";

interface StoredManifest {
  config: { digest: string };
  layers: { digest: string; mediaType: string; size: number }[];
}

export interface BaseImage {
  manifest: ManifestRef;
  config: ImageConfig;
  layers: LayerRef[];
}

export async function loadBaseImage(store: Store, ref: ManifestRef, lease: Lease): Promise<BaseImage> {
  // Plain JSON.parse: blobs in the store were validated when they came in, and zod costs start-up.
  const manifest = JSON.parse((await store.blobs.readBytes(ref.digest)).toString("utf8")) as StoredManifest;
  if (!manifest.config || !Array.isArray(manifest.layers)) {
    throw new WharfError("BUILD_BASE_INVALID", `base image ${ref.digest} is not an image manifest`);
  }
  // One lease write for all of it; a manifest removed before this fails the read above instead.
  await lease.addAll([
    ref.digest,
    manifest.config.digest as Digest,
    ...manifest.layers.map((l) => l.digest as Digest),
  ]);
  const config = JSON.parse(
    (await store.blobs.readBytes(manifest.config.digest as Digest)).toString("utf8"),
  ) as ImageConfig;
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== manifest.layers.length) {
    throw new WharfError(
      "BUILD_BASE_INVALID",
      `base image ${ref.digest} has ${manifest.layers.length} layers but ${diffIds.length} diff IDs`,
    );
  }
  const layers = manifest.layers.map((l, i) => ({
    digest: l.digest as Digest,
    mediaType: l.mediaType,
    size: l.size,
    diffId: diffIds[i] as Digest,
  }));
  return { manifest: ref, config, layers };
}
