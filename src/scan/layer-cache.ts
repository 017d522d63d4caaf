/**
 * What a scan found in each layer, kept by layer digest under `<wharf root>/scan/layers/`, so a
 * second scan of an image (or of another image sharing the layer) reads no layer again. A layer's
 * content never changes under its digest; what the entry holds says which catalogers (of which
 * version) made it, so that a wharf that reads more finds no stale answer (scan-image.ts checks).
 * Written whole to a temporary name and renamed, so a reader sees an entry complete or not at all;
 * an unreadable entry counts as none.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Digest } from "../oci/digest.ts";
import { writeFileAtomicSync } from "../util/fs-atomic.ts";

/** The entry format (the findings carry their own version). */
const ENTRY_VERSION = 1;

export class LayerCache<T> {
  readonly #dir: string;

  constructor(root: string) {
    this.#dir = join(root, "scan", "layers");
  }

  get(digest: Digest): T | undefined {
    try {
      const entry = JSON.parse(readFileSync(this.#path(digest), "utf8")) as {
        version?: number;
        findings?: T;
      };
      return entry.version === ENTRY_VERSION ? entry.findings : undefined;
    } catch {
      return undefined;
    }
  }

  put(digest: Digest, findings: T): void {
    mkdirSync(this.#dir, { recursive: true });
    writeFileAtomicSync(this.#path(digest), JSON.stringify({ version: ENTRY_VERSION, findings }));
  }

  #path(digest: Digest): string {
    return join(this.#dir, `${digest.replace(":", "-")}.json`);
  }
}
