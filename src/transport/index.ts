/** Moving images: sources and the pull engine. */
export { choosePlatformManifest } from "./platform-choice.ts";
export { type PullOptions, type PullResult, pullImage } from "./pull.ts";
export { RegistrySource } from "./registry-source.ts";
export type { ImageSource, LayerStatus, ManifestBytes, PullEvent } from "./types.ts";
