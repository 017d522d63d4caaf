/**
 * Fetching an image's layers into the store: blobs the store has are "Already exists"; the rest
 * download in parallel, each verified against its digest, its diff ID computed in the same pass and
 * checked against the config's rootfs.diff_ids. "Pull complete" follows layer order, as Docker's does.
 */
import pLimit from "p-limit";
import { WharfError } from "../errors.ts";
import { DiffIdCalculator, type DiffIdResult, diffIdOfFile } from "../layer/diffid.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { type Digest, shortDigest } from "../oci/digest.ts";
import type { Lease } from "../store/lease.ts";
import type { LayerRecord } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import { isTransient } from "./registry-source.ts";
import type { ImageSource, LayerStatus, PullEvent } from "./types.ts";

export interface LayerFetchOptions {
  concurrency: number;
  onEvent?: (event: PullEvent) => void;
  /** Say nothing about layers (an image whose config and layers are all present, as Docker does). */
  quietLayers?: boolean;
}

export async function fetchLayers(
  store: Store,
  source: ImageSource,
  lease: Lease,
  layers: readonly Descriptor[],
  /** The config's rootfs.diff_ids; may still be on its way (layers download meanwhile, as moby's do). */
  diffIds: readonly string[] | Promise<readonly string[]>,
  options: LayerFetchOptions,
): Promise<LayerRecord[]> {
  const ids = Promise.resolve(diffIds);
  ids.catch(() => undefined); // a failed config is reported by whoever awaits it
  // Asked for only once a layer is in: no promise is left rejected and unawaited meanwhile.
  const expected = (i: number) => () => ids.then((all) => all[i]);
  const emit = (index: number, status: LayerStatus, current?: number, total?: number) => {
    if (options.quietLayers) return;
    const id = shortDigest(layers[index]!.digest as Digest);
    options.onEvent?.({ type: "layer", id, status, ...(current === undefined ? {} : { current, total }) });
  };
  // Leased before looking, so that a concurrent GC cannot take a blob between the look and its use.
  await lease.addAll(layers.map((l) => l.digest as Digest));
  const present = await Promise.all(layers.map((l) => store.blobs.has(l.digest as Digest)));
  layers.forEach((_, i) => {
    if (!present[i]) emit(i, "Pulling fs layer");
  });
  const limit = pLimit(options.concurrency);
  const fetched = layers.map((layer, i) =>
    present[i]
      ? existingLayer(store, layer, expected(i))
      : queued(
          limit,
          options.concurrency,
          () => emit(i, "Waiting"),
          () =>
            downloadLayer(store, source, lease, layer, expected(i), (status, current, total) =>
              emit(i, status, current, total),
            ),
        ),
  );
  fetched.forEach((p) => {
    p.catch(() => undefined); // each is awaited below, in order
  });
  const records: LayerRecord[] = [];
  for (let i = 0; i < layers.length; i += 1) {
    records.push(await fetched[i]!);
    emit(i, present[i] ? "Already exists" : "Pull complete");
  }
  return records;
}

function queued<T>(
  limit: ReturnType<typeof pLimit>,
  concurrency: number,
  onWait: () => void,
  task: () => Promise<T>,
): Promise<T> {
  if (limit.activeCount + limit.pendingCount >= concurrency) onWait();
  return limit(task);
}

/** A stored layer's diff ID and uncompressed size: from its records, else by reading it once. */
export async function storedLayerInfo(store: Store, layer: Descriptor): Promise<DiffIdResult> {
  const digest = layer.digest as Digest;
  return (
    store.read((r) => r.layerInfo(digest)) ?? (await diffIdOfFile(store.blobs.path(digest), layer.mediaType))
  );
}

async function existingLayer(
  store: Store,
  layer: Descriptor,
  expectedDiffId: () => Promise<string | undefined>,
): Promise<LayerRecord> {
  const digest = layer.digest as Digest;
  const known = await storedLayerInfo(store, layer);
  checkDiffId(digest, known.diffId, await expectedDiffId());
  return { digest, mediaType: layer.mediaType, size: layer.size, ...known };
}

async function downloadLayer(
  store: Store,
  source: ImageSource,
  lease: Lease,
  layer: Descriptor,
  expectedDiffId: () => Promise<string | undefined>,
  emit: (status: LayerStatus, current?: number, total?: number) => void,
): Promise<LayerRecord> {
  const digest = layer.digest as Digest;
  const calculator = new DiffIdCalculator(layer.mediaType);
  let lastReport = 0;
  const ingest = () =>
    store.ingest({
      digest,
      size: layer.size,
      source: source.blob(digest, layer.urls),
      lease,
      observer: calculator,
      onProgress: (bytes) => {
        // Progress at most every 512 KiB: enough for a bar, not an event per chunk.
        if (bytes - lastReport >= 512 * 1024 || bytes === layer.size) {
          lastReport = bytes;
          emit("Downloading", bytes, layer.size);
        }
      },
    });
  const result = await withResume(ingest);
  emit("Verifying Checksum");
  emit("Download complete");
  // Another process may have ingested it meanwhile: then the calculator saw nothing.
  const computed = result.existed ? await storedLayerInfo(store, layer) : await calculator.finish();
  checkDiffId(digest, computed.diffId, await expectedDiffId());
  return { digest, mediaType: layer.mediaType, size: layer.size, ...computed };
}

/** Transfers cut short (a dropped connection, a stalled body) resume from the bytes on disk. */
const RESUME_ATTEMPTS = 5;

export async function withResume<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries += 1) {
    try {
      return await attempt();
    } catch (err) {
      if (!isTransient(err) || tries >= RESUME_ATTEMPTS) throw err;
    }
  }
}

export function checkDiffId(digest: Digest, actual: Digest, expected: string | undefined): void {
  if (expected !== undefined && actual !== expected) {
    throw new WharfError(
      "LAYER_DIFFID_MISMATCH",
      `layer ${digest} uncompresses to ${actual}, but the image config says ${expected}`,
      { digest, actual, expected },
    );
  }
}
