/**
 * Layer blobs in the store: their diff IDs (recorded, or computed by reading the blob once), the check
 * against the config's rootfs.diff_ids, and resuming transfers cut short.
 */
import { WharfError } from "../errors.ts";
import { type DiffIdResult, diffIdOfFile } from "../layer/diffid.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import type { Digest } from "../oci/digest.ts";
import type { Store } from "../store/store.ts";
import { isTransient } from "./registry-source.ts";

/** A stored layer's diff ID and uncompressed size: from its records, else by reading it once. */
export async function storedLayerInfo(store: Store, layer: Descriptor): Promise<DiffIdResult> {
  const digest = layer.digest as Digest;
  return (
    store.read((r) => r.layerInfo(digest)) ?? (await diffIdOfFile(store.blobs.path(digest), layer.mediaType))
  );
}

/** Transfers cut short (a dropped connection, a stalled body) resume from the bytes on disk. */
const RESUME_ATTEMPTS = 5;

export async function withResume<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries += 1) {
    try {
      return await attempt();
    } catch (err) {
      if (!isTransient(err) || tries >= RESUME_ATTEMPTS) throw err;
    }
  }
}

export function checkDiffId(digest: Digest, actual: Digest, expected: string | undefined): void {
  if (expected !== undefined && actual !== expected) {
    throw new WharfError(
      "LAYER_DIFFID_MISMATCH",
      `layer ${digest} uncompresses to ${actual}, but the image config says ${expected}`,
      { digest, actual, expected },
    );
  }
}
