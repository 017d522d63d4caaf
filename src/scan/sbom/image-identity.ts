/**
 * How an SBOM names the image it describes: its package URL as purl-spec's `oci` type has it
 * (`pkg:oci/NAME@sha256:...?arch=...&repository_url=...&tag=...`: the repository's last part,
 * lowercased, at the platform manifest's digest), built with packageurl-js, which writes the
 * digest's colon as is, as syft does. repository_url is given only for a registry image: a local
 * or archived image's name says where it came from, not where it can be fetched.
 */
import { basename } from "node:path";
import { PackageURL } from "packageurl-js";
import { parseNormalizedNamed, type Reference } from "../../oci/reference.ts";
import { parseTransportReference, type TransportReference } from "../../transport/transport-reference.ts";
import type { ScannedImage } from "../image-layers.ts";

export interface ImageIdentity {
  /** purl's name: the repository's last path part (or the layout's directory name), lowercased. */
  name: string;
  tag?: string;
  repositoryUrl?: string;
  purl: string;
}

interface NameParts {
  name: string;
  tag?: string;
  repositoryUrl?: string;
}

const IMAGE_ID = /^(sha256:)?[0-9a-f]{1,64}$/;
const TAG = /^[\w][\w.-]{0,127}$/;

function fromReference(ref: Reference, registry: boolean): NameParts {
  const parts: NameParts = { name: ref.path.split("/").at(-1) ?? ref.path };
  if (ref.tag !== undefined) parts.tag = ref.tag;
  if (registry) parts.repositoryUrl = `${ref.domain}/${ref.path}`;
  return parts;
}

/** An OCI layout's ref is a tag ("v1") or a whole name ("example.com/app:v1"). */
function fromLayout(path: string, ref: string | undefined): NameParts {
  const dir = basename(path.replace(/\/+$/, "")) || "image";
  if (ref === undefined || TAG.test(ref)) return ref === undefined ? { name: dir } : { name: dir, tag: ref };
  try {
    return fromReference(parseNormalizedNamed(ref), false);
  } catch {
    return { name: dir };
  }
}

function nameParts(where: TransportReference): NameParts {
  switch (where.transport) {
    case "docker":
      return fromReference(where.ref, true);
    case "wharf":
      return IMAGE_ID.test(where.name)
        ? { name: where.name }
        : fromReference(parseNormalizedNamed(where.name), false);
    case "docker-archive":
      return where.ref
        ? fromReference(where.ref, false)
        : { name: basename(where.path).replace(/\.tar$/, "") };
    default:
      return fromLayout(where.path, where.ref);
  }
}

export function imageIdentity(artifactName: string, image: ScannedImage): ImageIdentity {
  let parts: NameParts;
  try {
    parts = nameParts(parseTransportReference(artifactName));
  } catch {
    // A name the CLI did not parse (a library caller's label): itself, as the purl's name.
    parts = { name: artifactName };
  }
  const qualifiers: Record<string, string> = { arch: image.architecture };
  if (parts.repositoryUrl !== undefined) qualifiers.repository_url = parts.repositoryUrl;
  if (parts.tag !== undefined) qualifiers.tag = parts.tag;
  const purl = new PackageURL("oci", undefined, parts.name, image.manifestDigest, qualifiers).toString();
  return { ...parts, name: parts.name.toLowerCase(), purl };
}
