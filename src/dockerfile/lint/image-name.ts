/**
 * Whether a base image name parses, as distribution/reference's ParseNormalizedNamed decides (the
 * InvalidDefaultArgInFrom check). src/oci/reference.ts is the full port; src/dockerfile may not
 * import src/oci, so the grammar is restated here in its compact form: only the yes/no is needed.
 */

const ALNUM = "[a-z0-9]+";
const SEPARATOR = "(?:[._]|__|[-]+)";
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[(?:[a-fA-F0-9:]+)\\])`;
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const NAME = `(?:${HOST}(?::[0-9]+)?/)?${REMOTE_NAME}`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}";
const REFERENCE = new RegExp(`^(${NAME})(?::${TAG})?(?:@(${DIGEST}))?$`);
const IDENTIFIER = /^[a-f0-9]{64}$/;
const MAX_PATH_LENGTH = 255;
/** go-digest's registered algorithms and their hex lengths. */
const DIGEST_HEX_LENGTHS: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

export function isValidImageName(input: string): boolean {
  if (IDENTIFIER.test(input)) return false;
  const { domain, remainder } = splitDockerDomain(input);
  const colon = remainder.indexOf(":");
  const remote = colon < 0 ? remainder : remainder.slice(0, colon);
  if (remote.toLowerCase() !== remote) return false;
  const match = REFERENCE.exec(`${domain}/${remainder}`);
  if (match === null) return false;
  const [, name = "", digest] = match;
  // The name always starts with the domain given above: what follows it is the repository path.
  if (name.length - domain.length - 1 > MAX_PATH_LENGTH) return false;
  return digest === undefined || isValidDigest(digest);
}

function isValidDigest(digest: string): boolean {
  const colon = digest.indexOf(":");
  const length = DIGEST_HEX_LENGTHS[digest.slice(0, colon)];
  const hex = digest.slice(colon + 1);
  return length !== undefined && hex.length === length && /^[a-f0-9]+$/.test(hex);
}

function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf("/");
  if (slash < 0) return { domain: "docker.io", remainder: `library/${name}` };
  const first = name.slice(0, slash);
  let domain = "docker.io";
  let remainder = name;
  if (first === "index.docker.io") {
    remainder = name.slice(slash + 1);
  } else if (first === "localhost" || /[.:]/.test(first) || first.toLowerCase() !== first) {
    domain = first;
    remainder = name.slice(slash + 1);
  }
  if (domain === "docker.io" && !remainder.includes("/")) remainder = `library/${remainder}`;
  return { domain, remainder };
}
