/**
 * wharf as a library: the OCI model (pure data) and the local image store.
 * `wharf/oci` and `wharf/store` are the same pieces as narrower entry points.
 */
export * from "./errors.ts";
export * from "./oci/index.ts";
export * from "./store/index.ts";
export { WHARF_VERSION } from "./version.ts";
