/**
 * What an SBOM of an image is written from (`wharf sbom`, `wharf scan --format cyclonedx|spdx-json`):
 * the image as read, its inventory and, for a scan, its findings; and the packages in the order
 * both formats write them (by package URL, then path), each with a short ID that is stable across
 * runs (a hash of what tells two packages of the image apart), so two SBOMs of one image differ
 * only in their timestamps and document UUIDs.
 */
import { createHash } from "node:crypto";
import type { ImageInventory, ImagePackage } from "../catalog/image-catalog.ts";
import type { ScannedImage } from "../image-layers.ts";
import type { Finding } from "../match.ts";

export interface SbomInput {
  /** The image as the user named it ("alpine:3.18", "oci:dir:tag", "docker-archive:x.tar"). */
  artifactName: string;
  image: ScannedImage;
  inventory: ImageInventory;
  /** A scan's findings: written as CycloneDX vulnerabilities (and SPDX security references). */
  findings?: readonly Finding[];
  createdAt: Date;
  /** wharf's version, for the document's tool entry. */
  toolVersion: string;
}

export interface SbomPackage {
  pkg: ImagePackage;
  /** 16 hex digits, unique in the document (syft's "package-id"). */
  id: string;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function byPurlThenPath(a: ImagePackage, b: ImagePackage): number {
  return (
    compare(a.purl, b.purl) ||
    compare(a.path, b.path) ||
    compare(a.cataloger, b.cataloger) ||
    compare(a.type, b.type) ||
    compare(a.name, b.name) ||
    compare(a.version, b.version) ||
    compare(a.arch ?? "", b.arch ?? "")
  );
}

function packageHash(pkg: ImagePackage): string {
  const fields = [pkg.type, pkg.name, pkg.version, pkg.arch ?? "", pkg.path, pkg.cataloger, pkg.layer.digest];
  return createHash("sha256").update(fields.join("\0")).digest("hex").slice(0, 16);
}

/** The inventory's packages in document order, with their IDs (a repeated entry gets "-2", "-3"...). */
export function sbomPackages(inventory: ImageInventory): SbomPackage[] {
  const seen = new Map<string, number>();
  return [...inventory.packages].sort(byPurlThenPath).map((pkg) => {
    const hash = packageHash(pkg);
    const count = (seen.get(hash) ?? 0) + 1;
    seen.set(hash, count);
    return { pkg, id: count === 1 ? hash : `${hash}-${count}` };
  });
}

/** The findings by the package they are about (the same object the inventory holds). */
export function findingsByPackage(findings: readonly Finding[] = []): Map<ImagePackage, Finding[]> {
  const byPackage = new Map<ImagePackage, Finding[]>();
  for (const f of findings) {
    const list = byPackage.get(f.pkg);
    if (list) list.push(f);
    else byPackage.set(f.pkg, [f]);
  }
  return byPackage;
}

/** A file path as SBOM tools write locations: absolute in the image. */
export function imagePath(path: string): string {
  return `/${path}`;
}
