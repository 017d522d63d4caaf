/**
 * `wharf sbom --attach`: an SBOM pushed to the image's repository as an OCI 1.1 referrer
 * (image-spec 1.1 "artifacts"): the SBOM as a blob, then an image manifest whose artifactType is the
 * SBOM's media type, whose config is the empty descriptor (`{}`), whose one layer is the SBOM and
 * whose `subject` is the image's manifest. It goes by digest, so no tag moves.
 *
 * A registry with the referrers API says so by answering the PUT with `OCI-Subject`; for one without
 * it (distribution 2.8), the distribution-spec's referrers tag schema is kept too: the OCI index at
 * tag `<alg>-<hex>` of the subject is read, the referrer's descriptor added and the index pushed back.
 * That read-modify-write is not conditional (RegistryClient sends no If-Match; the spec only allows
 * one): two attaches racing on one subject may leave one of them out of the index.
 */
import { WharfError } from "../../errors.ts";
import type { Descriptor } from "../../oci/descriptor.ts";
import { type Digest, digestAlgorithm, digestBytes, digestEncoded } from "../../oci/digest.ts";
import { parseDocument, serializeDocument } from "../../oci/document.ts";
import type { OciIndex, OciManifest } from "../../oci/manifest.ts";
import { OciMediaType } from "../../oci/mediatype.ts";
import type { RegistryClient } from "../../registry/client/client.ts";
import { bytesSource } from "../../store/sources.ts";
import { findManifest } from "./attach-subject.ts";

/** image-spec's empty descriptor: the config of an artifact that has none. */
export const EMPTY_CONFIG: Descriptor = {
  mediaType: OciMediaType.EmptyJSON,
  digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
  size: 2,
};
const EMPTY_CONFIG_BYTES = new TextEncoder().encode("{}");

/** The annotation naming the wharf format the SBOM was written in (cyclonedx-json, spdx-json). */
export const SBOM_FORMAT_ANNOTATION = "dev.wharf.sbom.format";
const TITLE_ANNOTATION = "org.opencontainers.image.title";
const CREATED_ANNOTATION = "org.opencontainers.image.created";

export interface SbomArtifact {
  /** The SBOM document as written. */
  bytes: Uint8Array;
  /** Its media type: the layer's and the manifest's artifactType (application/vnd.cyclonedx+json). */
  mediaType: string;
  /** The layer's file name (org.opencontainers.image.title), e.g. sbom.cdx.json. */
  title: string;
  /** The wharf format name (SBOM_FORMAT_ANNOTATION). */
  format: string;
}

export interface ReferrerManifest {
  bytes: Uint8Array;
  /** Its descriptor as the referrers API lists it: with artifactType and annotations. */
  descriptor: Descriptor;
}

export interface AttachResult {
  /** The referrer manifest's digest. */
  digest: Digest;
  /** The registry answered with OCI-Subject: it lists the referrer itself. */
  referrersApi: boolean;
  /** Without the referrers API: the tag of the index that lists it (sha256-<hex>). */
  referrersTag?: string;
}

/** The artifact manifest of an SBOM, referring to `subject` (its layer: the SBOM's blob). */
export function referrerManifest(
  artifact: SbomArtifact,
  subject: Descriptor,
  createdAt: Date,
): ReferrerManifest {
  const annotations = {
    [CREATED_ANNOTATION]: createdAt.toISOString(),
    [SBOM_FORMAT_ANNOTATION]: artifact.format,
  };
  const manifest: OciManifest = {
    schemaVersion: 2,
    mediaType: OciMediaType.ImageManifest,
    artifactType: artifact.mediaType,
    config: EMPTY_CONFIG,
    layers: [
      {
        mediaType: artifact.mediaType,
        digest: digestBytes(artifact.bytes),
        size: artifact.bytes.byteLength,
        annotations: { [TITLE_ANNOTATION]: artifact.title },
      },
    ],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations,
  };
  const bytes = serializeDocument(manifest);
  const descriptor: Descriptor = {
    mediaType: OciMediaType.ImageManifest,
    digest: digestBytes(bytes),
    size: bytes.byteLength,
    artifactType: artifact.mediaType,
    annotations,
  };
  return { bytes, descriptor };
}

