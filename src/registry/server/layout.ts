/**
 * Where the registry keeps things in its storage driver. Blobs (manifests included) are stored once
 * per registry by digest; a repository holds links to them, its tags, its referrers and its uploads:
 *
 *   /blobs/<alg>/<hex>                                   the content
 *   /repositories/<name>/_layers/<alg>/<hex>              empty: the blob is in the repository
 *   /repositories/<name>/_manifests/revisions/<alg>/<hex> {"mediaType"}: the manifest is in it
 *   /repositories/<name>/_manifests/tags/<tag>            the digest the tag points at
 *   /repositories/<name>/_referrers/<alg>/<hex>/<alg>-<hex>  a referrer's descriptor, by subject
 *   /repositories/<name>/_uploads/<uuid>                  an upload's bytes so far
 *
 * Repository name components match [a-z0-9]+..., so none can be mistaken for the "_" directories.
 */
import type { Digest } from "../../oci/digest.ts";

function split(digest: Digest): [string, string] {
  const colon = digest.indexOf(":");
  return [digest.slice(0, colon), digest.slice(colon + 1)];
}

export const BLOBS_ROOT = "/blobs";
export const REPOSITORIES_ROOT = "/repositories";

export function blobPath(digest: Digest): string {
  const [alg, hex] = split(digest);
  return `${BLOBS_ROOT}/${alg}/${hex}`;
}

export function repositoryPath(name: string): string {
  return `${REPOSITORIES_ROOT}/${name}`;
}

export function layerLinkPath(name: string, digest: Digest): string {
  const [alg, hex] = split(digest);
  return `${repositoryPath(name)}/_layers/${alg}/${hex}`;
}

export function revisionsPath(name: string): string {
  return `${repositoryPath(name)}/_manifests/revisions`;
}

export function revisionLinkPath(name: string, digest: Digest): string {
  const [alg, hex] = split(digest);
  return `${revisionsPath(name)}/${alg}/${hex}`;
}

export function tagsPath(name: string): string {
  return `${repositoryPath(name)}/_manifests/tags`;
}

export function tagPath(name: string, tag: string): string {
  return `${tagsPath(name)}/${tag}`;
}

export function referrersPath(name: string, subject: Digest): string {
  const [alg, hex] = split(subject);
  return `${repositoryPath(name)}/_referrers/${alg}/${hex}`;
}

export function referrerPath(name: string, subject: Digest, referrer: Digest): string {
  const [alg, hex] = split(referrer);
  return `${referrersPath(name, subject)}/${alg}-${hex}`;
}

export function uploadsPath(name: string): string {
  return `${repositoryPath(name)}/_uploads`;
}

export function uploadPath(name: string, uuid: string): string {
  return `${uploadsPath(name)}/${uuid}`;
}
