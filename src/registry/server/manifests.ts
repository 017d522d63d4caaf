/**
 * Manifests of a repository: stored as blobs (the exact bytes pushed), linked as revisions with the
 * media type they were pushed with, named by tags, and indexed by subject for the referrers API.
 */
import { isWharfError } from "../../errors.ts";
import type { Descriptor } from "../../oci/descriptor.ts";
import type { Digest } from "../../oci/digest.ts";
import { type ParsedDocument, parseDocument } from "../../oci/document.ts";
import { isNonDistributableLayer } from "../../oci/mediatype.ts";
import type { BlobStore } from "./blobs.ts";
import { ContentCache, TtlCache } from "./cache.ts";
import { DistributionError } from "./errors.ts";
import {
  referrerPath,
  referrersPath,
  repositoryPath,
  revisionLinkPath,
  tagPath,
  tagsPath,
} from "./layout.ts";
import type { StorageDriver } from "./storage/driver.ts";

export interface StoredManifest {
  bytes: Buffer;
  mediaType: string;
  digest: Digest;
}

export interface PutResult {
  digest: Digest;
  /** The subject's digest, when the manifest has one (answered as OCI-Subject). */
  subject?: Digest;
}

const DIGEST_REFERENCE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export function isDigestReference(reference: string): boolean {
  return DIGEST_REFERENCE.test(reference);
}

function missing(err: unknown): boolean {
  return isWharfError(err, "STORAGE_PATH_NOT_FOUND");
}

/** How long a tag or revision lookup is trusted without reading the storage again. */
const LOOKUP_TTL_MS = 2000;

export class ManifestStore {
  readonly #driver: StorageDriver;
  readonly #blobs: BlobStore;
  readonly #tags = new TtlCache<Digest>(LOOKUP_TTL_MS);
  readonly #revisions = new TtlCache<string>(LOOKUP_TTL_MS);
  readonly #content = new ContentCache(32 * 1024 * 1024);

  constructor(driver: StorageDriver, blobs: BlobStore) {
    this.#driver = driver;
    this.#blobs = blobs;
  }

