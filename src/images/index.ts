/**
 * Local image operations, Docker's semantics over wharf's store: lookup of what a user names, list
 * with filters, inspect, history, tag, rmi, prune and disk usage. No printing: the CLI renders.
 */
export { chainId, chainIds } from "./chain.ts";
export { type ImageDiskUsage, imageDiskUsage } from "./disk-usage.ts";
export {
  addFilter,
  type Filters,
  getBoolOrDefault,
  invalidFilter,
  matchKVList,
  newFilters,
  parseFilterFlag,
  validateFilters,
} from "./filters.ts";
export { type HistoryItem, imageHistory } from "./history.ts";
export {
  type InspectConfig,
  type InspectResponse,
  inspectConfig,
  inspectImage,
  lastTagTime,
} from "./inspect.ts";
export {
  type ImageSummary,
  LIST_FILTERS,
  type ListedImage,
  type ListOptions,
  listImages,
  summaryOf,
} from "./list.ts";
export { loadImagesNamed, resolveNamed } from "./load-named.ts";
export { findImageRecord, findImageTop } from "./local-manifest.ts";
export {
  compare,
  configIfPresent,
  groupRecords,
  type ImageGroup,
  type ImageReference,
  imageDeleted,
  imagesFromRecords,
  isImageDeleted,
  type LoadOptions,
  type LocalImage,
  loadImages,
  readGroups,
  referencesOf,
  resolveAgain,
} from "./model.ts";
export { PRUNE_FILTERS, type PruneOptions, type PruneReport, pruneImages } from "./prune.ts";
export {
  type DeleteResponse,
  deleteImageIn,
  hasFatalError,
  isSingleReference,
  type RemoveOptions,
  type RemoveOutcome,
  type RemoveResult,
  removeImages,
} from "./remove.ts";
export {
  isImageIdPrefix,
  isNotFound,
  noSuchImage,
  type Resolved,
  resolveImage,
  searchIdPrefix,
} from "./resolve.ts";
export { type SaveItem, selectImagesToSave } from "./save-selection.ts";
export { parseTagArguments, type TagResult, tagImage } from "./tag.ts";
export {
  formatRFC3339Local,
  formatRFC3339Nano,
  goTimeStringUTC,
  type Instant,
  normaliseRFC3339,
  parseGoDuration,
  parseRFC3339,
  parseTimestamp,
} from "./time.ts";
export { UnpackedSizeCounter, unpackedSizeOfFile } from "./unpacked-size.ts";
