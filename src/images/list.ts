/**
 * `docker images`: moby's image list (daemon/images Images) over wharf's store. One summary per image
 * ID, newest created first; RepoTags/RepoDigests limited to those a `reference` filter matches.
 * wharf images have no parents, so there are no intermediate images and `--all` changes nothing.
 */
import { familiarMatch, parseNormalizedNamed } from "../oci/reference.ts";
import { type Filters, getBoolOrDefault, matchKVList, newFilters, validateFilters } from "./filters.ts";
import { configIfPresent, type LocalImage } from "./model.ts";
import { resolveImage } from "./resolve.ts";
import { type Instant, nowInstant, parseTimestamp } from "./time.ts";

/** moby's image.Summary (the fields docker's formatters read). */
export interface ImageSummary {
  ID: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  /** Unix seconds (0 when the config has no created time). */
  Created: number;
  Size: number;
  /** -1 unless computed (system df). */
  SharedSize: number;
  /** -1 unless computed (system df): wharf has no containers, so 0 then. */
  Containers: number;
  Labels: Record<string, string> | null;
}

export const LIST_FILTERS = ["dangling", "label", "before", "since", "reference", "until"] as const;

export interface ListOptions {
  filters?: Filters;
  /** Docker's --all: also intermediate images (wharf has none). */
  all?: boolean;
  /** "Now" for duration filters (default: the current time). */
  now?: Instant;
}

export interface ListedImage {
  image: LocalImage;
  summary: ImageSummary;
}

function earlier(a: Instant | undefined, b: Instant): Instant {
  return a === undefined || a > b ? b : a;
}

/**
 * Lists images as Docker does; throws FILTER_INVALID, IMAGE_NOT_FOUND (before/since), PATTERN_INVALID.
 * A label filter reads configs: an image deleted since `images` were read is left out.
 */
export function listImages(images: readonly LocalImage[], options: ListOptions = {}): ListedImage[] {
  const filters = options.filters ?? newFilters();
  validateFilters(filters, LIST_FILTERS);
  const danglingOnly = getBoolOrDefault(filters, "dangling", false);
  let before: Instant | undefined;
  let since: Instant | undefined;
  for (const value of filters.get("before") ?? []) {
    const created = resolveImage(images, value).group.createdInstant;
    if (created !== undefined) before = earlier(before, created);
  }
  for (const value of filters.get("until") ?? [])
    before = earlier(before, parseTimestamp(value, options.now ?? nowInstant()));
  for (const value of filters.get("since") ?? []) {
    const created = resolveImage(images, value).group.createdInstant;
    if (created !== undefined && (since === undefined || since < created)) since = created;
  }
  const patterns = filters.get("reference");

  const out: ListedImage[] = [];
  const hasLabel = filters.has("label");
  for (let i = 0; i < images.length; i++) {
    const image = images[i]!;
    const created = image.createdInstant;
    if (before !== undefined && (created === undefined || !(created < before))) continue;
    if (since !== undefined && (created === undefined || !(created > since))) continue;
    if (hasLabel) {
      // An image deleted since the records were read is left out, as a moment later it would be.
      const config = configIfPresent(image);
      if (config === undefined || !matchKVList(filters, "label", config.config?.Labels)) continue;
    }

    const repoTags: string[] = [];
    const repoDigests: string[] = [];
    const references = image.references;
    for (let j = 0; j < references.length; j++) {
      const ref = references[j]!;
      if (patterns !== undefined) {
        const parsed = parseNormalizedNamed(ref.full);
        if (![...patterns].some((p) => familiarMatch(p, parsed))) continue;
      }
      if (ref.digest !== undefined) repoDigests.push(ref.familiar);
      if (ref.tag !== undefined) repoTags.push(ref.familiar);
    }
    if (repoTags.length === 0 && repoDigests.length === 0) {
      if (filters.has("dangling") && !danglingOnly) continue;
      if (patterns !== undefined) continue;
    } else if (danglingOnly && repoTags.length > 0) continue;

    out.push({ image, summary: summaryOf(image, repoTags, repoDigests) });
  }
  // Newest first; a stable sort keeps images created at the same second in the order they arrived.
  return out.sort((a, b) => b.summary.Created - a.summary.Created);
}

/** Where a summary keeps its image, for its Labels (a non-enumerable property). */
const IMAGE = Symbol("image");

/**
 * One getter for every summary: an object whose getter is its own closure is a slow, large one.
 * null also for an image deleted since it was listed, whose config is gone (a getter that threw
 * would break whoever serialises the summaries).
 */
const LABELS: PropertyDescriptor = {
  get(this: { [IMAGE]: LocalImage }) {
    return configIfPresent(this[IMAGE])?.config?.Labels ?? null;
  },
  enumerable: true,
  configurable: true,
};

export function summaryOf(
  image: LocalImage,
  repoTags = image.repoTags,
  repoDigests = image.repoDigests,
): ImageSummary {
  const summary = {
    ID: image.id,
    ParentId: "",
    RepoTags: repoTags,
    RepoDigests: repoDigests,
    Created: image.createdUnix,
    Size: image.size,
    SharedSize: -1,
    Containers: -1,
  };
  // Labels are read when asked for: the config is the one blob a listing would otherwise read.
  Object.defineProperty(summary, IMAGE, { value: image });
  Object.defineProperty(summary, "Labels", LABELS);
  return summary as typeof summary & Pick<ImageSummary, "Labels">;
}
