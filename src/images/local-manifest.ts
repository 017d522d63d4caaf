/** The stored manifest a user's name for a local image means: what push, save and copy read. */
import type { ImageRecord } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import { readGroups } from "./model.ts";
import { resolveImage } from "./resolve.ts";

/**
 * Docker's lookup (`name[:tag]`, `name@digest`, an ID or prefix). An ID names an image, which may
 * have several manifests (the same config pulled as OCI and as v2s2): the newest is taken.
 */
export function findImageRecord(store: Store, input: string): ImageRecord {
  const resolved = resolveImage(
    store.read((records) => readGroups(records)),
    input,
  );
  return resolved.record ?? resolved.group.records.at(-1)!;
}
