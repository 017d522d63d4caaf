/**
 * Save = copy(store -> archive) of the images save-selection.ts picked, shared blobs once, then the
 * archive committed (or aborted on failure, which leaves nothing). `wharf save` and the Engine API's
 * GET /images/get both write their archives with this.
 */
import { currentRecord, type SaveItem } from "../images/save-selection.ts";
import type { Store } from "../store/store.ts";
import { copyImage } from "./copy.ts";
import { StoreSource } from "./store-source.ts";
import type { ImageDestination } from "./types.ts";

export interface SaveImagesOptions {
  /** How an error finding or leasing an image reads (the CLI words it as docker's daemon does). */
  lookupError?: (err: unknown) => unknown;
}

export async function saveImages(
  store: Store,
  items: readonly SaveItem[],
  destination: ImageDestination,
  options: SaveImagesOptions = {},
): Promise<void> {
  const { lookupError = (err: unknown) => err } = options;
  try {
    for (const item of items) {
      // Looked up again if another process removed the image before its blobs were leased.
      let first = true;
      const lookup = () => {
        if (!first) return currentRecord(store, item).manifest;
        first = false;
        return item.record.manifest;
      };
      const source = await StoreSource.open(store, lookup).catch((err: unknown) => {
        throw lookupError(err);
      });
      try {
        await copyImage(source, destination, { names: item.names });
      } finally {
        await source.close();
      }
    }
    await destination.commit();
  } catch (err) {
    await destination.abort().catch(() => undefined);
    throw err;
  }
}
