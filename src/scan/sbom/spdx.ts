/**
 * An image's SBOM as SPDX 2.3 JSON, built by hand: no well-kept SPDX 2.3 writer exists for Node
 * (spdx's own tools are Java, Python and Go). The document describes the image (a CONTAINER
 * package at its manifest digest, with its oci purl), which CONTAINS the distribution (an
 * OPERATING_SYSTEM package) and every package found, each with its purl, the file and layer it
 * was read from (sourceInfo), and its declared license when that is an SPDX expression
 * (NOASSERTION otherwise, the text kept in licenseComments; nothing is concluded: no file was
 * analysed). A scan's findings become SECURITY advisory references of the packages they affect
 * (SPDX 2.3 has no vulnerability section). Packages are in sbomPackages' order (purl, then path).
 */
import { randomUUID } from "node:crypto";
import type { ImageInventory } from "../catalog/image-catalog.ts";
import type { Finding } from "../match.ts";
import { imageIdentity } from "./image-identity.ts";
import { declaredExpression } from "./license-expression.ts";
import {
  findingsByPackage,
  imagePath,
  type SbomInput,
  type SbomPackage,
  sbomPackages,
} from "./sbom-input.ts";

const NOASSERTION = "NOASSERTION";

interface ExternalRef {
  referenceCategory: "PACKAGE-MANAGER" | "SECURITY";
  referenceType: string;
  referenceLocator: string;
}

interface SpdxPackage {
  name: string;
  SPDXID: string;
  versionInfo?: string;
  supplier: string;
  downloadLocation: string;
  filesAnalyzed: false;
  checksums?: { algorithm: string; checksumValue: string }[];
  sourceInfo?: string;
  licenseConcluded: string;
  licenseDeclared: string;
  licenseComments?: string;
  copyrightText: string;
  description?: string;
  externalRefs?: ExternalRef[];
  primaryPackagePurpose: "CONTAINER" | "OPERATING_SYSTEM" | "LIBRARY";
}

interface Relationship {
  spdxElementId: string;
  relationshipType: "DESCRIBES" | "CONTAINS";
  relatedSpdxElement: string;
}

/** An SPDX idstring allows letters, digits, "." and "-". */
const sanitize = (text: string): string => text.replace(/[^A-Za-z0-9.-]+/g, "-");

/** What SPDX requires of every package that no one looked into: no assertions. */
const UNASSERTED = {
  supplier: NOASSERTION,
  downloadLocation: NOASSERTION,
  filesAnalyzed: false,
  licenseConcluded: NOASSERTION,
  licenseDeclared: NOASSERTION,
  copyrightText: NOASSERTION,
} as const;

function imagePackage(input: SbomInput, id: string): SpdxPackage {
  const [algorithm, hex] = input.image.manifestDigest.split(":") as [string, string];
  return {
    name: input.artifactName,
    SPDXID: id,
    versionInfo: input.image.manifestDigest,
    ...UNASSERTED,
    checksums: [{ algorithm: algorithm.toUpperCase(), checksumValue: hex }],
    externalRefs: [
      {
        referenceCategory: "PACKAGE-MANAGER",
        referenceType: "purl",
        referenceLocator: imageIdentity(input.artifactName, input.image).purl,
      },
    ],
    primaryPackagePurpose: "CONTAINER",
  };
}

function osPackage(os: NonNullable<ImageInventory["os"]>, id: string): SpdxPackage {
  return {
    name: os.id,
    SPDXID: id,
    ...(os.versionId === undefined ? {} : { versionInfo: os.versionId }),
    ...UNASSERTED,
    ...(os.prettyName === undefined ? {} : { description: os.prettyName }),
    primaryPackagePurpose: "OPERATING_SYSTEM",
  };
}

function advisories(findings: readonly Finding[]): ExternalRef[] {
  const locators = new Set(
    [...findings]
      .sort((a, b) =>
        a.vulnerabilityId < b.vulnerabilityId ? -1 : a.vulnerabilityId > b.vulnerabilityId ? 1 : 0,
      )
      .map((f) => `https://osv.dev/vulnerability/${f.recordId}`),
  );
  return [...locators].map((url) => ({
    referenceCategory: "SECURITY",
    referenceType: "advisory",
    referenceLocator: url,
  }));
}

function foundPackage({ pkg, id }: SbomPackage, findings: readonly Finding[]): SpdxPackage {
  const declared = declaredExpression(pkg.licenses);
  const layer = pkg.layer.diffId ?? pkg.layer.digest;
  const externalRefs: ExternalRef[] = [
    ...(pkg.purl
      ? [{ referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: pkg.purl } as const]
      : []),
    ...advisories(findings),
  ];
  return {
    name: pkg.name,
    SPDXID: `SPDXRef-Package-${pkg.type}-${sanitize(pkg.name)}-${id}`,
    versionInfo: pkg.version,
    ...UNASSERTED,
    sourceInfo: `acquired package info from ${imagePath(pkg.path)} (${pkg.cataloger} cataloger) in layer ${pkg.layer.index} (${layer})`,
    ...(declared === undefined ? {} : { licenseDeclared: declared }),
    ...(declared === undefined && pkg.licenses?.length
      ? { licenseComments: `declared, not an SPDX expression: ${pkg.licenses.join(", ")}` }
      : {}),
    ...(externalRefs.length > 0 ? { externalRefs } : {}),
    primaryPackagePurpose: "LIBRARY",
  };
}

/** The SPDX 2.3 JSON document (2-space indented, with a final newline). */
export function spdxJson(input: SbomInput): string {
  const imageId = `SPDXRef-DocumentRoot-Image-${sanitize(input.artifactName)}`;
  const packages = [imagePackage(input, imageId)];
  const os = input.inventory.os;
  if (os !== undefined) {
    packages.push(
      osPackage(os, `SPDXRef-OperatingSystem-${sanitize(os.id)}-${sanitize(os.versionId ?? "unknown")}`),
    );
  }
  const byPackage = findingsByPackage(input.findings);
  for (const entry of sbomPackages(input.inventory))
    packages.push(foundPackage(entry, byPackage.get(entry.pkg) ?? []));
  const relationships: Relationship[] = [
    { spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: imageId },
    ...packages.slice(1).map(
      (p): Relationship => ({
        spdxElementId: imageId,
        relationshipType: "CONTAINS",
        relatedSpdxElement: p.SPDXID,
      }),
    ),
  ];
  const document = {
    spdxVersion: "SPDX-2.3",
    dataLicense: "CC0-1.0",
    SPDXID: "SPDXRef-DOCUMENT",
    name: input.artifactName,
    documentNamespace: `https://wharf.dev/spdx/${sanitize(input.artifactName)}-${randomUUID()}`,
    creationInfo: {
      creators: [`Tool: wharf-${input.toolVersion}`],
      // SPDX's YYYY-MM-DDThh:mm:ssZ: no fractions of a second.
      created: input.createdAt.toISOString().replace(/\.\d+Z$/, "Z"),
    },
    packages,
    relationships,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
