/**
 * The copy engine's contract: every way an image moves (pull, push, save, load, copy) is a copy from
 * an ImageSource to an ImageDestination (../shared/DESIGN.md), driven by `copyImage` in copy.ts.
 */
import type { Descriptor } from "../oci/descriptor.ts";
import type { Digest } from "../oci/digest.ts";
import type { IngestSource } from "../store/ingest.ts";

export interface ManifestBytes {
  /** Exactly as the source holds them: digests are of these bytes. */
  bytes: Uint8Array;
  mediaType: string;
  digest: Digest;
}

/** Where a source's blobs live on a registry: what a blob info cache records for cross-mounts. */
export interface RegistryLocation {
  /** The registry host as references name it (docker.io, 127.0.0.1:5000). */
  registry: string;
  /** The repository path within it (library/busybox). */
  repository: string;
}

export interface ImageSource {
  /** The manifest or index the source's reference names. */
  topManifest(): Promise<ManifestBytes>;
  /** A manifest by digest (a platform manifest of an index). */
  manifest(digest: Digest): Promise<ManifestBytes>;
  /**
   * A blob as a resumable ingest source. `urls` (a non-distributable layer's descriptor) are where
   * to fetch it when the source itself does not have it.
   */
  blob(digest: Digest, urls?: readonly string[]): IngestSource;
  /** Set by registry sources: lets a destination on the same registry mount instead of upload. */
  readonly location?: RegistryLocation;
  close(): Promise<void>;
}

/** A blob the destination has, or obtained without a transfer. */
export type BlobReuse = { kind: "exists" } | { kind: "mounted"; from: string };

/** What a manifest is in the copy, and the names the destination records for the top one. */
export interface ManifestContext {
  /** The manifest the copy's reference resolves to (an index with --all, else the platform manifest). */
  top: boolean;
  /** For the top manifest: the references to record (tags, an archive's RepoTags, OCI ref names). */
  names: readonly string[];
  /** The index a platform manifest was chosen from (without --all): a store records it as RepoDigest. */
  index?: ManifestBytes;
}

export interface ImageDestination {
  /** Whether an index can be kept as such (copy --all). A docker-archive cannot. */
  readonly acceptsIndex: boolean;
  /** Reports a blob the destination already has, or gets without sending it (a cross-mount). */
  reuseBlob(desc: Descriptor, source: ImageSource): Promise<BlobReuse | undefined>;
  /** Sends a blob; the destination verifies its digest and size. */
  putBlob(desc: Descriptor, content: IngestSource, onProgress: (bytes: number) => void): Promise<void>;
  /**
   * Stores a manifest or index byte for byte, after every blob (or child manifest) it references.
   * Platform manifests of an index come before the index.
   */
  putManifest(manifest: ManifestBytes, context: ManifestContext): Promise<void>;
  /**
   * What was stored for the manifest put with this digest, when the destination stored another
   * (a registry destination that pushed plain layers compressed names the compressed blobs).
   */
  storedManifest?(digest: Digest): ManifestBytes | undefined;
  /** Makes everything put so far visible at once (records, tags, an archive renamed into place). */
  commit(): Promise<void>;
  /** Drops what was put and not committed: nothing half-written stays behind. */
  abort(): Promise<void>;
}

/**
 * A blob's progress through a copy, in neutral words; pull and push render them as Docker does.
 * Per manifest: "preparing" for each layer, then every blob's lookup ("exists", "mounted"), then
 * "pending" for each blob that will move (all before any moves), then "waiting" (queued behind the
 * concurrency limit), "transferring" with progress, "done".
 */
export type BlobStatus = "preparing" | "exists" | "mounted" | "pending" | "waiting" | "transferring" | "done";

export type CopyEvent =
  /** The source's reference resolved to this manifest or index. */
  | { type: "resolved"; digest: Digest; mediaType: string }
  | {
      type: "blob";
      digest: Digest;
      role: "config" | "layer";
      status: BlobStatus;
      /** With "mounted": the repository the blob came from. */
      from?: string;
      current?: number;
      total?: number;
    }
  /** A manifest (platform manifest or index) was stored at the destination. */
  | { type: "manifest"; digest: Digest; mediaType: string; size: number; top: boolean };

/** What a layer is doing, in Docker's words. */
export type LayerStatus =
  | "Pulling fs layer"
  | "Waiting"
  | "Downloading"
  | "Verifying Checksum"
  | "Download complete"
  | "Pull complete"
  | "Already exists";

export type PullEvent =
  /** The reference resolved: Docker prints "TAG: Pulling from REPO" only now. */
  | { type: "resolved"; digest: Digest }
  | { type: "layer"; id: string; status: LayerStatus; current?: number; total?: number }
  | { type: "digest"; digest: Digest };
