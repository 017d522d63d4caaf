/**
 * The copy engine (containers/image's copy.Image, in small): resolve the source's reference, then for
 * each manifest copied move its config and layers (each blob once per copy, reused where the
 * destination has it or can mount it), then store the manifest byte for byte (or as the destination
 * rewrote it: ImageDestination.storedManifest), platform manifests before their index. Push, save, load and
 * `wharf copy` are this function with different ends.
 */
import pLimit from "p-limit";
import { WharfError } from "../errors.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import type { Digest } from "../oci/digest.ts";
import { type ParsedManifest, parseDocument } from "../oci/document.ts";
import { defaultPlatform, type Platform } from "../oci/platform.ts";
import { choosePlatformManifest } from "./platform-choice.ts";
import type {
  BlobReuse,
  BlobStatus,
  CopyEvent,
  ImageDestination,
  ImageSource,
  ManifestBytes,
} from "./types.ts";

export interface CopyOptions {
  /** Copy every manifest of an index and the index itself, keeping its digest (skopeo --all). */
  all?: boolean;
  /** Without `all`: the platform an index resolves to (default: this host's). */
  platform?: Platform;
  /** References the destination records for the top manifest. */
  names?: readonly string[];
  /** Blobs moved at once (Docker pushes 5 at a time, pulls 3). */
  concurrency?: number;
  onEvent?: (event: CopyEvent) => void;
}

export interface CopyResult {
  /**
   * The manifest stored as the copy's top (the index with `all`, else the platform manifest), as the
   * destination stored it.
   */
  top: ManifestBytes;
  /** The platform manifests copied, in order, as stored. */
  manifests: ManifestBytes[];
}

/** Copies one image (or with `all`, one index and its images). The caller commits or aborts. */
export async function copyImage(
  source: ImageSource,
  destination: ImageDestination,
  options: CopyOptions = {},
): Promise<CopyResult> {
  const run = new CopyRun(source, destination, options);
  return run.copy();
}

/** copyImage, then commit; on any failure, abort, so that nothing of the copy remains. */
export async function copyAndCommit(
  source: ImageSource,
  destination: ImageDestination,
  options: CopyOptions = {},
): Promise<CopyResult> {
  try {
    const result = await copyImage(source, destination, options);
    await destination.commit();
    return result;
  } catch (err) {
    await destination.abort().catch(() => undefined);
    throw err;
  }
}

interface Blob {
  desc: Descriptor;
  role: "config" | "layer";
}

class CopyRun {
  readonly #source: ImageSource;
  readonly #destination: ImageDestination;
  readonly #options: CopyOptions;
  readonly #limit: ReturnType<typeof pLimit>;
  readonly #concurrency: number;
  /** Lookups at the destination: cheap, so more at once than transfers. */
  readonly #checkLimit = pLimit(8);
  /** One lookup and at most one transfer per blob per copy: index children share layers. */
  readonly #checks = new Map<string, Promise<BlobReuse | undefined>>();
  readonly #transfers = new Map<string, Promise<void>>();

  constructor(source: ImageSource, destination: ImageDestination, options: CopyOptions) {
    this.#source = source;
    this.#destination = destination;
    this.#options = options;
    this.#concurrency = options.concurrency ?? 3;
    this.#limit = pLimit(this.#concurrency);
  }

