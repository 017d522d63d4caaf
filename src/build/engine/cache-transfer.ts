/**
 * `--cache-to` / `--cache-from`: the build cache's records and layer blobs written to a place another
 * machine can read (a local OCI layout, a registry repository) and read back into a store, so that a
 * build there hits where this one ran. The format is cache-manifest.ts's; the transfer out is the copy
 * engine's (an ImageSource of the cache over store blobs), the transfer in a verified ingest per blob.
 *
 * A registry gets plain layers gzip-compressed, as push sends them; the records exported there name
 * the gzip blobs (same diff IDs, so the images built from them have the same IDs), which keeps the
 * manifest the registry stores the one whose config names its layers.
 */

import { resolve } from "node:path";
import { isWharfError, WharfError } from "../../errors.ts";
import { DiffIdCalculator, type DiffIdResult, diffIdOfFile } from "../../layer/diffid.ts";
import type { Descriptor } from "../../oci/descriptor.ts";
import { type Digest, Verifier } from "../../oci/digest.ts";
import { parseNormalizedNamed, type Reference, referenceString, tagNameOnly } from "../../oci/reference.ts";
import type { RegistryClient } from "../../registry/client/client.ts";
import { type BuildCacheEntry, lookupBuildCache, recordBuildCache } from "../../store/build-cache.ts";
import type { Lease } from "../../store/lease.ts";
import type { Store } from "../../store/store.ts";
import { directoryFiles } from "../../transport/archive-files.ts";
import { BlobInfoCache } from "../../transport/blob-info-cache.ts";
import { copyAndCommit } from "../../transport/copy.ts";
import { type GzippedLayer, gzipDescriptor, gzipLayer, gzipMediaType } from "../../transport/layer-gzip.ts";
import { openOciLayoutDestination } from "../../transport/oci-layout-destination.ts";
import { OciLayoutReader, OciLayoutSource, REF_NAME_ANNOTATION } from "../../transport/oci-layout-source.ts";
import { RegistryDestination } from "../../transport/registry-destination.ts";
import { RegistrySource } from "../../transport/registry-source.ts";
import type { ImageSource, ManifestBytes } from "../../transport/types.ts";
import {
  type CacheManifest,
  type CacheRecord,
  cacheDocuments,
  invalidCache,
  parseCacheConfig,
  parseCacheManifest,
} from "./cache-manifest.ts";
import { DocumentsSource, storeBlob } from "./documents-source.ts";

export type CacheLocation = { type: "local"; dir: string } | { type: "registry"; ref: string };

export interface CacheTransferContext {
  /** A client for the registry of `ref` (the CLI's, with its insecure-registry and credential settings); closed after use. */
  registryClient(ref: Reference): Promise<RegistryClient>;
}

/** The ref name of the cache manifest in a local layout (BuildKit's local cache `tag` default). */
const LOCAL_CACHE_TAG = "latest";
/** Blobs moved or compressed at once. */
const CONCURRENCY = 3;

// ------------------------------------------------------------------------------------------------
// --cache-from / --cache-to values

/** BuildKit cache attributes that choose an encoding wharf has no choice of: accepted, ignored. */
const IGNORED_ATTRIBUTES = new Set([
  "oci-mediatypes",
  "image-manifest",
  "compression",
  "compression-level",
  "force-compression",
]);

function usage(message: string): WharfError {
  return new WharfError("USAGE", message);
}

