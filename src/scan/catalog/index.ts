/**
 * The scanner's catalogers, and the image walker that runs them over an image's layers.
 */
import { apkCataloger } from "./apk.ts";
import { goBinaryCataloger } from "./binaries/go-binary.ts";
import { javaArchiveCataloger } from "./binaries/java-archive.ts";
import { rustBinaryCataloger } from "./binaries/rust-binary.ts";
import { dpkgCataloger } from "./dpkg.ts";
import { npmCataloger } from "./npm.ts";
import { pythonCataloger } from "./python.ts";
import { rpmCataloger } from "./rpm.ts";
import type { Cataloger } from "./types.ts";

export {
  type CatalogOptions,
  catalogImage,
  catalogLayer,
  type FileFindings,
  type ImageInventory,
  type ImagePackage,
  LAYER_FINDINGS_VERSION,
  type LayerFindings,
  type LayerInfo,
  type LayerInput,
  mergeLayers,
} from "./image-catalog.ts";
export type { Cataloger, CatalogFile, FoundPackage, PackageType } from "./types.ts";

/** Every cataloger a scan runs, OS package databases first. */
export function defaultCatalogers(): Cataloger[] {
  return [
    dpkgCataloger,
    apkCataloger,
    rpmCataloger,
    npmCataloger,
    pythonCataloger,
    goBinaryCataloger,
    rustBinaryCataloger,
    javaArchiveCataloger,
  ];
}