  async copy(): Promise<CopyResult> {
    const top = await this.#source.topManifest();
    this.#emit({ type: "resolved", digest: top.digest, mediaType: top.mediaType });
    const names = this.#options.names ?? [];
    const parsed = parseDocument(top.bytes, top.mediaType);
    if (parsed.kind === "manifest") {
      await this.#copyManifest(parsed, top, { top: true, names });
      const stored = this.#stored(top);
      return { top: stored, manifests: [stored] };
    }
    if (!this.#options.all) {
      const chosen = choosePlatformManifest(parsed, this.#options.platform ?? defaultPlatform());
      const child = await this.#childManifest(chosen, top);
      await this.#copyManifest(child.parsed, child.bytes, { top: true, names, index: top });
      const stored = this.#stored(child.bytes);
      return { top: stored, manifests: [stored] };
    }
    if (!this.#destination.acceptsIndex) {
      throw new WharfError(
        "COPY_UNSUPPORTED",
        "the destination cannot hold a multi-platform index: choose one platform instead of --all",
      );
    }
    const children = await Promise.all(
      parsed.value.manifests.map((desc) => this.#childManifest(desc as Descriptor, top)),
    );
    // Children one after another: their blobs still move `concurrency` at a time, shared ones once.
    for (const child of children)
      await this.#copyManifest(child.parsed, child.bytes, { top: false, names: [] });
    await this.#putManifest(top, { top: true, names });
    return { top: this.#stored(top), manifests: children.map((c) => this.#stored(c.bytes)) };
  }

  async #childManifest(desc: Descriptor, index: ManifestBytes) {
    const bytes = await this.#source.manifest(desc.digest as Digest);
    const parsed = parseDocument(bytes.bytes, bytes.mediaType);
    if (parsed.kind !== "manifest") {
      throw new WharfError(
        "MANIFEST_INVALID",
        `manifest ${desc.digest} of index ${index.digest} is itself an index`,
      );
    }
    return { bytes, parsed };
  }

  async #copyManifest(
    manifest: ParsedManifest,
    bytes: ManifestBytes,
    context: { top: boolean; names: readonly string[]; index?: ManifestBytes },
  ): Promise<void> {
    const layers = manifest.value.layers as readonly Descriptor[];
    const blobs: Blob[] = [
      { desc: manifest.value.config as Descriptor, role: "config" },
      ...layers.map((desc) => ({ desc, role: "layer" as const })),
    ];
    for (const layer of layers) this.#blobEvent(layer, "layer", "preparing");
    // Every blob is looked up before any moves (the destination's HEADs, in parallel), so that what
    // will be sent is known up front: Docker lists "Pulling fs layer" for exactly those.
    const reuse = await Promise.all(blobs.map((blob) => this.#reuse(blob)));
    const moving = blobs.filter((_, i) => !reuse[i]);
    for (const blob of moving) {
      if (!this.#transfers.has(blob.desc.digest)) this.#blobEvent(blob.desc, blob.role, "pending");
    }
    const transfers = moving.map((blob) => this.#transfer(blob));
    // Every transfer settles before the first failure is reported: none is left writing behind us.
    const outcomes = await Promise.allSettled(transfers);
    const failed = outcomes.find((o) => o.status === "rejected");
    if (failed) throw failed.reason;
    await this.#putManifest(bytes, context);
  }

  /** Whether the destination has the blob or mounts it; asked once per blob per copy. */
  #reuse(blob: Blob): Promise<BlobReuse | undefined> {
    let check = this.#checks.get(blob.desc.digest);
    if (!check) {
      check = this.#checkLimit(async () => {
        const reuse = await this.#destination.reuseBlob(blob.desc, this.#source);
        if (reuse) {
          const from = reuse.kind === "mounted" ? { from: reuse.from } : {};
          this.#blobEvent(blob.desc, blob.role, reuse.kind, from);
        }
        return reuse;
      });
      this.#checks.set(blob.desc.digest, check);
    }
    return check;
  }

  #transfer(blob: Blob): Promise<void> {
    let transfer = this.#transfers.get(blob.desc.digest);
    if (!transfer) {
      // A config is small and goes at once, outside the limit: Docker counts only layers against it.
      if (blob.role === "config") transfer = this.#send(blob);
      else {
        if (this.#limit.activeCount + this.#limit.pendingCount >= this.#concurrency) {
          this.#blobEvent(blob.desc, blob.role, "waiting");
        }
        transfer = this.#limit(() => this.#send(blob));
      }
      this.#transfers.set(blob.desc.digest, transfer);
    }
    return transfer;
  }

  async #send({ desc, role }: Blob): Promise<void> {
    this.#blobEvent(desc, role, "transferring", { current: 0, total: desc.size });
    await this.#destination.putBlob(
      desc,
      this.#source.blob(desc.digest as Digest, desc.urls ?? []),
      (bytes) => this.#blobEvent(desc, role, "transferring", { current: bytes, total: desc.size }),
    );
    this.#blobEvent(desc, role, "done");
  }

  async #putManifest(
    bytes: ManifestBytes,
    context: { top: boolean; names: readonly string[]; index?: ManifestBytes },
  ): Promise<void> {
    await this.#destination.putManifest(bytes, context);
    const stored = this.#stored(bytes);
    this.#emit({
      type: "manifest",
      digest: stored.digest,
      mediaType: stored.mediaType,
      size: stored.bytes.byteLength,
      top: context.top,
    });
  }

  /** The manifest as the destination stored it: the same bytes, unless it rewrote them. */
  #stored(bytes: ManifestBytes): ManifestBytes {
    return this.#destination.storedManifest?.(bytes.digest) ?? bytes;
  }

  #blobEvent(
    desc: Descriptor,
    role: "config" | "layer",
    status: BlobStatus,
    extra: { from?: string; current?: number; total?: number } = {},
  ): void {
    this.#emit({ type: "blob", digest: desc.digest as Digest, role, status, ...extra });
  }

  #emit(event: CopyEvent): void {
    this.#options.onEvent?.(event);
  }
}
