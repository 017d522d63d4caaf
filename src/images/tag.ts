/**
 * `docker tag SOURCE TARGET`: the target is normalised (busybox -> docker.io/library/busybox:latest)
 * and points at the source image; it moves if it named another image (which may be left dangling).
 * LastTagTime becomes now. Checks as Docker makes them: the client's reference parsing, then the
 * daemon's refusal of a repository named "sha256" and its lookup of the source.
 */
import { WharfError } from "../errors.ts";
import {
  familiarName,
  parseAnyReference,
  parseNormalizedNamed,
  type Reference,
  referenceString,
  tagNameOnly,
} from "../oci/reference.ts";
import type { Store } from "../store/store.ts";
import { readGroups } from "./model.ts";
import { resolveImage } from "./resolve.ts";

function notValid(input: string, err: unknown): WharfError {
  const cause = err instanceof Error ? err.message : String(err);
  const code = err instanceof WharfError ? err.code : "REFERENCE_INVALID_FORMAT";
  return new WharfError(
    code,
    `Error parsing reference: ${JSON.stringify(input)} is not a valid repository/tag: ${cause}`,
    {
      input,
    },
    { cause: err },
  );
}

/**
 * The docker client's checks of `docker tag` arguments: SOURCE must parse (name, digest or ID),
 * TARGET must be a name with an optional tag (not a digest). Returns the full target reference.
 */
export function parseTagArguments(source: string, target: string): Reference {
  try {
    parseAnyReference(source);
  } catch (err) {
    throw notValid(source, err);
  }
  let ref: Reference;
  try {
    ref = parseNormalizedNamed(target);
  } catch (err) {
    throw notValid(target, err);
  }
  if (ref.digest !== undefined) {
    throw new WharfError("IMAGE_TAG_REFUSED", "refusing to create a tag with a digest reference", { target });
  }
  return tagNameOnly(ref);
}

export interface TagResult {
  /** The full reference now pointing at the image. */
  name: string;
  /** The image ID. */
  id: string;
}

/** Tags the image `source` names as `target` (already parsed by parseTagArguments). */
export async function tagImage(
  store: Store,
  source: string,
  target: Reference,
  now = new Date(),
): Promise<TagResult> {
  if (familiarName(target) === "sha256") {
    throw new WharfError(
      "IMAGE_TAG_REFUSED",
      "refusing to create an ambiguous tag using digest algorithm as name",
      { target: referenceString(target) },
    );
  }
  const name = referenceString(tagNameOnly(target));
  return store.update((w) => {
    const { group, record } = resolveImage(readGroups(w), source);
    // Keep a tag on the manifest that has it already; otherwise the one the source named.
    const holder =
      group.records.find((r) => r.tags.some((t) => t.name === name)) ?? record ?? group.records[0]!;
    w.setTag(name, holder.manifest.digest, now);
    return { name, id: group.id };
  });
}
