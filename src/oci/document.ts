/**
 * From bytes to typed documents without losing the bytes. A manifest is named by the digest of
 * exactly what was received (a re-serialisation would digest differently), so the bytes travel with
 * the parsed value and the digest is always computed from them.
 */
import type { z } from "zod";
import { WharfError } from "../errors.ts";
import { type ImageConfig, ImageConfigSchema } from "./config.ts";
import { type Descriptor, DescriptorSchema } from "./descriptor.ts";
import { type Digest, digestBytes } from "./digest.ts";
import { resolveDocumentMediaType, schema1Error } from "./document-mediatype.ts";
import { type OciLayout, OciLayoutSchema } from "./layout.ts";
import {
  type DockerManifest,
  type DockerManifestList,
  DockerManifestListSchema,
  DockerManifestSchema,
  type OciIndex,
  OciIndexSchema,
  type OciManifest,
  OciManifestSchema,
} from "./manifest.ts";
import { DockerMediaType, isSchema1MediaType, OciMediaType } from "./mediatype.ts";
import { checkSchema, type DocumentKind, decodeJsonObject, documentError } from "./validation.ts";

interface Parsed<K extends string, M extends string, V> {
  readonly kind: K;
  readonly mediaType: M;
  /** Exactly the bytes given to parseDocument (not copied: treat them as immutable). */
  readonly bytes: Uint8Array;
  /** sha256 of `bytes`. */
  readonly digest: Digest;
  readonly value: V;
}

export type ParsedManifest =
  | Parsed<"manifest", typeof OciMediaType.ImageManifest, OciManifest>
  | Parsed<"manifest", typeof DockerMediaType.Manifest, DockerManifest>;
export type ParsedIndex =
  | Parsed<"index", typeof OciMediaType.ImageIndex, OciIndex>
  | Parsed<"index", typeof DockerMediaType.ManifestList, DockerManifestList>;
/** Narrow on `kind`, then on `mediaType` to tell OCI from Docker. */
export type ParsedDocument = ParsedManifest | ParsedIndex;

export interface ParsedImageConfig {
  readonly bytes: Uint8Array;
  /** sha256 of `bytes`: the image ID. */
  readonly digest: Digest;
  readonly value: ImageConfig;
}

/** Every document validateDocument knows, by media type. */
export interface DocumentTypes {
  [OciMediaType.ImageManifest]: OciManifest;
  [OciMediaType.ImageIndex]: OciIndex;
  [OciMediaType.ImageConfig]: ImageConfig;
  [OciMediaType.Descriptor]: Descriptor;
  [OciMediaType.LayoutHeader]: OciLayout;
  [DockerMediaType.Manifest]: DockerManifest;
  [DockerMediaType.ManifestList]: DockerManifestList;
  [DockerMediaType.ImageConfig]: ImageConfig;
}

/** The schema for each document kind parseDocument reads. */
const READERS = {
  [OciMediaType.ImageManifest]: ["manifest", OciManifestSchema],
  [DockerMediaType.Manifest]: ["manifest", DockerManifestSchema],
  [OciMediaType.ImageIndex]: ["index", OciIndexSchema],
  [DockerMediaType.ManifestList]: ["index", DockerManifestListSchema],
} as const;

/**
 * Parses a manifest or index received as `bytes`, with the media type the registry or store declared
 * for it (Content-Type or descriptor), if any. Throws MANIFEST_SCHEMA1, MANIFEST_UNSUPPORTED (not a
 * manifest or index media type) or MANIFEST_INVALID.
 */
export function parseDocument(bytes: Uint8Array, declaredMediaType?: string): ParsedDocument {
  const json = decodeJsonObject(bytes, "manifest");
  const mediaType = resolveDocumentMediaType(json, declaredMediaType);
  const [kind, schema] = READERS[mediaType];
  const value = checkSchema<unknown>(schema, json, "manifest");
  // The schema chosen by mediaType guarantees the pairing the union describes.
  return { kind, mediaType, bytes, digest: digestBytes(bytes), value } as ParsedDocument;
}

/** Reads an image config blob (OCI or Docker: the same JSON). Throws MANIFEST_INVALID. */
export function parseImageConfig(bytes: Uint8Array): ParsedImageConfig {
  const value = checkSchema(ImageConfigSchema, decodeJsonObject(bytes, "image config"), "image config");
  return { bytes, digest: digestBytes(bytes), value };
}

const VALIDATORS: Readonly<Record<string, readonly [z.ZodType<unknown>, DocumentKind]>> = {
  [OciMediaType.ImageManifest]: [OciManifestSchema, "manifest"],
  [OciMediaType.ImageIndex]: [OciIndexSchema, "manifest"],
  [OciMediaType.ImageConfig]: [ImageConfigSchema, "image config"],
  [OciMediaType.Descriptor]: [DescriptorSchema, "descriptor"],
  [OciMediaType.LayoutHeader]: [OciLayoutSchema, "oci-layout"],
  [DockerMediaType.Manifest]: [DockerManifestSchema, "manifest"],
  [DockerMediaType.ManifestList]: [DockerManifestListSchema, "manifest"],
  [DockerMediaType.ImageConfig]: [ImageConfigSchema, "image config"],
};

/**
 * image-spec's validator for a parsed JSON value: its JSON schema plus its semantic checks. Stricter
 * than parseDocument in one point: an OCI manifest needs a layer, as the schema (not the prose) says.
 * Throws MANIFEST_INVALID, MANIFEST_SCHEMA1, or MEDIATYPE_UNKNOWN when there is no validator.
 */
export function validateDocument<M extends keyof DocumentTypes>(
  mediaType: M,
  value: unknown,
): DocumentTypes[M];
export function validateDocument(mediaType: string, value: unknown): unknown;
export function validateDocument(mediaType: string, value: unknown): unknown {
  if (isSchema1MediaType(mediaType)) throw schema1Error(mediaType);
  const validator = Object.hasOwn(VALIDATORS, mediaType) ? VALIDATORS[mediaType] : undefined;
  if (validator === undefined) {
    throw new WharfError("MEDIATYPE_UNKNOWN", `no validator for media type ${mediaType}`, { mediaType });
  }
  const [schema, kind] = validator;
  const result = checkSchema(schema, value, kind);
  if (mediaType === OciMediaType.ImageManifest && (result as OciManifest).layers.length === 0) {
    throw documentError(kind, [{ path: "layers", message: "must have at least 1 entry" }]);
  }
  return result;
}

const utf8 = new TextEncoder();

/**
 * Canonical bytes for a document wharf creates itself: compact JSON, keys in the order the value
 * has them. Documents read from elsewhere are never re-serialised; their received bytes are kept.
 */
export function serializeDocument(value: DocumentTypes[keyof DocumentTypes]): Uint8Array {
  return utf8.encode(JSON.stringify(value));
}
