/**
 * A vulnerability's severity, as trivy reports it (UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL), from what
 * its OSV record says: a CVSS vector in `severity[]` (scored with ae-cvss-calculator: v3.x first, then
 * v4.0, then v2), else the advisory database's own rating (GitHub's `database_specific.severity`,
 * an `ecosystem_specific` or `database_specific` severity or urgency of the affected package).
 */
import cvss from "ae-cvss-calculator";

export const SEVERITIES = ["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface SeverityInput {
  severity?: readonly { type: string; score: string }[];
  database_specific?: Record<string, unknown>;
  affected?: readonly {
    severity?: readonly { type: string; score: string }[];
    ecosystem_specific?: Record<string, unknown>;
    database_specific?: Record<string, unknown>;
  }[];
}

export interface RatedSeverity {
  severity: Severity;
  /** Where it came from: "cvss-v3", "cvss-v4", "cvss-v2" or "vendor". */
  source?: string;
  /** The CVSS base score and vector, when a vector decided it. */
  score?: number;
  vector?: string;
}

const ORDER: Readonly<Record<string, number>> = { CVSS_V3: 0, CVSS_V4: 1, CVSS_V2: 2 };

export function rateSeverity(record: SeverityInput): RatedSeverity {
  // The record's own vectors, then those of its affected entries (OSV allows either).
  const vectors = [...(record.severity ?? []), ...(record.affected ?? []).flatMap((a) => a.severity ?? [])]
    .filter((s) => ORDER[s.type] !== undefined)
    .sort((a, b) => ORDER[a.type]! - ORDER[b.type]!);
  for (const s of vectors) {
    const score = cvssScore(s.type, s.score);
    if (score === undefined) continue;
    return {
      severity: s.type === "CVSS_V2" ? cvss2Rating(score) : cvss3Rating(score),
      source: s.type === "CVSS_V3" ? "cvss-v3" : s.type === "CVSS_V4" ? "cvss-v4" : "cvss-v2",
      score,
      vector: s.score,
    };
  }
  const vendor =
    vendorRating(record.database_specific) ??
    record.affected
      ?.map((a) => vendorRating(a.ecosystem_specific) ?? vendorRating(a.database_specific))
      .find(Boolean);
  return vendor ? { severity: vendor, source: "vendor" } : { severity: "UNKNOWN" };
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** `--severity HIGH,CRITICAL`: the set it names; an unknown name is undefined. */
export function parseSeverityList(text: string): Set<Severity> | undefined {
  const wanted = new Set<Severity>();
  for (const part of text.split(",")) {
    const name = part.trim().toUpperCase();
    if (!(SEVERITIES as readonly string[]).includes(name)) return undefined;
    wanted.add(name as Severity);
  }
  return wanted;
}

function cvssScore(type: string, vector: string): number | undefined {
  try {
    const v =
      type === "CVSS_V4"
        ? new cvss.Cvss4P0(vector)
        : type === "CVSS_V2"
          ? new cvss.Cvss2(vector)
          : vector.startsWith("CVSS:3.0/")
            ? new cvss.Cvss3P0(vector)
            : new cvss.Cvss3P1(vector);
    const overall = v.calculateScores().overall;
    return typeof overall === "number" && Number.isFinite(overall) ? overall : undefined;
  } catch {
    return undefined; // a malformed vector rates nothing; the next source may
  }
}

/** CVSS v3.x and v4.0 qualitative ratings (FIRST's specification tables). */
function cvss3Rating(score: number): Severity {
  if (score >= 9) return "CRITICAL";
  if (score >= 7) return "HIGH";
  if (score >= 4) return "MEDIUM";
  if (score > 0) return "LOW";
  return "UNKNOWN";
}

/** CVSS v2 has no CRITICAL (NVD's v2 ranges). */
function cvss2Rating(score: number): Severity {
  if (score >= 7) return "HIGH";
  if (score >= 4) return "MEDIUM";
  return score > 0 ? "LOW" : "UNKNOWN";
}

/** GitHub's LOW/MODERATE/HIGH/CRITICAL, Debian's urgency (low, medium, high, unimportant), ... */
function vendorRating(fields: Record<string, unknown> | undefined): Severity | undefined {
  const raw = fields?.severity ?? fields?.urgency;
  if (typeof raw !== "string") return undefined;
  const name = raw.trim().toUpperCase().replace(/\*+$/, "");
  if (name === "MODERATE") return "MEDIUM";
  if (name === "UNIMPORTANT" || name === "NEGLIGIBLE") return "LOW";
  return (SEVERITIES as readonly string[]).includes(name) && name !== "UNKNOWN"
    ? (name as Severity)
    : undefined;
}
