/**
 * The build cache as docker lists it (`system df`'s Build Cache, and the Engine API's BuildCache
 * records): one item per cache record, and one per unpacked snapshot that no record and no stored
 * image stands on (a removed image's unpacked layers, as BuildKit keeps pulled layers as records).
 * An item's size is what removing it would free: its layer blob unless a stored image has it, and its
 * snapshot unless a stored image stands on it, each counted once; so the sizes add up to what
 * `builder prune -a` reclaims, and every item is reclaimable while no build runs.
 */
import { createHash } from "node:crypto";
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { chainIds } from "../../images/chain.ts";
import type { Digest } from "../../oci/digest.ts";
import { listBuildCache } from "../../store/build-cache.ts";
import type { Store } from "../../store/store.ts";
import { Snapshots } from "./snapshots.ts";

export interface BuildCacheItem {
  /** 25 characters, as BuildKit's record IDs are long (derived from the record's key or chain). */
  id: string;
  /** BuildKit's record types: a step's layer and an unpacked layer are both "regular". */
  type: "regular";
  description: string;
  size: number;
  /** RFC 3339. */
  createdAt: string;
  /** ms since the epoch, when known. */
  lastUsedAt?: number;
  usageCount: number;
}

export async function buildCacheItems(store: Store): Promise<BuildCacheItem[]> {
  const entries = listBuildCache(store.db);
  const images = store.read((r) => r.list());
  const imageBlobs = new Set(images.flatMap((i) => i.layers.map((l) => l.digest as string)));
  const imageChains = chainsOf(images);
  const snapshots = new Snapshots(store);
  const present = new Set(await readdir(snapshots.dir).catch(() => [] as string[]));
  const counted = new Set<string>();
  /** Bytes of a blob or snapshot not already counted and not an image's own. */
  const once = async (name: string, size: () => Promise<number>) => {
    if (counted.has(name)) return 0;
    counted.add(name);
    return size();
  };
  const items: BuildCacheItem[] = [];
  for (const entry of entries) {
    const digest = entry.layer.digest;
    const snapshot = entry.chainId.replace(/^sha256:/, "");
    let size = imageBlobs.has(digest)
      ? 0
      : await once(digest, async () => (await store.blobs.stat(digest))?.size ?? 0);
    if (present.has(snapshot) && !imageChains.has(entry.chainId)) {
      size += await once(entry.chainId, () => diskUsage(snapshots.pathOf(entry.chainId)));
    }
    items.push({
      id: shortId(entry.key),
      type: "regular",
      description: `layer ${digest}`,
      size,
      createdAt: entry.created,
      lastUsedAt: entry.lastUsed,
      usageCount: entry.usageCount ?? 1,
    });
  }
  for (const name of [...present].sort()) {
    const chain = `sha256:${name}` as Digest;
    if (imageChains.has(chain) || counted.has(chain)) continue;
    const path = snapshots.pathOf(chain);
    const info = await lstat(path).catch(() => undefined);
    if (!info?.isDirectory()) continue;
    items.push({
      id: shortId(chain),
      type: "regular",
      description: `unpacked layers ${chain}`,
      size: await once(chain, () => diskUsage(path)),
      createdAt: info.mtime.toISOString(),
      usageCount: 1,
    });
  }
  return items;
}

function shortId(of: string): string {
  return createHash("sha256").update(of).digest("hex").slice(0, 25);
}

/** The ChainIDs of every stored image's layer stacks: their snapshots are the images' unpacked form. */
export function chainsOf(images: readonly { layers: readonly { diffId: string }[] }[]): Set<string> {
  const chains = new Set<string>();
  for (const image of images) {
    for (const chain of chainIds(image.layers.map((l) => l.diffId as Digest))) chains.add(chain);
  }
  return chains;
}

/** Bytes a directory tree takes (regular files' sizes; links and dirs count nothing). */
export async function diskUsage(path: string): Promise<number> {
  const info = await lstat(path).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.isFile() ? info.size : 0;
  let total = 0;
  for (const name of await readdir(path)) total += await diskUsage(join(path, name));
  return total;
}
