/**
 * An image's SBOM as CycloneDX 1.6 JSON, built from @cyclonedx/cyclonedx-library's models and
 * written by its JSON serializer for spec 1.6. The image is metadata.component (type container,
 * version its manifest digest, its oci purl), wharf the tool; each package a library component
 * (bom-ref: its purl with syft's `package-id` qualifier), the distribution an operating-system
 * component (`os:ID@VERSION`), and the image depends on every one of them (all that is known of
 * the graph: the image contains them). A scan's findings become `vulnerabilities`.
 *
 * Where a package was found is written in syft's property names, which syft and grype read back:
 *   syft:package:foundBy      the wharf cataloger that read it (dpkg, apk, rpm, npm, python, ...)
 *   syft:location:0:layerID   the diff ID of the layer that brought it
 *   syft:location:0:path      the file it was read from, absolute in the image
 * Components are written in sbomPackages' order (by purl, then path), not re-sorted.
 */
import { randomUUID } from "node:crypto";
// The package's subpaths, not its root: the root also loads its validators (optional dependencies).
import * as Enums from "@cyclonedx/cyclonedx-library/Enums";
import * as Models from "@cyclonedx/cyclonedx-library/Models";
import * as Serialize from "@cyclonedx/cyclonedx-library/Serialize";
import * as Spec from "@cyclonedx/cyclonedx-library/Spec";
import type { ImageInventory, ImagePackage } from "../catalog/image-catalog.ts";
import { cyclonedxVulnerabilities } from "./cyclonedx-vulnerabilities.ts";
import { imageIdentity } from "./image-identity.ts";
import { declaredExpression, spdxLicenseId } from "./license-expression.ts";
import { imagePath, type SbomInput, type SbomPackage, sbomPackages } from "./sbom-input.ts";

const { ComponentType } = Enums;

/** A component's licenses: SPDX IDs; else one SPDX expression of them all; else names (and IDs). */
function licenses(texts: readonly string[] | undefined): Models.LicenseRepository {
  const unique = [...new Set(texts ?? [])];
  const ids = unique.map(spdxLicenseId);
  if (ids.every((id) => id !== undefined)) {
    return new Models.LicenseRepository([...new Set(ids)].map((id) => new Models.SpdxLicense(id)));
  }
  // CycloneDX allows one expression or a list of licenses, not both: the expressions ANDed.
  const expression = declaredExpression(unique);
  if (expression !== undefined)
    return new Models.LicenseRepository([new Models.LicenseExpression(expression)]);
  return new Models.LicenseRepository(
    unique.map((text, i) =>
      ids[i] === undefined ? new Models.NamedLicense(text) : new Models.SpdxLicense(ids[i]),
    ),
  );
}

function locationProperties(pkg: ImagePackage): Models.PropertyRepository {
  const properties = [new Models.Property("syft:package:foundBy", pkg.cataloger)];
  if (pkg.layer.diffId !== undefined)
    properties.push(new Models.Property("syft:location:0:layerID", pkg.layer.diffId));
  properties.push(new Models.Property("syft:location:0:path", imagePath(pkg.path)));
  return new Models.PropertyRepository(properties);
}

function packageComponent({ pkg, id }: SbomPackage): Models.Component {
  const bomRef = pkg.purl
    ? `${pkg.purl}${pkg.purl.includes("?") ? "&" : "?"}package-id=${id}`
    : `package-id:${id}`;
  return new Models.Component(ComponentType.Library, pkg.name, {
    bomRef,
    version: pkg.version,
    ...(pkg.purl ? { purl: pkg.purl } : {}),
    ...(pkg.type === "maven" && pkg.namespace ? { group: pkg.namespace } : {}),
    licenses: licenses(pkg.licenses),
    properties: locationProperties(pkg),
  });
}

function osComponent(os: NonNullable<ImageInventory["os"]>): Models.Component {
  return new Models.Component(ComponentType.OperatingSystem, os.id, {
    bomRef: `os:${os.id}${os.versionId === undefined ? "" : `@${os.versionId}`}`,
    ...(os.versionId === undefined ? {} : { version: os.versionId }),
    ...(os.prettyName === undefined ? {} : { description: os.prettyName }),
  });
}

function metadata(input: SbomInput): Models.Metadata {
  const identity = imageIdentity(input.artifactName, input.image);
  const image = new Models.Component(ComponentType.Container, input.artifactName, {
    bomRef: identity.purl,
    version: input.image.manifestDigest,
    purl: identity.purl,
  });
  const wharf = new Models.Component(ComponentType.Application, "wharf", { version: input.toolVersion });
  return new Models.Metadata({
    timestamp: input.createdAt,
    tools: new Models.Tools({ components: new Models.ComponentRepository([wharf]) }),
    component: image,
  });
}

/** The CycloneDX 1.6 JSON document (2-space indented, with a final newline). */
export function cyclonedxJson(input: SbomInput): string {
  const meta = metadata(input);
  const image = meta.component!;
  const refs = new Map<ImagePackage, Models.BomRef>();
  const components = new Models.ComponentRepository();
  if (input.inventory.os !== undefined) components.add(osComponent(input.inventory.os));
  for (const entry of sbomPackages(input.inventory)) {
    const component = packageComponent(entry);
    refs.set(entry.pkg, component.bomRef);
    components.add(component);
  }
  for (const component of components) image.dependencies.add(component.bomRef);
  const bom = new Models.Bom({
    metadata: meta,
    components,
    vulnerabilities: cyclonedxVulnerabilities(input.findings ?? [], (pkg) => refs.get(pkg)),
    serialNumber: `urn:uuid:${randomUUID()}`,
  });
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  return `${serializer.serialize(bom, { sortLists: false, space: 2 })}\n`;
}
