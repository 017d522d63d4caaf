/**
 * The build cache as a whole: what `system df` counts as Build Cache (cache records, the unpacked
 * snapshots no image stands on, and layer blobs only the cache keeps) and `builder prune`: cache
 * records dropped
 * (all with `all`, else those last used before `until`), then the snapshots no image and no
 * remaining record stands on, then the store's GC for the blobs they held.
 */
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { listBuildCache, pruneBuildCache } from "../../store/build-cache.ts";
import { collectGarbage } from "../../store/gc.ts";
import type { Store } from "../../store/store.ts";
import { buildCacheItems, chainsOf, diskUsage } from "./build-cache-items.ts";
import { Snapshots } from "./snapshots.ts";
import { cleanStaleScratch } from "./stale-scratch.ts";

export interface BuildCacheUsage {
  /** Cache records and the unpacked snapshots nothing else stands on (build-cache-items.ts). */
  items: number;
  /** What `builder prune -a` would reclaim. */
  size: number;
}

export async function buildCacheUsage(store: Store): Promise<BuildCacheUsage> {
  const items = await buildCacheItems(store);
  return { items: items.length, size: items.reduce((n, i) => n + i.size, 0) };
}

export interface BuildCachePruneResult {
  removedRecords: string[];
  removedSnapshots: string[];
  reclaimedBytes: number;
}

export async function pruneBuildCacheAll(
  store: Store,
  options: { all?: boolean; until?: number } = {},
): Promise<BuildCachePruneResult> {
  // A dead build's overlay mounts still use the snapshots: undo them before removing any.
  await cleanStaleScratch(new Snapshots(store).tmpDir).catch(() => undefined);
  const before = options.all ? undefined : (options.until ?? Date.now());
  const removed = await pruneBuildCache(store.db, before);
  // Snapshots of stored images stay (docker keeps its images unpacked too); the rest goes with -a,
  // or when no remaining record stands on it.
  const keep = chainsOf(store.read((r) => r.list()));
  if (!options.all) for (const entry of listBuildCache(store.db)) keep.add(entry.chainId);
  const snapshots = new Snapshots(store);
  const removedSnapshots: string[] = [];
  let reclaimedBytes = 0;
  for (const name of await readdir(snapshots.dir).catch(() => [] as string[])) {
    if (keep.has(`sha256:${name}`)) continue;
    const dir = join(snapshots.dir, name);
    reclaimedBytes += await diskUsage(dir);
    await rm(dir, { recursive: true, force: true });
    removedSnapshots.push(name);
  }
  const gc = await collectGarbage(store);
  reclaimedBytes += gc.reclaimedBytes;
  return { removedRecords: removed.map((e) => e.key), removedSnapshots, reclaimedBytes };
}
