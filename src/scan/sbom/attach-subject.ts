/**
 * The manifest at the registry that `wharf sbom --attach` refers to: the platform manifest that was
 * scanned, found by its digest. A local image pushed with its layers compressed on the way
 * (transport/manifest-rewrite.ts) is there under another digest: then it is the manifest the tag
 * names (the scanned platform's, when the tag names an index) whose config is the scanned one,
 * which is the same image (the config holds the layers' uncompressed digests).
 */
import { isWharfError, WharfError } from "../../errors.ts";
import type { Descriptor } from "../../oci/descriptor.ts";
import type { Digest } from "../../oci/digest.ts";
import { parseDocument } from "../../oci/document.ts";
import type { Reference } from "../../oci/reference.ts";
import type { ManifestResult, RegistryClient } from "../../registry/client/client.ts";
import { choosePlatformManifest } from "../../transport/platform-choice.ts";
import type { ScannedImage } from "../image-layers.ts";

/** The subject descriptor (mediaType, digest, size) of `image` in `ref`'s repository. */
export async function findSubject(
  client: RegistryClient,
  ref: Reference,
  image: ScannedImage,
): Promise<Descriptor> {
  const scanned = await findManifest(client, ref.path, image.manifestDigest);
  if (scanned !== undefined) return descriptorOf(scanned);
  const tagged = ref.tag === undefined ? undefined : await sameImageByTag(client, ref.path, ref.tag, image);
  if (tagged !== undefined) return descriptorOf(tagged);
  const where = `${ref.domain}/${ref.path}${ref.tag === undefined ? "" : `:${ref.tag}`}`;
  throw new WharfError(
    "REGISTRY_NOT_FOUND",
    `${where} does not hold the image ${image.manifestDigest} (image ID ${image.imageId}): push it there first`,
    { repository: ref.path, manifest: image.manifestDigest, imageId: image.imageId },
  );
}

/** The tag's manifest (its platform manifest, for an index) when its config is the image's. */
async function sameImageByTag(
  client: RegistryClient,
  repository: string,
  tag: string,
  image: ScannedImage,
): Promise<ManifestResult | undefined> {
  let found = await findManifest(client, repository, tag);
  if (found === undefined) return undefined;
  let document = parseDocument(found.bytes, found.mediaType);
  if (document.kind === "index") {
    const platform = {
      os: image.os,
      architecture: image.architecture,
      ...(image.variant === undefined ? {} : { variant: image.variant }),
    };
    let chosen: Descriptor;
    try {
      chosen = choosePlatformManifest(document, platform);
    } catch (err) {
      if (isWharfError(err, "PLATFORM_NO_MATCH")) return undefined;
      throw err;
    }
    found = await findManifest(client, repository, chosen.digest);
    if (found === undefined) return undefined;
    document = parseDocument(found.bytes, found.mediaType);
  }
  return document.kind === "manifest" && document.value.config.digest === image.imageId ? found : undefined;
}

/** A manifest by tag or digest; undefined when the registry has none there (404). */
export async function findManifest(
  client: RegistryClient,
  repository: string,
  reference: string,
): Promise<ManifestResult | undefined> {
  try {
    return await client.getManifest(repository, reference);
  } catch (err) {
    if (isWharfError(err, "REGISTRY_NOT_FOUND")) return undefined;
    throw err;
  }
}

function descriptorOf(manifest: ManifestResult): Descriptor {
  return {
    mediaType: manifest.mediaType,
    digest: manifest.digest as Digest,
    size: manifest.bytes.byteLength,
  };
}