/** The referrers tag schema's tag of a subject: `<alg>-<hex>` (alg up to 32, hex up to 64 chars). */
export function referrersTag(subject: Digest): string {
  return `${digestAlgorithm(subject).slice(0, 32)}-${digestEncoded(subject).slice(0, 64)}`;
}

/** The index with `descriptor` added, or undefined when it lists that digest already. */
export function withReferrer(index: OciIndex | undefined, descriptor: Descriptor): OciIndex | undefined {
  const manifests = index?.manifests ?? [];
  if (manifests.some((m) => m.digest === descriptor.digest)) return undefined;
  return {
    ...index,
    schemaVersion: 2,
    mediaType: OciMediaType.ImageIndex,
    manifests: [...manifests, descriptor],
  };
}

/**
 * Pushes the SBOM, the empty config (unless the repository has it) and the referrer manifest to
 * `repository`, and the referrers tag when the registry has no referrers API.
 */
export async function attachSbom(
  client: RegistryClient,
  repository: string,
  subject: Descriptor,
  artifact: SbomArtifact,
  createdAt: Date = new Date(),
): Promise<AttachResult> {
  const referrer = referrerManifest(artifact, subject, createdAt);
  await pushBlob(client, repository, artifact.bytes);
  await pushBlob(client, repository, EMPTY_CONFIG_BYTES);
  const digest = referrer.descriptor.digest as Digest;
  if (await putReferrer(client, repository, digest, referrer.bytes)) return { digest, referrersApi: true };
  const tag = referrersTag(subject.digest as Digest);
  await addToReferrersTag(client, repository, tag, referrer.descriptor);
  return { digest, referrersApi: false, referrersTag: tag };
}

async function pushBlob(client: RegistryClient, repository: string, bytes: Uint8Array): Promise<void> {
  const blob = { digest: digestBytes(bytes), size: bytes.byteLength };
  if (await client.blobExists(repository, blob.digest)) return;
  await client.uploadBlob(repository, blob, bytesSource(bytes));
}

/** PUTs the referrer manifest by digest; true when the registry answered with OCI-Subject. */
async function putReferrer(
  client: RegistryClient,
  repository: string,
  digest: Digest,
  bytes: Uint8Array,
): Promise<boolean> {
  const put = await client.putManifestReporting(repository, digest, {
    bytes,
    mediaType: OciMediaType.ImageManifest,
  });
  if (put.digest !== digest) {
    throw new WharfError(
      "DIGEST_MISMATCH",
      `manifest digest mismatch: pushed ${digest}, stored ${put.digest}`,
      {
        expected: digest,
        actual: put.digest,
      },
    );
  }
  return put.subjectListed;
}

/** The referrers tag schema's read-modify-write (distribution-spec "Pushing Manifests with Subject"). */
async function addToReferrersTag(
  client: RegistryClient,
  repository: string,
  tag: string,
  descriptor: Descriptor,
): Promise<void> {
  const current = await currentReferrers(client, repository, tag);
  const updated = withReferrer(current, descriptor);
  if (updated === undefined) return;
  await client.putManifest(repository, tag, {
    bytes: serializeDocument(updated),
    mediaType: OciMediaType.ImageIndex,
  });
}

/** The index at the referrers tag; undefined when the tag does not exist (the spec's empty start). */
async function currentReferrers(
  client: RegistryClient,
  repository: string,
  tag: string,
): Promise<OciIndex | undefined> {
  const found = await findManifest(client, repository, tag);
  if (found === undefined) return undefined;
  const document = parseDocument(found.bytes, found.mediaType);
  // The spec: anything but an OCI index there is reported, not overwritten.
  if (document.mediaType !== OciMediaType.ImageIndex) {
    throw new WharfError(
      "MANIFEST_INVALID",
      `the referrers tag ${repository}:${tag} holds a ${document.mediaType}, not an OCI image index`,
      { repository, tag, mediaType: document.mediaType },
    );
  }
  return document.value;
}
