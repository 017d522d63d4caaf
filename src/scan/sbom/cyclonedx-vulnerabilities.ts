/**
 * A scan's findings as CycloneDX vulnerabilities (the models of @cyclonedx/cyclonedx-library): one
 * per vulnerability and OSV record, its source the record on osv.dev, its rating the severity the
 * scan gave it (CVSS vector, score and method, or the advisory's own word), the components it
 * affects by bom-ref (at their installed versions), and the fixed versions as the recommendation.
 */
// The package's subpaths, not its root: the root also loads its validators (optional dependencies).
import * as Enums from "@cyclonedx/cyclonedx-library/Enums";
import * as Models from "@cyclonedx/cyclonedx-library/Models";
import type { ImagePackage } from "../catalog/image-catalog.ts";
import type { Finding } from "../match.ts";
import type { RatedSeverity } from "../severity.ts";

const { Vulnerability: V } = Models;
const { RatingMethod, Severity } = Enums.Vulnerability;

const SEVERITIES: Readonly<Record<RatedSeverity["severity"], Enums.Vulnerability.Severity>> = {
  CRITICAL: Severity.Critical,
  HIGH: Severity.High,
  MEDIUM: Severity.Medium,
  LOW: Severity.Low,
  UNKNOWN: Severity.Unknown,
};

const osvSource = (id: string) => new V.Source({ name: "OSV", url: `https://osv.dev/vulnerability/${id}` });

function ratingMethod(rated: RatedSeverity): Enums.Vulnerability.RatingMethod | undefined {
  switch (rated.source) {
    case "cvss-v3":
      return rated.vector?.startsWith("CVSS:3.0/") ? RatingMethod.CVSSv3 : RatingMethod.CVSSv31;
    case "cvss-v4":
      return RatingMethod.CVSSv4;
    case "cvss-v2":
      return RatingMethod.CVSSv2;
    case "vendor":
      return RatingMethod.Other;
    default:
      return undefined;
  }
}

function rating(f: Finding): Models.Vulnerability.Rating {
  const rated = f.severity;
  const method = ratingMethod(rated);
  return new V.Rating({
    source: osvSource(f.recordId),
    severity: SEVERITIES[rated.severity],
    ...(method === undefined ? {} : { method }),
    ...(rated.score === undefined ? {} : { score: rated.score }),
    ...(rated.vector === undefined ? {} : { vector: rated.vector }),
  });
}

function dateOf(text: string | undefined): Date | undefined {
  const date = text === undefined ? undefined : new Date(text);
  return date !== undefined && Number.isFinite(date.getTime()) ? date : undefined;
}

/** "Upgrade tar to 1.34+dfsg-1.2+deb12u1", one clause per package with a fix. */
function recommendation(findings: readonly Finding[]): string | undefined {
  const clauses = findings
    .filter((f) => f.fixedVersions.length > 0)
    .map((f) => `Upgrade ${f.pkg.name} to ${f.fixedVersions.join(" or ")}`);
  const unique = [...new Set(clauses)];
  return unique.length > 0 ? `${unique.join("; ")}.` : undefined;
}

function vulnerability(
  findings: readonly Finding[],
  refOf: (pkg: ImagePackage) => Models.BomRef | undefined,
): Models.Vulnerability.Vulnerability {
  const f = findings[0]!;
  const others = [f.recordId, ...f.aliases].filter(
    (id, i, all) => id !== f.vulnerabilityId && all.indexOf(id) === i,
  );
  const published = dateOf(f.published);
  const updated = dateOf(f.modified);
  const advice = recommendation(findings);
  const vuln = new V.Vulnerability({
    // The record's ID: one record gives one vulnerability (and the serializer makes up a random ref for none).
    bomRef: f.recordId,
    id: f.vulnerabilityId,
    source: osvSource(f.recordId),
    references: new V.ReferenceRepository(others.map((id) => new V.Reference(id, osvSource(id)))),
    ratings: new V.RatingRepository([rating(f)]),
    advisories: new V.AdvisoryRepository([...new Set(f.references)].map((url) => new V.Advisory(url))),
    ...(f.title ? { description: f.title } : {}),
    ...(f.description && f.description !== f.title ? { detail: f.description } : {}),
    ...(advice === undefined ? {} : { recommendation: advice }),
    ...(published === undefined ? {} : { published }),
    ...(updated === undefined ? {} : { updated }),
  });
  for (const finding of findings) {
    const ref = refOf(finding.pkg);
    if (ref === undefined) continue;
    const version = new V.AffectedSingleVersion(finding.pkg.version, {
      status: Enums.Vulnerability.AffectStatus.Affected,
    });
    vuln.affects.add(new V.Affect(ref, { versions: new V.AffectedVersionRepository([version]) }));
  }
  return vuln;
}

/**
 * The findings, grouped by vulnerability and record, in ID order; `refOf` names the component of
 * a package (each finding's package is one of the inventory's), and the affected ones follow bom-ref order.
 */
export function cyclonedxVulnerabilities(
  findings: readonly Finding[],
  refOf: (pkg: ImagePackage) => Models.BomRef | undefined,
): Models.Vulnerability.VulnerabilityRepository {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = `${f.vulnerabilityId}\0${f.recordId}`;
    const group = groups.get(key);
    if (group) group.push(f);
    else groups.set(key, [f]);
  }
  const refText = (f: Finding) => refOf(f.pkg)?.value ?? "";
  const repository = new V.VulnerabilityRepository();
  for (const key of [...groups.keys()].sort()) {
    const group = groups
      .get(key)!
      .sort((a, b) => (refText(a) < refText(b) ? -1 : refText(a) > refText(b) ? 1 : 0));
    repository.add(vulnerability(group, refOf));
  }
  return repository;
}
