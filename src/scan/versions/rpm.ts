/**
 * RPM package versions: Red Hat, Rocky Linux, AlmaLinux, openSUSE, SUSE and other rpm-based
 * distributions.
 *
 * Ported by hand from rpm rpmio/rpmvercmp.cc (rpmvercmp) and rpmio/rpmver.cc (parseEVR,
 * rpmverCmp). `[epoch:]version[-release]`: the epoch is the leading digits when a colon follows
 * them ("a:1" and "1.m+e2:1" have none), the release is what follows the last hyphen. Each part
 * is compared by rpmvercmp: runs of digits (as numbers) and of letters, everything else a
 * separator; `~` sorts before anything, even the end of the string (1.0~rc1 < 1.0), and `^`
 * after the end but before anything else (1.0 < 1.0^git1 < 1.0.1). A missing epoch is 0; a
 * missing release sorts before any release. Every string has an order, so nothing is invalid.
 */
import { compareDigitRuns, compareStrings, isAsciiDigit, isAsciiLetter } from "./digits.ts";

export interface RpmVersion {
  epoch: string;
  version: string;
  release: string | undefined;
}

export function parseRpm(evr: string): RpmVersion {
  let digits = 0;
  while (isAsciiDigit(evr[digits])) digits++;
  const hasEpoch = evr[digits] === ":";
  const epoch = hasEpoch ? evr.slice(0, digits) || "0" : "0";
  const versionRelease = hasEpoch ? evr.slice(digits + 1) : evr;
  const hyphen = versionRelease.lastIndexOf("-");
  if (hyphen < 0) return { epoch, version: versionRelease, release: undefined };
  return { epoch, version: versionRelease.slice(0, hyphen), release: versionRelease.slice(hyphen + 1) };
}

const isAlnum = (c: string | undefined): boolean => isAsciiDigit(c) || isAsciiLetter(c);

/** rpm's rpmvercmp: one version or release string against another. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]) && a[i] !== "~" && a[i] !== "^") i++;
    while (j < b.length && !isAlnum(b[j]) && b[j] !== "~" && b[j] !== "^") j++;
    if (a[i] === "~" || b[j] === "~") {
      if (a[i] !== "~") return 1;
      if (b[j] !== "~") return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === "^" || b[j] === "^") {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== "^") return 1;
      if (b[j] !== "^") return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = isAsciiDigit(a[i]);
    const inRun = numeric ? isAsciiDigit : isAsciiLetter;
    const startA = i;
    const startB = j;
    while (i < a.length && inRun(a[i])) i++;
    while (j < b.length && inRun(b[j])) j++;
    // A digit run against a letter run (b's run is empty): the digits are newer.
    if (j === startB) return numeric ? 1 : -1;
    const runA = a.slice(startA, i);
    const runB = b.slice(startB, j);
    const diff = numeric ? compareDigitRuns(runA, runB) : compareStrings(runA, runB);
    if (diff !== 0) return diff;
  }
  if (i >= a.length && j >= b.length) return 0;
  // Whichever still has characters left is newer.
  return i >= a.length ? -1 : 1;
}

/** Present beats absent; two present parts compare by rpmvercmp (rpmver.cc compare_values). */
function compareParts(a: string | undefined, b: string | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  return rpmvercmp(a, b);
}

export function compareRpm(a: string, b: string): number {
  const x = parseRpm(a);
  const y = parseRpm(b);
  return rpmvercmp(x.epoch, y.epoch) || rpmvercmp(x.version, y.version) || compareParts(x.release, y.release);
}
