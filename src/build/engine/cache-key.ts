/**
 * Step cache keys, composed as BuildKit composes its vertex digests: the parent's key, the operation
 * and everything that decides its result (for RUN: the command, environment, user, working dir,
 * network and mounts; for COPY/ADD: a content hash of the sources over names, modes, owners and
 * bytes, not mtimes). Equal keys mean the same layer, so a hit reuses it without running anything.
 */
import { createHash } from "node:crypto";

/** Bumped when what a step produces for the same inputs changes (a differ or layout fix). */
const KEY_VERSION = "wharf-build-v1";

export function stepKey(parent: string, operation: string, inputs: unknown): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify([KEY_VERSION, parent, operation, inputs]));
  return `sha256:${hash.digest("hex")}`;
}

/** The key a stage starts from: its base image (by manifest digest) or scratch, on a platform. */
export function baseKey(base: string, platform: string): string {
  return stepKey("", "FROM", { base, platform });
}
