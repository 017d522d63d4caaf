/** The `wharf/oci` entry point: references, platforms, digests and the OCI/Docker document model. */
export * from "./config.ts";
export * from "./descriptor.ts";
export * from "./digest.ts";
export * from "./document.ts";
export * from "./layout.ts";
export * from "./manifest.ts";
export * from "./mediatype.ts";
export * from "./platform.ts";
export * from "./platform-match.ts";
export * from "./reference.ts";
