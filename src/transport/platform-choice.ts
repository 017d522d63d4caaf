/** Resolving an index (or manifest list) to the manifest for one platform, with containerd's rules. */
import { WharfError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import type { ParsedIndex } from "../oci/document.ts";
import { defaultPlatform, formatPlatform, type Platform, platformFromJSON } from "../oci/platform.ts";
import { selectPlatform } from "../oci/platform-match.ts";

type Candidate = Platform & { descriptor: Descriptor };

export function choosePlatformManifest(index: ParsedIndex, wanted: Platform = defaultPlatform()): Descriptor {
  return choosePlatformDescriptor(index.value.manifests as readonly Descriptor[], wanted);
}

/** The same choice among any index entries (e.g. only those a copy brought in). */
export function choosePlatformDescriptor(
  manifests: readonly Descriptor[],
  wanted: Platform = defaultPlatform(),
): Descriptor {
  const candidates: Candidate[] = [];
  for (const descriptor of manifests) {
    // Attestation manifests (buildx) carry platform unknown/unknown and never match a real platform.
    if (descriptor.platform) candidates.push({ ...platformFromJSON(descriptor.platform), descriptor });
  }
  const chosen = selectPlatform(candidates, wanted);
  if (!chosen) {
    const available = candidates.map((c) => formatPlatform(c)).join(", ") || "none";
    throw new WharfError(
      "PLATFORM_NO_MATCH",
      `no matching manifest for ${formatPlatform(wanted)} in the manifest list entries (available: ${available})`,
      { wanted: formatPlatform(wanted), available },
    );
  }
  return chosen.descriptor;
}
