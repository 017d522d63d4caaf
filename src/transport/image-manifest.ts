/**
 * One platform manifest from a registry as docker's manifest commands hold it: its bytes, descriptor
 * and the platform read from its image config (os, architecture, variant, os.version, os.features),
 * as docker/cli's registryclient fetchManifest does. A manifest list or index is refused.
 */
import { isWharfError, WharfError } from "../errors.ts";
import type { Digest } from "../oci/digest.ts";
import { digestBytes } from "../oci/digest.ts";
import { type ParsedManifest, parseDocument } from "../oci/document.ts";
import type { ManifestListEntry } from "../oci/manifest-list.ts";
import { type Platform, platformFromJSON } from "../oci/platform.ts";
import { type Reference, referenceString } from "../oci/reference.ts";
import type { RegistryClient } from "../registry/client/client.ts";

const CONFIG_LIMIT = 4 * 1024 * 1024;

/** An image config from the registry (small; verified against its digest). */
export async function fetchConfig(client: RegistryClient, ref: Reference, digest: Digest): Promise<Buffer> {
  const { stream } = await client.getBlob(ref.path, digest);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > CONFIG_LIMIT) {
      stream.destroy();
      throw new WharfError("MANIFEST_INVALID", `image config ${digest} is over 4 MiB`);
    }
    parts.push(chunk as Buffer);
  }
  const bytes = Buffer.concat(parts);
  if (digestBytes(bytes) !== digest) {
    throw new WharfError("DIGEST_MISMATCH", `image config from ${ref.domain} does not match ${digest}`);
  }
  return bytes;
}

/** The platform fields of an image config (Go unmarshals the config into an ocispec.Platform). */
export function platformOfConfig(bytes: Uint8Array): Platform {
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(Buffer.from(bytes).toString("utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new WharfError("MANIFEST_INVALID", `image config: ${(err as Error).message}`);
  }
  return platformFromJSON({ ...obj, os: obj.os ?? "", architecture: obj.architecture ?? "" });
}

/**
 * The entry for a platform manifest already fetched; `platform` (from an index) or else the one its
 * config declares.
 */
export async function imageManifestEntry(
  client: RegistryClient,
  ref: Reference,
  manifest: ParsedManifest,
  platform?: Platform,
): Promise<ManifestListEntry> {
  const p =
    platform ?? platformOfConfig(await fetchConfig(client, ref, manifest.value.config.digest as Digest));
  return {
    ref,
    mediaType: manifest.mediaType,
    digest: manifest.digest,
    size: manifest.bytes.byteLength,
    platform: p,
    raw: manifest.bytes,
  };
}

/**
 * `ref`'s manifest, which must be a platform manifest: `NAME is a manifest list` otherwise, and
 * docker's `no such manifest: NAME` when the registry does not have it.
 */
export async function fetchImageManifest(client: RegistryClient, ref: Reference): Promise<ManifestListEntry> {
  let top: Awaited<ReturnType<RegistryClient["getManifest"]>>;
  try {
    top = await client.getManifest(ref.path, ref.digest ?? ref.tag ?? "latest");
  } catch (err) {
    if (isWharfError(err, "REGISTRY_NOT_FOUND")) {
      throw new WharfError("REGISTRY_NOT_FOUND", `no such manifest: ${referenceString(ref)}`, err.detail, {
        cause: err,
      });
    }
    throw err;
  }
  const doc = parseDocument(top.bytes, top.mediaType);
  if (doc.kind !== "manifest") {
    throw new WharfError("MANIFEST_LIST_INVALID", `${referenceString(ref)} is a manifest list`, {
      reference: referenceString(ref),
    });
  }
  return imageManifestEntry(client, ref, doc);
}
