/**
 * `docker image prune`: moby's ImagesPrune. Dangling images only by default (no tags; digest
 * references alone do not keep an image), or with `dangling=false` (the CLI's --all) every image
 * without a container — every image, since wharf has none. `until` and `label`/`label!` filters
 * narrow the set. Each candidate is deleted as `docker rmi` would delete it by each of its
 * references in turn (or by ID when it has none), failures skipped, so the report reads as moby's.
 *
 * Reclaimed space is Docker's figure: the sizes of the layers deleted (what they took unpacked),
 * not the bytes of compressed blobs garbage collection removed (those are in `gc`).
 */
import { WharfError } from "../errors.ts";
import { digestEncoded } from "../oci/digest.ts";
import { collectGarbage, type GcResult } from "../store/gc.ts";
import type { Store } from "../store/store.ts";
import { type Filters, getBoolOrDefault, matchKVList, newFilters, validateFilters } from "./filters.ts";
import { type LocalImage, loadImages, readGroups, referencesOf } from "./model.ts";
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
  gc?: GcResult;
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
  const candidates = images
    .filter((img: LocalImage) => {
      if (until !== undefined && (img.createdInstant === undefined || img.createdInstant > until))
        return false;
      return img.config.config === undefined || matchLabels(filters, img.config.config.Labels);
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
  const report: PruneReport = { deleted, spaceReclaimed };
  if (deleted.some((d) => d.Deleted !== undefined)) report.gc = await collectGarbage(store);
  return report;
}
