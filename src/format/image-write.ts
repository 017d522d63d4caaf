/** docker/cli's ImageWrite (apart from image.ts, which does not load the template engine). */
import { writeContext } from "./formatter.ts";
import { IMAGE_HEADER, type ImageContextOptions, type ImageSummary, imageRows } from "./image.ts";

/** ImageWrite: the output of `docker images` for the images and options. */
export function imageWrite(images: readonly ImageSummary[], o: ImageContextOptions): string {
  return writeContext(o.format, IMAGE_HEADER, imageRows(images, o));
}
