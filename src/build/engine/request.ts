/**
 * What a build is asked to do and what it reports: the library's contract for `wharf build` (and the
 * Engine API's POST /build later). The CLI fills a BuildRequest from docker build's flags.
 */
import type { Platform } from "../../oci/platform.ts";
import type { ManifestRef } from "../../store/records.ts";
import type { Store } from "../../store/store.ts";

export type NetworkChoice = "default" | "none" | "host";

export interface BuildSecret {
  id: string;
  /** The secret's bytes (read from a file or an environment variable by the caller). */
  data: Uint8Array;
}

export interface BuildRequest {
  store: Store;
  /** The context directory ("" for a Dockerfile-only build from stdin: an empty context). */
  contextDir: string;
  /** The Dockerfile's text. */
  dockerfile: string;
  /** Where the Dockerfile came from, for errors (`Dockerfile`, `-`) and NAME.dockerignore. */
  dockerfilePath?: string;
  /** --build-arg K=V (a value already taken from the environment for `K` alone). */
  buildArgs: Record<string, string>;
  target?: string;
  /** The target platform (the host's by default). */
  platform: Platform;
  noCache: boolean;
  /** Blobs for the layers of every stage, not only of the target's (--cache-to exports them). */
  blobsOfEveryStage?: boolean;
  /** --label: set on the final image. */
  labels: Record<string, string>;
  network: NetworkChoice;
  secrets: BuildSecret[];
  addHosts: { host: string; ip: string }[];
  /** SOURCE_DATE_EPOCH (seconds), from the build arg or the environment. */
  sourceDateEpoch?: number;
  compression: "gzip" | "zstd" | "none";
  /** Finds (pulling if needed, or always with --pull) a base image: the manifest of `name` for `platform`. */
  resolveBase(name: string, platform: Platform): Promise<ManifestRef>;
  onEvent?: (event: BuildEvent) => void;
  signal?: AbortSignal;
}

/** Progress in BuildKit's vertex terms: the CLI renders these as `#N ...` lines. */
export type BuildEvent =
  | { type: "vertex"; id: number; name: string }
  | { type: "cached"; id: number }
  | { type: "log"; id: number; stream: "stdout" | "stderr"; data: Uint8Array }
  | { type: "done"; id: number; seconds: number }
  | { type: "error"; id: number; seconds: number; message: string }
  | { type: "warning"; message: string };

export interface BuiltImage {
  /** The image's manifest bytes (an OCI image manifest) and config bytes. */
  manifest: { bytes: Uint8Array; digest: string; mediaType: string };
  config: { bytes: Uint8Array; digest: string };
  /** The layers' blobs are in the store under this lease until `release()`. */
  release(): Promise<void>;
}