  /** The digest a tag or digest reference names in `name`; MANIFEST_UNKNOWN when none. */
  async resolve(name: string, reference: string): Promise<{ digest: Digest; mediaType: string }> {
    let digest: Digest;
    if (isDigestReference(reference)) digest = reference as Digest;
    else {
      const tagKey = `${name}\0${reference}`;
      const cached = this.#tags.get(tagKey);
      if (cached !== undefined) digest = cached;
      else {
        try {
          digest = (await this.#driver.getContent(tagPath(name, reference))).toString() as Digest;
        } catch (err) {
          if (missing(err)) throw new DistributionError("MANIFEST_UNKNOWN", `manifest unknown: ${reference}`);
          throw err;
        }
        this.#tags.set(tagKey, digest);
      }
    }
    const revisionKey = `${name}\0${digest}`;
    const known = this.#revisions.get(revisionKey);
    if (known !== undefined) return { digest, mediaType: known };
    try {
      const link = JSON.parse((await this.#driver.getContent(revisionLinkPath(name, digest))).toString());
      const mediaType = String(link.mediaType);
      this.#revisions.set(revisionKey, mediaType);
      return { digest, mediaType };
    } catch (err) {
      if (missing(err)) throw new DistributionError("MANIFEST_UNKNOWN", `manifest unknown: ${reference}`);
      throw err;
    }
  }

  async get(name: string, reference: string): Promise<StoredManifest> {
    const { digest, mediaType } = await this.resolve(name, reference);
    let bytes = this.#content.get(digest);
    if (bytes === undefined) {
      bytes = await this.#blobs.readAll(digest);
      this.#content.set(digest, bytes);
    }
    return { bytes, mediaType, digest };
  }

  /** Stores a pushed manifest under `reference` (a tag, or its own digest). */
  async put(name: string, reference: string, bytes: Buffer, contentType: string): Promise<PutResult> {
    const document = parseManifest(bytes, contentType);
    const digest = document.digest;
    if (isDigestReference(reference) && reference !== digest) {
      throw new DistributionError("DIGEST_INVALID", `manifest digests to ${digest}, not ${reference}`);
    }
    await this.#checkReferences(name, document);
    await this.#blobs.putVerified(digest, bytes);
    await this.#driver.putContent(
      revisionLinkPath(name, digest),
      JSON.stringify({ mediaType: document.mediaType }),
    );
    const subject = subjectOf(document);
    if (subject) {
      await this.#driver.putContent(
        referrerPath(name, subject, digest),
        JSON.stringify(referrerDescriptor(document, bytes.byteLength)),
      );
    }
    if (!isDigestReference(reference)) {
      await this.#driver.putContent(tagPath(name, reference), digest);
      this.#tags.delete(`${name}\0${reference}`);
    }
    return subject ? { digest, subject } : { digest };
  }

  /** By digest: the manifest and every tag on it; by tag: the tag only. */
  async delete(name: string, reference: string): Promise<void> {
    if (!isDigestReference(reference)) {
      this.#tags.delete(`${name}\0${reference}`);
      try {
        await this.#driver.delete(tagPath(name, reference));
      } catch (err) {
        if (missing(err)) throw new DistributionError("MANIFEST_UNKNOWN", `manifest unknown: ${reference}`);
        throw err;
      }
      return;
    }
    const digest = reference as Digest;
    const { mediaType } = await this.resolve(name, digest);
    const subject = subjectOf(parseManifest(await this.#blobs.readAll(digest), mediaType));
    for (const tag of await this.tags(name).catch(() => [])) {
      const path = tagPath(name, tag);
      const target = await this.#driver.getContent(path).catch(() => undefined);
      if (target?.toString() === digest) await this.#driver.delete(path).catch(() => undefined);
    }
    if (subject) await this.#driver.delete(referrerPath(name, subject, digest)).catch(() => undefined);
    this.#revisions.delete(`${name}\0${digest}`);
    // Tags pointing at it went above; others' cached lookups expire within LOOKUP_TTL_MS.
    this.#tags.clear();
    await this.#driver.delete(revisionLinkPath(name, digest));
  }

  /** The repository's tags, sorted; NAME_UNKNOWN for a repository that does not exist. */
  async tags(name: string): Promise<string[]> {
    if (!(await this.#driver.stat(repositoryPath(name)))) {
      throw new DistributionError("NAME_UNKNOWN", `repository name not known to registry: ${name}`);
    }
    const prefix = `${tagsPath(name)}/`;
    return (await this.#driver.list(tagsPath(name))).map((p) => p.slice(prefix.length));
  }

  /** Descriptors of the manifests whose subject is `subject`, optionally of one artifactType. */
  async referrers(name: string, subject: Digest, artifactType?: string): Promise<Descriptor[]> {
    const out: Descriptor[] = [];
    for (const path of await this.#driver.list(referrersPath(name, subject))) {
      const descriptor = JSON.parse((await this.#driver.getContent(path)).toString()) as Descriptor;
      if (artifactType === undefined || descriptor.artifactType === artifactType) out.push(descriptor);
    }
    return out;
  }

  async #checkReferences(name: string, document: ParsedDocument): Promise<void> {
    const wanted: { digest: Digest; kind: "blob" | "manifest" }[] = [];
    if (document.kind === "manifest") {
      wanted.push({ digest: document.value.config.digest as Digest, kind: "blob" });
      for (const layer of document.value.layers) {
        // A non-distributable layer with URLs lives elsewhere (as distribution allows them).
        if (isNonDistributableLayer(layer.mediaType) && (layer.urls?.length ?? 0) > 0) continue;
        wanted.push({ digest: layer.digest as Digest, kind: "blob" });
      }
    } else {
      for (const m of document.value.manifests) wanted.push({ digest: m.digest as Digest, kind: "manifest" });
    }
    const found = await Promise.all(
      wanted.map(async (w) =>
        w.kind === "blob"
          ? (await this.#blobs.stat(name, w.digest)) !== undefined
          : (await this.#driver.stat(revisionLinkPath(name, w.digest))) !== undefined,
      ),
    );
    const unknown = wanted.filter((_, i) => !found[i]).map((w) => w.digest);
    if (unknown.length > 0) {
      throw new DistributionError(
        "MANIFEST_BLOB_UNKNOWN",
        `manifest references ${unknown.length === 1 ? "a blob" : "blobs"} unknown to the repository: ${unknown.join(", ")}`,
        { digests: unknown },
      );
    }
  }
}

function parseManifest(bytes: Uint8Array, contentType: string): ParsedDocument {
  try {
    return parseDocument(bytes, contentType === "" ? undefined : contentType);
  } catch (err) {
    throw new DistributionError("MANIFEST_INVALID", (err as Error).message);
  }
}

function subjectOf(document: ParsedDocument): Digest | undefined {
  const value = document.value as { subject?: Descriptor };
  return value.subject?.digest as Digest | undefined;
}

/** The referrers API's descriptor: artifactType, else (an image manifest) its config's media type. */
function referrerDescriptor(document: ParsedDocument, size: number): Descriptor {
  const value = document.value as {
    artifactType?: string;
    annotations?: Record<string, string>;
    config?: { mediaType: string };
  };
  const artifactType = value.artifactType ?? value.config?.mediaType;
  return {
    mediaType: document.mediaType,
    digest: document.digest,
    size,
    ...(artifactType === undefined ? {} : { artifactType }),
    ...(value.annotations === undefined ? {} : { annotations: value.annotations }),
  } as Descriptor;
}
