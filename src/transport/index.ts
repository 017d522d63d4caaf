/** Moving images: the copy engine, its sources and destinations, and pull. */
export { type CopyOptions, type CopyResult, copyAndCommit, copyImage } from "./copy.ts";
export { type EndpointContext, type OpenedDestination, openDestination, openSource } from "./endpoints.ts";
export { choosePlatformDescriptor, choosePlatformManifest } from "./platform-choice.ts";
export { type PullOptions, type PullResult, pullImage } from "./pull.ts";
export { RegistrySource } from "./registry-source.ts";
export { type StoreCommit, StoreDestination, type StoreDestinationOptions } from "./store-destination.ts";
export { StoreSource } from "./store-source.ts";
export { parseTransportReference, type TransportReference } from "./transport-reference.ts";
export type {
  BlobReuse,
  BlobStatus,
  CopyEvent,
  ImageDestination,
  ImageSource,
  LayerStatus,
  ManifestBytes,
  ManifestContext,
  PullEvent,
  RegistryLocation,
} from "./types.ts";
