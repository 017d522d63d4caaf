/**
 * The OSV vulnerability record (ossf/osv-schema, https://ossf.github.io/osv-schema/) as the scanner
 * keeps it: the fields it relies on, validated and normalised by osv-parse.ts (absent or null lists
 * are empty lists), and the free-form `*_specific` objects passed through untouched. These types
 * are what the database stores and returns; the matcher reads them structurally.
 */

/** The severity kinds the schema defines; `score` is the CVSS vector, or Ubuntu's priority word. */
export type SeverityType = "CVSS_V2" | "CVSS_V3" | "CVSS_V4" | "Ubuntu";

export interface OsvSeverity {
  type: SeverityType;
  score: string;
}

/** Exactly one key per event, as the schema's oneOf says. */
export type OsvEvent =
  | { introduced: string }
  | { fixed: string }
  | { last_affected: string }
  | { limit: string };

export type RangeType = "ECOSYSTEM" | "SEMVER" | "GIT";

export interface OsvRange {
  type: RangeType;
  /** The repository URL; GIT ranges only. */
  repo?: string;
  events: OsvEvent[];
  database_specific?: Record<string, unknown>;
}

export interface OsvPackage {
  /** "npm", "Go", "PyPI", or with a release after ":": "Debian:12", "Alpine:v3.18", "Ubuntu:22.04:LTS". */
  ecosystem: string;
  name: string;
  purl?: string;
}

export interface OsvAffected {
  /** Absent in records about a repository only (GIT ranges, no package). */
  package?: OsvPackage;
  severity: OsvSeverity[];
  ranges: OsvRange[];
  versions: string[];
  ecosystem_specific?: Record<string, unknown>;
  /** GitHub's and others' per-package extras (a `severity` word among them, where present). */
  database_specific?: Record<string, unknown>;
}

export interface OsvReference {
  /** ADVISORY, ARTICLE, DETECTION, DISCUSSION, REPORT, FIX, INTRODUCED, GIT, PACKAGE, EVIDENCE, WEB. */
  type: string;
  url: string;
}

export interface OsvCredit {
  name: string;
  contact?: string[];
  type?: string;
}

export interface OsvRecord {
  schema_version?: string;
  id: string;
  /** RFC 3339, as the record writes it; a newer one replaces an older record of the same ID. */
  modified: string;
  published?: string;
  /** Set: the record was retracted; kept in the database but left out of lookups. */
  withdrawn?: string;
  aliases: string[];
  /** Records this one comes from (OSV 1.7: a DEBIAN-CVE record's CVE). */
  upstream: string[];
  related: string[];
  summary?: string;
  details?: string;
  severity: OsvSeverity[];
  affected: OsvAffected[];
  references: OsvReference[];
  credits?: OsvCredit[];
  /** GitHub's `severity` word ("HIGH"), CWE IDs, and other database extras. */
  database_specific?: Record<string, unknown>;
}
