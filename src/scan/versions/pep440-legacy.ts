/**
 * The order of Python versions that are not PEP 440 ("0.1-bulbasaur", "2004d"), as packaging 21's
 * LegacyVersion gave it (setuptools' parse_version before PEP 440). packaging 22 dropped
 * LegacyVersion and refuses such strings, but old releases on PyPI still carry them and
 * vulnerability records name them.
 *
 * Ported by hand from pypa/packaging 21.3 packaging/version.py (_parse_version_parts,
 * _legacy_cmpkey): the lower-cased string is cut into digit runs, letter runs, dots and hyphens;
 * numbers are zero-padded to compare as numbers, words get a "*" prefix (pre/preview/rc become
 * "c", dev becomes "@" so it sorts first), "*final" closes the list, and trailing zeros and
 * hyphens before a pre-release word are dropped. Two keys compare element by element.
 */

const PART_PATTERN = /(\d+|[a-z]+|\.|-)/;
const REPLACEMENTS: Readonly<Record<string, string>> = {
  pre: "c",
  preview: "c",
  "-": "final-",
  rc: "c",
  dev: "@",
};
const ZERO_PART = "00000000";

function* versionParts(text: string): Generator<string> {
  // split() with a capturing group keeps the separators, as Python's re.split does.
  for (const raw of text.split(PART_PATTERN)) {
    const part = REPLACEMENTS[raw] ?? raw;
    if (part === "" || part === ".") continue;
    yield part[0]! >= "0" && part[0]! <= "9" ? part.padStart(ZERO_PART.length, "0") : `*${part}`;
  }
  // So that alpha/beta/candidate words sort before the final release.
  yield "*final";
}

function legacyKey(text: string): string[] {
  const parts: string[] = [];
  for (const part of versionParts(text.toLowerCase())) {
    if (part.startsWith("*")) {
      // A hyphen before a pre-release word does not count.
      if (part < "*final") while (parts[parts.length - 1] === "*final-") parts.pop();
      // Trailing zeros of each run of numbers do not count: 1.0 == 1.
      while (parts[parts.length - 1] === ZERO_PART) parts.pop();
    }
    parts.push(part);
  }
  return parts;
}

export function compareLegacyPythonVersions(a: string, b: string): number {
  const x = legacyKey(a);
  const y = legacyKey(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  }
  return Math.sign(x.length - y.length);
}
