/**
 * docker pull of a name from its registry into the store: one tag or digest, or (a name with
 * neither) every tag the registry lists, all over one registry client. The blobs of each image are
 * recorded in the blob info cache, for cross-repository mounts by a later push. `wharf pull` and
 * POST /images/create both run this, each with its own client and progress.
 */
import type { Platform } from "../oci/platform.ts";
import { type Reference, withTag } from "../oci/reference.ts";
import type { RegistryClient } from "../registry/client/client.ts";
import type { Store } from "../store/store.ts";
import { BlobInfoCache } from "./blob-info-cache.ts";
import { pullImage } from "./pull.ts";
import { RegistrySource } from "./registry-source.ts";
import type { PullEvent } from "./types.ts";

export interface RegistryPullOptions {
  platform?: Platform;
  /** Layers downloaded at once. */
  concurrency: number;
  /** A client for the name's registry; closed when the pull ends. */
  registryClient: (domain: string) => Promise<RegistryClient>;
  /** Each event, with the reference (tag or digest) it is the pull of. */
  onEvent?: (event: PullEvent, ref: Reference) => void;
}

/** Pulls `named`; true when any name now points at an image it did not point at before. */
export async function pullFromRegistry(
  store: Store,
  named: Reference,
  options: RegistryPullOptions,
): Promise<boolean> {
  const client = await options.registryClient(named.domain);
  try {
    const refs =
      named.tag === undefined && named.digest === undefined
        ? (await client.listTags(named.path)).map((tag) => withTag(named, tag))
        : [named];
    let downloaded = false;
    for (const ref of refs) downloaded = (await pullOne(store, client, ref, options)) || downloaded;
    return downloaded;
  } finally {
    await client.close();
  }
}

async function pullOne(
  store: Store,
  client: RegistryClient,
  ref: Reference,
  options: RegistryPullOptions,
): Promise<boolean> {
  const { onEvent } = options;
  // The source is not closed: closing it would close the client the other tags are pulled over.
  const result = await pullImage(store, ref, new RegistrySource(client, ref), {
    ...(options.platform ? { platform: options.platform } : {}),
    concurrency: options.concurrency,
    onVerified: (digests) => {
      const cache = BlobInfoCache.forStore(store.root);
      try {
        cache.record({ registry: ref.domain, repository: ref.path }, digests);
      } finally {
        cache.close();
      }
    },
    ...(onEvent ? { onEvent: (event: PullEvent) => onEvent(event, ref) } : {}),
  });
  return result.status === "downloaded";
}
