/**
 * wharf build's cache records: a step's cache key to the layer it made. The layer blobs they name are
 * kept by GC (as BuildKit keeps its cache apart from images) until `wharf builder prune` drops rows.
 * A step of a stage that no image is made of records its layer with no blob (the layer's digest is
 * then its diff ID and the blob absent): its snapshot is all a later build needs, as in BuildKit.
 * Rows are written in the store's transactions, so concurrent builds share them safely.
 */
import type { Digest } from "../oci/digest.ts";
import type { StoreDb } from "./db.ts";

export interface BuildCacheEntry {
  key: string;
  layer: { digest: Digest; mediaType: string; size: number; diffId: Digest };
  chainId: Digest;
  /** RFC 3339: when the step ran. */
  created: string;
  lastUsed: number;
  /** Builds that used it, the one that made it included (1 until it is listed). */
  usageCount?: number;
}

interface Row {
  cache_key: string;
  layer_digest: string;
  media_type: string;
  size: number;
  diff_id: string;
  chain_id: string;
  created: string;
  last_used: number;
  usage_count: number;
}

function fromRow(row: Row): BuildCacheEntry {
  return {
    key: row.cache_key,
    layer: {
      digest: row.layer_digest as Digest,
      mediaType: row.media_type,
      size: row.size,
      diffId: row.diff_id as Digest,
    },
    chainId: row.chain_id as Digest,
    created: row.created,
    lastUsed: row.last_used,
    usageCount: row.usage_count,
  };
}

export function lookupBuildCache(db: StoreDb, key: string): BuildCacheEntry | undefined {
  const row = db.read(
    () => db.sqlite.prepare("SELECT * FROM build_cache WHERE cache_key = ?").get(key) as Row | undefined,
  );
  return row ? fromRow(row) : undefined;
}

export function listBuildCache(db: StoreDb): BuildCacheEntry[] {
  return db.read(() =>
    (db.sqlite.prepare("SELECT * FROM build_cache").all() as unknown as Row[]).map(fromRow),
  );
}

/**
 * Records a step's layer, and the layer's diff ID and uncompressed tar size (`tarSize`) as a pull
 * would, so that an image made of it need not read the blob again. A key another process recorded
 * meanwhile (two builds of one Dockerfile at once) is kept unless `replace`: the row returned is the
 * one in the store, so both builds go on with the same layer and time, and make the same image.
 * `upgrade` names the layer of a record that has no blob (a step of a stage no image was made of):
 * that row takes this entry's layer, unless another build upgraded it first.
 */
export function recordBuildCache(
  db: StoreDb,
  entry: BuildCacheEntry,
  tarSize: number,
  options: { replace?: boolean; upgrade?: Digest } = {},
): Promise<BuildCacheEntry> {
  const { layer } = entry;
  return db.write(
    () => {
      db.sqlite
        .prepare("INSERT OR IGNORE INTO layer_info (digest, diff_id, uncompressed_size) VALUES (?, ?, ?)")
        .run(layer.digest, layer.diffId, tarSize);
      db.sqlite
        .prepare(
          `INSERT OR ${options.replace ? "REPLACE" : "IGNORE"} INTO build_cache (cache_key, layer_digest, media_type, size,
           diff_id, chain_id, created, last_used) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          entry.key,
          layer.digest,
          layer.mediaType,
          layer.size,
          layer.diffId,
          entry.chainId,
          entry.created,
          entry.lastUsed,
        );
      if (options.upgrade !== undefined) {
        db.sqlite
          .prepare(
            `UPDATE build_cache SET layer_digest = ?, media_type = ?, size = ?, diff_id = ?, chain_id = ?,
             last_used = ? WHERE cache_key = ? AND layer_digest = ?`,
          )
          .run(
            layer.digest,
            layer.mediaType,
            layer.size,
            layer.diffId,
            entry.chainId,
            entry.lastUsed,
            entry.key,
            options.upgrade,
          );
      }
      const row = db.sqlite
        .prepare("SELECT * FROM build_cache WHERE cache_key = ?")
        .get(entry.key) as unknown as Row;
      return fromRow(row);
      // Advisory: a row lost to a power failure is a cache miss; the blob it names was fsynced.
    },
    { durable: false },
  );
}

/** Marks entries as used now (a cache hit): `builder prune --filter until=` goes by it. */
export function touchBuildCache(db: StoreDb, keys: readonly string[], now = Date.now()): Promise<void> {
  if (keys.length === 0) return Promise.resolve();
  return db.write(
    () => {
      const touch = db.sqlite.prepare(
        "UPDATE build_cache SET last_used = ?, usage_count = usage_count + 1 WHERE cache_key = ?",
      );
      for (const key of keys) touch.run(now, key);
    },
    { durable: false },
  );
}

/** Removes entries (all, or those last used before `before`); returns the removed ones. */
export function pruneBuildCache(db: StoreDb, before?: number): Promise<BuildCacheEntry[]> {
  return db.write(() => {
    const rows = (before === undefined
      ? db.sqlite.prepare("SELECT * FROM build_cache").all()
      : db.sqlite.prepare("SELECT * FROM build_cache WHERE last_used < ?").all(before)) as unknown as Row[];
    const remove = db.sqlite.prepare("DELETE FROM build_cache WHERE cache_key = ?");
    for (const row of rows) remove.run(row.cache_key);
    return rows.map(fromRow);
  });
}

/** The digests build cache rows keep: GC's mark phase adds them (inside its transaction). */
export function buildCacheDigests(db: StoreDb): string[] {
  return (
    db.sqlite.prepare("SELECT DISTINCT layer_digest FROM build_cache").all() as { layer_digest: string }[]
  ).map((r) => r.layer_digest);
}
