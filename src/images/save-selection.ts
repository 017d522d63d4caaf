/**
 * What `save IMAGE...` takes, by moby's rules (image/tarexport/save.go parseNames): `name:tag` that
 * tag; a bare repository name every image with a reference in that repository, its tags as names
 * and those with only a `repo@digest` without (or, with none, an image ID of that spelling); an ID or `name@digest` the image without names. Images named twice are saved once, with
 * all their names.
 */
import {
  familiarString,
  isNamedReference,
  isNameOnly,
  parseAnyReference,
  parseNormalizedNamed,
  referenceName,
} from "../oci/reference.ts";
import type { ImageRecord } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import { findImageRecord } from "./local-manifest.ts";

export interface SaveItem {
  record: ImageRecord;
  /** Familiar `name:tag` references to write as the image's RepoTags. */
  names: string[];
}

/**
 * The record `item` means now, for a save that found its image removed before it could lease it
 * (another process deleted it; it may be back): its first name looked up again, or without names
 * (named by ID or digest) the same manifest, else the image by its ID. Gone: Docker's `No such
 * image: NAME`.
 */
export function currentRecord(store: Store, item: SaveItem): ImageRecord {
  const name = item.names[0];
  if (name !== undefined) return findImageRecord(store, name);
  return store.read((r) => r.get(item.record.manifest.digest)) ?? findImageRecord(store, item.record.id);
}

export function selectImagesToSave(store: Store, inputs: readonly string[]): SaveItem[] {
  const items = new Map<string, SaveItem>();
  const add = (record: ImageRecord, name?: string) => {
    const item = items.get(record.manifest.digest) ?? { record, names: [] };
    items.set(record.manifest.digest, item);
    if (name !== undefined && !item.names.includes(name)) item.names.push(name);
  };
  for (const input of inputs) {
    const any = parseAnyReference(input);
    if (isNamedReference(any) && isNameOnly(any)) {
      const repository = referenceName(any);
      const records = store.read((r) => r.list());
      const tagged = records.flatMap((record) =>
        record.tags
          .map((t) => parseNormalizedNamed(t.name))
          .filter((ref) => referenceName(ref) === repository)
          .map((ref) => ({ record, name: familiarString(ref) })),
      );
      // moby takes every reference of the repository: a digest one adds its image, without a name.
      const digestOnly = records.filter((record) =>
        record.repoDigests.some((d) => d.repository === repository),
      );
      for (const t of tagged) add(t.record, t.name);
      for (const record of digestOnly) {
        // docker keys what it saves by image ID: an image already taken by a tag is not saved twice.
        if (![...items.values()].some((item) => item.record.id === record.id)) add(record);
      }
      if (tagged.length > 0 || digestOnly.length > 0) continue;
    }
    const record = findImageRecord(store, input);
    const named = isNamedReference(any) && any.digest === undefined && !isNameOnly(any);
    add(record, named ? familiarString(any) : undefined);
  }
  return [...items.values()];
}
