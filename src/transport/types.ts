/**
 * The copy engine's view of where images come from: pull, load and copy read through ImageSource.
 * (Destinations other than the store arrive with push, save and copy.)
 */
import type { Digest } from "../oci/digest.ts";
import type { IngestSource } from "../store/ingest.ts";

export interface ManifestBytes {
  /** Exactly as the source holds them: digests are of these bytes. */
  bytes: Uint8Array;
  mediaType: string;
  digest: Digest;
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
  close(): Promise<void>;
}

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
