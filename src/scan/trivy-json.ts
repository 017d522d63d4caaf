/**
 * `wharf scan --format json`: trivy's report shape (SchemaVersion 2), so that what reads trivy's
 * JSON (CI gates, dashboards, DefectDojo's importer) reads wharf's: Results[] by target with
 * Vulnerabilities[] (VulnerabilityID, PkgName, PkgIdentifier.PURL, InstalledVersion, FixedVersion,
 * Status, Layer, Severity, Title, Description, PrimaryURL, References, ...), Metadata with the OS,
 * the image ID and the diff IDs.
 */
import type { ScannedImage } from "./image-layers.ts";
import type { Finding } from "./match.ts";
import { findingStatus, type ScanTarget } from "./results.ts";

export interface TrivyReportInput {
  artifactName: string;
  image: ScannedImage;
  os?: { id: string; versionId?: string };
  targets: readonly ScanTarget[];
  createdAt: Date;
  repoTags?: string[];
  repoDigests?: string[];
}

export function trivyReport(input: TrivyReportInput): Record<string, unknown> {
  const { image } = input;
  return {
    SchemaVersion: 2,
    CreatedAt: input.createdAt.toISOString(),
    ArtifactName: input.artifactName,
    ArtifactType: "container_image",
    Metadata: {
      ...(input.os ? { OS: { Family: input.os.id, Name: input.os.versionId ?? "" } } : {}),
      ImageID: image.imageId,
      DiffIDs: image.layers.map((l) => l.diffId).filter((d) => d !== undefined),
      ...(input.repoTags?.length ? { RepoTags: input.repoTags } : {}),
      ...(input.repoDigests?.length ? { RepoDigests: input.repoDigests } : {}),
    },
    Results: input.targets.map((t) => ({
      Target: t.target,
      Class: t.class,
      Type: t.type,
      ...(t.findings.length > 0 ? { Vulnerabilities: t.findings.map(vulnerability) } : {}),
    })),
  };
}

function vulnerability(f: Finding): Record<string, unknown> {
  const layer = f.pkg.layer;
  return {
    VulnerabilityID: f.vulnerabilityId,
    PkgID: `${f.pkg.name}@${f.pkg.version}`,
    PkgName: f.pkg.name,
    PkgPath: f.pkg.path,
    PkgIdentifier: { PURL: f.pkg.purl },
    InstalledVersion: f.pkg.version,
    FixedVersion: f.fixedVersions.join(", "),
    Status: findingStatus(f),
    Layer: { Digest: layer.digest, ...(layer.diffId ? { DiffID: layer.diffId } : {}) },
    SeveritySource: f.severity.source ?? "",
    PrimaryURL: f.primaryUrl,
    DataSource: { ID: "osv", Name: "OSV", URL: `https://osv.dev/vulnerability/${f.recordId}` },
    Title: f.title,
    Description: f.description,
    Severity: f.severity.severity,
    ...(f.severity.vector ? { CVSS: { osv: cvssFields(f) } } : {}),
    References: f.references,
    ...(f.published ? { PublishedDate: f.published } : {}),
    ...(f.modified ? { LastModifiedDate: f.modified } : {}),
  };
}

/** trivy's CVSS entry for the vector that rated the finding (V3Vector/V3Score, V40..., V2...). */
function cvssFields(f: Finding): Record<string, unknown> {
  const prefix = f.severity.source === "cvss-v2" ? "V2" : f.severity.source === "cvss-v4" ? "V40" : "V3";
  return { [`${prefix}Vector`]: f.severity.vector, [`${prefix}Score`]: f.severity.score };
}
