/**
 * Version ordering by OSV ecosystem: which ordering an ecosystem's versions follow, and comparing
 * or checking versions with it. The ecosystem is an OSV name ("Debian", "Alpine:v3.18",
 * "Ubuntu:22.04:LTS"); what follows the first ":" names a release and does not change the order.
 */
import { WharfError } from "../../errors.ts";
import { compareApk, isValidApk } from "./apk.ts";
import { compareDpkg, isValidDpkg } from "./dpkg.ts";
import { compareMaven } from "./maven.ts";
import { comparePep440, isValidPep440 } from "./pep440.ts";
import { compareRpm } from "./rpm.ts";
import { compareSemVer, isValidGoVersion, isValidNpmVersion, isValidStrictSemVer } from "./semver-order.ts";

export type VersionOrder = (a: string, b: string) => number;

interface Ordering {
  compare: VersionOrder;
  isValid: (version: string) => boolean;
}

const nonEmpty = (version: string): boolean => version.trim() !== "";

const APK: Ordering = { compare: compareApk, isValid: isValidApk };
const DPKG: Ordering = { compare: compareDpkg, isValid: isValidDpkg };
const RPM: Ordering = { compare: compareRpm, isValid: nonEmpty };

/** Keyed by the lower-cased ecosystem name, as OSV's ecosystem list spells it. */
const ORDERINGS: ReadonlyMap<string, Ordering> = new Map([
  ["alpine", APK],
  ["wolfi", APK],
  ["chainguard", APK],
  ["alpaquita", APK],
  ["bellsoft hardened containers", APK],
  ["minimos", APK],
  ["debian", DPKG],
  ["ubuntu", DPKG],
  ["red hat", RPM],
  ["rocky linux", RPM],
  ["almalinux", RPM],
  ["opensuse", RPM],
  ["suse", RPM],
  ["mageia", RPM],
  ["openeuler", RPM],
  ["pypi", { compare: comparePep440, isValid: isValidPep440 }],
  ["npm", { compare: compareSemVer, isValid: isValidNpmVersion }],
  ["crates.io", { compare: compareSemVer, isValid: isValidStrictSemVer }],
  ["go", { compare: compareSemVer, isValid: isValidGoVersion }],
  ["maven", { compare: compareMaven, isValid: nonEmpty }],
]);

function orderingFor(ecosystem: string): Ordering | undefined {
  const colon = ecosystem.indexOf(":");
  const name = colon < 0 ? ecosystem : ecosystem.slice(0, colon);
  return ORDERINGS.get(name.trim().toLowerCase());
}

/** The version order of an OSV ecosystem, or undefined for one this module does not know. */
export function versionOrderFor(ecosystem: string): VersionOrder | undefined {
  return orderingFor(ecosystem)?.compare;
}

/**
 * Negative, 0 or positive as `a` sorts before, with or after `b` in the ecosystem's order.
 * Throws WharfError VERSION_INVALID for an unknown ecosystem or a version its order cannot read
 * (a dpkg version dpkg refuses; a SemVer one that does not start with a number).
 */
export function compareVersions(ecosystem: string, a: string, b: string): number {
  const ordering = orderingFor(ecosystem);
  if (ordering === undefined) {
    throw new WharfError("VERSION_INVALID", `no version order known for ecosystem "${ecosystem}"`, {
      ecosystem,
    });
  }
  return ordering.compare(a, b);
}

/**
 * Whether the ecosystem's own tool accepts the version as well formed (apk, dpkg, PEP 440,
 * node-semver, strict SemVer for crates.io and Go). Looser than that, compareVersions still
 * orders most versions this rejects. False for an unknown ecosystem.
 */
export function isValidVersion(ecosystem: string, version: string): boolean {
  return orderingFor(ecosystem)?.isValid(version) ?? false;
}
