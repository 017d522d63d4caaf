/**
 * `docker history`: moby's ImageHistory. One item per config.history entry, newest first; an entry
 * that made a layer (not empty_layer) is as big as that layer (Docker's unpacked size); the newest
 * carries the image ID and tags, the others `<missing>` (pulled images have no parent images).
 */
import { WharfError } from "../errors.ts";
import type { LocalImage } from "./model.ts";
import { parseRFC3339, unixSeconds } from "./time.ts";

/** moby's image.HistoryResponseItem. */
export interface HistoryItem {
  ID: string;
  /** Unix seconds; 0 when the entry has no time. */
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

export function imageHistory(image: LocalImage): HistoryItem[] {
  const items: HistoryItem[] = [];
  let layer = 0;
  for (const h of image.config.history ?? []) {
    let size = 0;
    if (!h.empty_layer) {
      if (layer >= image.diffIds.length) {
        throw new WharfError("MANIFEST_INVALID", "too many non-empty layers in History section", {
          image: image.id,
        });
      }
      size = image.layerSizes[layer] ?? 0;
      layer++;
    }
    const created = h.created ? parseRFC3339(h.created) : undefined;
    items.unshift({
      ID: "<missing>",
      Created: created ? unixSeconds(created.instant) : 0,
      CreatedBy: h.created_by ?? "",
      Tags: null,
      Size: size,
      Comment: h.comment ?? "",
    });
  }
  const top = items[0];
  if (top) {
    top.ID = image.id;
    top.Tags = image.repoTags.length > 0 ? image.repoTags : null;
  }
  return items;
}
