/**
 * The blob of a cached step that has none yet: a stage's layers get no blob while no image is made of
 * them (layer-step.ts), and a later build that makes an image of that stage (`--target`, or the
 * stage as another's base) writes the blob from the step's snapshot instead of running the step
 * again, as BuildKit makes a blob from a snapshot when an export first asks for it. The snapshot is
 * the step's upper dir as it was; the read-only overlay of it over the stack below tells its opaque
 * directories, as the merged mount did when the step ran. A tar with another diff ID than the record's
 * (the snapshot changed) is no blob of it: undefined, and the step runs again.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { type BuildCacheEntry, recordBuildCache } from "../../store/build-cache.ts";
import type { LayerStepContext } from "./layer-step.ts";
import { type LayerRef, layerRefOf } from "./snapshots.ts";

export async function blobFromSnapshot(
  ctx: LayerStepContext,
  below: readonly LayerRef[],
  hit: BuildCacheEntry,
): Promise<BuildCacheEntry | undefined> {
  if (!(await ctx.snapshots.has(hit.chainId))) return undefined;
  const lowerDirs = await ctx.snapshots.lowerDirs(below);
  const upperDir = ctx.snapshots.pathOf(hit.chainId);
  const scratchDir = await ctx.snapshots.scratch();
  try {
    const { writeLayer } = await import("../diff/index.ts");
    const { mountOverlay } = await import("../run/overlay-mount.ts");
    const outPath = join(scratchDir, "layer.blob");
    const mount = await mountOverlay({ lowerDirs: [upperDir, ...lowerDirs], scratchDir });
    let written: Awaited<ReturnType<typeof writeLayer>>;
    try {
      written = await writeLayer({
        upperDir,
        mergedDir: mount.merged,
        lowerDirs,
        ...(ctx.sourceDateEpoch === undefined ? {} : { sourceDateEpoch: ctx.sourceDateEpoch }),
        compression: ctx.compression,
        outPath,
      });
    } finally {
      await mount.unmount();
    }
    if (written.diffId !== hit.layer.diffId) return undefined;
    const layer = layerRefOf(written);
    await ctx.store.adoptBlob(outPath, layer.digest, ctx.lease);
    const recorded = await recordBuildCache(
      ctx.store.db,
      { ...hit, layer, lastUsed: Date.now() },
      written.tarSize,
      {
        upgrade: hit.layer.digest,
      },
    );
    // Another build upgraded it first: its blob is in the store (adopted before it recorded).
    if (recorded.layer.digest !== layer.digest) await ctx.lease.add(recorded.layer.digest);
    return recorded;
  } finally {
    await rm(scratchDir, { recursive: true, force: true });
  }
}
