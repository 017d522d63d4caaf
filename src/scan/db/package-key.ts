/**
 * How a package is looked up among OSV records: by the ecosystem's base name (before the first ":")
 * and the package name as the ecosystem compares names, with the release (after the ":") kept apart
 * so a query for one release ("Debian:12") finds that release's records and the release-less ones,
 * not another release's (Debian 11's fixed versions say nothing about Debian 12's packages).
 * The database's index and the matcher's choice of affected entries both go through these rules.
 */
import type { OsvAffected, OsvRecord } from "./osv-record.ts";

export interface EcosystemParts {
  /** "Debian", "Alpine", "npm". */
  base: string;
  /** What follows the first ":" ("12", "v3.18", "22.04:LTS"); "" when there is none. */
  release: string;
}

/** One row of the lookup index: a record names this package. */
export interface PackageKey extends EcosystemParts {
  /** The name as compared (packageNameKey). */
  name: string;
}

export function splitEcosystem(ecosystem: string): EcosystemParts {
  const colon = ecosystem.indexOf(":");
  return colon < 0
    ? { base: ecosystem, release: "" }
    : { base: ecosystem.slice(0, colon), release: ecosystem.slice(colon + 1) };
}

/** PyPI names compare normalised (PEP 503: lower case, runs of "-", "_", "." as one "-"); other
 *  ecosystems' names compare exactly. */
export function packageNameKey(ecosystemBase: string, name: string): string {
  return ecosystemBase === "PyPI" ? name.toLowerCase().replace(/[-_.]+/g, "-") : name;
}

/**
 * Whether a record's release covers the release asked about. No release on either side covers all
 * of them; otherwise the same release, or a more specific form of it (Ubuntu's records say
 * "22.04:LTS" where an image says "22.04").
 */
export function releaseCovers(recordRelease: string, queryRelease: string): boolean {
  if (recordRelease === "" || queryRelease === "" || recordRelease === queryRelease) return true;
  return recordRelease.startsWith(`${queryRelease}:`);
}

/** Whether this affected entry is about the package `name` of `ecosystem` (a release optional). */
export function affectsPackage(affected: OsvAffected, ecosystem: string, name: string): boolean {
  if (affected.package === undefined) return false;
  const query = splitEcosystem(ecosystem);
  const entry = splitEcosystem(affected.package.ecosystem);
  return (
    entry.base === query.base &&
    packageNameKey(entry.base, affected.package.name) === packageNameKey(query.base, name) &&
    releaseCovers(entry.release, query.release)
  );
}

/** The affected entries of `record` about this package. */
export function affectedFor(record: OsvRecord, ecosystem: string, name: string): OsvAffected[] {
  return record.affected.filter((a) => affectsPackage(a, ecosystem, name));
}

/** The distinct index rows of a record: one per package (and release) it names. */
export function packageKeysOf(record: OsvRecord): PackageKey[] {
  const keys = new Map<string, PackageKey>();
  for (const affected of record.affected) {
    if (affected.package === undefined) continue;
    const { base, release } = splitEcosystem(affected.package.ecosystem);
    const key = { base, release, name: packageNameKey(base, affected.package.name) };
    keys.set(JSON.stringify([key.base, key.release, key.name]), key);
  }
  return [...keys.values()];
}
