/**
 * Push = copy(store -> registry) of a repository's tag (or every tag), with docker push's progress:
 * "The push refers to repository [...]", each layer "Preparing" (keyed by its short diff ID, top
 * layer first), "Waiting"/"Pushing"/"Pushed"/"Layer already exists"/"Mounted from REPO", then "TAG:
 * digest: ... size: N". On success the image gets the RepoDigest repository@digest, as Docker records
 * it; a failed push changes nothing locally. `wharf push` and POST /images/{name}/push both run this,
 * with their own progress sink and registry client.
 */
import { WharfError } from "../errors.ts";
import { platformMismatch } from "../images/platform-mismatch.ts";
import type { Digest } from "../oci/digest.ts";
import type { Platform } from "../oci/platform.ts";
import {
  familiarName,
  familiarString,
  type Reference,
  referenceName,
  referenceString,
} from "../oci/reference.ts";
import type { RegistryClient } from "../registry/client/client.ts";
import type { ImageRecord } from "../store/records.ts";
import { bytesSource } from "../store/sources.ts";
import type { Store } from "../store/store.ts";
import { BlobInfoCache } from "./blob-info-cache.ts";
import { copyAndCommit } from "./copy.ts";
import type { ProgressSink } from "./progress-sink.ts";
import { RegistryDestination } from "./registry-destination.ts";
import { StoreSource } from "./store-source.ts";
import type { CopyEvent, ManifestBytes } from "./types.ts";

/** What a tag's push ended with (dockerd's aux record {Tag, Digest, Size}). */
export interface PushedTag {
  tag: string;
  digest: Digest;
  size: number;
}

export interface PushOptions {
  /** Each image must be of this platform (docker push --platform). */
  platform?: Platform;
  sink: ProgressSink;
  /** A client for the repository's registry; closed when the push ends. */
  registryClient: (domain: string) => Promise<RegistryClient>;
  /** After each tag went up. */
  onPushed?: (pushed: PushedTag) => void;
}

/** Docker's max-concurrent-uploads default. */
const PUSH_CONCURRENCY = 5;

/** `named`'s tag, or without a tag every tag of the repository, one after the other. */
export async function pushRepository(store: Store, named: Reference, options: PushOptions): Promise<void> {
  const { sink, platform } = options;
  let client: RegistryClient | undefined;
  let cache: BlobInfoCache | undefined;
  try {
    sink.line(`The push refers to repository [${referenceName(named)}]`);
    const images = imagesToPush(store, named);
    client = await options.registryClient(named.domain);
    cache = BlobInfoCache.forStore(store.root);
    for (const { ref, image } of images) {
      if (platform !== undefined) checkPlatform(ref, image, platform);
      // Pushed first: an optional call does not evaluate its arguments when there is no callback.
      const pushed = await pushImage(store, client, cache, ref, image, sink);
      options.onPushed?.(pushed);
    }
  } finally {
    cache?.close();
    await client?.close();
  }
}

/** The tag asked for, or with no tag every tag of the repository (sorted, as docker lists them). */
function imagesToPush(store: Store, named: Reference): { ref: Reference; image: ImageRecord }[] {
  const repository = referenceName(named);
  return store.read((records) => {
    if (named.tag !== undefined) {
      const image = records.byTag(referenceString(named));
      if (image !== undefined) return [{ ref: named, image }];
      const any = records.list().some((r) => r.tags.some((t) => t.name.startsWith(`${repository}:`)));
      if (any) throw new WharfError("IMAGE_NOT_FOUND", `tag does not exist: ${familiarString(named)}`);
    } else {
      const found: { ref: Reference; image: ImageRecord }[] = [];
      for (const image of records.list()) {
        for (const t of image.tags) {
          if (!t.name.startsWith(`${repository}:`)) continue;
          const tag = t.name.slice(repository.length + 1);
          found.push({ ref: { domain: named.domain, path: named.path, tag }, image });
        }
      }
      if (found.length > 0) return found.sort((a, b) => ((a.ref.tag ?? "") < (b.ref.tag ?? "") ? -1 : 1));
    }
    throw new WharfError(
      "IMAGE_NOT_FOUND",
      `An image does not exist locally with the tag: ${familiarName(named)}`,
    );
  });
}

