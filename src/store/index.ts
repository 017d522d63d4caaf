/** The local image store: public entry point (`wharf/store`). */

export type { AdoptedBlob } from "./adopt.ts";
export type { BlobInfo } from "./blobs.ts";
export * from "./build-cache.ts";
export { type CheckReport, checkStore } from "./check.ts";
export { collectGarbage, type GcOptions, type GcResult, type PartialIngest, partialIngests } from "./gc.ts";
export type {
  ContentObserver,
  IngestFile,
  IngestRequest,
  IngestResult,
  IngestSource,
  OpenIngestFile,
} from "./ingest.ts";
export { Lease } from "./lease.ts";
export { defaultStoreRoot, StorePaths } from "./paths.ts";
export type {
  ImageData,
  ImageRecord,
  LayerRecord,
  ManifestRef,
  RecordPlatform,
  RecordReader,
  RecordWriter,
  RepoDigestRecord,
  TagRecord,
} from "./records.ts";
export { bytesSource, fileSource } from "./sources.ts";
export { Store, type StoreOptions } from "./store.ts";
