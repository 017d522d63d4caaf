/**
 * The build cache as a whole: what `system df` counts as Build Cache (cache records, the unpacked
 * snapshots no image stands on, and layer blobs only the cache keeps) and `builder prune`: cache
 * records dropped
 * (all with `all`, else those last used before `until`), then the snapshots no image and no
 * remaining record stands on, then the store's GC for the blobs they held.
 */
import { lstat, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { chainIds } from "../../images/chain.ts";
import type { Digest } from "../../oci/digest.ts";
import { listBuildCache, pruneBuildCache } from "../../store/build-cache.ts";
import { collectGarbage } from "../../store/gc.ts";
import type { Store } from "../../store/store.ts";
import { Snapshots } from "./snapshots.ts";
import { cleanStaleScratch } from "./stale-scratch.ts";

export interface BuildCacheUsage {
  records: number;
  /** Snapshots that no stored image stands on (those of images count as the images' own storage). */
  snapshots: number;
  /** What `builder prune -a` would reclaim: those snapshots plus the layer blobs only the cache keeps. */
  size: number;
}

export async function buildCacheUsage(store: Store): Promise<BuildCacheUsage> {
  const entries = listBuildCache(store.db);
  const images = store.read((r) => r.list());
  const imageBlobs = new Set(images.flatMap((i) => i.layers.map((l) => l.digest as string)));
  const imageChains = chainsOf(images);
  let size = 0;
  for (const digest of new Set(entries.map((e) => e.layer.digest))) {
    if (imageBlobs.has(digest)) continue;
    size += (await store.blobs.stat(digest))?.size ?? 0;
  }
  const snapshots = new Snapshots(store);
  let count = 0;
  for (const name of await readdir(snapshots.dir).catch(() => [] as string[])) {
    if (imageChains.has(`sha256:${name}`)) continue;
    count += 1;
    size += await diskUsage(join(snapshots.dir, name));
  }
  return { records: entries.length, snapshots: count, size };
}

/** The ChainIDs of every stored image's layer stacks: their snapshots are the images' unpacked form. */
function chainsOf(images: readonly { layers: readonly { diffId: string }[] }[]): Set<string> {
  const chains = new Set<string>();
  for (const image of images) {
    for (const chain of chainIds(image.layers.map((l) => l.diffId as Digest))) chains.add(chain);
  }
  return chains;
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

/** Bytes a directory tree takes (regular files' sizes; links and dirs count nothing). */
async function diskUsage(path: string): Promise<number> {
  const info = await lstat(path).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.isFile() ? info.size : 0;
  let total = 0;
  for (const name of await readdir(path)) total += await diskUsage(join(path, name));
  return total;
}
