/**
 * How a name lands on an image in the store, for every writer of image records (the copy engine's
 * StoreDestination, wharf build's store output): a tag moves to the image (LastTagTime kept only when
 * it stays), a `repo@digest` name or a pull records the RepoDigest. No zod here: a build's cached
 * path stays free of the schema modules.
 */
import type { Digest } from "../oci/digest.ts";
import { parseNormalizedNamed, referenceName, referenceString, tagNameOnly } from "../oci/reference.ts";
import type { ImageRecord, RecordWriter } from "../store/records.ts";

export interface RecordedName {
  /** The full reference recorded: a tag (`host/repo:tag`) or a digest (`host/repo@sha256:…`). */
  name: string;
  image: ImageRecord;
  /** The name points at an image it did not point at before (a new tag or RepoDigest). */
  changed: boolean;
  /** The image a moved tag was taken from (left dangling if it has no other name). */
  previous?: ImageRecord;
}

export interface NameTarget {
  /** The platform manifest the name points at. */
  target: Digest;
  /** What a RepoDigest records: the manifest (or index) as the registry knows it. */
  repoDigest: { digest: Digest; mediaType: string; size: number };
  /** Record the RepoDigest for a tag too (a pull does; a load or a build does not). */
  recordRepoDigest: boolean;
}

/** Records `name` for the image; undefined when it is a `repo@digest` another image keeps. */
export function recordImageName(
  records: RecordWriter,
  to: NameTarget,
  name: string,
): RecordedName | undefined {
  const ref = tagNameOnly(parseNormalizedNamed(name));
  const repository = referenceName(ref);
  const before = records.get(to.target);
  const knownDigest = before?.repoDigests.some(
    (d) => d.repository === repository && d.digest === to.repoDigest.digest,
  );
  const recorded =
    (to.recordRepoDigest || ref.digest !== undefined) &&
    records.addRepoDigest(to.target, { repository, ...to.repoDigest });
  if (ref.digest) {
    if (!recorded) return undefined;
    return { name: referenceString(ref), image: records.get(to.target)!, changed: !knownDigest };
  }
  const tag = referenceString(ref);
  const previous = records.byTag(tag);
  const moved = previous?.manifest.digest !== to.target;
  // LastTagTime belongs to "wharf tag": a tag that stays keeps its time, a moved one has none.
  const kept = moved ? null : (previous?.tags.find((t) => t.name === tag)?.lastTagTime ?? null);
  records.setTag(tag, to.target, kept === null ? null : new Date(kept));
  return {
    name: tag,
    image: records.get(to.target)!,
    changed: moved,
    ...(moved && previous ? { previous } : {}),
  };
}
