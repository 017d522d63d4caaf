/** COPY and ADD file operations and their content hash for the build cache. */

export { cleanAbsolute, resolveInRoot, resolveRelative } from "../root-path.ts";
export { addUrlFileName, type FetchedUrl, fetchAddUrl } from "./add-url.ts";
export { type ArchiveCompression, detectArchive, detectCompression } from "./archive-detect.ts";
export { type UnpackResult, unpackArchive } from "./archive-unpack.ts";
export { type Chmod, parseChmod } from "./chmod.ts";
export { type ChownIds, parseChown, type ResolvedChown, resolveChown } from "./chown.ts";
export {
  defaultDigestCache,
  FileDigestCache,
  type HashCopyRequest,
  hashCopySources,
} from "./content-hash.ts";
export { copyIntoRoot, destinationPath } from "./copy-files.ts";
export type { CopyRequest, CopyResult, CopySource, InlineFile } from "./copy-request.ts";
export { type CopyPlan, planCopy, type SourceEntry, type SourceItem } from "./copy-sources.ts";
