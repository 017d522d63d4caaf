/**
 * Media types of OCI image-spec v1.1 and Docker's image formats, and how to classify them. Keys use
 * the upstream Go names without their `MediaType` prefix (image-spec specs-go/v1/mediatype.go,
 * distribution's schema2 and manifestlist packages), so they can be checked against the corpus.
 */
import { WharfError } from "../errors.ts";

export const OciMediaType = {
  Descriptor: "application/vnd.oci.descriptor.v1+json",
  LayoutHeader: "application/vnd.oci.layout.header.v1+json",
  ImageIndex: "application/vnd.oci.image.index.v1+json",
  ImageManifest: "application/vnd.oci.image.manifest.v1+json",
  ImageConfig: "application/vnd.oci.image.config.v1+json",
  EmptyJSON: "application/vnd.oci.empty.v1+json",
  ImageLayer: "application/vnd.oci.image.layer.v1.tar",
  ImageLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ImageLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  /** @deprecated by image-spec v1.1; still read, never written. */
  ImageLayerNonDistributable: "application/vnd.oci.image.layer.nondistributable.v1.tar",
  /** @deprecated by image-spec v1.1; still read, never written. */
  ImageLayerNonDistributableGzip: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  /** @deprecated by image-spec v1.1; still read, never written. */
  ImageLayerNonDistributableZstd: "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
} as const;

export const DockerMediaType = {
  Manifest: "application/vnd.docker.distribution.manifest.v2+json",
  ManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  ImageConfig: "application/vnd.docker.container.image.v1+json",
  PluginConfig: "application/vnd.docker.plugin.v1+json",
  Layer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  ForeignLayer: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  UncompressedLayer: "application/vnd.docker.image.rootfs.diff.tar",
  /** Not in distribution; containerd reads and writes it for zstd layers in Docker manifests. */
  LayerZstd: "application/vnd.docker.image.rootfs.diff.tar.zstd",
  /** Schema 1 is refused (MANIFEST_SCHEMA1); the constants exist to recognise it. */
  Schema1Manifest: "application/vnd.docker.distribution.manifest.v1+json",
  Schema1SignedManifest: "application/vnd.docker.distribution.manifest.v1+prettyjws",
} as const;

type ValueOf<T> = T[keyof T];
export type KnownMediaType = ValueOf<typeof OciMediaType> | ValueOf<typeof DockerMediaType>;

export type ManifestMediaType = typeof OciMediaType.ImageManifest | typeof DockerMediaType.Manifest;
export type IndexMediaType = typeof OciMediaType.ImageIndex | typeof DockerMediaType.ManifestList;

/** A single-image manifest wharf can read (schema 1 is not one). */
export function isManifestMediaType(mediaType: string): mediaType is ManifestMediaType {
  return mediaType === OciMediaType.ImageManifest || mediaType === DockerMediaType.Manifest;
}

export function isIndexMediaType(mediaType: string): mediaType is IndexMediaType {
  return mediaType === OciMediaType.ImageIndex || mediaType === DockerMediaType.ManifestList;
}

export function isSchema1MediaType(mediaType: string): boolean {
  return mediaType === DockerMediaType.Schema1Manifest || mediaType === DockerMediaType.Schema1SignedManifest;
}

export function isConfigMediaType(mediaType: string): boolean {
  return mediaType === OciMediaType.ImageConfig || mediaType === DockerMediaType.ImageConfig;
}

export type LayerCompression = "gzip" | "zstd" | "none";

const LAYER_COMPRESSION: Readonly<Record<string, LayerCompression>> = {
  [OciMediaType.ImageLayer]: "none",
  [OciMediaType.ImageLayerGzip]: "gzip",
  [OciMediaType.ImageLayerZstd]: "zstd",
  [OciMediaType.ImageLayerNonDistributable]: "none",
  [OciMediaType.ImageLayerNonDistributableGzip]: "gzip",
  [OciMediaType.ImageLayerNonDistributableZstd]: "zstd",
  [DockerMediaType.Layer]: "gzip",
  [DockerMediaType.ForeignLayer]: "gzip",
  [DockerMediaType.UncompressedLayer]: "none",
  [DockerMediaType.LayerZstd]: "zstd",
};

/** A filesystem-changeset (tar) layer, compressed or not. Artifact blobs are not layers. */
export function isLayerMediaType(mediaType: string): boolean {
  return Object.hasOwn(LAYER_COMPRESSION, mediaType);
}

/** Foreign/non-distributable layers: their blobs may live elsewhere (descriptor `urls`). */
export function isNonDistributableLayer(mediaType: string): boolean {
  return mediaType === DockerMediaType.ForeignLayer || mediaType.includes(".nondistributable.");
}

/** How a layer blob is compressed; throws MEDIATYPE_UNKNOWN for anything that is not a layer. */
export function layerCompression(mediaType: string): LayerCompression {
  const compression = LAYER_COMPRESSION[mediaType];
  if (compression === undefined) {
    throw new WharfError("MEDIATYPE_UNKNOWN", `unknown layer media type: ${mediaType}`, { mediaType });
  }
  return compression;
}

/**
 * Docker media types and their OCI equivalents: the four pairs of image-spec's backwards-compatibility
 * test, plus the remaining layer types as containers/image converts them.
 */
const DOCKER_TO_OCI: Readonly<Record<string, string>> = {
  [DockerMediaType.ManifestList]: OciMediaType.ImageIndex,
  [DockerMediaType.Manifest]: OciMediaType.ImageManifest,
  [DockerMediaType.ImageConfig]: OciMediaType.ImageConfig,
  [DockerMediaType.Layer]: OciMediaType.ImageLayerGzip,
  [DockerMediaType.UncompressedLayer]: OciMediaType.ImageLayer,
  [DockerMediaType.LayerZstd]: OciMediaType.ImageLayerZstd,
  [DockerMediaType.ForeignLayer]: OciMediaType.ImageLayerNonDistributableGzip,
};

/** The OCI media type for a Docker one, or undefined when there is none (e.g. plugin config). */
export function dockerToOciMediaType(mediaType: string): string | undefined {
  return Object.hasOwn(DOCKER_TO_OCI, mediaType) ? DOCKER_TO_OCI[mediaType] : undefined;
}

/**
 * The bare media type of a Content-Type header value: parameters dropped, lower-cased
 * (RFC 6838 media types are case-insensitive; all registered image types are lower case).
 */
export function normalizeMediaType(contentType: string): string {
  const semicolon = contentType.indexOf(";");
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}
