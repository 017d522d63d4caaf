/**
 * wharf as a library: the OCI model (pure data), the local image store, Docker's image operations on
 * it, the registry client and the pull engine. `wharf/oci` and `wharf/store` are narrower entry points.
 */
export * from "./errors.ts";
export * from "./images/index.ts";
export * from "./oci/index.ts";
export * from "./registry/client/index.ts";
export * from "./store/index.ts";
export * from "./transport/index.ts";
export { WHARF_VERSION } from "./version.ts";
