/**
 * The built image as data: its config (history times filled as BuildKit's exporter fills them) and
 * an OCI manifest, and an ImageSource over them, so every output (the store, an archive, a layout,
 * a registry) is the copy engine's job.
 */
import { createHash } from "node:crypto";
import type { ImageConfig } from "../../oci/config.ts";
import type { Digest } from "../../oci/digest.ts";
import { dockerToOciMediaType, OciMediaType } from "../../oci/mediatype.ts";
import type { ManifestBytes } from "../../transport/types.ts";
import type { StageState } from "./stage-state.ts";

export interface ImageDocuments {
  config: { bytes: Uint8Array; digest: Digest };
  manifest: ManifestBytes;
}

function sha256(bytes: Uint8Array): Digest {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}` as Digest;
}

/**
 * BuildKit's normalizeLayersAndHistory: a history entry without a time takes the first time this
 * build made a layer (when it precedes it) or the last time before it; the image's created time is
 * the last entry's. With SOURCE_DATE_EPOCH every new time is that instant.
 */
export function fillHistoryTimes(state: StageState, epoch: string | undefined): void {
  const history = state.history;
  let created: string | undefined;
  let gap = false;
  for (const h of history) {
    if (h.created !== undefined) {
      created = h.created;
      if (gap) break;
    } else gap = true;
  }
  gap = false;
  for (const h of history) {
    if (h.created !== undefined) {
      if (gap) created = h.created;
    } else {
      gap = true;
      h.created = epoch ?? created;
    }
  }
  const last = history.at(-1)?.created;
  if (epoch !== undefined) state.config.created = epoch;
  else if (last !== undefined) state.config.created = last;
}

/** The config as BuildKit's Go struct order writes it (created, author, platform, config, rootfs, history). */
export function imageDocuments(state: StageState): ImageDocuments {
  const c = state.config;
  const config: ImageConfig = {
    ...(c.created ? { created: c.created } : {}),
    ...(c.author ? { author: c.author } : {}),
    architecture: c.architecture,
    os: c.os,
    ...(c["os.version"] ? { "os.version": c["os.version"] } : {}),
    ...(c["os.features"] ? { "os.features": c["os.features"] } : {}),
    ...(c.variant ? { variant: c.variant } : {}),
    config: orderedRunConfig(c.config ?? {}),
    rootfs: { type: "layers", diff_ids: state.layers.map((l) => l.diffId) },
    history: state.history,
  };
  const configBytes = new TextEncoder().encode(JSON.stringify(config));
  const configDigest = sha256(configBytes);
  const manifest = {
    schemaVersion: 2,
    mediaType: OciMediaType.ImageManifest,
    config: { mediaType: OciMediaType.ImageConfig, digest: configDigest, size: configBytes.length },
    layers: state.layers.map((l) => ({
      mediaType: dockerToOciMediaType(l.mediaType) ?? l.mediaType,
      digest: l.digest,
      size: l.size,
    })),
  };
  const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest));
  return {
    config: { bytes: configBytes, digest: configDigest },
    manifest: { bytes: manifestBytes, digest: sha256(manifestBytes), mediaType: OciMediaType.ImageManifest },
  };
}

const RUN_CONFIG_ORDER = [
  "User",
  "ExposedPorts",
  "Env",
  "Entrypoint",
  "Cmd",
  "Volumes",
  "WorkingDir",
  "Labels",
  "StopSignal",
  "ArgsEscaped",
  "Healthcheck",
  "OnBuild",
  "Shell",
];

/** dockerspec.DockerOCIImageConfig's field order; empty fields left out (omitempty). */
function orderedRunConfig(run: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = [...RUN_CONFIG_ORDER, ...Object.keys(run).filter((k) => !RUN_CONFIG_ORDER.includes(k))];
  for (const key of keys) {
    const value = run[key];
    if (value === undefined || value === null || value === "" || value === false) continue;
    if (Array.isArray(value) && value.length === 0 && key !== "Cmd") continue;
    if (typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0) continue;
    out[key] = value;
  }
  return out;
}
