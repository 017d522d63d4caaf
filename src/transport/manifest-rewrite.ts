/**
 * A manifest as it is pushed when some of its layers went up in another form (gzip-compressed, see
 * layer-gzip.ts): the same document with those layers' descriptors replaced, and an index with the
 * descriptors of the platform manifests that were so rewritten. Everything else stays as it was, key
 * order included; the new bytes are compact JSON, as wharf writes the documents it makes itself
 * (serializeDocument). Nothing replaced: the original bytes, untouched.
 */
import type { Descriptor } from "../oci/descriptor.ts";
import { digestBytes } from "../oci/digest.ts";
import { isIndexMediaType, isManifestMediaType } from "../oci/mediatype.ts";
import type { ManifestBytes } from "./types.ts";

type Json = Record<string, unknown>;

const utf8 = new TextEncoder();
const text = new TextDecoder();

/** Sets a descriptor's digest, size and media type in place (key order kept); drops its urls. */
function replaceDescriptor(target: Json, by: Pick<Descriptor, "mediaType" | "digest" | "size">): void {
  target.mediaType = by.mediaType;
  target.digest = by.digest;
  target.size = by.size;
  delete target.urls;
}

function rewritten(original: ManifestBytes, value: Json): ManifestBytes {
  const bytes = utf8.encode(JSON.stringify(value));
  return { bytes, mediaType: original.mediaType, digest: digestBytes(bytes) };
}

/**
 * `manifest` with each layer that `layers` maps (by the original digest) replaced; an index with
 * each platform manifest that `manifests` maps replaced.
 */
export function rewriteManifest(
  manifest: ManifestBytes,
  layers: ReadonlyMap<string, Descriptor>,
  manifests: ReadonlyMap<string, ManifestBytes>,
): ManifestBytes {
  const list = isManifestMediaType(manifest.mediaType)
    ? "layers"
    : isIndexMediaType(manifest.mediaType)
      ? "manifests"
      : undefined;
  if (list === undefined || (list === "layers" ? layers.size : manifests.size) === 0) return manifest;
  const value = JSON.parse(text.decode(manifest.bytes)) as Json;
  const entries = Array.isArray(value[list]) ? (value[list] as Json[]) : [];
  let changed = false;
  for (const entry of entries) {
    const digest = String(entry.digest);
    if (list === "layers") {
      const by = layers.get(digest);
      if (by === undefined) continue;
      replaceDescriptor(entry, by);
    } else {
      const by = manifests.get(digest);
      if (by === undefined) continue;
      replaceDescriptor(entry, { mediaType: by.mediaType, digest: by.digest, size: by.bytes.byteLength });
    }
    changed = true;
  }
  return changed ? rewritten(manifest, value) : manifest;
}
