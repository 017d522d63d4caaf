/**
 * The exchange format of wharf build's cache (--cache-to / --cache-from): one OCI image manifest
 * whose config is a JSON document of cache records (`{ "records": [...] }`, media type
 * BUILD_CACHE_CONFIG_MEDIA_TYPE) and whose layers are the blobs the records name. Cache keys depend
 * only on content and the Dockerfile, so the records mean the same on any machine.
 *
 * A cache comes from elsewhere and its records decide what a build reuses, so it is read strictly:
 * any malformed field, or a record whose blob the manifest does not list as that layer, refuses the
 * whole cache (BUILD_CACHE_INVALID) before anything is fetched or recorded.
 */
import { createHash } from "node:crypto";
import { isWharfError, WharfError } from "../../errors.ts";
import type { Descriptor } from "../../oci/descriptor.ts";
import { type Digest, digestError } from "../../oci/digest.ts";
import { parseDocument } from "../../oci/document.ts";
import {
  isLayerMediaType,
  isNonDistributableLayer,
  layerCompression,
  OciMediaType,
} from "../../oci/mediatype.ts";
import type { ManifestBytes } from "../../transport/types.ts";

export const BUILD_CACHE_CONFIG_MEDIA_TYPE = "application/vnd.wharf.buildcache.config.v1+json";

/** A config larger than this is refused unread (a record is ~400 bytes: 40 000 steps fit). */
export const MAX_CACHE_CONFIG_BYTES = 16 << 20;

/** One step's cache record as exported: a build_cache row without its machine-local use time. */
export interface CacheRecord {
  key: string;
  layer: { digest: Digest; mediaType: string; size: number; diffId: Digest };
  chainId: Digest;
  /** RFC 3339: when the step ran (the image history's time on a hit). */
  created: string;
}

export interface CacheDocuments {
  config: { bytes: Uint8Array; digest: Digest; size: number };
  manifest: ManifestBytes;
  /** The records as written (sorted by key, one per key). */
  records: CacheRecord[];
}

