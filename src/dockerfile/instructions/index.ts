/**
 * BuildKit's instructions layer over the Dockerfile AST: typed instructions, their flags, and the
 * split into build stages. Pure: no I/O.
 */
export * from "./build-flags.ts";
export * from "./commands.ts";
export { parseGoDuration } from "./go-duration.ts";
export { parseOptInterval } from "./parse-healthcheck.ts";
export { isStage, parseCommand, parseInstruction } from "./parse-instruction.ts";
export { type Device, parseDevice } from "./run-device.ts";
export { type Mount, type MountSharing, type MountType, parseMount, type WordExpander } from "./run-mount.ts";
export * from "./stages.ts";
