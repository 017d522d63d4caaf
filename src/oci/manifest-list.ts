/**
 * docker's local manifest lists (`docker manifest create/annotate/inspect/push`), as data:
 * - an entry per image, the way the docker CLI keeps it (its types.ImageManifest: Ref, Descriptor
 *   with the platform, Raw bytes, the parsed manifest), in memory and in docker's JSON form;
 * - the list document built from the entries as distribution's manifestlist.FromDescriptors does
 *   (an OCI index when the first entry is an OCI manifest, else a Docker manifest list), in Go's
 *   MarshalIndent form with three spaces, which is the exact byte string docker pushes.
 */
import { WharfError } from "../errors.ts";
import { type Digest, digestBytes } from "./digest.ts";
import { DockerMediaType, isManifestMediaType, type ManifestMediaType, OciMediaType } from "./mediatype.ts";
import { type Platform, type PlatformJSON, platformFromJSON, platformToJSON } from "./platform.ts";
import { parseNormalizedNamed, type Reference, referenceString } from "./reference.ts";

/** One image of a local manifest list. */
export interface ManifestListEntry {
  /** The image as named on `create` (normalised, tagged), or name@digest for a registry list's child. */
  readonly ref: Reference;
  readonly mediaType: ManifestMediaType;
  readonly digest: Digest;
  readonly size: number;
  /** From the image's config, then `annotate`; absent for a platform docker never learnt. */
  readonly platform?: Platform;
  /** The manifest's exact bytes (pushed as they are, so the digest holds). */
  readonly raw: Uint8Array;
}

export interface BuiltManifestList {
  readonly mediaType: typeof OciMediaType.ImageIndex | typeof DockerMediaType.ManifestList;
  readonly bytes: Uint8Array;
  readonly digest: Digest;
}

/** Go's encoding/json output: JSON.stringify plus the HTML escapes Go applies inside strings. */
export function goJson(value: unknown, indent = ""): string {
  return JSON.stringify(value, null, indent)
    .replaceAll("<", "\\u003c")
    .replaceAll(">", "\\u003e")
    .replaceAll("&", "\\u0026");
}

/** image-spec's Go Platform: architecture and os always, the rest when set. */
function platformJson(p: Platform | undefined): PlatformJSON {
  return platformToJSON(p ?? { os: "", architecture: "" });
}

/** A descriptor in image-spec's Go field order (mediaType, digest, size, ..., platform). */
function descriptorJson(e: ManifestListEntry): Record<string, unknown> {
  const out: Record<string, unknown> = { mediaType: e.mediaType, digest: e.digest, size: e.size };
  if (e.platform) out.platform = platformJson(e.platform);
  return out;
}

/**
 * docker's types.ImageManifest for an entry: what `inspect -v` prints (tab-indented) and what the
 * docker CLI stores in a list's files (compact). The parsed manifest is the raw bytes re-indented,
 * as Go marshals a DeserializedManifest (its MarshalJSON returns the canonical bytes).
 */
export function imageManifestJson(e: ManifestListEntry): Record<string, unknown> {
  const key = e.mediaType === OciMediaType.ImageManifest ? "OCIManifest" : "SchemaV2Manifest";
  return {
    Ref: referenceString(e.ref),
    Descriptor: descriptorJson(e),
    Raw: Buffer.from(e.raw).toString("base64"),
    [key]: JSON.parse(Buffer.from(e.raw).toString("utf8")),
  };
}

function invalidEntry(where: string, why: string): WharfError {
  return new WharfError("MANIFEST_LIST_INVALID", `invalid manifest file ${where}: ${why}`, { path: where });
}

/** Reads an entry from docker's JSON form (a file of a local list); `where` names it in errors. */
export function imageManifestFromJson(value: unknown, where: string): ManifestListEntry {
  if (typeof value !== "object" || value === null) throw invalidEntry(where, "not a JSON object");
  const obj = value as Record<string, unknown>;
  const d = obj.Descriptor as Record<string, unknown> | undefined;
  if (typeof obj.Ref !== "string" || typeof d !== "object" || d === null) {
    throw invalidEntry(where, "no Ref or Descriptor");
  }
  if (typeof obj.Raw !== "string" || obj.Raw === "") throw invalidEntry(where, "no Raw manifest");
  const raw = new Uint8Array(Buffer.from(obj.Raw, "base64"));
  const mediaType = d.mediaType;
  if (typeof mediaType !== "string" || !isManifestMediaType(mediaType)) {
    throw invalidEntry(where, `unsupported media type ${String(mediaType)}`);
  }
  const digest = digestBytes(raw);
  if (d.digest !== digest) {
    throw invalidEntry(where, `image manifest digest mismatch (${String(d.digest)} != ${digest})`);
  }
  const entry = { ref: parseNormalizedNamed(obj.Ref), mediaType, digest, size: raw.byteLength, raw };
  return d.platform === undefined || d.platform === null
    ? entry
    : { ...entry, platform: platformFromJSON(d.platform) };
}

/**
 * The list `docker manifest push` sends (and `inspect` shows for a local list): every entry must be
 * in the target's registry and, for a push, have an OS and an architecture; entries keep their order.
 */
export function buildManifestList(
  target: Reference,
  entries: readonly ManifestListEntry[],
  options: { forPush?: boolean } = {},
): BuiltManifestList {
  for (const e of entries) {
    if (options.forPush && (!e.platform?.os || !e.platform.architecture)) {
      throw new WharfError(
        "MANIFEST_LIST_INVALID",
        `manifest ${referenceString(e.ref)} must have an OS and Architecture to be pushed to a registry`,
      );
    }
    if (e.ref.domain !== target.domain) {
      const why = `cannot use source images from a different registry than the target image: ${e.ref.domain} != ${target.domain}`;
      throw new WharfError(
        "MANIFEST_LIST_INVALID",
        options.forPush ? why : `failed to assemble ManifestDescriptor: ${why}`,
        {
          image: referenceString(e.ref),
          target: referenceString(target),
        },
      );
    }
  }
  return manifestListFromDescriptors(entries);
}

/** distribution's manifestlist.FromDescriptors + MarshalJSON. */
export function manifestListFromDescriptors(
  entries: readonly Pick<ManifestListEntry, "mediaType" | "digest" | "size" | "platform">[],
): BuiltManifestList {
  const mediaType =
    entries[0]?.mediaType === OciMediaType.ImageManifest
      ? OciMediaType.ImageIndex
      : DockerMediaType.ManifestList;
  const list = {
    schemaVersion: 2,
    mediaType,
    manifests: entries.map((e) => ({
      mediaType: e.mediaType,
      size: e.size,
      digest: e.digest,
      platform: platformJson(e.platform),
    })),
  };
  const bytes = new Uint8Array(Buffer.from(goJson(list, "   ")));
  return { mediaType, bytes, digest: digestBytes(bytes) };
}
