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
import { pathMatch } from "./path-match.ts";
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
export { pathMatch } from "./path-match.ts";
