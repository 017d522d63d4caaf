/**
 * A FROM image name split the way docker reads it: the registry (the first path component when it
 * has a `.` or a `:` or is `localhost`; Docker Hub otherwise), the repository, the tag and the
 * digest. Only the split: whether the name is valid is BuildKit's business (image-name.ts), and
 * src/dockerfile may not import src/oci's full reference parser.
 */

export interface ImageRef {
  /** `docker.io` for Docker Hub. */
  registry: string;
  /** The repository within the registry: `library/node` for an official image. */
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
}

export const DOCKER_HUB = "docker.io";
/** Names that mean Docker Hub too. */
const HUB_ALIASES: ReadonlySet<string> = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

export function parseImageRef(name: string): ImageRef {
  const at = name.indexOf("@");
  const digest = at < 0 ? undefined : name.slice(at + 1);
  const named = at < 0 ? name : name.slice(0, at);
  const slash = named.lastIndexOf("/");
  const colon = named.lastIndexOf(":");
  const tag = colon > slash ? named.slice(colon + 1) : undefined;
  const path = colon > slash ? named.slice(0, colon) : named;
  const first = path.indexOf("/");
  const head = first < 0 ? "" : path.slice(0, first);
  const hasRegistry = head !== "" && (head.includes(".") || head.includes(":") || head === "localhost");
  const registry = hasRegistry ? (HUB_ALIASES.has(head) ? DOCKER_HUB : head) : DOCKER_HUB;
  let repository = hasRegistry ? path.slice(first + 1) : path;
  if (registry === DOCKER_HUB && !repository.includes("/")) repository = `library/${repository}`;
  return { registry, repository, tag, digest };
}

/** The short name of a Docker Official Image (`node` for docker.io/library/node), else undefined. */
export function officialImageName(ref: ImageRef): string | undefined {
  if (ref.registry !== DOCKER_HUB || !ref.repository.startsWith("library/")) return undefined;
  return ref.repository.slice("library/".length);
}
