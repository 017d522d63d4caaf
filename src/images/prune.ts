/**
 * `docker image prune`: moby's ImagesPrune. Dangling images only by default (no tags; digest
 * references alone do not keep an image), or with `dangling=false` (the CLI's --all) every image
 * without a container — every image, since wharf has none. `until` and `label`/`label!` filters
 * narrow the set. Each candidate is deleted as `docker rmi` would delete it by each of its
 * references in turn (or by ID when it has none), failures skipped, so the report reads as moby's.
 *
 * Other processes may delete images meanwhile: a candidate deleted under prune (its records or, for
 * label filters, its config gone) is skipped silently, as an image that was never there.
 *
 * Reclaimed space is Docker's figure: the sizes of the layers deleted (what they took unpacked),
 * not the bytes of compressed blobs garbage collection removed (those are in `gc`), plus the bytes
 * of abandoned partial ingests removed (which Docker does not have).
 */
import { WharfError } from "../errors.ts";
import { digestEncoded } from "../oci/digest.ts";
import { collectGarbage, type GcResult } from "../store/gc.ts";
import type { Store } from "../store/store.ts";
import { type Filters, getBoolOrDefault, matchKVList, newFilters, validateFilters } from "./filters.ts";
import { configIfPresent, type LocalImage, loadImages, readGroups, referencesOf } from "./model.ts";
import { type DeleteResponse, deleteImageIn } from "./remove.ts";
import { type Instant, nowInstant, parseTimestamp } from "./time.ts";

export const PRUNE_FILTERS = ["dangling", "label", "label!", "until"] as const;

export interface PruneOptions {
  /** Docker's prune filters; the CLI adds dangling=true (default) or dangling=false (--all). */
  filters?: Filters;
  now?: Instant;
}

export interface PruneReport {
  deleted: DeleteResponse[];
  /** Bytes: the unpacked size of every layer deleted. */
  spaceReclaimed: number;
  gc: GcResult;
}

function matchLabels(filters: Filters, labels: Record<string, string> | null | undefined): boolean {
  if (!matchKVList(filters, "label", labels)) return false;
  return !(filters.has("label!") && matchKVList(filters, "label!", labels));
}

function untilOf(filters: Filters, now: Instant): Instant | undefined {
  const values = [...(filters.get("until") ?? [])];
  if (values.length > 1) throw new WharfError("FILTER_INVALID", "more than one until filter specified");
  return values.length === 1 ? parseTimestamp(values[0]!, now) : undefined;
}

export async function pruneImages(store: Store, options: PruneOptions = {}): Promise<PruneReport> {
  const filters = options.filters ?? newFilters();
  validateFilters(filters, PRUNE_FILTERS);
  const danglingOnly = getBoolOrDefault(filters, "dangling", true);
  const until = untilOf(filters, options.now ?? nowInstant());

  const images = await loadImages(store);
  const layerSize = new Map<string, number>();
  for (const image of images) {
    image.chainIds.forEach((c, i) => {
      layerSize.set(c, image.layerSizes[i] ?? 0);
    });
  }
  // Only label filters need the configs; without them no config is read.
  const byLabel = filters.has("label") || filters.has("label!");
  const candidates = images
    .filter((img: LocalImage) => {
      if (until !== undefined && (img.createdInstant === undefined || img.createdInstant > until))
        return false;
      if (!byLabel) return true;
      const config = configIfPresent(img);
      // Deleted since it was listed (by another process): nothing left to prune.
      if (config === undefined) return false;
      return config.config === undefined || matchLabels(filters, config.config.Labels);
    })
    .sort((a, b) => b.createdUnix - a.createdUnix);

  const deleted: DeleteResponse[] = [];
  const attempt = async (input: string) => {
    try {
      deleted.push(...(await store.update((w) => deleteImageIn(w, input, false))));
    } catch {
      // moby's imageDeleteFailed: a conflict, a reference already gone, anything: skip it.
    }
  };
  for (const image of candidates) {
    // Its current references; an image deleted meanwhile (by another process) is skipped.
    const group = store.read((r) => readGroups(r).find((g) => g.id === image.id));
    if (!group) continue;
    const refs = referencesOf(group);
    if (refs.length > 0) {
      // Only images without tags are dangling; digest references alone do not keep one.
      const shouldDelete = !danglingOnly || !refs.some((r) => r.tag !== undefined);
      if (shouldDelete) for (const ref of refs) await attempt(ref.full);
    } else {
      await attempt(digestEncoded(image.id));
    }
  }

  let spaceReclaimed = 0;
  for (const d of deleted) if (d.Deleted !== undefined) spaceReclaimed += layerSize.get(d.Deleted) ?? 0;
  // Always collected, even with nothing deleted: partial ingests whose writers died (a pull killed,
  // or cut short by a full disk) go too, and their bytes count as reclaimed.
  const gc = await collectGarbage(store);
  return { deleted, spaceReclaimed: spaceReclaimed + gc.reclaimedIngestBytes, gc };
}
