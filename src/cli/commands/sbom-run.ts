/**
 * `wharf sbom IMAGE`: the image's inventory (as `wharf scan` takes it, with the same layer cache,
 * and no vulnerability database) written as CycloneDX 1.6 JSON (the default) or SPDX 2.3 JSON,
 * to standard output or `-o FILE`.
 */
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { parsePlatform } from "../../oci/platform.ts";
import { cyclonedxJson } from "../../scan/sbom/cyclonedx.ts";
import type { SbomInput } from "../../scan/sbom/sbom-input.ts";
import { spdxJson } from "../../scan/sbom/spdx.ts";
import { parseTransportReference } from "../../transport/transport-reference.ts";
import { WHARF_VERSION } from "../../version.ts";
import { usageError } from "../exit.ts";
import { openImageInventory } from "../scan-image-open.ts";

export interface SbomFlags {
  format: string;
  output?: string;
  platform?: string;
}

const COMMAND = "wharf sbom";

const WRITERS: Readonly<Record<string, (input: SbomInput) => string>> = {
  "cyclonedx-json": cyclonedxJson,
  "spdx-json": spdxJson,
};

export async function runSbom(name: string, flags: SbomFlags, command: Command): Promise<void> {
  const write = Object.hasOwn(WRITERS, flags.format) ? WRITERS[flags.format] : undefined;
  if (write === undefined) {
    throw usageError(`unknown format "${flags.format}": cyclonedx-json or spdx-json`, COMMAND);
  }
  const platform = flags.platform ? parsePlatform(flags.platform) : undefined;
  const { image, inventory } = await openImageInventory(command, parseTransportReference(name), {
    ...(platform === undefined ? {} : { platform }),
    commandName: COMMAND,
  });
  for (const warning of inventory.warnings) process.stderr.write(`WARNING: ${warning}\n`);
  const text = write({
    artifactName: name,
    image,
    inventory,
    createdAt: new Date(),
    toolVersion: WHARF_VERSION,
  });
  if (flags.output) writeFileSync(flags.output, text);
  else process.stdout.write(text);
}
