/**
 * What `wharf scan --format` prints: trivy's table (the default) or JSON, SARIF, a CycloneDX SBOM
 * with the findings, an SPDX SBOM, or a Go template (`--format template --template '{{...}}'` or
 * `@FILE`, as trivy takes it, or the template itself as `--format '{{...}}'`, as docker commands take
 * one). The choice is checked, and a template read and parsed, before anything is scanned.
 */
import { readFileSync } from "node:fs";
import { isWharfError } from "../../errors.ts";
import type { Template } from "../../format/template/index.ts";
import type { ImageInventory } from "../../scan/catalog/image-catalog.ts";
import type { ScannedImage } from "../../scan/image-layers.ts";
import type { Finding } from "../../scan/match.ts";
import type { ScanTarget } from "../../scan/results.ts";
import { sarifReport } from "../../scan/sarif.ts";
import { executeScanTemplate, parseScanTemplate } from "../../scan/scan-template.ts";
import { trivyReport } from "../../scan/trivy-json.ts";
import { trivyTable } from "../../scan/trivy-table.ts";
import { WHARF_VERSION } from "../../version.ts";
import { formatError, usageError } from "../exit.ts";

const REPORTS = ["table", "json", "sarif", "cyclonedx", "spdx-json"] as const;
const FORMATS = [...REPORTS, "template"];

type Report = (typeof REPORTS)[number];
export type ScanOutput =
  | { [F in Report]: { format: F } }[Report]
  | { format: "template"; template: Template };

export interface ScanOutputInput {
  artifactName: string;
  image: ScannedImage;
  inventory: ImageInventory;
  findings: readonly Finding[];
  targets: readonly ScanTarget[];
}

/** The output `--format` and `--template` ask for; a bad value is a usage error of `command`. */
export function chooseScanOutput(format: string, template: string | undefined, command: string): ScanOutput {
  const inline = format.includes("{{");
  if (template !== undefined && format !== "template") {
    throw usageError(`--template needs --format template (not "${format}")`, command);
  }
  if (!inline && !FORMATS.includes(format)) {
    throw usageError(`unknown format "${format}": ${FORMATS.join(", ")}, or a Go template`, command);
  }
  const report = REPORTS.find((r) => r === format);
  if (report) return { format: report };
  if (!inline && template === undefined) {
    throw usageError(`--format template needs --template '{{...}}' or --template @FILE`, command);
  }
  const text = inline ? format : templateText(template!, command);
  try {
    return { format: "template", template: parseScanTemplate(text, WHARF_VERSION) };
  } catch (err) {
    if (isWharfError(err, "TEMPLATE_PARSE")) throw usageError(`invalid template: ${err.message}`, command);
    throw err;
  }
}

/** Whether the output reports vulnerabilities (an SPDX SBOM lists packages only: no database needed). */
export function reportsFindings(output: ScanOutput): boolean {
  return output.format !== "spdx-json";
}

export async function renderScanOutput(output: ScanOutput, input: ScanOutputInput): Promise<string> {
  const { artifactName, image, inventory } = input;
  const createdAt = new Date();
  switch (output.format) {
    case "table":
      return trivyTable(input.targets);
    case "sarif": {
      const sarif = sarifReport({
        artifactName,
        imageId: image.imageId,
        targets: input.targets,
        toolVersion: WHARF_VERSION,
      });
      return `${JSON.stringify(sarif, null, 2)}\n`;
    }
    case "cyclonedx": {
      // Loaded when asked for: the SBOM writers are the largest part of the scan's code.
      const { cyclonedxJson } = await import("../../scan/sbom/cyclonedx.ts");
      const sbom = { artifactName, image, inventory, findings: input.findings };
      return withNewline(cyclonedxJson({ ...sbom, createdAt, toolVersion: WHARF_VERSION }));
    }
    case "spdx-json": {
      const { spdxJson } = await import("../../scan/sbom/spdx.ts");
      return withNewline(spdxJson({ artifactName, image, inventory, createdAt, toolVersion: WHARF_VERSION }));
    }
    case "json":
      return `${JSON.stringify(trivyJson(input, createdAt), null, 2)}\n`;
    case "template":
      return executeScanTemplate(output.template, trivyJson(input, createdAt));
  }
}

function trivyJson(input: ScanOutputInput, createdAt: Date): Record<string, unknown> {
  const { artifactName, image, inventory, targets } = input;
  return trivyReport({
    artifactName,
    image,
    ...(inventory.os ? { os: inventory.os } : {}),
    targets,
    createdAt,
  });
}

/** `--template @FILE` reads the file, as trivy does; anything else is the template. */
function templateText(value: string, command: string): string {
  if (!value.startsWith("@")) return value;
  try {
    return readFileSync(value.slice(1), "utf8");
  } catch (err) {
    throw usageError(`invalid --template "${value}": ${formatError(err)}`, command);
  }
}

function withNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}
