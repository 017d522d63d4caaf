/** The stored manifest a user's name for a local image means: what push, save and copy read. */
import { isWharfError } from "../errors.ts";
import type { Digest } from "../oci/digest.ts";
import { isIndexMediaType } from "../oci/mediatype.ts";
import type { ImageRecord, ManifestRef } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import { readGroups } from "./model.ts";
import { resolveImage } from "./resolve.ts";

/**
 * Docker's lookup (`name[:tag]`, `name@digest`, an ID or prefix). An ID names an image, which may
 * have several manifests (the same config pulled as OCI and as v2s2): the newest is taken.
 */
export function findImageRecord(store: Store, input: string): ImageRecord {
  const resolved = resolveImage(
    store.read((records) => readGroups(records)),
    input,
  );
  return resolved.record ?? resolved.group.records.at(-1)!;
}

/**
 * With `copy --all`: the index an image was pulled through (one of its RepoDigests), when the store
 * has that index and every manifest it lists; else the image's own manifest. Not leased: the caller
 * leases what this returns and confirms it is still there (StoreSource.open with a lookup).
 */
export async function findImageTop(store: Store, input: string): Promise<ManifestRef> {
  const record = findImageRecord(store, input);
  for (const repoDigest of record.repoDigests) {
    if (!isIndexMediaType(repoDigest.mediaType)) continue;
    let bytes: Buffer;
    try {
      bytes = await store.blobs.readBytes(repoDigest.digest);
    } catch (err) {
      // Not kept, or removed meanwhile with the RepoDigest (another process deleted the image).
      if (isWharfError(err, "STORE_BLOB_UNKNOWN")) continue;
      throw err;
    }
    // Loaded here: finding an image record (a build's base) needs no schema modules.
    const { parseDocument } = await import("../oci/document.ts");
    const index = parseDocument(bytes, repoDigest.mediaType);
    if (index.kind !== "index") continue;
    const present = await Promise.all(index.value.manifests.map((m) => store.blobs.has(m.digest as Digest)));
    if (present.every(Boolean)) return repoDigest;
  }
  return record.manifest;
}
