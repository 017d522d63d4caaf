/**
 * `wharf scan IMAGE`: the image opened as `wharf copy` opens a source, its inventory (layer cache in
 * the wharf root), the findings from the local OSV database, filtered (--severity, --ignore-unfixed),
 * printed as trivy's table or JSON; `--exit-code N` exits N when anything is reported.
 */
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { parsePlatform } from "../../oci/platform.ts";
import type { LayerFindings } from "../../scan/catalog/image-catalog.ts";
import { VulnerabilityDatabase } from "../../scan/db/database.ts";
import { readScannedImage } from "../../scan/image-layers.ts";
import { LayerCache } from "../../scan/layer-cache.ts";
import type { Finding } from "../../scan/match.ts";
import { groupResults } from "../../scan/results.ts";
import { findVulnerabilities, imageInventory } from "../../scan/scan-image.ts";
import { parseSeverityList } from "../../scan/severity.ts";
import { trivyReport } from "../../scan/trivy-json.ts";
import { trivyTable } from "../../scan/trivy-table.ts";
import { openSource } from "../../transport/endpoints.ts";
import { parseTransportReference } from "../../transport/transport-reference.ts";
import { storeRoot } from "../context.ts";
import { cliEndpoints } from "../endpoint-context.ts";
import { usageError } from "../exit.ts";
import { defaultDatabasePath } from "./scan-db-run.ts";

export interface ScanFlags {
  format: string;
  output?: string;
  severity?: string;
  ignoreUnfixed?: boolean;
  exitCode?: string;
  platform?: string;
  db?: string;
}

const COMMAND = "wharf scan";

export async function runScan(name: string, flags: ScanFlags, command: Command): Promise<void> {
  if (flags.format !== "table" && flags.format !== "json") {
    throw usageError(`unknown format "${flags.format}": table or json`, COMMAND);
  }
  const severities = flags.severity === undefined ? undefined : parseSeverityList(flags.severity);
  if (flags.severity !== undefined && severities === undefined) {
    throw usageError(`invalid --severity "${flags.severity}": UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL`, COMMAND);
  }
  const exitCode = flags.exitCode === undefined ? 0 : Number(flags.exitCode);
  if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255) {
    throw usageError(`invalid --exit-code "${flags.exitCode}": a number from 0 to 255`, COMMAND);
  }
  const platform = flags.platform ? parsePlatform(flags.platform) : undefined;
  const where = parseTransportReference(name);
  // The database first: a scan without one fails before reading any layer.
  const db = VulnerabilityDatabase.open(flags.db ?? defaultDatabasePath(command), { create: false });
  const endpoints = cliEndpoints(command, { commandName: COMMAND });
  try {
    const source = await openSource(where, endpoints.ctx);
    try {
      const image = await readScannedImage(source, platform);
      const cache = new LayerCache<LayerFindings>(storeRoot(command));
      const inventory = await imageInventory(image, { cache });
      const warnings = [...inventory.warnings];
      const findings = findVulnerabilities(inventory, db, warnings).filter(
        (f: Finding) =>
          (severities === undefined || severities.has(f.severity.severity)) &&
          (!flags.ignoreUnfixed || f.fixedVersions.length > 0),
      );
      for (const warning of warnings) process.stderr.write(`WARNING: ${warning}\n`);
      const targets = groupResults(name, inventory, findings);
      const text =
        flags.format === "json"
          ? `${JSON.stringify(
              trivyReport({
                artifactName: name,
                image,
                ...(inventory.os ? { os: inventory.os } : {}),
                targets,
                createdAt: new Date(),
              }),
              null,
              2,
            )}\n`
          : trivyTable(targets);
      if (flags.output) writeFileSync(flags.output, text);
      else process.stdout.write(text);
      if (findings.length > 0 && exitCode !== 0) process.exitCode = exitCode;
    } finally {
      await source.close();
    }
  } finally {
    await endpoints.close();
    db.close();
  }
}
