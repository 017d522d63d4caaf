/**
 * Matching an image's packages against OSV records: each package is looked up by its ecosystem
 * and name (an OS package by its source package, as Debian, Alpine and Red Hat records name them),
 * each affected entry of the records that names that package in that ecosystem (and release, when
 * the record's ecosystem has one: "Debian:12" is not "Debian:11"; db/package-key.ts) is evaluated for the installed
 * version with the ecosystem's own version order (osv/affected.ts), and withdrawn records are left out.
 */
import { isWharfError } from "../errors.ts";
import type { ImagePackage } from "./catalog/image-catalog.ts";
import type { OsvRecord } from "./db/osv-record.ts";
import { affectedFor } from "./db/package-key.ts";
import { evaluateAffected } from "./osv/affected.ts";
import { type RatedSeverity, rateSeverity } from "./severity.ts";

/** Where the matcher finds records: the vulnerability database (db/database.ts). */
export interface RecordLookup {
  recordsFor(ecosystem: string, name: string): readonly OsvRecord[];
}

export interface Finding {
  /** The CVE when the record is one or stands for one (DEBIAN-CVE-..., a GHSA with one CVE alias); else the record's ID. */
  vulnerabilityId: string;
  /** The OSV record's own ID. */
  recordId: string;
  aliases: string[];
  pkg: ImagePackage;
  /** The version compared: an OS package's source version when the database names sources. */
  installedVersion: string;
  fixedVersions: string[];
  severity: RatedSeverity;
  title: string;
  description: string;
  primaryUrl: string;
  references: string[];
  published?: string;
  modified?: string;
}

const OS_TYPES = new Set(["deb", "apk", "rpm"]);

/**
 * The findings for `packages`. A version the ecosystem's order cannot read (in the image or in a
 * record) makes that record not match that package, with a line in `warnings`, instead of failing
 * the scan.
 */
export function matchPackages(
  packages: readonly ImagePackage[],
  db: RecordLookup,
  warnings: string[] = [],
): Finding[] {
  const findings = new Map<string, Finding>();
  for (const pkg of packages) {
    const os = OS_TYPES.has(pkg.type);
    const name = os ? (pkg.sourceName ?? pkg.name) : pkg.name;
    const version = os ? (pkg.sourceVersion ?? pkg.version) : pkg.version;
    for (const record of db.recordsFor(pkg.ecosystem, name)) {
      if (record.withdrawn) continue;
      const hit = affectedEntry(record, pkg, name, version, warnings);
      if (!hit) continue;
      const finding = toFinding(record, pkg, version, hit.fixedVersions);
      const key = `${finding.vulnerabilityId}\0${pkg.type}\0${pkg.name}\0${pkg.version}\0${pkg.path}`;
      if (!findings.has(key)) findings.set(key, finding);
    }
  }
  return [...findings.values()];
}

function affectedEntry(
  record: OsvRecord,
  pkg: ImagePackage,
  name: string,
  version: string,
  warnings: string[],
): { fixedVersions: string[] } | undefined {
  for (const a of affectedFor(record, pkg.ecosystem, name)) {
    try {
      const result = evaluateAffected(a, version, pkg.ecosystem);
      if (result.affected) return result;
    } catch (err) {
      if (!isWharfError(err, "VERSION_INVALID")) throw err;
      warnings.push(`${record.id} not matched against ${pkg.name} ${version}: ${err.message}`);
    }
  }
  return undefined;
}

function toFinding(record: OsvRecord, pkg: ImagePackage, version: string, fixed: string[]): Finding {
  const aliases = [...record.aliases];
  const details = record.details ?? "";
  return {
    vulnerabilityId: displayId(record.id, aliases),
    recordId: record.id,
    aliases,
    pkg,
    installedVersion: version,
    fixedVersions: fixed,
    severity: rateSeverity(record),
    title: record.summary ?? firstLine(details),
    description: details,
    primaryUrl: `https://osv.dev/vulnerability/${record.id}`,
    references: record.references.map((r) => r.url),
    ...(record.published ? { published: record.published } : {}),
    ...(record.modified ? { modified: record.modified } : {}),
  };
}

/** trivy reports CVE IDs where there is one: DEBIAN-CVE-2023-1234 is CVE-2023-1234. */
export function displayId(id: string, aliases: readonly string[]): string {
  if (id.startsWith("CVE-")) return id;
  const derived = /^[A-Z]+-(CVE-\d{4}-\d+)$/.exec(id);
  if (derived) return derived[1]!;
  const cves = aliases.filter((a) => a.startsWith("CVE-"));
  return cves.length === 1 ? cves[0]! : id;
}

function firstLine(text: string): string {
  const line = text.trim().split("\n")[0] ?? "";
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}
