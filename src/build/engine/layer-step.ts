/**
 * A step that makes a layer (RUN, COPY, ADD, WORKDIR): look its key up in the build cache; on a miss,
 * mount the stage's snapshot stack with a fresh upper directory, let the step change it, write the
 * upper as the layer blob (into the store), keep the upper as the new chain's snapshot and record the
 * key. Nothing of a failed step stays: its scratch directory is removed and nothing is recorded.
 * A stage whose layers go into no image (a `COPY --from` source) gets no blobs: its layer tars are
 * only hashed, for the diff IDs the chain and the record need, and its snapshots are what later steps
 * and builds use (BuildKit, too, makes a blob only when an export asks for one).
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { chainIds } from "../../images/chain.ts";
import type { Digest } from "../../oci/digest.ts";
import { type BuildCacheEntry, lookupBuildCache, recordBuildCache } from "../../store/build-cache.ts";
import type { Lease } from "../../store/lease.ts";
import type { Store } from "../../store/store.ts";
import type { FileDigestCache } from "../copy/content-hash.ts";
import type { WrittenLayer } from "../diff/index.ts";
import { layerRefOf, type Snapshots } from "./snapshots.ts";
import type { StageState } from "./stage-state.ts";

export interface LayerStepContext {
  store: Store;
  snapshots: Snapshots;
  lease: Lease;
  noCache: boolean;
  /** Whether the step's layer gets a blob in the store: the target's own layers do, and with
   *  --cache-to every stage's (the export reads them); else the layer is kept as a snapshot only. */
  writeBlob: boolean;
  compression: "gzip" | "zstd" | "none";
  sourceDateEpoch: number | undefined;
  /** Content digests of context files by their stat, kept between builds (file-digests.ts). */
  digestCache: FileDigestCache;
  /** Content hashes of context sources already computed in this build (copy-instruction.ts). */
  contextHashes: Map<string, Promise<string>>;
  /** Every step key this build used (hit or made), in order: what --cache-to exports. */
  used: string[];
  /** Cache hits, to mark as used and lease at the end. */
  hits: { key: string; digest: Digest }[];
}

export interface StepWorkspace {
  lowerDirs: string[];
  upperDir: string;
  scratchDir: string;
  /** Writes the upper dir as the layer; `mergedDir` while the overlay is still mounted. */
  writeLayer(mergedDir: string | undefined, exclude?: ReadonlySet<string>): Promise<void>;
}

/** Runs (or reuses) one layer step; returns true when it came from the cache. */
export async function layerStep(
  ctx: LayerStepContext,
  state: StageState,
  key: string,
  createdBy: string,
  execute: (workspace: StepWorkspace) => Promise<void>,
): Promise<boolean> {
  const hit = ctx.noCache ? undefined : lookupBuildCache(ctx.store.db, key);
  // No lease per hit: the cache row itself keeps the blob from GC (gc.ts marks build_cache), and
  // the hits are leased together at the end, before the export (builder.ts).
  let cached = hit && (await usable(ctx, hit)) ? hit : undefined;
  if (hit && !cached && ctx.writeBlob) {
    const { blobFromSnapshot } = await import("./snapshot-blob.ts");
    cached = await blobFromSnapshot(ctx, state.layers, hit);
  }
  if (cached) {
    state.addLayer(cached.layer, createdBy, cached.created);
    state.cacheKey = key;
    ctx.hits.push({ key, digest: cached.layer.digest });
    ctx.used.push(key);
    return true;
  }
  const lowerDirs = await ctx.snapshots.lowerDirs(state.layers);
  const scratchDir = await ctx.snapshots.scratch();
  try {
    if (lowerDirs.length === 0) {
      // FROM scratch: overlayfs needs a lower dir; an empty one adds nothing.
      lowerDirs.push(join(scratchDir, "empty"));
      await mkdir(lowerDirs[0]!);
    }
    const upperDir = join(scratchDir, "upper");
    await mkdir(upperDir, { mode: 0o755 });
    const blobPath = ctx.writeBlob ? join(scratchDir, "layer.blob") : undefined;
    let written: WrittenLayer | undefined;
    await execute({
      lowerDirs,
      upperDir,
      scratchDir,
      async writeLayer(mergedDir, exclude) {
        const { writeLayer } = await import("../diff/index.ts");
        written = await writeLayer({
          upperDir,
          ...(mergedDir === undefined ? {} : { mergedDir }),
          lowerDirs,
          ...(exclude ? { exclude } : {}),
          ...(ctx.sourceDateEpoch === undefined ? {} : { sourceDateEpoch: ctx.sourceDateEpoch }),
          compression: ctx.compression,
          ...(blobPath === undefined ? {} : { outPath: blobPath }),
        });
      },
    });
    if (!written) throw new Error("internal error: the step wrote no layer");
    const layer = layerRefOf(written);
    if (blobPath !== undefined) await ctx.store.adoptBlob(blobPath, layer.digest, ctx.lease);
    const chain = chainIds([...state.layers.map((l) => l.diffId), layer.diffId]).at(-1)!;
    await ctx.snapshots.adopt(upperDir, chain);
    const created =
      ctx.sourceDateEpoch === undefined ? rfc3339(new Date()) : rfc3339(new Date(ctx.sourceDateEpoch * 1000));
    const recorded = await recordBuildCache(
      ctx.store.db,
      { key, layer, chainId: chain, created, lastUsed: Date.now() },
      written.tarSize,
      // A record that could not serve (no blob, or its snapshot gone) takes this step's layer.
      ctx.noCache ? { replace: true } : hit ? { upgrade: hit.layer.digest } : {},
    );
    if (blobPath !== undefined && recorded.layer.digest !== layer.digest)
      await ctx.lease.add(recorded.layer.digest);
    state.addLayer(recorded.layer, createdBy, recorded.created);
    ctx.used.push(key);
    state.cacheKey = key;
    return false;
  } finally {
    await rm(scratchDir, { recursive: true, force: true });
  }
}

/** A record serves a step when its blob is in the store, or, for a step that needs none, its snapshot. */
async function usable(ctx: LayerStepContext, hit: BuildCacheEntry): Promise<boolean> {
  if (await ctx.store.blobs.has(hit.layer.digest)) return true;
  return !ctx.writeBlob && (await ctx.snapshots.has(hit.chainId));
}

/** Go's time.RFC3339Nano as BuildKit writes history times (UTC, no trailing zeros). */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.?0*Z$/, "Z");
}
