/**
 * `docker manifest push`: a local manifest list goes to its registry as one index. Every image it
 * names must be in the list's registry; those in another repository are first made present in the
 * list's repository (their config and layers mounted across repositories, then the manifest PUT
 * by digest), since a registry refuses an index whose manifests it does not hold. The list is PUT
 * last, by the list's tag (or digest).
 */
import type { Digest } from "../oci/digest.ts";
import { parseDocument } from "../oci/document.ts";
import { buildManifestList, type ManifestListEntry } from "../oci/manifest-list.ts";
import { isNonDistributableLayer } from "../oci/mediatype.ts";
import { type Reference, trimNamed, withDigest } from "../oci/reference.ts";
import type { RegistryClient } from "../registry/client/client.ts";
import { RegistrySource } from "./registry-source.ts";

export interface ManifestListPushEvents {
  /** An image's manifest now stands in the list's repository (docker: `Pushed ref NAME@DIGEST ...`). */
  pushedRef?(ref: Reference, digest: Digest): void;
}

/** The config and distributable layers of a platform manifest (what a mount must bring along). */
function blobsOf(entry: ManifestListEntry): { digest: Digest; size: number; urls?: string[] }[] {
  const doc = parseDocument(entry.raw, entry.mediaType);
  if (doc.kind !== "manifest") return [];
  const layers = doc.value.layers.filter((l) => !isNonDistributableLayer(l.mediaType));
  return [doc.value.config, ...layers].map((d) => ({
    digest: d.digest as Digest,
    size: d.size,
    ...(d.urls?.length ? { urls: d.urls } : {}),
  }));
}

/**
 * Brings one image into `target`'s repository: each blob mounted from the image's repository (or,
 * where the registry will not mount, copied through this client), then its manifest by digest.
 */
async function bringImage(
  client: RegistryClient,
  target: Reference,
  entry: ManifestListEntry,
): Promise<Digest> {
  for (const blob of blobsOf(entry)) {
    if (await client.mountBlob(target.path, blob.digest, entry.ref.path)) continue;
    if (await client.blobExists(target.path, blob.digest)) continue;
    const source = new RegistrySource(client, trimNamed(entry.ref)).blob(blob.digest, blob.urls);
    await client.uploadBlob(target.path, blob, source);
  }
  return client.putManifest(target.path, entry.digest, { bytes: entry.raw, mediaType: entry.mediaType });
}

/** Pushes the list; returns the digest of the index as the registry stored it. */
export async function pushManifestList(
  client: RegistryClient,
  target: Reference,
  entries: readonly ManifestListEntry[],
  events: ManifestListPushEvents = {},
): Promise<Digest> {
  const list = buildManifestList(target, entries, { forPush: true });
  for (const entry of entries) {
    if (entry.ref.path === target.path) continue;
    const digest = await bringImage(client, target, entry);
    events.pushedRef?.(withDigest(trimNamed(target), entry.digest), digest);
  }
  return client.putManifest(target.path, target.digest ?? target.tag ?? "latest", list);
}
