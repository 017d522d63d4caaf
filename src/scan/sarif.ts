/**
 * `wharf scan --format sarif`: SARIF 2.1.0 (OASIS) as trivy writes it for an image, so GitHub code
 * scanning and other SARIF readers take wharf's report as they take trivy's: one run; the tool's
 * rules, one per vulnerability ID (its title, description, advisory URL, and properties with tags
 * and a `security-severity` score that GitHub ranks by); one result per finding, at the level of its
 * severity, whose location is the file in the image the package was found in (relative to the image
 * root, the ROOTPATH base). Laid out after trivy's pkg/report/sarif.go.
 */
import type { Finding } from "./match.ts";
import type { ScanTarget } from "./results.ts";
import type { Severity } from "./severity.ts";

export interface SarifInput {
  artifactName: string;
  imageId: string;
  targets: readonly ScanTarget[];
  toolVersion: string;
  repoTags?: string[];
  repoDigests?: string[];
}

const SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/** trivy's score for a severity that no CVSS v3 or v4 score backs. */
const SEVERITY_SCORES: Readonly<Record<Severity, string>> = {
  CRITICAL: "9.5",
  HIGH: "8.0",
  MEDIUM: "5.5",
  LOW: "2.0",
  UNKNOWN: "0.0",
};

const LEVELS: Readonly<Record<Severity, "error" | "warning" | "note">> = {
  CRITICAL: "error",
  HIGH: "error",
  MEDIUM: "warning",
  LOW: "note",
  UNKNOWN: "note",
};

export function sarifReport(input: SarifInput): Record<string, unknown> {
  const rules: Record<string, unknown>[] = [];
  const ruleIndex = new Map<string, number>();
  const results: Record<string, unknown>[] = [];
  for (const target of input.targets) {
    for (const f of target.findings) {
      let index = ruleIndex.get(f.vulnerabilityId);
      if (index === undefined) {
        index = rules.push(rule(f, target.class)) - 1;
        ruleIndex.set(f.vulnerabilityId, index);
      }
      results.push(result(f, index));
    }
  }
  return {
    version: "2.1.0",
    $schema: SCHEMA,
    runs: [
      {
        tool: {
          driver: {
            name: "wharf",
            fullName: "wharf vulnerability scanner",
            version: input.toolVersion,
            rules,
          },
        },
        results,
        columnKind: "utf16CodeUnits",
        // Locations are paths inside the image: its root is their base.
        originalUriBaseIds: { ROOTPATH: { uri: "file:///" } },
        properties: {
          imageName: input.artifactName,
          imageID: input.imageId,
          repoTags: input.repoTags ?? [],
          repoDigests: input.repoDigests ?? [],
        },
      },
    ],
  };
}

function rule(f: Finding, resultClass: ScanTarget["class"]): Record<string, unknown> {
  const severity = f.severity.severity;
  const fixed = f.fixedVersions.join(", ");
  const link = `[${f.vulnerabilityId}](${f.primaryUrl})`;
  return {
    id: f.vulnerabilityId,
    name: resultClass === "os-pkgs" ? "OsPackageVulnerability" : "LanguageSpecificPackageVulnerability",
    shortDescription: { text: f.title || f.vulnerabilityId },
    fullDescription: { text: f.description || f.title || f.vulnerabilityId },
    defaultConfiguration: { level: LEVELS[severity] },
    helpUri: f.primaryUrl,
    help: {
      text: `Vulnerability ${f.vulnerabilityId}\nSeverity: ${severity}\nPackage: ${f.pkg.name}\nFixed Version: ${fixed}\nLink: ${link}\n${f.description}`,
      markdown: `**Vulnerability ${f.vulnerabilityId}**\n| Severity | Package | Fixed Version | Link |\n| --- | --- | --- | --- |\n|${severity}|${f.pkg.name}|${fixed}|${link}|\n\n${f.description}`,
    },
    properties: {
      precision: "very-high",
      "security-severity": securitySeverity(f),
      tags: ["vulnerability", "security", severity],
      ...cvssProperties(f),
    },
  };
}

function result(f: Finding, ruleIndex: number): Record<string, unknown> {
  const severity = f.severity.severity;
  const uri = pathUri(f.pkg.path);
  return {
    ruleId: f.vulnerabilityId,
    ruleIndex,
    level: LEVELS[severity],
    message: {
      text: `Package: ${f.pkg.name}\nInstalled Version: ${f.pkg.version}\nVulnerability ${f.vulnerabilityId}\nSeverity: ${severity}\nFixed Version: ${f.fixedVersions.join(", ")}\nLink: [${f.vulnerabilityId}](${f.primaryUrl})`,
    },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri, uriBaseId: "ROOTPATH" },
          // A package has no line; trivy points at the file's start.
          region: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 },
        },
        message: { text: `${f.pkg.path}: ${f.pkg.name}@${f.pkg.version}` },
      },
    ],
  };
}

/** The CVSS v3 or v4 base score (v2 rates on another scale), else trivy's score for the severity. */
function securitySeverity(f: Finding): string {
  const { source, score } = f.severity;
  if (score !== undefined && score > 0 && (source === "cvss-v3" || source === "cvss-v4")) {
    return score.toFixed(1);
  }
  return SEVERITY_SCORES[f.severity.severity];
}

/** trivy's cvssv3_vector / cvssv3_baseScore (and the v2, v4.0 pairs) for the vector that rated it. */
function cvssProperties(f: Finding): Record<string, unknown> {
  const { source, vector, score } = f.severity;
  if (vector === undefined || score === undefined) return {};
  if (source === "cvss-v2") return { cvssv2_vector: vector, cvssv2_score: score };
  if (source === "cvss-v4") return { cvssv40_vector: vector, cvssv40_baseScore: score };
  return { cvssv3_vector: vector, cvssv3_baseScore: score };
}

/** A relative URI reference for a path in the image (spaces, `%`, `?` and `#` escaped). */
function pathUri(path: string): string {
  return encodeURI(path).replace(/[?#]/g, (c) => encodeURIComponent(c));
}
