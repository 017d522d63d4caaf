/**
 * `wharf sbom IMAGE`: the image's inventory (as `wharf scan` takes it, with the same layer cache,
 * and no vulnerability database) written as CycloneDX 1.6 JSON (the default) or SPDX 2.3 JSON,
 * to standard output or `-o FILE`.
 *
 * With --attach, IMAGE is a registry image (docker://HOST/REPO:TAG, or a local HOST/REPO:TAG that
 * was pushed there) and the SBOM goes to its repository as an OCI referrer of the scanned platform
 * manifest (scan/sbom/attach.ts). Standard output then gets only the `Attached DIGEST to
 * HOST/REPO@SUBJECT` line; the SBOM itself is written only to `-o FILE`, when given.
 */
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { parsePlatform } from "../../oci/platform.ts";
import { parseNormalizedNamed, type Reference, tagNameOnly } from "../../oci/reference.ts";
import type { ScannedImage } from "../../scan/image-layers.ts";
import { attachSbom, type SbomArtifact } from "../../scan/sbom/attach.ts";
import { findSubject } from "../../scan/sbom/attach-subject.ts";
import { cyclonedxJson } from "../../scan/sbom/cyclonedx.ts";
import type { SbomInput } from "../../scan/sbom/sbom-input.ts";
import { spdxJson } from "../../scan/sbom/spdx.ts";
import { parseTransportReference, type TransportReference } from "../../transport/transport-reference.ts";
import { WHARF_VERSION } from "../../version.ts";
import { cliEndpoints } from "../endpoint-context.ts";
import { usageError } from "../exit.ts";
import { openImageInventory } from "../scan-image-open.ts";

export interface SbomFlags {
  format: string;
  output?: string;
  platform?: string;
  attach?: boolean;
}

const COMMAND = "wharf sbom";

interface SbomFormat {
  write: (input: SbomInput) => string;
  /** The media type of the document, as an attached artifact's layer and artifactType. */
  mediaType: string;
  /** The attached layer's file name (org.opencontainers.image.title). */
  title: string;
}

const FORMATS: Readonly<Record<string, SbomFormat>> = {
  "cyclonedx-json": {
    write: cyclonedxJson,
    mediaType: "application/vnd.cyclonedx+json",
    title: "sbom.cdx.json",
  },
  "spdx-json": { write: spdxJson, mediaType: "application/spdx+json", title: "sbom.spdx.json" },
};

export async function runSbom(name: string, flags: SbomFlags, command: Command): Promise<void> {
  const format = Object.hasOwn(FORMATS, flags.format) ? FORMATS[flags.format] : undefined;
  if (format === undefined) {
    throw usageError(`unknown format "${flags.format}": cyclonedx-json or spdx-json`, COMMAND);
  }
  const platform = flags.platform ? parsePlatform(flags.platform) : undefined;
  const where = parseTransportReference(name);
  const target = flags.attach ? registryImage(where) : undefined;
  const { image, inventory } = await openImageInventory(command, where, {
    ...(platform === undefined ? {} : { platform }),
    commandName: COMMAND,
  });
  for (const warning of inventory.warnings) process.stderr.write(`WARNING: ${warning}\n`);
  const createdAt = new Date();
  const text = format.write({ artifactName: name, image, inventory, createdAt, toolVersion: WHARF_VERSION });
  if (flags.output) writeFileSync(flags.output, text);
  if (target === undefined) {
    if (!flags.output) process.stdout.write(text);
    return;
  }
  const bytes = new TextEncoder().encode(text);
  const artifact = { bytes, mediaType: format.mediaType, title: format.title, format: flags.format };
  await attach(command, target, image, artifact, createdAt);
}

/** The registry image --attach pushes to: a docker:// reference, or the registry a local name names. */
function registryImage(where: TransportReference): Reference {
  if (where.transport === "docker") return tagNameOnly(where.ref);
  if (where.transport === "wharf" && !/^(sha256:)?[0-9a-f]{64}$/.test(where.name)) {
    return tagNameOnly(parseNormalizedNamed(where.name));
  }
  throw usageError(
    "--attach needs a registry image: docker://HOST/REPO:TAG, or a local HOST/REPO:TAG pushed there",
    COMMAND,
  );
}

async function attach(
  command: Command,
  ref: Reference,
  image: ScannedImage,
  artifact: SbomArtifact,
  createdAt: Date,
): Promise<void> {
  const endpoints = cliEndpoints(command, { commandName: COMMAND });
  try {
    const client = await endpoints.ctx.registryClient(ref, "destination");
    try {
      const subject = await findSubject(client, ref, image);
      const result = await attachSbom(client, ref.path, subject, artifact, createdAt);
      const fallback = result.referrersTag === undefined ? "" : ` (referrers tag ${result.referrersTag})`;
      process.stdout.write(
        `Attached ${result.digest} to ${ref.domain}/${ref.path}@${subject.digest}${fallback}\n`,
      );
    } finally {
      await client.close();
    }
  } finally {
    await endpoints.close();
  }
}
