/**
 * `docker rmi`: moby's ImageDelete (daemon/images/image_delete.go) on wharf's store. wharf has no
 * containers and its images no parents, so of moby's conflicts only the soft "referenced" one can
 * arise; every rule about references is kept:
 *
 * - By reference (name, name:tag, name@digest): that reference goes (`Untagged: busybox:latest`).
 *   A tag that was the last tag of its repository takes the repository's digest references with it.
 *   If nothing else references the image, it is deleted.
 * - By ID or ID prefix: when every reference is in one repository with at most one tag, all of
 *   them go and the image is deleted. Otherwise the image is "referenced in multiple repositories"
 *   (Docker's wording, even for two tags of one repository) and only --force deletes it.
 * - Deleting prints `Deleted: <image ID>`, then the ChainID of each layer no other image uses, top
 *   layer first (Docker's layer store releases a stack from the top).
 *
 * Each ImageDelete is one store transaction; garbage collection then removes the blobs.
 */
import { WharfError } from "../errors.ts";
import { type Digest, shortDigest } from "../oci/digest.ts";
import {
  familiarString,
  parseNormalizedNamed,
  type Reference,
  referenceName,
  referenceString,
  tagNameOnly,
} from "../oci/reference.ts";
import { collectGarbage, type GcResult } from "../store/gc.ts";
import type { RecordWriter } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import { chainIds } from "./chain.ts";
import { type ImageGroup, type ImageReference, readGroups, referencesOf } from "./model.ts";
import { isImageIdPrefix, isNotFound, resolveImage } from "./resolve.ts";

/** moby's image.DeleteResponse: one line of `docker rmi`. */
export interface DeleteResponse {
  Untagged?: string;
  Deleted?: string;
}

/** moby's isSingleReference: all references in one repository, with at most one tag. */
export function isSingleReference(refs: readonly ImageReference[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  let single: ImageReference | undefined;
  const canonicalRepos = new Set<string>();
  for (const ref of refs) {
    if (ref.digest !== undefined) canonicalRepos.add(ref.repository);
    else if (single === undefined) single = ref;
    else return false;
  }
  single ??= refs[0]!;
  return canonicalRepos.size === 1 && canonicalRepos.has(single.repository);
}

function conflict(id: string, message: string): WharfError {
  return new WharfError(
    "IMAGE_CONFLICT",
    `conflict: unable to delete ${shortDigest(id as Digest)} (must be forced) - ${message}`,
    { id },
  );
}

function currentGroup(w: RecordWriter, id: string): ImageGroup | undefined {
  return readGroups(w).find((g) => g.id === id);
}

/** Removes one reference (idempotent, as moby's removeImageRef); returns it with ":latest" added. */
function removeReference(w: RecordWriter, ref: Reference): Reference {
  const r = tagNameOnly(ref);
  if (r.digest !== undefined) w.removeRepoDigest(referenceName(r), r.digest);
  else w.removeTag(referenceString(r));
  return r;
}

function removeStored(w: RecordWriter, ref: ImageReference): void {
  if (ref.digest !== undefined) w.removeRepoDigest(ref.repository, ref.digest);
  else w.removeTag(ref.full);
}

function layerChains(group: ImageGroup): Digest[] {
  return chainIds(group.records[0]!.layers.map((l) => l.diffId));
}

/** moby's imageDeleteHelper, without parents and containers. */
function deleteHelper(
  w: RecordWriter,
  id: string,
  records: DeleteResponse[],
  force: boolean,
  quiet: boolean,
): void {
  const group = currentGroup(w, id);
  if (!group) return;
  const refs = referencesOf(group);
  if (!force && refs.length > 0) {
    // Quietly (after an untag) a referenced image is simply kept.
    if (quiet) return;
    throw conflict(id, "image is referenced in multiple repositories");
  }
  for (const ref of refs) {
    removeStored(w, ref);
    records.push({ Untagged: ref.familiar });
  }
  const chains = layerChains(group);
  for (const record of group.records) w.deleteImage(record.manifest.digest);
  const stillUsed = new Set<string>();
  for (const other of readGroups(w)) for (const c of layerChains(other)) stillUsed.add(c);
  records.push({ Deleted: id });
  for (let i = chains.length - 1; i >= 0 && !stillUsed.has(chains[i]!); i--)
    records.push({ Deleted: chains[i]! });
}

/**
 * ImageDelete inside a store transaction. Throws the resolution's errors (IMAGE_NOT_FOUND, reference
 * errors) and IMAGE_CONFLICT.
 */
export function deleteImageIn(w: RecordWriter, input: string, force: boolean): DeleteResponse[] {
  const { group } = resolveImage(readGroups(w), input);
  const id = group.id;
  let refs = referencesOf(group);
  const records: DeleteResponse[] = [];
  let quiet = false;
  if (!isImageIdPrefix(id, input)) {
    const parsed = parseNormalizedNamed(input);
    const removed = removeReference(w, parsed);
    records.push({ Untagged: familiarString(removed) });
    refs = referencesOf(currentGroup(w, id) ?? group);
    if (parsed.digest === undefined) {
      const repository = referenceName(parsed);
      // The repository's last tag is gone: its digest references go too.
      if (!refs.some((r) => r.tag !== undefined && r.repository === repository)) {
        const remaining: ImageReference[] = [];
        for (const ref of refs) {
          if (ref.digest !== undefined && ref.repository === repository) {
            removeStored(w, ref);
            records.push({ Untagged: ref.familiar });
          } else remaining.push(ref);
        }
        refs = remaining;
      }
    }
    if (refs.length > 0) return records;
    quiet = true;
  } else if (isSingleReference(refs)) {
    for (const ref of refs) {
      removeStored(w, ref);
      records.push({ Untagged: ref.familiar });
    }
  }
  deleteHelper(w, id, records, force, quiet);
  return records;
}

export interface RemoveOptions {
  force?: boolean;
  /** Run garbage collection afterwards so that the blobs go too (default true). */
  gc?: boolean;
}

export interface RemoveOutcome {
  input: string;
  records?: DeleteResponse[];
  error?: unknown;
}

export interface RemoveResult {
  outcomes: RemoveOutcome[];
  gc?: GcResult;
}

/** `docker rmi IMAGE...`: each image on its own, errors collected; then one garbage collection. */
export async function removeImages(
  store: Store,
  inputs: readonly string[],
  options: RemoveOptions = {},
): Promise<RemoveResult> {
  const outcomes: RemoveOutcome[] = [];
  let deleted = false;
  for (const input of inputs) {
    try {
      const records = await store.update((w) => deleteImageIn(w, input, options.force ?? false));
      if (records.some((r) => r.Deleted !== undefined)) deleted = true;
      outcomes.push({ input, records });
    } catch (error) {
      outcomes.push({ input, error });
    }
  }
  const result: RemoveResult = { outcomes };
  if (deleted && options.gc !== false) result.gc = await collectGarbage(store);
  return result;
}

/** Whether `docker rmi --force` would still fail for these outcomes (an error other than not-found). */
export function hasFatalError(outcomes: readonly RemoveOutcome[]): boolean {
  return outcomes.some((o) => o.error !== undefined && !isNotFound(o.error));
}
