/**
 * Whether a package version is affected by one `affected[]` entry of an OSV record, and which
 * fixed versions apply to it: the "Evaluation" section of the OSV schema (ossf/osv-schema
 * docs/schema.md, IsVulnerable / IncludedInVersions / IncludedInRanges / BeforeLimits).
 *
 * The entry's package is assumed to be the package in question (matching names and ecosystems is
 * the caller's job). A version is affected when `versions[]` lists it or any range contains it.
 * SEMVER ranges use SemVer 2.0 precedence, ECOSYSTEM ranges the ecosystem's order
 * (../versions); GIT ranges are skipped (an image has packages, not commits), and so are
 * ECOSYSTEM ranges of an ecosystem whose order is unknown (then only `versions[]` can match).
 * Versions an order cannot read throw WharfError VERSION_INVALID, except in `versions[]`, where
 * such an entry can only match by its exact text.
 */

import { type VersionOrder, versionOrderFor } from "../versions/index.ts";
import { compareSemVer } from "../versions/semver-order.ts";

export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}

export interface OsvRange {
  type: string;
  events: readonly OsvEvent[];
}

/** The part of an OSV `affected[]` entry the evaluation reads. */
export interface OsvAffected {
  package?: { ecosystem: string; name: string; purl?: string };
  ranges?: readonly OsvRange[];
  versions?: readonly string[];
}

export interface AffectedVerdict {
  affected: boolean;
  /** The fixed versions of the ranges that contain the version: in each, the first `fixed` event
   *  above the version (the release that closes its affected stretch), without repeats, in the
   *  ecosystem's order. Empty when nothing is fixed yet, or the version is only listed. */
  fixedVersions: string[];
}

/** `introduced: "0"` sorts before every version; a limit containing "*" is infinity. */
const LOWEST = "0";
const INFINITY_MARK = "*";

/** The version of an introduced, fixed or last_affected event (limits are not walked). */
function eventVersion(event: OsvEvent): string | undefined {
  return event.introduced ?? event.fixed ?? event.last_affected;
}

const isLowest = (event: OsvEvent): boolean => event.introduced === LOWEST;

/** The introduced/fixed/last_affected events in version order; stable, so events at one version
 *  keep the record's order. */
function sortEvents(events: readonly OsvEvent[], order: VersionOrder): OsvEvent[] {
  return events
    .filter((event) => eventVersion(event) !== undefined)
    .sort((a, b) => {
      if (isLowest(a) || isLowest(b)) return Number(isLowest(b)) - Number(isLowest(a));
      return order(eventVersion(a)!, eventVersion(b)!);
    });
}

function beforeLimits(events: readonly OsvEvent[], version: string, order: VersionOrder): boolean {
  const limits = events.flatMap((event) => (event.limit === undefined ? [] : [event.limit]));
  if (limits.length === 0) return true;
  return limits.some((limit) => limit.includes(INFINITY_MARK) || order(version, limit) < 0);
}

/** One range against the version: whether it contains it, and the fix that closes it if so. */
function evaluateRange(
  range: OsvRange,
  version: string,
  order: VersionOrder,
): { contains: boolean; fixed?: string } {
  if (!beforeLimits(range.events, version, order)) return { contains: false };
  const events = sortEvents(range.events, order);
  let contains = false;
  for (const event of events) {
    if (event.introduced !== undefined && (isLowest(event) || order(version, event.introduced) >= 0)) {
      contains = true;
    } else if (event.fixed !== undefined && order(version, event.fixed) >= 0) {
      contains = false;
    } else if (event.last_affected !== undefined && order(version, event.last_affected) > 0) {
      contains = false;
    }
  }
  if (!contains) return { contains };
  const closing = events.find((event) => event.fixed !== undefined && order(version, event.fixed) < 0);
  return closing?.fixed === undefined ? { contains } : { contains, fixed: closing.fixed };
}

function orderOfRange(type: string, ecosystem: string): VersionOrder | undefined {
  if (type === "SEMVER") return compareSemVer;
  if (type === "ECOSYSTEM") return versionOrderFor(ecosystem);
  return undefined;
}

/** Listed in `versions[]`: the same text, or the same version by the ecosystem's order (1:1.0
 *  and 1:1.0-0 are one dpkg version). Entries the order cannot read match only by text. */
function isListed(versions: readonly string[], version: string, order: VersionOrder | undefined): boolean {
  return versions.some((listed) => {
    if (listed === version) return true;
    if (order === undefined) return false;
    try {
      return order(listed, version) === 0;
    } catch {
      return false;
    }
  });
}

/** Whether `version` of the entry's package (in `ecosystem`, e.g. "Debian:12") is affected, and
 *  the fixed versions that apply. */
export function evaluateAffected(affected: OsvAffected, version: string, ecosystem: string): AffectedVerdict {
  const ecosystemOrder = versionOrderFor(ecosystem);
  let isAffectedHere = isListed(affected.versions ?? [], version, ecosystemOrder);
  const fixed: string[] = [];
  for (const range of affected.ranges ?? []) {
    const order = orderOfRange(range.type, ecosystem);
    if (order === undefined) continue;
    const verdict = evaluateRange(range, version, order);
    if (!verdict.contains) continue;
    isAffectedHere = true;
    if (verdict.fixed !== undefined && !fixed.includes(verdict.fixed)) fixed.push(verdict.fixed);
  }
  return { affected: isAffectedHere, fixedVersions: fixed.sort(ecosystemOrder ?? compareSemVer) };
}

export function isAffected(affected: OsvAffected, version: string, ecosystem: string): boolean {
  return evaluateAffected(affected, version, ecosystem).affected;
}

export function fixedVersions(affected: OsvAffected, version: string, ecosystem: string): string[] {
  return evaluateAffected(affected, version, ecosystem).fixedVersions;
}