/** Docker's wording when the local image is not of the platform asked for. */
function checkPlatform(ref: Reference, image: ImageRecord, wanted: Platform): void {
  const p = image.platform;
  const same =
    p.os === wanted.os &&
    p.architecture === wanted.architecture &&
    (wanted.variant === undefined || p.variant === wanted.variant);
  if (!same) throw new WharfError("IMAGE_NOT_FOUND", platformMismatch(familiarString(ref), wanted, p));
}

async function pushImage(
  store: Store,
  client: RegistryClient,
  cache: BlobInfoCache,
  ref: Reference,
  image: ImageRecord,
  sink: ProgressSink,
): Promise<PushedTag> {
  // Leased before anything is printed. If another process removed the image after it was looked
  // up, the tag is looked up again: it may be back, or now name another image (docker pushes what
  // the tag names when it pushes), or be gone (docker's "An image does not exist locally ...").
  let record = image;
  let looked = false;
  const source = await StoreSource.open(store, () => {
    if (looked) record = imagesToPush(store, ref)[0]!.image;
    looked = true;
    return record.manifest;
  });
  // Docker keys a pushed layer's line by its short diff ID, top layer first.
  const ids = new Map<string, string>();
  for (const layer of record.layers) ids.set(layer.digest, shortId(layer.diffId));
  for (const id of new Set([...record.layers].reverse().map((l) => shortId(l.diffId)))) {
    sink.layer(id, "Preparing");
  }
  try {
    const result = await copyAndCommit(source, new RegistryDestination(client, ref, { cache }), {
      names: [referenceString(ref)],
      concurrency: PUSH_CONCURRENCY,
      onEvent: (event) => report(event, ids, ref, sink),
    });
    await recordPushed(store, record.manifest.digest, ref, result.top);
    return { tag: ref.tag ?? "", digest: result.top.digest, size: result.top.bytes.byteLength };
  } finally {
    await source.close();
  }
}

/**
 * The image gets `repository@digest` of what the registry now has. When the manifest pushed is not
 * the stored one (its uncompressed layers went up gzip-compressed), its bytes are kept in the store
 * too, so that the RepoDigest names a blob the store has (and GC keeps, as it keeps every RepoDigest's).
 */
async function recordPushed(store: Store, pushed: Digest, ref: Reference, top: ManifestBytes): Promise<void> {
  const lease = store.lease();
  try {
    if (top.digest !== pushed) {
      await store.ingest({
        digest: top.digest,
        size: top.bytes.byteLength,
        source: bytesSource(top.bytes),
        lease,
      });
    }
    await store.update((records) => {
      // Removed locally while it was pushed (by another process): the push stands, with no record to note it in.
      if (records.get(pushed) === undefined) return;
      records.addRepoDigest(pushed, {
        repository: referenceName(ref),
        digest: top.digest,
        mediaType: top.mediaType,
        size: top.bytes.byteLength,
      });
    });
  } finally {
    await lease.release();
  }
}

const LAYER_STATUS: Partial<Record<string, string>> = {
  waiting: "Waiting",
  transferring: "Pushing",
  done: "Pushed",
  exists: "Layer already exists",
};

function report(event: CopyEvent, ids: Map<string, string>, ref: Reference, sink: ProgressSink): void {
  if (event.type === "manifest") {
    if (event.top) sink.line(`${ref.tag}: digest: ${event.digest} size: ${event.size}`);
    return;
  }
  if (event.type !== "blob" || event.role !== "layer") return;
  const id = ids.get(event.digest);
  if (id === undefined) return;
  if (event.status === "mounted") sink.layer(id, `Mounted from ${event.from}`);
  else if (event.status === "transferring") sink.layer(id, "Pushing", event.current ?? 0, event.total);
  else {
    const status = LAYER_STATUS[event.status];
    if (status !== undefined) sink.layer(id, status);
  }
}

function shortId(digest: Digest | string): string {
  return digest.slice(digest.indexOf(":") + 1, digest.indexOf(":") + 13);
}
