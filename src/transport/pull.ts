/**
 * Pull = copy(registry -> store): the copy engine resolves the reference to one platform manifest
 * and brings its config and layers into the store (verified, diff IDs computed in the same pass);
 * the store destination records the image, its tag and its RepoDigest in one transaction. A tag that
 * moves leaves the old image dangling, as Docker does.
 */
import type { Digest } from "../oci/digest.ts";
import type { Platform } from "../oci/platform.ts";
import { type Reference, referenceString } from "../oci/reference.ts";
import type { ImageRecord } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import { copyImage } from "./copy.ts";
import { PullProgress } from "./pull-progress.ts";
import { StoreDestination } from "./store-destination.ts";
import type { ImageSource, PullEvent } from "./types.ts";

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

export async function pullImage(
  store: Store,
  ref: Reference,
  source: ImageSource,
  options: PullOptions = {},
): Promise<PullResult> {
  const destination = new StoreDestination(store, { repoDigests: true });
  const progress = options.onEvent ? new PullProgress(options.onEvent) : undefined;
  // By digest: the name records only the RepoDigest; by tag, the tag too.
  const name = referenceString(ref.digest ? { domain: ref.domain, path: ref.path, digest: ref.digest } : ref);
  let top: Digest | undefined;
  try {
    await copyImage(source, destination, {
      names: [name],
      concurrency: options.concurrency ?? 3,
      ...(options.platform ? { platform: options.platform } : {}),
      onEvent: (event) => {
        if (event.type === "resolved") top ??= event.digest;
        progress?.handle(event);
      },
    });
    options.onEvent?.({ type: "digest", digest: top! });
    await destination.commit();
  } catch (err) {
    await destination.abort();
    throw err;
  }
  const named = destination.committed!.names[0]!;
  options.onVerified?.([named.image.id, ...named.image.layers.map((l) => l.digest)]);
  return { digest: top!, status: named.changed ? "downloaded" : "up-to-date", image: named.image };
}
