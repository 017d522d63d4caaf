/**
 * Small pieces the version orderings share: digit runs compared as numbers of any length (versions
 * carry dates, hashes read as numbers and other runs longer than a double holds), byte-wise string
 * order, and ASCII character classes (the reference tools use C's, not Unicode's).
 */

/** Compares two runs of ASCII digits as non-negative integers; an empty run counts as 0. */
export function compareDigitRuns(a: string, b: string): number {
  const x = stripLeadingZeros(a);
  const y = stripLeadingZeros(b);
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return compareStrings(x, y);
}

/** Byte-wise (code unit) string order, as C's strcmp/memcmp orders ASCII text. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

export function isAsciiDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

export function isAsciiLetter(c: string | undefined): boolean {
  return c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z"));
}

function stripLeadingZeros(run: string): string {
  let i = 0;
  while (i < run.length && run[i] === "0") i++;
  return run.slice(i);
}
