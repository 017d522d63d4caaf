/**
 * The copy engine's events as Docker's pull prints them: per layer "Already exists" or "Pulling fs
 * layer" (in layer order, once the lookups are done), "Waiting", "Downloading" with progress,
 * "Verifying Checksum", "Download complete", and "Pull complete" in layer order. An image whose config
 * and layers are all present prints no layer lines at all, as Docker's does.
 */
import { type Digest, shortDigest } from "../oci/digest.ts";
import type { CopyEvent, LayerStatus, PullEvent } from "./types.ts";

/** Progress at most every 512 KiB: enough for a bar, not an event per chunk. */
const PROGRESS_STEP = 512 * 1024;

export class PullProgress {
  readonly #emit: (event: PullEvent) => void;
  readonly #layers: Digest[] = [];
  readonly #present = new Set<string>();
  readonly #done = new Set<string>();
  readonly #reported = new Map<string, number>();
  #configPresent = false;
  #announced = false;
  #completed = 0;

  constructor(emit: (event: PullEvent) => void) {
    this.#emit = emit;
  }

  readonly handle = (event: CopyEvent): void => {
    if (event.type === "resolved") {
      this.#emit({ type: "resolved", digest: event.digest });
      return;
    }
    if (event.type === "manifest") {
      this.#announce();
      return;
    }
    const { digest, status } = event;
    if (event.role === "config") {
      if (status === "exists") this.#configPresent = true;
      return;
    }
    if (status === "preparing") this.#layers.push(digest);
    else if (status === "exists" || status === "mounted") this.#present.add(digest);
    else if (status === "pending") this.#announce();
    else if (status === "waiting") this.#layer(digest, "Waiting");
    else if (status === "transferring") this.#progress(digest, event.current ?? 0, event.total ?? 0);
    else if (status === "done") {
      this.#layer(digest, "Verifying Checksum");
      this.#layer(digest, "Download complete");
      this.#done.add(digest);
      this.#completeInOrder();
    }
  };

  /** Once every lookup is in: each layer's first line, in layer order. */
  #announce(): void {
    if (this.#announced) return;
    this.#announced = true;
    if (this.#configPresent && this.#layers.every((d) => this.#present.has(d))) {
      this.#completed = this.#layers.length; // nothing to say, as Docker says nothing
      return;
    }
    for (const d of this.#layers)
      this.#layer(d, this.#present.has(d) ? "Already exists" : "Pulling fs layer");
    this.#completeInOrder();
  }

  #progress(digest: Digest, current: number, total: number): void {
    const last = this.#reported.get(digest) ?? -PROGRESS_STEP;
    if (current === 0 || (current - last < PROGRESS_STEP && current !== total)) return;
    this.#reported.set(digest, current);
    this.#layer(digest, "Downloading", current, total);
  }

  #completeInOrder(): void {
    while (this.#completed < this.#layers.length) {
      const d = this.#layers[this.#completed]!;
      if (this.#done.has(d)) this.#layer(d, "Pull complete");
      else if (!this.#present.has(d)) return;
      this.#completed += 1;
    }
  }

  #layer(digest: Digest, status: LayerStatus, current?: number, total?: number): void {
    this.#emit({
      type: "layer",
      id: shortDigest(digest),
      status,
      ...(current === undefined ? {} : { current, total }),
    });
  }
}
