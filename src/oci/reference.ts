/**
 * Image references ("docker.io/library/nginx:1.27@sha256:…"), following
 * github.com/distribution/reference: the grammar, Docker's normalisation (docker.io, library/),
 * the familiar forms Docker prints, and FamiliarMatch. Pure: no I/O.
 *
 * Upstream's Go types (Named, Tagged, Canonical, …) become one immutable shape: a named
 * Reference whose tag and digest are present or absent, plus a bare DigestReference.
 */
import { type ErrorCode, WharfError } from "../errors.ts";
import { type Digest, digestError, isDigest } from "./digest.ts";
import { REFERENCE_REGEXPS } from "./reference-grammar.ts";

export { REFERENCE_REGEXPS } from "./reference-grammar.ts";

export const DEFAULT_DOMAIN = "docker.io";
/** Older clients wrote Docker Hub as index.docker.io; it normalises to docker.io. */
export const LEGACY_DEFAULT_DOMAIN = "index.docker.io";
export const OFFICIAL_REPO_PREFIX = "library/";
export const DEFAULT_TAG = "latest";
/** Upstream's RepositoryNameTotalLengthMax; it bounds the path (the name without its domain). */
export const REPOSITORY_NAME_MAX_LENGTH = 255;
const LOCALHOST = "localhost";