/** Go's encoding/csv for one line, as buildx reads cache specs: `"a,b"` is one field, `""` a quote. */
function csvFields(spec: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = "";
    if (spec[i] === '"') {
      i += 1;
      for (;;) {
        if (i >= spec.length) throw usage(`invalid cache spec ${JSON.stringify(spec)}: unterminated quote`);
        if (spec[i] === '"') {
          if (spec[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        field += spec[i];
        i += 1;
      }
      if (i < spec.length && spec[i] !== ",") {
        throw usage(`invalid cache spec ${JSON.stringify(spec)}: extraneous text after a quoted field`);
      }
    } else {
      const comma = spec.indexOf(",", i);
      field = spec.slice(i, comma < 0 ? spec.length : comma);
      i = comma < 0 ? spec.length : comma;
    }
    fields.push(field);
    if (i >= spec.length) return fields;
    i += 1; // the comma
  }
}

/**
 * docker's --cache-from / --cache-to values: `type=local,src=DIR` / `type=local,dest=DIR`,
 * `type=registry,ref=NAME`; a bare `NAME` is type=registry (as buildx). Throws WharfError USAGE on bad input.
 */
export function parseCacheSpec(
  spec: string,
  direction: "from" | "to",
): CacheLocation & { mode?: "min" | "max" } {
  const flag = `--cache-${direction}`;
  if (spec.trim() === "") throw usage(`invalid ${flag} value: empty`);
  const fields = csvFields(spec);
  // buildx: a value without any key=value field is a registry reference.
  if (fields.every((f) => !f.includes("="))) {
    if (fields.length !== 1) throw usage(`invalid ${flag} value ${JSON.stringify(spec)}`);
    return { type: "registry", ref: checkedRef(fields[0]!.trim(), direction, flag) };
  }
  const attrs = new Map<string, string>();
  for (const field of fields) {
    const eq = field.indexOf("=");
    if (eq <= 0)
      throw usage(`invalid ${flag} value ${JSON.stringify(spec)}: ${JSON.stringify(field)} is not KEY=VALUE`);
    attrs.set(field.slice(0, eq).trim().toLowerCase(), field.slice(eq + 1));
  }
  const type = attrs.get("type");
  if (type === undefined || type === "")
    throw usage(`invalid ${flag} value ${JSON.stringify(spec)}: type required`);
  const known: Record<string, readonly string[]> = {
    local: direction === "from" ? ["src"] : ["dest", "mode"],
    registry: direction === "from" ? ["ref"] : ["ref", "mode"],
  };
  const allowed = Object.hasOwn(known, type) ? known[type] : undefined;
  if (!allowed) {
    throw usage(`${flag}: cache type ${JSON.stringify(type)} is not supported by wharf: local or registry`);
  }
  for (const key of attrs.keys()) {
    // `mode` belongs to exports; BuildKit ignores it on an import, and so does wharf.
    if (key === "type" || allowed.includes(key) || IGNORED_ATTRIBUTES.has(key)) continue;
    if (direction === "from" && key === "mode") continue;
    throw usage(`${flag}: unknown attribute ${JSON.stringify(key)} for type=${type}`);
  }
  let mode: "min" | "max" | undefined;
  const modeText = direction === "to" ? attrs.get("mode") : undefined;
  if (modeText !== undefined) {
    if (modeText !== "min" && modeText !== "max") {
      throw usage(`${flag}: invalid mode ${JSON.stringify(modeText)}: min or max`);
    }
    mode = modeText;
  }
  const withMode = mode === undefined ? {} : { mode };
  if (type === "local") {
    const key = direction === "from" ? "src" : "dest";
    const dir = attrs.get(key);
    if (!dir) throw usage(`${flag}: type=local needs ${key}=DIR`);
    return { type: "local", dir: resolve(dir), ...withMode };
  }
  const ref = attrs.get("ref");
  if (!ref) throw usage(`${flag}: type=registry needs ref=NAME`);
  return { type: "registry", ref: checkedRef(ref, direction, flag), ...withMode };
}

function checkedRef(ref: string, direction: "from" | "to", flag: string): string {
  cacheReference(ref, direction, flag);
  return ref;
}

/** The cache's reference: `latest` when untagged; an export needs a tag to push to. */
function cacheReference(ref: string, direction: "from" | "to", flag = `--cache-${direction}`): Reference {
  let parsed: Reference;
  try {
    parsed = parseNormalizedNamed(ref);
  } catch (err) {
    throw usage(`${flag}: invalid reference ${JSON.stringify(ref)}: ${(err as Error).message}`);
  }
  if (direction === "to" && parsed.digest !== undefined) {
    throw usage(`${flag}: ${ref}: a cache is exported to a tag, not a digest`);
  }
  return parsed.digest !== undefined || parsed.tag !== undefined ? parsed : tagNameOnly(parsed);
}

// ------------------------------------------------------------------------------------------------
// Export

/** Runs `work` on every item, `limit` at a time; the first failure is thrown once all have settled. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < items.length && errors.length === 0) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
}

function uniqueLayers(records: readonly CacheRecord[]): CacheRecord["layer"][] {
  const layers = new Map<string, CacheRecord["layer"]>();
  for (const r of records) if (!layers.has(r.layer.digest)) layers.set(r.layer.digest, r.layer);
  return [...layers.values()];
}

/** Writes the cache records of the layers the build used (the keys it computed, given as entries) and their blobs. */
export async function exportBuildCache(
  store: Store,
  entries: BuildCacheEntry[],
  to: CacheLocation,
  ctx: CacheTransferContext,
): Promise<void> {
  const records: CacheRecord[] = entries.map(({ key, layer, chainId, created }) => ({
    key,
    layer,
    chainId,
    created,
  }));
  const lease = store.lease();
  try {
    // Held for the export: a `builder prune` meanwhile must not take the blobs being sent.
    const layers = uniqueLayers(records);
    await lease.addAll(layers.map((l) => l.digest));
    for (const layer of layers) {
      if (!(await store.blobs.has(layer.digest))) {
        throw new WharfError("STORE_BLOB_UNKNOWN", `build cache layer ${layer.digest} is not in the store`, {
          digest: layer.digest,
        });
      }
    }
    if (to.type === "local") {
      const source = new DocumentsSource(store, cacheDocuments(records));
      await copyAndCommit(source, await openOciLayoutDestination(to.dir, LOCAL_CACHE_TAG));
    } else {
      await exportToRegistry(store, records, cacheReference(to.ref, "to"), ctx);
    }
  } finally {
    await lease.release();
  }
}

async function exportToRegistry(
  store: Store,
  records: readonly CacheRecord[],
  ref: Reference,
  ctx: CacheTransferContext,
): Promise<void> {
  const client = await ctx.registryClient(ref);
  const blobInfo = BlobInfoCache.forStore(store.root);
  const made: GzippedLayer[] = [];
  try {
    const gzipped = new Map<string, Descriptor>();
    const files = new Map<string, string>();
    const plain = uniqueLayers(records).filter((l) => gzipMediaType(l.mediaType) !== undefined);
    await eachLimited(plain, CONCURRENCY, async (layer) => {
      const desc: Descriptor = { mediaType: layer.mediaType, digest: layer.digest, size: layer.size };
      // A gzip form pushed before and still in the repository is not made again.
      const known = blobInfo.compressed(layer.digest, "gzip");
      if (known && (await client.blobExists(ref.path, known.digest))) {
        gzipped.set(layer.digest, gzipDescriptor(desc, known));
        return;
      }
      const result = await gzipLayer(desc, storeBlob(store, layer.digest), () => undefined);
      made.push(result);
      files.set(result.descriptor.digest, result.path);
      gzipped.set(layer.digest, result.descriptor);
      blobInfo.recordCompressed(layer.digest, "gzip", {
        digest: result.descriptor.digest as Digest,
        size: result.descriptor.size,
      });
    });
    const pushed = records.map((r) => {
      const g = gzipped.get(r.layer.digest);
      if (!g) return r;
      return {
        ...r,
        layer: { ...r.layer, digest: g.digest as Digest, mediaType: g.mediaType, size: g.size },
      };
    });
    const source = new DocumentsSource(store, cacheDocuments(pushed), files);
    await copyAndCommit(source, new RegistryDestination(client, ref, { cache: blobInfo }), {
      names: [referenceString(ref)],
      concurrency: CONCURRENCY,
    });
  } finally {
    for (const m of made) await m.remove();
    blobInfo.close();
    await client.close();
  }
}

// ------------------------------------------------------------------------------------------------
// Import

interface OpenedCache {
  source: ImageSource;
  /** For messages: the directory or the reference. */
  where: string;
  top: ManifestBytes;
  /** Whether the location holds a blob (a layout can lack one its manifest lists). */
  hasBlob?: (digest: Digest) => Promise<boolean>;
}

const notFound = (where: string) => ({ warning: `importing cache manifest from ${where}: not found` });

async function openLocal(dir: string): Promise<OpenedCache | { warning: string }> {
  const reader = new OciLayoutReader(directoryFiles(dir), "BUILD_CACHE_INVALID");
  if ((await reader.files.size("index.json")) === undefined) return notFound(dir);
  const index = await reader.index();
  const entry = (index.value.manifests as Descriptor[]).find(
    (d) => d.annotations?.[REF_NAME_ANNOTATION] === LOCAL_CACHE_TAG,
  );
  if (!entry) return notFound(dir);
  const bytes = await reader.blobBytes(entry.digest as Digest);
  return {
    source: new OciLayoutSource(reader, entry),
    where: dir,
    top: { bytes, mediaType: entry.mediaType, digest: entry.digest as Digest },
    hasBlob: (digest) => reader.hasBlob(digest),
  };
}

async function openRegistry(
  spec: string,
  ctx: CacheTransferContext,
): Promise<OpenedCache | { warning: string }> {
  const ref = cacheReference(spec, "from");
  const where = referenceString(ref);
  const source = new RegistrySource(await ctx.registryClient(ref), ref);
  try {
    return { source, where, top: await source.topManifest() };
  } catch (err) {
    await source.close();
    if (isWharfError(err, "REGISTRY_NOT_FOUND")) return notFound(where);
    throw err;
  }
}

/** The cache config blob, read whole and verified against its descriptor. */
async function readConfig(cache: OpenedCache, config: Descriptor): Promise<Uint8Array> {
  if (cache.hasBlob && !(await cache.hasBlob(config.digest as Digest))) {
    throw invalidCache(cache.where, `config blob ${config.digest} is missing`);
  }
  const verifier = new Verifier(config.digest, config.size);
  const chunks: Uint8Array[] = [];
  try {
    const { stream } = await cache.source.blob(config.digest as Digest).open(0);
    for await (const chunk of stream) {
      verifier.update(chunk);
      chunks.push(chunk);
    }
    verifier.verify();
  } catch (err) {
    if (isWharfError(err, "SIZE_MISMATCH") || isWharfError(err, "DIGEST_MISMATCH")) {
      throw invalidCache(cache.where, `config: ${err.message}`);
    }
    throw err;
  }
  return Buffer.concat(chunks);
}

/**
 * Brings one layer blob in (verified by digest on the way, under `lease`) and checks the diff ID the
 * records claim for it: the images built from it state that diff ID. Returns the uncompressed size.
 */
async function fetchLayer(
  store: Store,
  cache: OpenedCache,
  layer: CacheRecord["layer"],
  lease: Lease,
): Promise<number> {
  let diff: DiffIdResult | undefined;
  try {
    if (await store.blobs.has(layer.digest)) {
      await lease.add(layer.digest);
    } else {
      if (cache.hasBlob && !(await cache.hasBlob(layer.digest))) {
        throw invalidCache(cache.where, `layer ${layer.digest} is missing`);
      }
      const calculator = new DiffIdCalculator(layer.mediaType);
      const result = await store.ingest({
        digest: layer.digest,
        size: layer.size,
        source: cache.source.blob(layer.digest),
        lease,
        observer: calculator,
      });
      // Another process may have written it meanwhile: then the observer saw nothing.
      if (!result.existed) diff = await calculator.finish();
    }
    diff ??= await diffIdOfFile(store.blobs.path(layer.digest), layer.mediaType);
  } catch (err) {
    if (isWharfError(err, "LAYER_INVALID")) {
      throw invalidCache(cache.where, `layer ${layer.digest}: ${err.message}`, { digest: layer.digest });
    }
    throw err;
  }
  if (diff.diffId !== layer.diffId) {
    throw invalidCache(
      cache.where,
      `layer ${layer.digest} has diff ID ${diff.diffId}, the cache says ${layer.diffId}`,
      { digest: layer.digest },
    );
  }
  return diff.uncompressedSize;
}

async function importRecords(
  store: Store,
  cache: OpenedCache,
  records: readonly CacheRecord[],
): Promise<number> {
  // A key the store already has (with its blob) stays as it is: nothing to fetch for it.
  const wanted: CacheRecord[] = [];
  for (const r of records) {
    const have = lookupBuildCache(store.db, r.key);
    if (!have || !(await store.blobs.has(have.layer.digest))) wanted.push(r);
  }
  const lease = store.lease();
  try {
    const sizes = new Map<string, number>();
    // Every blob in and verified before any record is written: a bad cache records nothing.
    await eachLimited(uniqueLayers(wanted), CONCURRENCY, async (layer) => {
      sizes.set(layer.digest, await fetchLayer(store, cache, layer, lease));
    });
    const now = Date.now();
    let imported = 0;
    for (const r of wanted) {
      const row = await recordBuildCache(store.db, { ...r, lastUsed: now }, sizes.get(r.layer.digest)!);
      if (row.layer.digest === r.layer.digest) imported += 1;
    }
    return imported;
  } finally {
    // The rows keep the blobs from here on (gc.ts marks build_cache).
    await lease.release();
  }
}

/**
 * Reads a cache export: records it into the store's build_cache (INSERT OR IGNORE) and brings in the
 * blobs (ingested verified, under a lease) so that a following build hits. A missing location is a
 * warning, not an error (BuildKit: "importing cache manifest from X: not found"), and so is a
 * manifest that is not a wharf cache (an image, BuildKit's cache format). Returns how many records
 * were imported. A malformed cache throws BUILD_CACHE_INVALID and records nothing.
 */
export async function importBuildCache(
  store: Store,
  from: CacheLocation,
  ctx: CacheTransferContext,
): Promise<{ records: number; warning?: string }> {
  const opened = from.type === "local" ? await openLocal(from.dir) : await openRegistry(from.ref, ctx);
  if ("warning" in opened) return { records: 0, warning: opened.warning };
  try {
    const manifest: CacheManifest | undefined = parseCacheManifest(opened.where, opened.top);
    if (!manifest) {
      return {
        records: 0,
        warning: `importing cache manifest from ${opened.where}: not a wharf build cache: ignored`,
      };
    }
    const config = await readConfig(opened, manifest.config);
    const records = parseCacheConfig(opened.where, config, manifest);
    return { records: await importRecords(store, opened, records) };
  } finally {
    await opened.source.close();
  }
}