function sha256(bytes: Uint8Array): Digest {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}` as Digest;
}

/**
 * The config and manifest for `records`: sorted by key and the layers in their order of first use,
 * so that exporting the same cache twice gives the same manifest digest.
 */
export function cacheDocuments(records: readonly CacheRecord[]): CacheDocuments {
  const byKey = new Map<string, CacheRecord>();
  for (const r of records) byKey.set(r.key, r);
  const sorted = [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const config = {
    records: sorted.map((r) => ({
      key: r.key,
      layer: {
        digest: r.layer.digest,
        mediaType: r.layer.mediaType,
        size: r.layer.size,
        diffId: r.layer.diffId,
      },
      chainId: r.chainId,
      created: r.created,
    })),
  };
  const configBytes = new TextEncoder().encode(JSON.stringify(config));
  const layers = new Map<string, Descriptor>();
  for (const r of sorted) {
    if (!layers.has(r.layer.digest)) {
      layers.set(r.layer.digest, {
        mediaType: r.layer.mediaType,
        digest: r.layer.digest,
        size: r.layer.size,
      });
    }
  }
  const configDigest = sha256(configBytes);
  const manifest = {
    schemaVersion: 2,
    mediaType: OciMediaType.ImageManifest,
    config: { mediaType: BUILD_CACHE_CONFIG_MEDIA_TYPE, digest: configDigest, size: configBytes.length },
    layers: [...layers.values()],
  };
  const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest));
  return {
    config: { bytes: configBytes, digest: configDigest, size: configBytes.length },
    manifest: { bytes: manifestBytes, digest: sha256(manifestBytes), mediaType: OciMediaType.ImageManifest },
    records: sorted,
  };
}

export function invalidCache(where: string, why: string, detail: Record<string, unknown> = {}): WharfError {
  return new WharfError("BUILD_CACHE_INVALID", `invalid build cache ${where}: ${why}`, { where, ...detail });
}

/** What a cache manifest says: its config blob and its layers by digest. */
export interface CacheManifest {
  config: Descriptor;
  layers: Map<string, Descriptor>;
}

/**
 * Reads the manifest found at a cache location. Undefined when it is a valid manifest or index of
 * something else (an image, BuildKit's own cache): not a wharf cache, which the caller only warns
 * about. A manifest of the wharf config type that is malformed throws BUILD_CACHE_INVALID.
 */
export function parseCacheManifest(where: string, manifest: ManifestBytes): CacheManifest | undefined {
  let parsed: ReturnType<typeof parseDocument>;
  try {
    parsed = parseDocument(manifest.bytes, manifest.mediaType);
  } catch (err) {
    if (!isWharfError(err)) throw err;
    throw invalidCache(where, err.message);
  }
  if (parsed.kind !== "manifest" || parsed.mediaType !== OciMediaType.ImageManifest) return undefined;
  const config = parsed.value.config as Descriptor;
  if (config.mediaType !== BUILD_CACHE_CONFIG_MEDIA_TYPE) return undefined;
  if (config.size > MAX_CACHE_CONFIG_BYTES) {
    throw invalidCache(where, `config of ${config.size} bytes is over the ${MAX_CACHE_CONFIG_BYTES} limit`);
  }
  const layers = new Map<string, Descriptor>();
  for (const [i, layer] of (parsed.value.layers as Descriptor[]).entries()) {
    if (layers.has(layer.digest)) throw invalidCache(where, `layers[${i}]: ${layer.digest} listed twice`);
    layers.set(layer.digest, layer);
  }
  return { config, layers };
}

const SHA256 = /^sha256:[0-9a-f]{64}$/;
/** RFC 3339 as Go's time.RFC3339Nano writes it (what layer-step.ts records). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The records of a cache config, each checked: keys and diff/chain IDs sha256, the layer a real
 * layer media type (not a non-distributable one: the cache must hold it) listed in the manifest
 * with the same media type and size, an uncompressed layer's diff ID its digest, keys unique.
 */
export function parseCacheConfig(where: string, bytes: Uint8Array, manifest: CacheManifest): CacheRecord[] {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    throw invalidCache(where, `config is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(json) || !Array.isArray(json.records)) {
    throw invalidCache(where, "config: records: must be an array");
  }
  const keys = new Set<string>();
  return json.records.map((value: unknown, i: number) => {
    const at = (field: string, why: string) => invalidCache(where, `records[${i}]${field}: ${why}`);
    if (!isObject(value)) throw at("", "must be an object");
    const { key, layer, chainId, created } = value;
    if (typeof key !== "string" || !SHA256.test(key)) throw at(".key", "must be sha256:<64 hex digits>");
    if (keys.has(key)) throw at(".key", `${key} appears twice`);
    keys.add(key);
    if (!isObject(layer)) throw at(".layer", "must be an object");
    const { digest, mediaType, size, diffId } = layer;
    if (typeof digest !== "string" || digestError(digest) !== undefined) {
      throw at(".layer.digest", `invalid digest ${JSON.stringify(digest)}`);
    }
    if (typeof mediaType !== "string" || !isLayerMediaType(mediaType) || isNonDistributableLayer(mediaType)) {
      throw at(".layer.mediaType", `not a layer media type: ${JSON.stringify(mediaType)}`);
    }
    if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
      throw at(".layer.size", "must be a non-negative integer");
    }
    if (typeof diffId !== "string" || !SHA256.test(diffId)) {
      throw at(".layer.diffId", "must be sha256:<64 hex digits>");
    }
    if (layerCompression(mediaType) === "none" && diffId !== digest) {
      throw at(".layer.diffId", `an uncompressed layer's diff ID is its digest ${digest}, not ${diffId}`);
    }
    if (typeof chainId !== "string" || !SHA256.test(chainId)) {
      throw at(".chainId", "must be sha256:<64 hex digits>");
    }
    if (typeof created !== "string" || !RFC3339.test(created) || Number.isNaN(Date.parse(created))) {
      throw at(".created", `not an RFC 3339 time: ${JSON.stringify(created)}`);
    }
    const listed = manifest.layers.get(digest);
    if (!listed) throw at(".layer.digest", `${digest} is not a layer of the cache manifest`);
    if (listed.mediaType !== mediaType || listed.size !== size) {
      throw at(
        ".layer",
        `${digest} is ${mediaType} of ${size} bytes, the manifest lists ${listed.mediaType} of ${listed.size}`,
      );
    }
    return {
      key,
      layer: { digest: digest as Digest, mediaType, size, diffId: diffId as Digest },
      chainId: chainId as Digest,
      created,
    };
  });
}
