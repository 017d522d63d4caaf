/** RUN steps: overlayfs mounts and runc (see run-step.ts). */
export { DEFAULT_HOSTNAME, type ExtraHost } from "./etc-files.ts";
export { mountOverlay, type OverlayMount, type OverlayOptions } from "./overlay-mount.ts";
export { type ExecUser, resolveUser } from "./passwd.ts";
export type { RunMount } from "./run-mounts.ts";
export { type RunStepOptions, type RunStepResult, runStep } from "./run-step.ts";
export type { NetworkMode } from "./runc-spec.ts";
