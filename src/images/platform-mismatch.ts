/**
 * dockerd's words and rule for a local image that is not of the platform asked for: push refuses
 * such an image, a pull with a platform warns about NAME:latest.
 */
import { formatPlatform, type Platform } from "../oci/platform.ts";
import { only } from "../oci/platform-match.ts";
import { type Reference, referenceName } from "../oci/reference.ts";
import type { Store } from "../store/store.ts";

/** "image with reference NAME was found but does not match the specified platform: ...". */
export function platformMismatch(name: string, wanted: Platform, actual: Platform): string {
  return (
    `image with reference ${name} was found but does not match the specified platform: ` +
    `wanted ${formatPlatform(wanted)}, actual: ${formatPlatform(actual)}`
  );
}

/**
 * dockerd 20.10's check after a pull with a platform (daemon/images/image_pull.go): it looks up the
 * repository's name without the tag, which is NAME:latest, whatever was pulled, and warns when that
 * image is not of the platform asked for (a single-platform image pulled anyway, or NAME:latest of
 * another platform beside the tag pulled).
 */
export function pulledPlatformWarning(store: Store, ref: Reference, wanted: Platform): string | undefined {
  const name = referenceName(ref);
  const image = store.read((records) => records.byTag(`${name}:latest`));
  if (image === undefined || only(wanted).match(image.platform)) return undefined;
  return `WARNING: ${platformMismatch(name, wanted, image.platform)}`;
}
