/**
 * `wharf scan IMAGE`: the image opened as `wharf copy` opens a source, its inventory (layer cache in
 * the wharf root), the findings from the local OSV database, filtered (--severity, --ignore-unfixed
 * or its alias --only-fixed, --vex documents), printed as --format asks (scan-output.ts);
 * `--exit-code N` exits N when anything is reported.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { isWharfError } from "../../errors.ts";
import { parsePlatform } from "../../oci/platform.ts";
import { parseNormalizedNamed } from "../../oci/reference.ts";
import { VulnerabilityDatabase } from "../../scan/db/database.ts";
import type { Finding } from "../../scan/match.ts";
import { groupResults } from "../../scan/results.ts";
import { findVulnerabilities } from "../../scan/scan-image.ts";
import { parseSeverityList } from "../../scan/severity.ts";
import { filterByVex, parseOpenVex, type VexDocument } from "../../scan/vex.ts";
import { vexImage } from "../../scan/vex-match.ts";
import { parseTransportReference, type TransportReference } from "../../transport/transport-reference.ts";
import { formatError, usageError } from "../exit.ts";
import { openImageInventory } from "../scan-image-open.ts";
import { defaultDatabasePath } from "./scan-db-run.ts";
import { chooseScanOutput, renderScanOutput, reportsFindings } from "./scan-output.ts";

export interface ScanFlags {
  format: string;
  template?: string;
  output?: string;
  severity?: string;
  ignoreUnfixed?: boolean;
  onlyFixed?: boolean;
  vex?: string[];
  exitCode?: string;
  platform?: string;
  db?: string;
}

const COMMAND = "wharf scan";

export async function runScan(name: string, flags: ScanFlags, command: Command): Promise<void> {
  const output = chooseScanOutput(flags.format, flags.template, COMMAND);
  const severities = flags.severity === undefined ? undefined : parseSeverityList(flags.severity);
  if (flags.severity !== undefined && severities === undefined) {
    throw usageError(`invalid --severity "${flags.severity}": UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL`, COMMAND);
  }
  const exitCode = flags.exitCode === undefined ? 0 : Number(flags.exitCode);
  if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255) {
    throw usageError(`invalid --exit-code "${flags.exitCode}": a number from 0 to 255`, COMMAND);
  }
  const vexDocuments = (flags.vex ?? []).map(readVex);
  const onlyFixed = flags.ignoreUnfixed === true || flags.onlyFixed === true;
  const platform = flags.platform ? parsePlatform(flags.platform) : undefined;
  const where = parseTransportReference(name);
  // The database first: a scan without one fails before reading any layer (an SPDX SBOM needs none).
  const dbPath = flags.db ?? defaultDatabasePath(command);
  const db = reportsFindings(output) ? VulnerabilityDatabase.open(dbPath, { create: false }) : undefined;
  try {
    const { image, inventory } = await openImageInventory(command, where, {
      commandName: COMMAND,
      ...(platform ? { platform } : {}),
    });
    const warnings = [...inventory.warnings];
    const matched = db ? findVulnerabilities(inventory, db, warnings) : [];
    const wanted = matched.filter(
      (f: Finding) =>
        (severities === undefined || severities.has(f.severity.severity)) &&
        (!onlyFixed || f.fixedVersions.length > 0),
    );
    const findings = vexDocuments.length
      ? filterByVex(wanted, vexDocuments, vexImage(image, repositoryOf(where))).kept
      : wanted;
    for (const warning of warnings) process.stderr.write(`WARNING: ${warning}\n`);
    const targets = groupResults(name, inventory, findings);
    const text = await renderScanOutput(output, { artifactName: name, image, inventory, findings, targets });
    if (flags.output) writeFileSync(flags.output, text);
    else process.stdout.write(text);
    if (findings.length > 0 && exitCode !== 0) process.exitCode = exitCode;
  } finally {
    db?.close();
  }
}

/** One --vex file: unreadable or not OpenVEX, a usage error naming it. */
function readVex(path: string): VexDocument {
  try {
    return parseOpenVex(readFileSync(path, "utf8"));
  } catch (err) {
    if (isWharfError(err) && err.code !== "SCAN_VEX_INVALID") throw err;
    throw usageError(`invalid --vex "${path}": ${formatError(err)}`, COMMAND);
  }
}

/** The image's repository when the reference names one (the VEX product pkg:oci/NAME). */
function repositoryOf(where: TransportReference): { domain: string; path: string } | undefined {
  if (where.transport === "docker") return where.ref;
  if (where.transport === "docker-archive") return where.ref;
  if (where.transport !== "wharf" || /^(sha256:)?[0-9a-f]{1,64}$/.test(where.name)) return undefined;
  return parseNormalizedNamed(where.name);
}
