/**
 * `docker system df`, the image part (moby's SystemDiskUsage with SharedSize and ContainerCount):
 * the total is every distinct layer (by ChainID) once; an image's shared size is the size of its
 * layers that another image also uses; nothing is active because wharf has no containers.
 */
import { type ImageSummary, listImages } from "./list.ts";
import type { LocalImage } from "./model.ts";

export interface ImageDiskUsage {
  /** Bytes of all layers, each distinct layer once (Docker's LayersSize). */
  layersSize: number;
  /** Newest first, with SharedSize computed and Containers 0. */
  images: ImageSummary[];
}

export function imageDiskUsage(images: readonly LocalImage[]): ImageDiskUsage {
  const refs = new Map<string, number>();
  const sizes = new Map<string, number>();
  for (const image of images) {
    image.chainIds.forEach((c, i) => {
      refs.set(c, (refs.get(c) ?? 0) + 1);
      sizes.set(c, image.layerSizes[i] ?? 0);
    });
  }
  let layersSize = 0;
  for (const size of sizes.values()) layersSize += size;
  const summaries = listImages(images).map(({ image, summary }) => {
    let shared = 0;
    image.chainIds.forEach((c, i) => {
      if ((refs.get(c) ?? 0) > 1) shared += image.layerSizes[i] ?? 0;
    });
    // Set on the summary (made for this call) rather than spread: a spread would read its lazy Labels.
    summary.SharedSize = shared;
    summary.Containers = 0;
    return summary;
  });
  return { layersSize, images: summaries };
}
