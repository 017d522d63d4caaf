/**
 * Garbage collection: mark every blob reachable from an image record (its manifest, config and
 * layers, and the index or manifest each RepoDigest names) or held by a live lease; sweep the rest,
 * and the partial ingests nobody will resume (see partialIngests). Runs under the store's writer lock, so no record
 * can start referencing a blob between the mark and the sweep.
 */

import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { createHash, type Digest } from "../oci/digest.ts";
import { buildCacheDigests } from "./build-cache.ts";
import { leasedDigests, pruneDeadLeases } from "./lease.ts";
import { isOwnerAlive, parseOwner } from "./owner.ts";
import { RecordReader } from "./records.ts";
import type { Store } from "./store.ts";

export interface GcOptions {
  /** Report what would go, remove nothing. */
  dryRun?: boolean;
  /**
   * Partial ingests a live process left (interrupted, not being written) younger than this are kept
   * so that it can resume them. Default 24 h. Those of dead processes go at once.
   */
  ingestGraceMs?: number;
}

export interface GcResult {
  removedBlobs: { digest: Digest; size: number }[];
  /** Refs of the partial ingests removed. */
  removedIngests: string[];
  /** Bytes of blobs and partial ingests removed. */
  reclaimedBytes: number;
  /** Of those, the bytes of partial ingests. */
  reclaimedIngestBytes: number;
}

export function markedDigests(records: RecordReader): Set<string> {
  const marked = new Set<string>();
  for (const image of records.list()) {
    marked.add(image.id);
    marked.add(image.manifest.digest);
    for (const layer of image.layers) marked.add(layer.digest);
    for (const rd of image.repoDigests) marked.add(rd.digest);
  }
  return marked;
}

export const DEFAULT_INGEST_GRACE_MS = 24 * 60 * 60 * 1000;

export function collectGarbage(store: Store, options: GcOptions = {}): Promise<GcResult> {
  const graceMs = options.ingestGraceMs ?? DEFAULT_INGEST_GRACE_MS;
  return store.db.write(() => {
    const now = Date.now();
    if (!options.dryRun) pruneDeadLeases(store.db, now);
    const keep = markedDigests(new RecordReader(store.db.sqlite));
    for (const digest of buildCacheDigests(store.db)) keep.add(digest);
    for (const digest of leasedDigests(store.db, now)) keep.add(digest);
    const result: GcResult = {
      removedBlobs: [],
      removedIngests: [],
      reclaimedBytes: 0,
      reclaimedIngestBytes: 0,
    };
    sweepBlobs(store, keep, options.dryRun ?? false, result);
    sweepIngests(store, graceMs, options.dryRun ?? false, result);
    return result;
  });
}

function sweepBlobs(store: Store, keep: Set<string>, dryRun: boolean, result: GcResult): void {
  for (const algorithm of readdirSync(store.paths.blobsDir)) {
    const dir = join(store.paths.blobsDir, algorithm);
    for (const name of readdirSync(dir)) {
      const digest = `${algorithm}:${name}` as Digest;
      if (keep.has(digest)) continue;
      const path = join(dir, name);
      const size = statSync(path).size;
      if (!dryRun) rmSync(path, { force: true });
      result.removedBlobs.push({ digest, size });
      result.reclaimedBytes += size;
    }
  }
}

/** A partial ingest in ingest/, and what GC does with it. */
export interface PartialIngest {
  /** The ingest ref (the folder's name when no row names it). */
  ref: string;
  path: string;
  /** Bytes of data so far; 0 for a folder without data. */
  size: number;
  /**
   * "active": a live process writes it; "resumable": left by a live process, kept for the grace
   * period; "abandoned": GC removes it now.
   */
  state: "active" | "resumable" | "abandoned";
}

/**
 * Which partial ingests go. One a live process is writing stays. One whose writer is known to be
 * dead (SIGKILLed, crashed, or gone after an interruption) goes at once: nobody will resume it
 * sooner than a new pull would, and on a full disk it is the space that a retry needs. One left by
 * a live process (an interrupted pull in a long-running program) stays for the grace period, to be
 * resumed. A folder with no data (its blob was moved into place) or no row goes at once too.
 */
export function partialIngests(store: Store, graceMs = DEFAULT_INGEST_GRACE_MS): PartialIngest[] {
  const cutoff = Date.now() - graceMs;
  const byKey = ingestRows(store);
  const out: PartialIngest[] = [];
  for (const key of readdirSync(store.paths.ingestDir)) {
    const row = byKey.get(key);
    const path = join(store.paths.ingestDir, key);
    const data = dataSize(path);
    let state: PartialIngest["state"] = "abandoned";
    if (row && isAlive(row.owner)) state = "active";
    else if (row && data !== undefined && isAlive(row.last_owner) && lastTouched(path) > cutoff) {
      state = "resumable";
    }
    out.push({ ref: row?.ref ?? key, path, size: data ?? 0, state });
  }
  return out;
}

function sweepIngests(store: Store, graceMs: number, dryRun: boolean, result: GcResult): void {
  for (const ingest of partialIngests(store, graceMs)) {
    if (ingest.state !== "abandoned") continue;
    if (!dryRun) {
      rmSync(ingest.path, { recursive: true, force: true });
      store.db.sqlite.prepare("DELETE FROM ingests WHERE ref = ?").run(ingest.ref);
    }
    result.removedIngests.push(ingest.ref);
    result.reclaimedBytes += ingest.size;
    result.reclaimedIngestBytes += ingest.size;
  }
  // Rows whose folder is gone (a crash between removing the folder and the row), unless in use.
  if (dryRun) return;
  const del = store.db.sqlite.prepare("DELETE FROM ingests WHERE ref = ?");
  for (const [key, row] of ingestRows(store)) {
    if (!existsSync(join(store.paths.ingestDir, key)) && !isAlive(row.owner)) del.run(row.ref);
  }
}

interface IngestRow {
  ref: string;
  owner: string;
  last_owner: string;
}

/** The ingests table by folder name (sha256 of the ref). */
function ingestRows(store: Store): Map<string, IngestRow> {
  const rows = store.db.sqlite
    .prepare("SELECT ref, owner, last_owner FROM ingests")
    .all() as unknown as IngestRow[];
  return new Map(rows.map((r) => [createHash("sha256").update(r.ref).digest("hex"), r]));
}

function isAlive(ownerText: string): boolean {
  const owner = parseOwner(ownerText);
  return owner !== undefined && isOwnerAlive(owner);
}

function dataSize(dir: string): number | undefined {
  try {
    return statSync(join(dir, "data")).size;
  } catch {
    return undefined;
  }
}

/** Appending to data does not touch the directory's mtime: look at both. */
function lastTouched(dir: string): number {
  const own = statSync(dir).mtimeMs;
  try {
    return Math.max(own, statSync(join(dir, "data")).mtimeMs);
  } catch {
    return own;
  }
}