/** A named reference. Frozen; `tag` and `digest` are absent rather than empty. */
export interface Reference {
  /** Registry host[:port]. Empty only for names parsed without normalisation that have no domain. */
  readonly domain: string;
  readonly path: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

/** A bare digest, e.g. an image ID; only parseAnyReference returns one. */
export interface DigestReference {
  readonly digest: Digest;
}

export type AnyReference = Reference | DigestReference;

export function isNamedReference(ref: AnyReference): ref is Reference {
  return "path" in ref;
}

// ---------------------------------------------------------------------------------------------
// Errors: upstream's sentinel messages, which Docker prints verbatim.

type ReferenceErrorCode = Extract<
  ErrorCode,
  | "REFERENCE_INVALID_FORMAT"
  | "REFERENCE_TAG_INVALID"
  | "REFERENCE_DIGEST_INVALID"
  | "REFERENCE_NAME_UPPERCASE"
  | "REFERENCE_NAME_EMPTY"
  | "REFERENCE_NAME_TOO_LONG"
  | "REFERENCE_NAME_NOT_CANONICAL"
  | "REFERENCE_NAME_IS_ID"
>;

const MESSAGES: Readonly<Record<ReferenceErrorCode, string>> = {
  REFERENCE_INVALID_FORMAT: "invalid reference format",
  REFERENCE_TAG_INVALID: "invalid tag format",
  REFERENCE_DIGEST_INVALID: "invalid digest format",
  REFERENCE_NAME_UPPERCASE: "repository name must be lowercase",
  REFERENCE_NAME_EMPTY: "repository name must have at least one component",
  REFERENCE_NAME_TOO_LONG: `repository name must not be more than ${REPOSITORY_NAME_MAX_LENGTH} characters`,
  REFERENCE_NAME_NOT_CANONICAL: "repository name must be canonical",
  REFERENCE_NAME_IS_ID: "repository name must not be a 64-byte hexadecimal string",
};

/** `input` is what the caller passed; `part` is the piece of it that is wrong. */
function referenceError(code: ReferenceErrorCode, input: string, part: string, message = MESSAGES[code]) {
  return new WharfError(code, message, { input, part });
}

// ---------------------------------------------------------------------------------------------
// Construction and formatting

function makeReference(domain: string, path: string, tag?: string, digest?: Digest): Reference {
  const ref: { domain: string; path: string; tag?: string; digest?: Digest } = { domain, path };
  if (tag) ref.tag = tag;
  if (digest) ref.digest = digest;
  return Object.freeze(ref);
}

function makeDigestReference(digest: Digest): DigestReference {
  return Object.freeze({ digest });
}

function joinName(domain: string, path: string): string {
  return domain === "" ? path : `${domain}/${path}`;
}

/** The repository name, `domain/path` (upstream's Name()). */
export function referenceName(ref: Reference): string {
  return joinName(ref.domain, ref.path);
}

/** The full reference, `name[:tag][@digest]` or a bare digest (upstream's String()). */
export function referenceString(ref: AnyReference): string {
  if (!isNamedReference(ref)) return ref.digest;
  const tag = ref.tag === undefined ? "" : `:${ref.tag}`;
  const digest = ref.digest === undefined ? "" : `@${ref.digest}`;
  return referenceName(ref) + tag + digest;
}

/** Splits a repository name into domain and path as the grammar does; "" domain when it has none. */
export function splitDomain(name: string): { domain: string; path: string } {
  const match = REFERENCE_REGEXPS.anchoredName.exec(name);
  if (!match) return { domain: "", path: name };
  return { domain: match[1] ?? "", path: match[2] ?? "" };
}

// ---------------------------------------------------------------------------------------------
// Parsing (upstream's Parse), without normalisation

/** Parses a reference as written, without adding docker.io or library/ (upstream's Parse). */
export function parseReference(input: string): Reference {
  return parseAs(input, input);
}

/** Parses `text`; errors report `input`, the string the caller gave (they differ after normalising). */
function parseAs(text: string, input: string): Reference {
  if (text === "") throw referenceError("REFERENCE_NAME_EMPTY", input, input);
  const match = REFERENCE_REGEXPS.reference.exec(text);
  if (!match) throw unparsableError(text, input);
  const [, name = "", tag, digest] = match;
  const { domain, path } = splitDomain(name);
  if (path.length > REPOSITORY_NAME_MAX_LENGTH) throw referenceError("REFERENCE_NAME_TOO_LONG", input, path);
  return makeReference(domain, path, tag, digest === undefined ? undefined : checkedDigest(digest, input));
}

/** Upstream's hint: if lowercasing is all it takes to parse, the name has uppercase letters. */
function unparsableError(text: string, input: string): WharfError {
  const lower = text.toLowerCase();
  if (lower !== text && REFERENCE_REGEXPS.reference.test(lower)) {
    return referenceError("REFERENCE_NAME_UPPERCASE", input, text);
  }
  return referenceError("REFERENCE_INVALID_FORMAT", input, text);
}

/** The grammar only checks a digest's shape; go-digest's rules (algorithm, length) apply as well. */
function checkedDigest(digest: string, input: string): Digest {
  const err = digestError(digest);
  if (err) throw new WharfError(err.code, err.message, { input, part: digest }, { cause: err });
  return digest as Digest;
}

// ---------------------------------------------------------------------------------------------
// Building references (upstream's WithName, WithTag, WithDigest, TrimNamed, TagNameOnly)

/** A name-only reference from a repository name (no tag or digest allowed). */
export function withName(name: string): Reference {
  const match = REFERENCE_REGEXPS.anchoredName.exec(name);
  if (!match) throw referenceError("REFERENCE_INVALID_FORMAT", name, name);
  const [, domain = "", path = ""] = match;
  if (path.length > REPOSITORY_NAME_MAX_LENGTH) throw referenceError("REFERENCE_NAME_TOO_LONG", name, path);
  return makeReference(domain, path);
}

/** Sets (or replaces) the tag, keeping any digest. */
export function withTag(ref: Reference, tag: string): Reference {
  if (!REFERENCE_REGEXPS.anchoredTag.test(tag)) {
    throw referenceError("REFERENCE_TAG_INVALID", referenceString(ref), tag);
  }
  return makeReference(ref.domain, ref.path, tag, ref.digest);
}

/**
 * Sets (or replaces) the digest, keeping any tag. Like upstream, only the reference grammar's digest
 * shape is checked at run time; the Digest type is what asks callers to have validated it.
 */
export function withDigest(ref: Reference, digest: Digest): Reference {
  if (!REFERENCE_REGEXPS.anchoredDigest.test(digest)) {
    throw referenceError("REFERENCE_DIGEST_INVALID", referenceString(ref), digest);
  }
  return makeReference(ref.domain, ref.path, ref.tag, digest);
}

/** The reference without its tag and digest. */
export function trimNamed(ref: Reference): Reference {
  return makeReference(ref.domain, ref.path);
}

export function isNameOnly(ref: Reference): boolean {
  return ref.tag === undefined && ref.digest === undefined;
}

/** Adds the default tag "latest" when the reference has neither tag nor digest. */
export function tagNameOnly(ref: Reference): Reference {
  return isNameOnly(ref) ? withTag(ref, DEFAULT_TAG) : ref;
}

// ---------------------------------------------------------------------------------------------
// Docker's normalisation (upstream's normalize.go)

/**
 * Parses what a user types ("nginx", "me/app:1", "ghcr.io/o/r@sha256:…") into the full reference:
 * docker.io is the default domain, and single-component Docker Hub names get "library/".
 */
export function parseNormalizedNamed(input: string): Reference {
  if (REFERENCE_REGEXPS.anchoredIdentifier.test(input)) {
    const message = `invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`;
    throw referenceError("REFERENCE_NAME_IS_ID", input, input, message);
  }
  const { domain, remainder } = splitDockerDomain(input);
  const colon = remainder.indexOf(":");
  const remote = colon === -1 ? remainder : remainder.slice(0, colon);
  if (remote.toLowerCase() !== remote) {
    const message = `invalid reference format: repository name (${remote}) must be lowercase`;
    throw referenceError("REFERENCE_NAME_UPPERCASE", input, remote, message);
  }
  return parseAs(`${domain}/${remainder}`, input);
}

/**
 * The first path segment is a registry only if it looks like a host: it contains "." or ":", is
 * "localhost", or has uppercase letters (which repository paths cannot have).
 */
function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf("/");
  if (slash === -1) return { domain: DEFAULT_DOMAIN, remainder: OFFICIAL_REPO_PREFIX + name };
  const first = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  let domain = DEFAULT_DOMAIN;
  let remainder = name;
  if (first === LEGACY_DEFAULT_DOMAIN) {
    remainder = rest;
  } else if (first === LOCALHOST || /[.:]/.test(first) || first.toLowerCase() !== first) {
    domain = first;
    remainder = rest;
  }
  if (domain === DEFAULT_DOMAIN && !remainder.includes("/")) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

/** Like parseNormalizedNamed, but the input must already be the full, canonical form. */
export function parseNamed(input: string): Reference {
  const ref = parseNormalizedNamed(input);
  if (referenceString(ref) !== input) throw referenceError("REFERENCE_NAME_NOT_CANONICAL", input, input);
  return ref;
}

/** Also accepts image IDs: 64 hex characters (taken as sha256) or a full digest. */
export function parseAnyReference(input: string): AnyReference {
  if (REFERENCE_REGEXPS.anchoredIdentifier.test(input)) {
    return makeDigestReference(`sha256:${input}` as Digest);
  }
  if (isDigest(input)) return makeDigestReference(input);
  return parseNormalizedNamed(input);
}

/**
 * The reference containerd and BuildKit resolve: normalised, ":latest" when there is neither tag
 * nor digest, and the tag dropped when there is a digest (the digest alone decides the content).
 */
export function parseDockerRef(input: string): Reference {
  const ref = parseNormalizedNamed(input);
  if (ref.tag !== undefined && ref.digest !== undefined) return withDigest(trimNamed(ref), ref.digest);
  return tagNameOnly(ref);
}

/** What `docker pull nginx` resolves: parseNormalizedNamed, then ":latest" if name-only. */
export function parseImageReference(input: string): Reference {
  return tagNameOnly(parseNormalizedNamed(input));
}

// ---------------------------------------------------------------------------------------------
// Familiar forms: how Docker shows names ("nginx", "me/app", "ghcr.io/o/r")

function familiarRepository(ref: Reference): { domain: string; path: string } {
  if (ref.domain !== DEFAULT_DOMAIN) return ref;
  const official = ref.path.startsWith(OFFICIAL_REPO_PREFIX)
    ? ref.path.slice(OFFICIAL_REPO_PREFIX.length)
    : undefined;
  // "library/" is hidden only for single-component names: docker.io/library/a/b stays "library/a/b".
  const path = official !== undefined && !official.includes("/") ? official : ref.path;
  return { domain: "", path };
}

export function familiarName(ref: Reference): string {
  const { domain, path } = familiarRepository(ref);
  return joinName(domain, path);
}

export function familiarString(ref: AnyReference): string {
  if (!isNamedReference(ref)) return ref.digest;
  const { domain, path } = familiarRepository(ref);
  return referenceString({ domain, path, tag: ref.tag, digest: ref.digest });
}

/**
 * Matches a path.Match glob against the familiar string, then (for named references) against the
 * familiar name, as upstream's FamiliarMatch. Throws PATTERN_INVALID for a malformed pattern.
 */
export function familiarMatch(pattern: string, ref: AnyReference): boolean {
  if (pathMatch(pattern, familiarString(ref))) return true;
  return isNamedReference(ref) && pathMatch(pattern, familiarName(ref));
}

// ---------------------------------------------------------------------------------------------
// Go's path.Match, by hand: no npm glob package (minimatch, picomatch, micromatch, …) matches its
// semantics exactly ("*" stops at "/", no "**", no braces, byte-wise literals, rune-wise "?" and
// classes, ErrBadPattern even when the match already failed). It works on UTF-8 bytes, as Go does.

const SLASH = 0x2f;
const STAR = 0x2a;
const QUESTION = 0x3f;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const CARET = 0x5e;
const DASH = 0x2d;
const RUNE_ERROR = 0xfffd;
const utf8 = new TextEncoder();

/** Thrown inside the matcher; pathMatch turns it into a WharfError that names the pattern. */
class BadPattern extends Error {}

/**
 * Reports whether `name` matches the shell pattern `pattern` exactly as Go's path.Match does
 * ("*" any run of non-"/" characters, "?" one non-"/" character, "[…]"/"[^…]" classes with
 * ranges, "\\" escapes). Throws a PATTERN_INVALID WharfError for a malformed pattern.
 */
export function pathMatch(pattern: string, name: string): boolean {
  try {
    return matchBytes(utf8.encode(pattern), utf8.encode(name));
  } catch (err) {
    if (err instanceof BadPattern) {
      throw new WharfError("PATTERN_INVALID", "syntax error in pattern", { pattern, name });
    }
    throw err;
  }
}

function matchBytes(p: Uint8Array, s: Uint8Array): boolean {
  let pi = 0;
  let si = 0;
  nextChunk: while (pi < p.length) {
    const { star, start, end } = scanChunk(p, pi);
    pi = end;
    // A trailing "*" matches the rest of the name unless it has a "/".
    if (star && start === end) return s.indexOf(SLASH, si) === -1;
    const rest = matchChunk(p, start, end, s, si);
    // The last chunk must use up the name; otherwise the star may still skip further.
    if (rest >= 0 && (rest === s.length || pi < p.length)) {
      si = rest;
      continue;
    }
    if (star) {
      for (let i = si; i < s.length && s[i] !== SLASH; i++) {
        const t = matchChunk(p, start, end, s, i + 1);
        if (t < 0 || (pi === p.length && t < s.length)) continue;
        si = t;
        continue nextChunk;
      }
    }
    checkRemainingChunks(p, pi);
    return false;
  }
  return si === s.length;
}

/** Go reports a malformed pattern even when the match has already failed. */
function checkRemainingChunks(p: Uint8Array, from: number): void {
  for (let pi = from; pi < p.length; ) {
    const { start, end } = scanChunk(p, pi);
    matchChunk(p, start, end, new Uint8Array(0), 0);
    pi = end;
  }
}

/** The next chunk: leading stars, then everything up to the next "*" outside a class. */
function scanChunk(p: Uint8Array, from: number): { star: boolean; start: number; end: number } {
  let i = from;
  while (i < p.length && p[i] === STAR) i++;
  const start = i;
  let inRange = false;
  for (; i < p.length; i++) {
    const c = p[i];
    if (c === BACKSLASH) {
      if (i + 1 < p.length) i++;
    } else if (c === OPEN_BRACKET) {
      inRange = true;
    } else if (c === CLOSE_BRACKET) {
      inRange = false;
    } else if (c === STAR && !inRange) {
      break;
    }
  }
  return { star: start > from, start, end: i };
}

/**
 * Matches the star-free chunk p[start, end) at s[si…]; returns the index after the match, or -1.
 * After a mismatch it keeps reading the chunk so that syntax errors are still found.
 */
function matchChunk(p: Uint8Array, start: number, end: number, s: Uint8Array, si: number): number {
  let failed = false;
  let c = start;
  while (c < end) {
    if (si === s.length) failed = true;
    if (p[c] === OPEN_BRACKET) {
      let r = 0; // Go compares against rune 0 once the name is used up
      if (!failed) {
        const [rune, size] = decodeRune(s, si, s.length);
        r = rune;
        si += size;
      }
      const cls = matchClass(p, c + 1, end, r);
      c = cls.next;
      if (!cls.matched) failed = true;
    } else if (p[c] === QUESTION) {
      if (!failed) {
        if (s[si] === SLASH) failed = true;
        si += decodeRune(s, si, s.length)[1];
      }
      c++;
    } else {
      if (p[c] === BACKSLASH && ++c === end) throw new BadPattern();
      if (!failed) {
        if (p[c] !== s[si]) failed = true;
        si++;
      }
      c++;
    }
  }
  return failed ? -1 : si;
}

/** A character class after its "[": returns whether `r` is in it and where the class ends. */
function matchClass(p: Uint8Array, from: number, end: number, r: number): { matched: boolean; next: number } {
  let c = from;
  const negated = c < end && p[c] === CARET;
  if (negated) c++;
  let inClass = false;
  for (let ranges = 0; ; ranges++) {
    if (c < end && p[c] === CLOSE_BRACKET && ranges > 0) return { matched: inClass !== negated, next: c + 1 };
    const lo = classChar(p, c, end);
    let hi = lo;
    if (p[lo.next] === DASH) hi = classChar(p, lo.next + 1, end);
    if (lo.rune <= r && r <= hi.rune) inClass = true;
    c = hi.next;
  }
}

/** One possibly escaped character of a class; it may not be the last byte of the chunk. */
function classChar(p: Uint8Array, from: number, end: number): { rune: number; next: number } {
  let c = from;
  if (c >= end || p[c] === DASH || p[c] === CLOSE_BRACKET) throw new BadPattern();
  if (p[c] === BACKSLASH && ++c >= end) throw new BadPattern();
  const [rune, size] = decodeRune(p, c, end);
  if ((rune === RUNE_ERROR && size === 1) || c + size >= end) throw new BadPattern();
  return { rune, next: c + size };
}

/** Go's utf8.DecodeRune on b[i, end): invalid or truncated sequences give (U+FFFD, 1). */
function decodeRune(b: Uint8Array, i: number, end: number): [rune: number, size: number] {
  const b0 = b[i] ?? 0;
  if (b0 < 0x80) return [b0, 1];
  const size = b0 >= 0xf0 ? 4 : b0 >= 0xe0 ? 3 : b0 >= 0xc2 ? 2 : 0;
  if (size === 0 || b0 > 0xf4 || i + size > end) return [RUNE_ERROR, 1];
  let rune = b0 & (0x7f >> size);
  for (let k = 1; k < size; k++) {
    const bk = b[i + k] ?? 0;
    if ((bk & 0xc0) !== 0x80) return [RUNE_ERROR, 1];
    rune = (rune << 6) | (bk & 0x3f);
  }
  const overlong = (size === 3 && rune < 0x800) || (size === 4 && rune < 0x10000);
  if (overlong || rune > 0x10ffff || (rune >= 0xd800 && rune <= 0xdfff)) return [RUNE_ERROR, 1];
  return [rune, size];
}
