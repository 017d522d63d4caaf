/**
 * How an OpenVEX product or subcomponent names a piece of software, and whether it names a given
 * package or image: by its `@id` (an IRI, usually a package URL), its `identifiers` (purl, cpe22,
 * cpe23) or its `hashes`. A package URL in the document is the more general one: without a version
 * it names every version, and only the qualifiers it has must be on the package's (trivy's purls and
 * wharf's carry arch, distro, ...). Ported by hand from openvex/go-vex pkg/vex (Component.Matches,
 * PurlMatches), which trivy uses; matching an image by its digest is wharf's addition.
 */
import { PackageURL } from "packageurl-js";
import type { ScannedImage } from "./image-layers.ts";

export interface VexComponent {
  id?: string;
  /** Type ("purl", "cpe22", "cpe23") to identifier. */
  identifiers: Readonly<Record<string, string>>;
  /** Algorithm ("sha-256", ...) to hex value. */
  hashes: Readonly<Record<string, string>>;
}

/** What names the scanned image as a VEX product: its package URLs and its digests. */
export interface VexImage {
  /** pkg:oci/NAME@DIGEST?arch=...&repository_url=..., as trivy names the image it scans. */
  purls: string[];
  /** The platform manifest's digest and, when the reference named one, the index's. */
  digests: string[];
}

/** Whether `general` (from a VEX document) names the package URL `specific`. */
export function purlMatches(general: string, specific: string): boolean {
  const a = parsePurl(general);
  const b = parsePurl(specific);
  if (!a || !b) return false;
  if (a.type !== b.type || (a.namespace ?? "") !== (b.namespace ?? "") || a.name !== b.name) return false;
  if (a.version && a.version !== b.version) return false;
  const theirs = b.qualifiers ?? {};
  return Object.entries(a.qualifiers ?? {}).every(([k, v]) => theirs[k] === v);
}

/** Whether the component names the package with package URL `purl`. */
export function componentNamesPackage(c: VexComponent, purl: string): boolean {
  if (c.id === purl) return true;
  if (c.id?.startsWith("pkg:") && purlMatches(c.id, purl)) return true;
  return Object.entries(c.identifiers).some(
    ([type, id]) => id === purl || (type === "purl" && purlMatches(id, purl)),
  );
}

/** Whether the component names the image: one of its package URLs, or a digest as `@id` or hash. */
export function componentNamesImage(c: VexComponent, image: VexImage): boolean {
  if (image.purls.some((purl) => componentNamesPackage(c, purl))) return true;
  const hexes = image.digests.map((d) => d.slice(d.indexOf(":") + 1));
  if (c.id !== undefined && image.digests.includes(c.id)) return true;
  return Object.values(c.hashes).some((h) => hexes.includes(h) || image.digests.includes(h));
}

/**
 * The image's VEX identity. `repository` is its name when the scan was given one ("debian",
 * "ghcr.io/org/app"); an image from a file or a layout has only its digests.
 */
export function vexImage(
  image: Pick<ScannedImage, "manifestDigest" | "indexDigest" | "architecture">,
  repository?: { domain: string; path: string },
): VexImage {
  const digests = [image.manifestDigest, ...(image.indexDigest ? [image.indexDigest] : [])];
  if (!repository) return { purls: [], digests };
  const name = repository.path.slice(repository.path.lastIndexOf("/") + 1);
  // trivy's repository_url is go-containerregistry's name: Docker Hub as index.docker.io.
  const domain = repository.domain === "docker.io" ? "index.docker.io" : repository.domain;
  const qualifiers = { arch: image.architecture, repository_url: `${domain}/${repository.path}` };
  const purls = digests.map((d) => new PackageURL("oci", undefined, name, d, qualifiers).toString());
  return { purls, digests };
}

function parsePurl(text: string): PackageURL | undefined {
  try {
    return PackageURL.fromString(text);
  } catch {
    return undefined; // a product that is not a valid purl names nothing by purl
  }
}
