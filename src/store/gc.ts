/**
 * Garbage collection: mark every blob reachable from an image record (its manifest, config and
 * layers, and the index or manifest each RepoDigest names) or held by a live lease; sweep the rest,
 * and ingests abandoned longer than the grace period. Runs under the store's writer lock, so no record
 * can start referencing a blob between the mark and the sweep.
 */
import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { createHash, type Digest } from "../oci/digest.ts";
import { leasedDigests, pruneDeadLeases } from "./lease.ts";
import { isOwnerAlive, parseOwner } from "./owner.ts";
import { RecordReader } from "./records.ts";
import type { Store } from "./store.ts";

export interface GcOptions {
  /** Report what would go, remove nothing. */
  dryRun?: boolean;
  /** Abandoned ingests younger than this are kept so that they can still resume. Default 24 h. */
  ingestGraceMs?: number;
}

export interface GcResult {
  removedBlobs: { digest: Digest; size: number }[];
  removedIngests: string[];
  reclaimedBytes: number;
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

export function collectGarbage(store: Store, options: GcOptions = {}): Promise<GcResult> {
  const graceMs = options.ingestGraceMs ?? 24 * 60 * 60 * 1000;
  return store.db.write(() => {
    const now = Date.now();
    if (!options.dryRun) pruneDeadLeases(store.db, now);
    const keep = markedDigests(new RecordReader(store.db.sqlite));
    for (const digest of leasedDigests(store.db, now)) keep.add(digest);
    const result: GcResult = { removedBlobs: [], removedIngests: [], reclaimedBytes: 0 };
    sweepBlobs(store, keep, options.dryRun ?? false, result);
    sweepIngests(store, now - graceMs, options.dryRun ?? false, result);
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

/** An ingest directory goes when no live process owns it and it has not been touched within the grace period. */
function sweepIngests(store: Store, cutoff: number, dryRun: boolean, result: GcResult): void {
  const rows = store.db.sqlite.prepare("SELECT ref, owner FROM ingests").all() as {
    ref: string;
    owner: string;
  }[];
  const byKey = new Map(rows.map((r) => [createHash("sha256").update(r.ref).digest("hex"), r]));
  for (const key of readdirSync(store.paths.ingestDir)) {
    const row = byKey.get(key);
    const owner = row ? parseOwner(row.owner) : undefined;
    if (owner && isOwnerAlive(owner)) continue;
    const path = join(store.paths.ingestDir, key);
    if (lastTouched(path) > cutoff) continue;
    if (!dryRun) {
      rmSync(path, { recursive: true, force: true });
      if (row) store.db.sqlite.prepare("DELETE FROM ingests WHERE ref = ?").run(row.ref);
    }
    result.removedIngests.push(row?.ref ?? key);
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
