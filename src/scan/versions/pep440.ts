/**
 * Python package versions (PyPI), in PEP 440's order.
 *
 * Ported by hand from pypa/packaging src/packaging/version.py (VERSION_PATTERN,
 * _parse_letter_version, _parse_local_version, _cmpkey): `[N!]N(.N)*[{a|b|rc}N][.postN][.devN]
 * [+local]` with the spellings PEP 440 normalizes (alpha, c, pre, preview, rev, r, "-N" as a post
 * release, "_" and "-" as separators, a leading "v", any case). Ordering: epoch, release (trailing
 * zeros ignored: 1.0 == 1), then dev-only < a < b < rc < final, post after, dev before its
 * pre/post, and a local version after the same public version. JavaScript has no possessive
 * quantifiers; packaging's pattern without them (its form for Pythons before 3.11.5) accepts the
 * same versions here. A string that is not PEP 440 is read as packaging 21's LegacyVersion did
 * (pep440-legacy.ts), ordered before every PEP 440 version: old releases on PyPI have such versions.
 */
import { compareLegacyPythonVersions } from "./pep440-legacy.ts";

const VERSION_PATTERN = new RegExp(
  "^\\s*v?" +
    "(?:(?<epoch>[0-9]+)!)?" +
    "(?<release>[0-9]+(?:\\.[0-9]+)*)" +
    "(?<pre>[-_.]?(?<preL>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<preN>[0-9]+)?)?" +
    "(?<post>(?:-(?<postN1>[0-9]+))|(?:[-_.]?(?<postL>post|rev|r)[-_.]?(?<postN2>[0-9]+)?))?" +
    "(?<dev>[-_.]?(?<devL>dev)[-_.]?(?<devN>[0-9]+)?)?" +
    "(?:\\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?" +
    "\\s*$",
  "i",
);

// Pre-release ranks as packaging's _cmpkey gives them.
const PRE_RANK: Readonly<Record<string, number>> = { a: 0, b: 1, rc: 2 };
const PRE_RANK_DEV_ONLY = -1;
const PRE_RANK_FINAL = 3;
const LETTER_SPELLINGS: Readonly<Record<string, string>> = {
  alpha: "a",
  beta: "b",
  c: "rc",
  pre: "rc",
  preview: "rc",
  rev: "post",
  r: "post",
};

/** A PEP 440 version reduced to what its order looks at. */
interface Pep440Key {
  epoch: bigint;
  /** Without trailing zeros. */
  release: bigint[];
  /** pre rank, pre number, post rank, post number, dev rank, dev number. */
  suffix: bigint[];
  /** Numbers as bigint, words lower-cased; undefined without a local part. */
  local: (bigint | string)[] | undefined;
}

function parsePep440(text: string): Pep440Key | undefined {
  const groups = VERSION_PATTERN.exec(text)?.groups;
  if (groups === undefined) return undefined;
  const release = groups.release!.split(".").map(BigInt);
  while (release.length > 0 && release[release.length - 1] === 0n) release.pop();
  const pre = groups.preL === undefined ? undefined : BigInt(groups.preN ?? 0);
  const preLetter = groups.preL?.toLowerCase();
  const postNumber = groups.postN1 ?? groups.postN2;
  const post = groups.postL !== undefined || postNumber !== undefined ? BigInt(postNumber ?? 0) : undefined;
  const dev = groups.devL === undefined ? undefined : BigInt(groups.devN ?? 0);
  let preRank = PRE_RANK_FINAL;
  if (pre !== undefined) preRank = PRE_RANK[LETTER_SPELLINGS[preLetter!] ?? preLetter!]!;
  else if (post === undefined && dev !== undefined) preRank = PRE_RANK_DEV_ONLY;
  const suffix = [
    BigInt(preRank),
    pre ?? 0n,
    post === undefined ? 0n : 1n,
    post ?? 0n,
    dev === undefined ? 1n : 0n,
    dev ?? 0n,
  ];
  const local = groups.local
    ?.toLowerCase()
    .split(/[-_.]/)
    .map((part) => (/^[0-9]+$/.test(part) ? BigInt(part) : part));
  return { epoch: BigInt(groups.epoch ?? 0), release, suffix, local };
}

function compareBigints(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Element by element, a proper prefix first: Python's tuple order. */
function compareSequences<T>(a: readonly T[], b: readonly T[], compare: (x: T, y: T) => number): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const diff = compare(a[i]!, b[i]!);
    if (diff !== 0) return diff;
  }
  return compareBigints(BigInt(a.length), BigInt(b.length));
}

/** Local segments: words before numbers, words by code point, numbers by value. */
function compareLocalSegments(a: bigint | string, b: bigint | string): number {
  if (typeof a === "bigint" && typeof b === "bigint") return compareBigints(a, b);
  if (typeof a === "string" && typeof b === "string") return a === b ? 0 : a < b ? -1 : 1;
  return typeof a === "string" ? -1 : 1;
}

function compareKeys(a: Pep440Key, b: Pep440Key): number {
  return (
    compareBigints(a.epoch, b.epoch) ||
    compareSequences(a.release, b.release, compareBigints) ||
    compareSequences(a.suffix, b.suffix, compareBigints) ||
    (a.local === undefined || b.local === undefined
      ? Number(a.local !== undefined) - Number(b.local !== undefined)
      : compareSequences(a.local, b.local, compareLocalSegments))
  );
}

export function comparePep440(a: string, b: string): number {
  const x = parsePep440(a);
  const y = parsePep440(b);
  if (x !== undefined && y !== undefined) return compareKeys(x, y);
  // A legacy version sorts before every PEP 440 one (packaging 21 gave it epoch -1).
  if (x !== undefined) return 1;
  if (y !== undefined) return -1;
  return compareLegacyPythonVersions(a, b);
}

export function isValidPep440(text: string): boolean {
  return VERSION_PATTERN.test(text);
}
