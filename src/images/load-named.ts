/**
 * The images a name can mean, read with the store's indexed lookups instead of every record: what
 * a command about one image (inspect, history, the Engine API's /images/{name}/json and /history)
 * needs, so that its cost does not grow with the store. The candidates are every image the name's
 * tag, repo digest, image ID or ID prefix reaches, each with all of its records; resolveImage then
 * chooses among them by the same rules, and with the same errors, as among all images (a prefix
 * that two images share is still ambiguous: both are candidates).
 */
import {
  isNamedReference,
  parseAnyReference,
  referenceName,
  referenceString,
  tagNameOnly,
  trimNamed,
} from "../oci/reference.ts";
import type { ImageRecord, RecordReader } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import { imagesFromRecords, type LocalImage, resolveAgain } from "./model.ts";
import type { Resolved } from "./resolve.ts";

/** The records of every image `input` may name (none for input that names nothing). */
function candidateRecords(r: RecordReader, input: string): ImageRecord[] {
  const found: ImageRecord[] = [];
  let ref: ReturnType<typeof parseAnyReference> | undefined;
  try {
    ref = parseAnyReference(input);
  } catch {
    // Not a reference: resolveImage words the error from the input itself.
  }
  if (ref !== undefined) {
    if (!isNamedReference(ref)) found.push(...r.byId(ref.digest));
    else if (ref.digest !== undefined)
      found.push(...r.byRepoDigest(referenceName(trimNamed(ref)), ref.digest));
    else {
      const tagged = r.byTag(referenceString(tagNameOnly(ref)));
      if (tagged) found.push(tagged);
    }
  }
  // An ID prefix, with or without its algorithm (go-digest's digestset accepts both).
  const hex = input.startsWith("sha256:") ? input.slice("sha256:".length) : input;
  if (/^[0-9a-f]+$/.test(hex)) found.push(...r.byIdPrefix(hex));
  // Each image whole: its other tags and digests are part of what inspect shows.
  const byManifest = new Map<string, ImageRecord>();
  for (const id of new Set(found.map((f) => f.id))) {
    for (const record of r.byId(id)) byManifest.set(record.manifest.digest, record);
  }
  return [...byManifest.values()];
}

/** The images `input` may name, as loadImages would give them. */
export async function loadImagesNamed(store: Store, input: string): Promise<LocalImage[]> {
  return imagesFromRecords(
    store,
    store.read((r) => candidateRecords(r, input)),
  );
}

/**
 * Runs `use` on the image `input` names (resolveAgain's care for an image deleted meanwhile, the
 * candidates read again each time).
 */
export async function resolveNamed<T>(
  store: Store,
  input: string,
  use: (resolved: Resolved<LocalImage>) => T,
): Promise<T> {
  const reload = () => loadImagesNamed(store, input);
  return resolveAgain(store, await reload(), input, use, reload);
}
