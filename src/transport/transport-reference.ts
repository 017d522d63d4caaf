/**
 * Where an image is, in the syntax skopeo users know (containers/image transports):
 * `docker://HOST/REPO[:TAG|@DIGEST]`, `oci:DIR[:REF]`, `oci-archive:FILE[:REF]`,
 * `docker-archive:FILE[:NAME[:TAG]|:@INDEX]`, and the local store as `wharf:NAME` or a plain name.
 */
import { isWharfError, WharfError } from "../errors.ts";
import { parseNormalizedNamed, type Reference } from "../oci/reference.ts";

export type TransportReference =
  | { transport: "docker"; ref: Reference }
  | { transport: "wharf"; name: string }
  | { transport: "oci"; path: string; ref?: string }
  | { transport: "oci-archive"; path: string; ref?: string }
  | { transport: "docker-archive"; path: string; ref?: Reference; index?: number };

const PATH_TRANSPORTS = ["oci", "oci-archive", "docker-archive"] as const;

export function parseTransportReference(input: string): TransportReference {
  const colon = input.indexOf(":");
  const prefix = colon < 0 ? "" : input.slice(0, colon);
  const rest = input.slice(colon + 1);
  try {
    if (prefix === "docker") {
      if (!rest.startsWith("//")) throw invalid(input, "docker references start with docker://");
      return { transport: "docker", ref: parseNormalizedNamed(rest.slice(2)) };
    }
    if (prefix === "wharf") return { transport: "wharf", name: checkedName(rest) };
    if ((PATH_TRANSPORTS as readonly string[]).includes(prefix)) return pathReference(prefix, rest, input);
    // No known transport: a local image name, as docker commands take them (busybox, host:5000/a:b).
    return { transport: "wharf", name: checkedName(input) };
  } catch (err) {
    if (isWharfError(err, "TRANSPORT_REFERENCE_INVALID")) throw err;
    throw invalid(input, (err as Error).message);
  }
}

function pathReference(prefix: string, rest: string, input: string): TransportReference {
  // The path ends at the first colon, as in containers/image (paths with colons are not supported).
  const sep = rest.indexOf(":");
  const path = sep < 0 ? rest : rest.slice(0, sep);
  const ref = sep < 0 ? undefined : rest.slice(sep + 1);
  if (path === "") throw invalid(input, "a path is required");
  if (prefix === "docker-archive") {
    if (ref === undefined || ref === "") return { transport: "docker-archive", path };
    if (ref.startsWith("@")) {
      const index = Number(ref.slice(1));
      if (!Number.isInteger(index) || index < 0) throw invalid(input, `invalid image index ${ref}`);
      return { transport: "docker-archive", path, index };
    }
    return { transport: "docker-archive", path, ref: parseNormalizedNamed(ref) };
  }
  const transport = prefix as "oci" | "oci-archive";
  if (ref !== undefined && !/^[A-Za-z0-9._:/@+-]+$/.test(ref))
    throw invalid(input, `invalid reference name "${ref}"`);
  return ref ? { transport, path, ref } : { transport, path };
}

/** A local image: a reference, or an image ID or ID prefix (checked when it is looked up). */
function checkedName(name: string): string {
  if (!/^(sha256:)?[0-9a-f]{1,64}$/.test(name)) parseNormalizedNamed(name);
  return name;
}

function invalid(input: string, why: string): WharfError {
  return new WharfError("TRANSPORT_REFERENCE_INVALID", `invalid image reference "${input}": ${why}`, {
    input,
  });
}
