/**
 * Debian package versions (dpkg): Debian, Ubuntu and their derivatives.
 *
 * Ported by hand from dpkg lib/dpkg/version.c (order, verrevcmp, dpkg_version_compare) and
 * lib/dpkg/parsehelp.c (parseversion): `[epoch:]upstream_version[-debian_revision]`, the epoch
 * compared as a number, then the upstream version, then the revision, each by verrevcmp
 * (alternating non-digit and digit runs; `~` sorts before everything, even the end of the string;
 * letters before other characters). Like dpkg, a version without an epoch or revision is fine and
 * what dpkg only warns about (a version that does not start with a digit, odd characters) is
 * still ordered; what dpkg refuses to parse (an empty version, a non-numeric epoch, nothing after
 * the colon, an empty revision) is VERSION_INVALID.
 */
import { WharfError } from "../../errors.ts";
import { compareDigitRuns, isAsciiDigit, isAsciiLetter } from "./digits.ts";

export interface DpkgVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

// dpkg keeps the epoch in an int and refuses larger ones.
const MAX_EPOCH = 2 ** 31 - 1;

/** Splits a version as dpkg's parseversion does; undefined with a reason where dpkg refuses it. */
function splitDpkg(text: string): DpkgVersion | string {
  const version = text.trim();
  if (version === "") return "version string is empty";
  if (/\s/.test(version)) return "version string has embedded spaces";
  let epoch = 0;
  let rest = version;
  const colon = version.indexOf(":");
  if (colon >= 0) {
    const digits = version.slice(0, colon);
    if (digits === "") return "epoch in version is empty";
    if (!/^\d+$/.test(digits)) return "epoch in version is not number";
    epoch = Number(digits);
    if (epoch > MAX_EPOCH) return "epoch in version is too big";
    rest = version.slice(colon + 1);
    if (rest === "") return "nothing after colon in version number";
  }
  // The revision is what follows the last hyphen, so upstream versions may contain hyphens.
  const hyphen = rest.lastIndexOf("-");
  const upstream = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  const revision = hyphen >= 0 ? rest.slice(hyphen + 1) : "";
  if (hyphen >= 0 && revision === "") return "revision number is empty";
  if (upstream === "") return "version number is empty";
  return { epoch, upstream, revision };
}

export function parseDpkg(text: string): DpkgVersion {
  const parsed = splitDpkg(text);
  if (typeof parsed === "string") {
    throw new WharfError("VERSION_INVALID", `invalid dpkg version "${text}": ${parsed}`, {
      version: text,
      ecosystem: "dpkg",
    });
  }
  return parsed;
}

/** The weight of one character in verrevcmp's non-digit runs; the end of the string weighs 0. */
function weight(c: string | undefined): number {
  if (c === undefined || isAsciiDigit(c)) return 0;
  if (isAsciiLetter(c)) return c.charCodeAt(0);
  if (c === "~") return -1;
  return c.charCodeAt(0) + 256;
}

/** dpkg's verrevcmp: an upstream version or a revision against another. */
export function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isAsciiDigit(a[i])) || (j < b.length && !isAsciiDigit(b[j]))) {
      const diff = weight(a[i]) - weight(b[j]);
      if (diff !== 0) return Math.sign(diff);
      i++;
      j++;
    }
    const startA = i;
    const startB = j;
    while (isAsciiDigit(a[i])) i++;
    while (isAsciiDigit(b[j])) j++;
    const diff = compareDigitRuns(a.slice(startA, i), b.slice(startB, j));
    if (diff !== 0) return diff;
  }
  return 0;
}

export function compareDpkg(a: string, b: string): number {
  const x = parseDpkg(a);
  const y = parseDpkg(b);
  if (x.epoch !== y.epoch) return x.epoch < y.epoch ? -1 : 1;
  return verrevcmp(x.upstream, y.upstream) || verrevcmp(x.revision, y.revision);
}

/** Whether dpkg accepts the version without a warning (starts with a digit, allowed characters). */
export function isValidDpkg(text: string): boolean {
  const parsed = splitDpkg(text);
  if (typeof parsed === "string") return false;
  return /^\d[A-Za-z0-9.+~:-]*$/.test(parsed.upstream) && /^[A-Za-z0-9.+~]*$/.test(parsed.revision);
}
