/**
 * SemVer 2.0 precedence (semver.org §11), for npm, crates.io, Go modules and OSV's SEMVER ranges.
 *
 * node-semver (`semver.parse` with `loose`, as npm reads versions) reads a version where it can:
 * an optional "v" or "=", `major.minor.patch`, `-pre.release` ids and ignored `+build` metadata.
 * What it refuses still turns up in package metadata and vulnerability records, so those are read
 * leniently instead, the way osv-scalibr's semantic package reads them: a missing minor or patch
 * is 0, numbers may exceed 2^53, and text after the third number other than `+build` ("-rc1",
 * "rc1", ".4.5") is the pre-release. Both readings feed one comparison, with numeric ids of any
 * length: core numbers, then a pre-release before its release, then ids one by one (numbers by
 * value and before words, words in ASCII order, a longer list after its prefix). Go's
 * "+incompatible" is build metadata and its pseudo-versions are pre-releases, which is how the Go
 * toolchain orders them too. A string that does not start with a number has no order.
 */
import semver from "semver";
import { WharfError } from "../../errors.ts";
import { compareDigitRuns, compareStrings } from "./digits.ts";

/** What SemVer precedence looks at: the three numbers and the pre-release ids, all as text. */
interface Precedence {
  core: [string, string, string];
  prerelease: string[];
}

const LENIENT_VERSION = /^\s*[vV=]*\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?([^+]*)(?:\+.*)?$/;

function readPrecedence(version: string): Precedence {
  const parsed = semver.parse(version, { loose: true });
  if (parsed !== null) {
    return {
      core: [String(parsed.major), String(parsed.minor), String(parsed.patch)],
      prerelease: parsed.prerelease.map(String),
    };
  }
  const m = LENIENT_VERSION.exec(version);
  if (m === null) {
    throw new WharfError(
      "VERSION_INVALID",
      `invalid semantic version "${version}": it does not start with a number`,
      {
        version,
      },
    );
  }
  // The pre-release may be written "-rc.1", "rc.1" or, past a fourth number, ".4".
  const prerelease = m[4]!.replace(/^[-.]/, "");
  return {
    core: [m[1]!, m[2] ?? "0", m[3] ?? "0"],
    prerelease: prerelease === "" ? [] : prerelease.split("."),
  };
}

const isNumericId = (id: string): boolean => /^\d+$/.test(id);

function compareIds(a: string, b: string): number {
  const numericA = isNumericId(a);
  const numericB = isNumericId(b);
  if (numericA && numericB) return compareDigitRuns(a, b);
  if (numericA !== numericB) return numericA ? -1 : 1;
  return compareStrings(a, b);
}

export function compareSemVer(a: string, b: string): number {
  const x = readPrecedence(a);
  const y = readPrecedence(b);
  for (let i = 0; i < 3; i++) {
    const diff = compareDigitRuns(x.core[i]!, y.core[i]!);
    if (diff !== 0) return diff;
  }
  // A pre-release comes before its release.
  if (x.prerelease.length === 0 || y.prerelease.length === 0) {
    return Math.sign(y.prerelease.length) - Math.sign(x.prerelease.length);
  }
  for (let i = 0; i < Math.min(x.prerelease.length, y.prerelease.length); i++) {
    const diff = compareIds(x.prerelease[i]!, y.prerelease[i]!);
    if (diff !== 0) return diff;
  }
  return Math.sign(x.prerelease.length - y.prerelease.length);
}

/** A version npm accepts (node-semver, loose). */
export function isValidNpmVersion(version: string): boolean {
  return semver.valid(version, { loose: true }) !== null;
}

/** A strict SemVer 2.0 version, as Cargo requires (node-semver would let a "v" or "=" through). */
export function isValidStrictSemVer(version: string): boolean {
  return /^\d/.test(version) && semver.valid(version) !== null;
}

/** A Go module version: strict SemVer, the "v" Go writes being optional (OSV records drop it). */
export function isValidGoVersion(version: string): boolean {
  return isValidStrictSemVer(version.replace(/^v/, ""));
}
