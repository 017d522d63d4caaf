/**
 * Pull = copy(registry -> store): resolve the reference to one platform manifest, bring its config
 * and layers into the store (verified), then record the image, its tag and its RepoDigest in one
 * transaction. A tag that moves leaves the old image dangling, as Docker does.
 */
import { WharfError } from "../errors.ts";
import type { Digest } from "../oci/digest.ts";
import { type ParsedManifest, parseDocument, parseImageConfig } from "../oci/document.ts";
import { defaultPlatform, type Platform } from "../oci/platform.ts";
import { type Reference, referenceName, referenceString } from "../oci/reference.ts";
import type { Lease } from "../store/lease.ts";
import type { ImageRecord } from "../store/records.ts";
import { bytesSource } from "../store/sources.ts";
import type { Store } from "../store/store.ts";
import { fetchLayers } from "./layers.ts";
import { choosePlatformManifest } from "./platform-choice.ts";
import type { ImageSource, ManifestBytes, PullEvent } from "./types.ts";

export interface PullOptions {
  /** The platform to resolve an index to (default: this host's). */
  platform?: Platform;
  /** Layers downloaded at once (Docker's max-concurrent-downloads, default 3). */
  concurrency?: number;
  onEvent?: (event: PullEvent) => void;
  /** After the image is recorded: the config and layer digests, all verified (a blob info cache records them). */
  onVerified?: (digests: readonly Digest[]) => void;
}

export interface PullResult {
  /** What was asked for: the index's digest for a multi-platform image, else the manifest's. */
  digest: Digest;
  /** "downloaded": the name now points at an image it did not point at before. */
  status: "downloaded" | "up-to-date";
  image: ImageRecord;
}

async function platformManifest(
  source: ImageSource,
  top: ManifestBytes,
  platform: Platform,
): Promise<{ manifest: ParsedManifest; bytes: ManifestBytes }> {
  const parsed = parseDocument(top.bytes, top.mediaType);
  if (parsed.kind === "manifest") return { manifest: parsed, bytes: top };
  const chosen = choosePlatformManifest(parsed, platform);
  const child = await source.manifest(chosen.digest as Digest);
  const manifest = parseDocument(child.bytes, child.mediaType);
  if (manifest.kind !== "manifest") {
    throw new WharfError(
      "MANIFEST_INVALID",
      `manifest ${chosen.digest} of index ${top.digest} is itself an index`,
    );
  }
  return { manifest, bytes: child };
}

export async function pullImage(
  store: Store,
  ref: Reference,
  source: ImageSource,
  options: PullOptions = {},
): Promise<PullResult> {
  const top = await source.topManifest();
  options.onEvent?.({ type: "resolved", digest: top.digest });
  const { manifest, bytes: manifestBytes } = await platformManifest(
    source,
    top,
    options.platform ?? defaultPlatform(),
  );
  const configDesc = manifest.value.config;
  const configDigest = configDesc.digest as Digest;
  const hadConfig = await store.blobs.has(configDigest);
  const lease = store.lease();
  try {
    await lease.addAll([configDigest, manifest.digest, top.digest]);
    // The config comes in while the layers download (as moby does): its diff IDs are needed only
    // to check each layer once it is in.
    const configReady = fetchConfig(store, source, lease, configDesc, manifest);
    configReady.catch(() => undefined); // awaited below; layers waiting on it fail with it
    const layers = manifest.value.layers;
    const diffIds = configReady.then((c) => c.value.rootfs.diff_ids);
    const layerRecords = await fetchLayers(store, source, lease, layers, diffIds, {
      concurrency: options.concurrency ?? 3,
      quietLayers:
        hadConfig &&
        (await allPresent(
          store,
          layers.map((l) => l.digest as Digest),
        )),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    });
    const config = await configReady;
    for (const m of top === manifestBytes ? [top] : [manifestBytes, top]) {
      await store.ingest({ digest: m.digest, size: m.bytes.byteLength, source: bytesSource(m.bytes), lease });
    }
    options.onEvent?.({ type: "digest", digest: top.digest });
    const repository = referenceName(ref);
    const { changed, image } = await store.update((records) => {
      const before = records.get(manifest.digest);
      records.putImage({
        id: configDigest,
        manifest: { digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.bytes.byteLength },
        platform: {
          os: config.value.os,
          architecture: config.value.architecture,
          ...(config.value.variant ? { variant: config.value.variant } : {}),
        },
        layers: layerRecords,
        ...(config.value.created ? { created: config.value.created } : {}),
      });
      const knownDigest = before?.repoDigests.some(
        (d) => d.repository === repository && d.digest === top.digest,
      );
      records.addRepoDigest(manifest.digest, {
        repository,
        digest: top.digest,
        mediaType: top.mediaType,
        size: top.bytes.byteLength,
      });
      let moved: boolean;
      if (ref.tag && !ref.digest) {
        const tag = referenceString({ domain: ref.domain, path: ref.path, tag: ref.tag });
        const previous = records.byTag(tag);
        moved = previous?.manifest.digest !== manifest.digest;
        // LastTagTime belongs to "wharf tag": a pull keeps the one the tag had, or none.
        const kept = moved ? null : (previous?.tags.find((t) => t.name === tag)?.lastTagTime ?? null);
        records.setTag(tag, manifest.digest, kept === null ? null : new Date(kept));
      } else {
        moved = !knownDigest;
      }
      return { changed: moved, image: records.get(manifest.digest)! };
    });
    options.onVerified?.([configDigest, ...layers.map((l) => l.digest as Digest)]);
    return { digest: top.digest, status: changed ? "downloaded" : "up-to-date", image };
  } finally {
    await lease.release();
  }
}

async function fetchConfig(
  store: Store,
  source: ImageSource,
  lease: Lease,
  desc: { digest: string; size: number },
  manifest: ParsedManifest,
) {
  const digest = desc.digest as Digest;
  await store.ingest({ digest, size: desc.size, source: source.blob(digest), lease });
  const config = parseImageConfig(await store.blobs.readBytes(digest));
  const diffIds = config.value.rootfs.diff_ids;
  const layers = manifest.value.layers;
  if (diffIds.length !== layers.length) {
    throw new WharfError(
      "MANIFEST_INVALID",
      `image config lists ${diffIds.length} diff IDs for ${layers.length} layers in manifest ${manifest.digest}`,
    );
  }
  return config;
}

async function allPresent(store: Store, digests: Digest[]): Promise<boolean> {
  return (await Promise.all(digests.map((d) => store.blobs.has(d)))).every(Boolean);
}
