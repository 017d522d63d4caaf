/**
 * Platform matching and preference ordering, following containerd/platforms (compare.go,
 * platforms.go's matcher, platform_windows_compat.go). Used to pick a manifest from an image index.
 */
import { defaultPlatform, normalizePlatform, type Platform } from "./platform.ts";

export interface Matcher {
  match(p: Platform): boolean;
}

/** A matcher that also orders platforms: `less(a, b)` when `a` is preferred to `b`. */
export interface MatchComparer extends Matcher {
  less(a: Platform, b: Platform): boolean;
}

// ---------------------------------------------------------------------------------------------
// Windows OS versions: which container builds a host build can run

interface WindowsVersion {
  major: number;
  minor: number;
  build: number;
}

const LTSC2022 = 20348;
const LTSC2025 = 26100;
/** Stable-ABI LTSC releases, ascending: a host runs containers from the previous one up to itself. */
const COMPAT_LTSC_RELEASES = [LTSC2022, LTSC2025];

function parseUint(s: string, max: number): number | undefined {
  if (!/^[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= max ? n : undefined;
}

/** `major.minor.build[.revision]`; anything unreadable is the zero version, which matches all. */
function parseWindowsVersion(v: string): WindowsVersion {
  const zero = { major: 0, minor: 0, build: 0 };
  const [major = "", minor = "", build = ""] = v.split(".");
  if (v.split(".").length < 3) return zero;
  const parsed = {
    major: parseUint(major, 0xff),
    minor: parseUint(minor, 0xff),
    build: parseUint(build, 0xffff),
  };
  if (parsed.major === undefined || parsed.minor === undefined || parsed.build === undefined) return zero;
  return parsed as WindowsVersion;
}

function windowsCompatible(host: WindowsVersion, ctr: WindowsVersion): boolean {
  if (host.major !== ctr.major || host.minor !== ctr.minor) return false;
  // Before Windows Server 2022 the builds must be equal.
  if (host.build < LTSC2022) return host.build === ctr.build;
  let oldest = LTSC2022;
  for (const ltsc of [...COMPAT_LTSC_RELEASES].reverse()) {
    if (host.build > ltsc) {
      oldest = ltsc;
      break;
    }
  }
  return oldest <= ctr.build && ctr.build <= host.build;
}

/** Matches a candidate's OS version against `host`; an empty version on either side matches. */
function windowsVersionMatcher(hostVersion: string): (osVersion: string) => boolean {
  const host = parseWindowsVersion(hostVersion);
  const empty = host.major === 0 && host.minor === 0 && host.build === 0;
  return (osVersion) => empty || osVersion === "" || windowsCompatible(host, parseWindowsVersion(osVersion));
}

// ---------------------------------------------------------------------------------------------
// Exact matching

/** Whether every feature the candidate needs is offered (both lists normalised, so de-duplicated). */
function featuresCovered(offered: readonly string[] = [], needed: readonly string[] = []): boolean {
  const have = new Set(offered);
  return needed.every((f) => have.has(f));
}

/**
 * containerd's NewMatcher: same OS, architecture and variant after normalising both sides, the
 * candidate's OS features a subset of ours, and for Windows a compatible OS version. A candidate's
 * "win32k" feature is ignored for Windows, as every Windows host offers it.
 */
export function newMatcher(platform: Platform): Matcher {
  const want = normalizePlatform(platform);
  // Upstream tests the OS as given, before normalising.
  if (platform.os !== "windows") return { match: (p) => matchesExactly(want, p) };
  const versionOK = windowsVersionMatcher(want.osVersion ?? "");
  return {
    match: (p) => versionOK(p.osVersion ?? "") && matchesExactly(want, withoutFirstWin32k(p)),
  };
}

function matchesExactly(want: Platform, candidate: Platform): boolean {
  const p = normalizePlatform(candidate);
  return (
    want.os === p.os &&
    want.architecture === p.architecture &&
    (want.variant ?? "") === (p.variant ?? "") &&
    featuresCovered(want.osFeatures, p.osFeatures)
  );
}

function withoutFirstWin32k(p: Platform): Platform {
  const i = p.osFeatures?.indexOf("win32k") ?? -1;
  if (i < 0) return p;
  return { ...p, osFeatures: p.osFeatures!.filter((_, j) => j !== i) };
}

// ---------------------------------------------------------------------------------------------
// Compatibility vectors: what a platform can also run, best first

/** Variant numbers above this are treated as unreadable rather than expanded one by one. */
const MAX_VARIANT_NUMBER = 64;

/** strconv.Atoi of the variant without its "v", bounded (see MAX_VARIANT_NUMBER). */
function variantNumber(variant: string | undefined): number | undefined {
  const digits = (variant ?? "").replace(/^v/, "");
  if (!/^[+-]?[0-9]+$/.test(digits)) return undefined;
  const n = Number(digits);
  return n <= MAX_VARIANT_NUMBER ? n : undefined;
}

function withVariant(p: Platform, architecture: string, variant: string): Platform {
  const out: Platform = { os: p.os, architecture };
  if (variant !== "") out.variant = variant;
  if (p.osVersion !== undefined) out.osVersion = p.osVersion;
  if (p.osFeatures !== undefined) out.osFeatures = p.osFeatures;
  return out;
}

/** arm64 variants as (major, highest minor) pairs: v9.x also runs v8.(x+5), capped at v8.9. */
function arm64Versions(variant: string): Array<[major: number, minor: number]> | undefined {
  const m = /^v([89])(?:\.([0-9]))?$/.exec(variant);
  if (!m) return undefined;
  const major = Number(m[1]);
  const minor = Number(m[2] ?? 0);
  if (major === 8) return [[8, minor]];
  return minor <= 7
    ? [
        [9, minor],
        [8, Math.min(minor + 5, 9)],
      ]
    : undefined;
}

/** from, from-1, ..., to (empty when from < to). */
function descending(from: number, to: number): number[] {
  return from < to ? [] : Array.from({ length: from - to + 1 }, (_, i) => from - i);
}

/** containerd's platformVector: the platform followed by the older ones it can run. */
function platformVector(p: Platform): Platform[] {
  const level = variantNumber(p.variant) ?? 0;
  switch (p.architecture) {
    case "amd64": {
      const older = descending(level - 1, 1).map((v) => withVariant(p, "amd64", `v${v}`));
      return [p, ...older, withVariant(p, "386", "")];
    }
    case "arm":
      return [p, ...descending(level - 1, 5).map((v) => withVariant(p, "arm", `v${v}`))];
    case "arm64":
      return arm64Vector(p);
    default:
      return [p];
  }
}

/** arm64/vX.Y down to v8, then 32-bit arm from v8 down; nothing at all for an unknown variant. */
function arm64Vector(p: Platform): Platform[] {
  const versions = arm64Versions(p.variant || "v8");
  if (!versions) return [];
  const vector: Platform[] = [];
  for (const [major, highest] of versions) {
    for (let minor = highest; minor >= 0; minor--) {
      vector.push(withVariant(p, "arm64", minor === 0 ? `v${major}` : `v${major}.${minor}`));
    }
  }
  return [...vector, ...platformVector(withVariant(p, "arm", "v8"))];
}

// ---------------------------------------------------------------------------------------------
// Comparers

const featureCount = (p: Platform) => p.osFeatures?.length ?? 0;

function withoutFeatures(p: Platform): Platform {
  const { osFeatures: _, ...rest } = p;
  return rest;
}

/** Earlier matchers are preferred; among equals, more OS features; then retried without features. */
function orderedLess(matchers: readonly Matcher[], a: Platform, b: Platform): boolean {
  for (const m of matchers) {
    const am = m.match(a);
    const bm = m.match(b);
    if (am && !bm) return true;
    if (am || bm) return am && bm && featureCount(a) > featureCount(b);
  }
  // Neither matched: a platform that would match once features are ignored still goes first.
  if (featureCount(a) > 0 || featureCount(b) > 0) {
    return orderedLess(matchers, withoutFeatures(a), withoutFeatures(b));
  }
  return false;
}

function anyLess(matchers: readonly Matcher[], a: Platform, b: Platform): boolean {
  let am = false;
  let bm = false;
  for (const m of matchers) {
    am ||= m.match(a);
    bm ||= m.match(b);
    if (am && bm) {
      if (featureCount(a) !== featureCount(b)) return featureCount(a) > featureCount(b);
      break;
    }
  }
  if (!am && !bm && (featureCount(a) > 0 || featureCount(b) > 0)) {
    return anyLess(matchers, withoutFeatures(a), withoutFeatures(b));
  }
  return am && !bm;
}

/** Matches any of the platforms, preferring them in the order given. */
export function ordered(...platforms: Platform[]): MatchComparer {
  const matchers = platforms.map(newMatcher);
  return {
    match: (p) => matchers.some((m) => m.match(p)),
    less: (a, b) => orderedLess(matchers, a, b),
  };
}

/** Matches any of the platforms, with no preference among them (beyond OS features). */
export function any(...platforms: Platform[]): MatchComparer {
  const matchers = platforms.map(newMatcher);
  return {
    match: (p) => matchers.some((m) => m.match(p)),
    less: (a, b) => anyLess(matchers, a, b),
  };
}

/** Matches everything, preferring nothing. */
export const all: MatchComparer = { match: () => true, less: () => false };

/**
 * containerd's Only: the platform and those it can run, best first: amd64/vN down to v1 then 386;
 * arm/vN down to v5; arm64 (v8.x or v9.x down to v8) then arm v8 down to v5.
 */
export function only(platform: Platform): MatchComparer {
  return ordered(...platformVector(normalizePlatform(platform)));
}

/** Only this platform (after normalising), without falling back to compatible ones. */
export function onlyStrict(platform: Platform): MatchComparer {
  return ordered(normalizePlatform(platform));
}

/**
 * Any architecture of this platform's OS (with a compatible Windows version and a subset of its
 * OS features); the exact platform sorts first, other OSes last.
 */
export function onlyOS(platform: Platform): MatchComparer {
  const want = normalizePlatform(platform);
  const versionOK = want.os === "windows" ? windowsVersionMatcher(want.osVersion ?? "") : () => true;
  const exact = [newMatcher(want)];
  const matchOS = (candidate: Platform) => {
    const p = normalizePlatform(candidate);
    return (
      want.os === p.os &&
      versionOK(candidate.osVersion ?? "") &&
      featuresCovered(want.osFeatures, p.osFeatures)
    );
  };
  return {
    match: matchOS,
    less: (a, b) => {
      const am = matchOS(a);
      if (am && !matchOS(b)) return true;
      return am && orderedLess(exact, a, b);
    },
  };
}

/** On a Windows host: this platform, newer OS versions first. */
function windowsHostComparer(platform: Platform): MatchComparer {
  const m = newMatcher(platform);
  return {
    match: (p) => m.match(p),
    less: (a, b) => {
      const am = m.match(a);
      const bm = m.match(b);
      if (am && bm) return (a.osVersion ?? "") > (b.osVersion ?? "");
      return am && !bm;
    },
  };
}

/**
 * containerd's Default(): what the host runs. Linux and most Unixes: only(defaultPlatform()).
 * macOS: darwin, then linux of the same architecture; FreeBSD likewise (with the variant);
 * Windows: Windows images of a compatible OS version only.
 */
export function defaultMatcher(): MatchComparer {
  const host = defaultPlatform();
  switch (host.os) {
    case "darwin":
      return ordered(host, { os: "linux", architecture: host.architecture });
    case "freebsd":
      return ordered(
        host,
        withVariant({ os: "linux", architecture: "" }, host.architecture, host.variant ?? ""),
      );
    case "windows":
      return windowsHostComparer(host);
    default:
      return only(host);
  }
}

/** The platforms, most preferred first; a stable sort, so ties keep their order. */
export function sortPlatforms<T extends Platform>(platforms: readonly T[], comparer: MatchComparer): T[] {
  return [...platforms].sort((a, b) => (comparer.less(a, b) ? -1 : comparer.less(b, a) ? 1 : 0));
}

function isMatchComparer(x: Platform | MatchComparer): x is MatchComparer {
  return typeof (x as MatchComparer).match === "function";
}

/**
 * The best candidate for `wanted` (a platform, read as only(wanted), or any comparer; default: the
 * host's defaultMatcher()), or undefined when none matches. Among equals the earliest wins, so an
 * image index's own order breaks ties. Returns the candidate object itself.
 */
export function selectPlatform<T extends Platform>(
  candidates: readonly T[],
  wanted?: Platform | MatchComparer,
): T | undefined {
  const comparer = wanted === undefined ? defaultMatcher() : isMatchComparer(wanted) ? wanted : only(wanted);
  return sortPlatforms(
    candidates.filter((c) => comparer.match(c)),
    comparer,
  )[0];
}
