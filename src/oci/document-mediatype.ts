/**
 * Which document a manifest or index is: its own `mediaType`, the media type declared for it, or
 * (with neither) its keys. Docker schema 1 is recognised here only to be refused.
 */
import { WharfError } from "../errors.ts";
import {
  DockerMediaType,
  type IndexMediaType,
  isIndexMediaType,
  isManifestMediaType,
  isSchema1MediaType,
  type ManifestMediaType,
  normalizeMediaType,
  OciMediaType,
} from "./mediatype.ts";
import { documentError, jsonType } from "./validation.ts";

const SCHEMA1_MESSAGE =
  "unsupported manifest format: Docker Image Manifest Version 2, Schema 1 is deprecated and not supported; " +
  "the registry or image must be upgraded";

export function schema1Error(mediaType?: string): WharfError {
  return new WharfError("MANIFEST_SCHEMA1", SCHEMA1_MESSAGE, mediaType ? { mediaType } : {});
}

/** Content types that say nothing about a manifest; registries behind CDNs send them (containers/image). */
const UNINFORMATIVE = new Set([
  "",
  "application/json",
  "text/plain",
  "application/octet-stream",
  "binary/octet-stream",
]);

/** The document's own `mediaType` and the declared one must agree; without either, guess from the keys. */
export function resolveDocumentMediaType(
  doc: Record<string, unknown>,
  declaredMediaType: string | undefined,
): ManifestMediaType | IndexMediaType {
  const own = doc.mediaType;
  if (own !== undefined && typeof own !== "string") {
    throw documentError("manifest", [
      { path: "mediaType", message: `expected string, got ${jsonType(own)}` },
    ]);
  }
  const normalized = declaredMediaType === undefined ? undefined : normalizeMediaType(declaredMediaType);
  const declared = normalized === undefined || UNINFORMATIVE.has(normalized) ? undefined : normalized;

  if (doc.schemaVersion === 1) throw schema1Error(own ?? declared);
  for (const t of [own, declared]) if (t !== undefined && isSchema1MediaType(t)) throw schema1Error(t);
  if (own !== undefined && declared !== undefined && own !== declared) {
    throw new WharfError(
      "MANIFEST_INVALID",
      `manifest invalid: media type mismatch: declared ${declared} but the document says ${own}`,
      { declared, mediaType: own },
    );
  }
  const mediaType = own ?? declared ?? guessMediaType(doc);
  if (!isManifestMediaType(mediaType) && !isIndexMediaType(mediaType)) {
    throw new WharfError("MANIFEST_UNSUPPORTED", `unsupported manifest media type: ${mediaType}`, {
      mediaType,
    });
  }
  return mediaType;
}

/**
 * containers/image's guess for a document without `mediaType` (allowed for OCI before image-spec
 * 1.0.2): `manifests` makes an index, `config`/`layers` a manifest, Docker's only by its config type.
 */
function guessMediaType(doc: Record<string, unknown>): ManifestMediaType | IndexMediaType {
  const isIndex = Object.hasOwn(doc, "manifests");
  const isManifest = Object.hasOwn(doc, "config") || Object.hasOwn(doc, "layers");
  if (isIndex && !isManifest) return OciMediaType.ImageIndex;
  if (isManifest && !isIndex) {
    const config = doc.config as { mediaType?: unknown } | null | undefined;
    return config?.mediaType === DockerMediaType.ImageConfig
      ? DockerMediaType.Manifest
      : OciMediaType.ImageManifest;
  }
  const message = isIndex
    ? "ambiguous: has both manifests and config/layers, and no mediaType"
    : "no mediaType, and neither manifests nor config/layers";
  throw documentError("manifest", [{ path: "", message }]);
}
