/**
 * Unpacked layers, one directory per ChainID under `<store>/build/snapshots/` (docker's overlay2
 * keeps one `diff` dir per layer the same way): a stack of them is an overlayfs lower. Base layers are
 * unpacked from their blobs when first needed; a step's upper directory is renamed in as the snapshot
 * of the chain it tops. Every snapshot is made in `<store>/build/tmp/` and renamed into place, so a
 * half-made one is never seen; two builds making the same one keep whichever lands first.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { chainIds } from "../../images/chain.ts";
import { decompressor } from "../../layer/compression.ts";
import type { Digest } from "../../oci/digest.ts";
import { layerCompression } from "../../oci/mediatype.ts";
import type { Store } from "../../store/store.ts";
import { claimScratch } from "./stale-scratch.ts";

export interface LayerRef {
  digest: Digest;
  mediaType: string;
  size: number;
  diffId: Digest;
}

/** A written layer (diff/write-layer.ts's WrittenLayer) as the stage and the cache record hold it. */
export function layerRefOf(written: {
  digest: string;
  mediaType: string;
  size: number;
  diffId: string;
}): LayerRef {
  return {
    digest: written.digest as Digest,
    mediaType: written.mediaType,
    size: written.size,
    diffId: written.diffId as Digest,
  };
}

export class Snapshots {
  readonly #store: Store;
  readonly dir: string;
  readonly tmpDir: string;
  /** Unpacks under way in this process, by chain ID: concurrent stages share one. */
  readonly #pending = new Map<string, Promise<string>>();

  constructor(store: Store) {
    this.#store = store;
    this.dir = join(store.paths.buildDir, "snapshots");
    this.tmpDir = join(store.paths.buildDir, "tmp");
  }

  pathOf(chainId: Digest): string {
    return join(this.dir, chainId.replace(/^sha256:/, ""));
  }

  /** The directory of `RUN --mount=type=cache,id=ID`: kept between builds, gone with builder prune. */
  cacheMountDir(id: string): string {
    return join(
      this.#store.paths.buildDir,
      "cache-mounts",
      createHash("sha256").update(id).digest("hex").slice(0, 32),
    );
  }

  /** A private scratch directory for one step (its upper, work and merged dirs). */
  async scratch(): Promise<string> {
    await mkdir(this.tmpDir, { recursive: true });
    return claimScratch(await mkdtemp(join(this.tmpDir, "step-")));
  }

  /** The lower dirs of a layer stack, top first, unpacking what is missing. */
  async lowerDirs(layers: readonly LayerRef[]): Promise<string[]> {
    const chain = chainIds(layers.map((l) => l.diffId));
    const dirs: string[] = [];
    for (let i = 0; i < layers.length; i++) {
      dirs.unshift(await this.#ensure(chain[i]!, layers[i]!, [...dirs]));
    }
    return dirs;
  }

  /** Whether the snapshot of `chainId` is there (unpacked or made by a step). */
  async has(chainId: Digest): Promise<boolean> {
    return (await stat(this.pathOf(chainId)).catch(() => undefined))?.isDirectory() === true;
  }

  /** Makes `upperDir` (a step's result) the snapshot of `chainId`; returns where it now is. */
  async adopt(upperDir: string, chainId: Digest): Promise<string> {
    const target = this.pathOf(chainId);
    await mkdir(this.dir, { recursive: true });
    try {
      await rename(upperDir, target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
      await rm(upperDir, { recursive: true, force: true });
    }
    return target;
  }

  #ensure(chainId: Digest, layer: LayerRef, lowerDirs: string[]): Promise<string> {
    const target = this.pathOf(chainId);
    const pending = this.#pending.get(chainId);
    if (pending) return pending;
    const work = (async () => {
      if (await stat(target).catch(() => undefined)) return target;
      const scratch = await this.scratch();
      try {
        const dest = join(scratch, "layer");
        await mkdir(dest, { mode: 0o755 });
        // Loaded here: `system df` and `builder prune` use this class without unpacking anything.
        const { unpackLayer } = await import("../../layer/unpack.ts");
        await unpackLayer(this.#decompressed(layer), dest, { lowerDirs });
        return await this.adopt(dest, chainId);
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    })().finally(() => this.#pending.delete(chainId));
    this.#pending.set(chainId, work);
    return work;
  }

  #decompressed(layer: LayerRef): NodeJS.ReadableStream {
    const file = createReadStream(this.#store.blobs.path(layer.digest), { highWaterMark: 1 << 20 });
    const kind = layerCompression(layer.mediaType);
    if (kind === "none") return file;
    const inflate = decompressor(kind)!;
    file.on("error", (err) => inflate.destroy(err));
    return file.pipe(inflate);
  }
}
