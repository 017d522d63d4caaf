/**
 * What `wharf lint` reports: a finding (a rule's code, a one-line message, where, how bad), the
 * severities in order, and the description of a wharf rule. BuildKit's checks become findings too,
 * with their BuildKit names as codes and "buildkit" as their source.
 */
import type { RuleName } from "../rules.ts";

/** hadolint's levels, worst first. */
export type Severity = "error" | "warning" | "info" | "style";
export const SEVERITIES: readonly Severity[] = ["error", "warning", "info", "style"];

/** The lowest severity that fails a lint; "none": nothing does. */
export type Threshold = Severity | "none";
export const THRESHOLDS: readonly Threshold[] = [...SEVERITIES, "none"];

export type FindingSource = "buildkit" | "wharf";

export interface Finding {
  /** `DL3008`, `WL1001`, or a BuildKit check's name (`JSONArgsRecommended`). */
  code: string;
  message: string;
  severity: Severity;
  /** 1-based: the line of the offending word when it was found in the source, else the instruction's first line. */
  line: number;
  /** 1-based column of the offending word; undefined when not known. */
  column: number | undefined;
  source: FindingSource;
  url: string;
  /** The first line of the instruction the finding is about: what inline ignores attach to. */
  instructionLine: number;
}

/** A wharf rule (hadolint's numbering where hadolint has the rule, WLnnnn where it has not). */
export interface PracticeRule {
  code: string;
  severity: Severity;
  description: string;
  url: string;
  /**
   * The BuildKit check that reports the same problem on the same instruction: when both fire, only
   * this rule's finding is kept, and ignoring either name ignores both.
   */
  buildkitTwin?: RuleName;
}

const HADOLINT_WIKI = "https://github.com/hadolint/hadolint/wiki/";

/** A rule hadolint has: its wiki page is the documentation. */
export function hadolintRule(
  code: string,
  severity: Severity,
  description: string,
  buildkitTwin?: RuleName,
): PracticeRule {
  return {
    code,
    severity,
    description,
    url: `${HADOLINT_WIKI}${code}`,
    ...(buildkitTwin ? { buildkitTwin } : {}),
  };
}

/** A rule of wharf's own: no documentation page (url ""); practice/index.ts explains the codes. */
export function wharfRule(code: string, severity: Severity, description: string): PracticeRule {
  return { code, severity, description, url: "" };
}

/** Whether a finding of this severity fails a lint with this threshold. */
export function meetsThreshold(severity: Severity, threshold: Threshold): boolean {
  if (threshold === "none") return false;
  return SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(threshold);
}
