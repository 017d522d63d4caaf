/**
 * A build's base image, as docker's legacy builder finds it: the local image when it is of the
 * platform asked for (and no pull was asked), else pulled into the store, with BuildKit's words for
 * a base that cannot be resolved. `wharf build` and POST /build both resolve their FROMs with this,
 * each with its own registry client.
 */
import { isWharfError, WharfError } from "../errors.ts";
import { findImageRecord } from "../images/local-manifest.ts";
import { formatPlatform, type Platform } from "../oci/platform.ts";
import { familiarString, parseNormalizedNamed, referenceString, tagNameOnly } from "../oci/reference.ts";
import type { RegistryClient } from "../registry/client/client.ts";
import type { ManifestRef } from "../store/records.ts";
import type { Store } from "../store/store.ts";

export interface BaseImageOptions {
  /** Pull even when the store has the image (docker build --pull). */
  pull: boolean;
  /** A client for the base's registry; the pull closes it. */
  registryClient: (domain: string) => Promise<RegistryClient>;
}

export async function resolveBaseImage(
  store: Store,
  name: string,
  platform: Platform,
  options: BaseImageOptions,
): Promise<ManifestRef> {
  const ref = parseNormalizedNamed(name);
  if (!options.pull) {
    try {
      const local = findImageRecord(store, name);
      // The local image serves when it is of the platform asked for; another platform is pulled.
      if (local.platform.os === platform.os && local.platform.architecture === platform.architecture) {
        return local.manifest;
      }
    } catch (err) {
      if (!isWharfError(err, "IMAGE_NOT_FOUND")) throw err;
    }
  }
  // Loaded only for a pull: they bring the schema modules (zod), which a cached build never needs.
  const [{ pullImage }, { RegistrySource }] = await Promise.all([
    import("./pull.ts"),
    import("./registry-source.ts"),
  ]);
  const client = await options.registryClient(ref.domain);
  const named = ref.digest || ref.tag ? ref : tagNameOnly(ref);
  const source = new RegistrySource(client, named);
  try {
    const pulled = await pullImage(store, named, source, { platform });
    return pulled.image.manifest;
  } catch (err) {
    // BuildKit's words: `NAME: failed to resolve source metadata for REF: REF: not found`.
    const reason = isWharfError(err, "REGISTRY_NOT_FOUND")
      ? `${referenceString(named)}: not found`
      : (err as Error).message;
    throw new WharfError(
      "BUILD_BASE_INVALID",
      `${familiarString(named)}: failed to resolve source metadata for ${referenceString(named)}: ${reason}`,
      { platform: formatPlatform(platform) },
      { cause: err },
    );
  } finally {
    await source.close();
  }
}
