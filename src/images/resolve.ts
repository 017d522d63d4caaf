/**
 * Docker's lookup of an image a user names (moby daemon/images GetImage): a full image ID
 * (`sha256:<hex>` or 64 hex), a `name[:tag]` (normalised: busybox -> docker.io/library/busybox:latest),
 * a `name@digest` (a RepoDigest only), and last an unambiguous prefix of an image ID of any length (`1c03`, `sha256:1c03`).
 * Not found — an ambiguous prefix included, as Docker reports it — is `No such image: NAME`.
 */
import { WharfError } from "../errors.ts";
import { type Digest, digestEncoded, digestProblem } from "../oci/digest.ts";
import {
  type AnyReference,
  familiarString,
  isNamedReference,
  parseAnyReference,
  type Reference,
  referenceName,
  referenceString,
  tagNameOnly,
  trimNamed,
  withDigest,
} from "../oci/reference.ts";
import type { ImageRecord } from "../store/records.ts";
import type { ImageGroup } from "./model.ts";

export interface Resolved<G extends ImageGroup> {
  group: G;
  /** The record a tag or digest named (by ID: none in particular). */
  record?: ImageRecord;
  /** How the input parsed: a named reference or a bare digest. */
  ref: AnyReference;
  /** True when the input was matched as an image ID or ID prefix rather than as a reference. */
  byId: boolean;
}

/** Docker's ErrImageDoesNotExist message: the reference with ":latest" added, in familiar form. */
export function noSuchImage(ref: AnyReference, detail: Record<string, unknown> = {}): WharfError {
  const shown = isNamedReference(ref) ? familiarString(tagNameOnly(ref)) : ref.digest;
  return new WharfError("IMAGE_NOT_FOUND", `No such image: ${shown}`, { reference: shown, ...detail });
}

/** moby's isImageIDPrefix: whether `input` is a prefix of the ID, with or without "sha256:". */
export function isImageIdPrefix(id: string, input: string): boolean {
  if (id.startsWith(input)) return true;
  const colon = id.indexOf(":");
  return colon >= 0 && id.slice(colon + 1).startsWith(input);
}

/**
 * The record of `group` that `ref` (name@digest) names, if any: only a RepoDigest, as moby's reference
 * store knows no other digest references (a platform manifest of an index pulled by tag is no name).
 */
function byDigest(group: ImageGroup, ref: Reference & { digest: Digest }): ImageRecord | undefined {
  const repository = referenceName(ref);
  return group.records.find((r) =>
    r.repoDigests.some((d) => d.repository === repository && d.digest === ref.digest),
  );
}

function byTag<G extends ImageGroup>(groups: readonly G[], name: string) {
  for (const group of groups) {
    const record = group.records.find((r) => r.tags.some((t) => t.name === name));
    if (record) return { group, record };
  }
  return undefined;
}

/**
 * go-digest's digestset Lookup over the image IDs: `term` is an encoded prefix, optionally with its
 * algorithm (`sha256:1c03`). Returns the only match, or how many matched.
 */
export function searchIdPrefix<G extends ImageGroup>(groups: readonly G[], term: string): G | number {
  let algorithm = "";
  let hex = term;
  if (digestProblem(term) !== "DIGEST_INVALID_FORMAT") {
    const colon = term.indexOf(":");
    algorithm = term.slice(0, colon);
    hex = term.slice(colon + 1);
  }
  if (hex === "") return 0;
  const matches = groups.filter((g) => {
    const colon = g.id.indexOf(":");
    const idAlgorithm = g.id.slice(0, colon);
    const idHex = digestEncoded(g.id);
    if (algorithm !== "" && idAlgorithm !== algorithm) return false;
    return idHex.length === hex.length ? idHex === hex : idHex.startsWith(hex);
  });
  return matches.length === 1 ? matches[0]! : matches.length;
}

/**
 * Finds the image `input` names among `groups`. Throws the reference's own error for invalid input
 * (`invalid reference format`, `... must be lowercase`) and IMAGE_NOT_FOUND / IMAGE_ID_AMBIGUOUS
 * with Docker's `No such image: NAME`.
 */
export function resolveImage<G extends ImageGroup>(groups: readonly G[], input: string): Resolved<G> {
  const ref = parseAnyReference(input);
  if (!isNamedReference(ref)) {
    const group = groups.find((g) => g.id === ref.digest);
    if (!group) throw noSuchImage(ref);
    return { group, ref, byId: true };
  }
  if (ref.digest !== undefined) {
    // A tag beside a digest is ignored: the digest decides (as Docker's reference store does).
    const canonical = withDigest(trimNamed(ref), ref.digest) as Reference & { digest: Digest };
    for (const group of groups) {
      const record = byDigest(group, canonical);
      if (record) return { group, record, ref, byId: false };
    }
  } else {
    const found = byTag(groups, referenceString(tagNameOnly(ref)));
    if (found) return { ...found, ref, byId: false };
  }
  const match = searchIdPrefix(groups, input);
  if (typeof match !== "number") return { group: match, ref, byId: true };
  if (match > 1) {
    const err = noSuchImage(ref, { ambiguous: true, matches: match });
    throw new WharfError("IMAGE_ID_AMBIGUOUS", err.message, err.detail);
  }
  throw noSuchImage(ref);
}

/** Whether an error means "no such image" (not found or an ambiguous ID prefix). */
export function isNotFound(err: unknown): boolean {
  return err instanceof WharfError && (err.code === "IMAGE_NOT_FOUND" || err.code === "IMAGE_ID_AMBIGUOUS");
}
