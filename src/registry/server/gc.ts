/**
 * Garbage collection of the registry's storage (`wharf serve gc`): mark every blob a kept manifest
 * needs, sweep the rest.
 *
 * Safe while the server runs, by a grace period rather than a lock: a blob is deleted only if it is
 * unreferenced AND neither it nor any repository's link to it is younger than `graceMs` (default 1 h).
 * A client pushes (or mounts) blobs before the manifest that names them; the grace period covers that
 * window. Uploads in progress live under _uploads, not
 * /blobs, and are never touched unless abandoned for longer than `uploadGraceMs` (default 24 h).
 */
import type { Digest } from "../../oci/digest.ts";
import { parseDocument } from "../../oci/document.ts";
import { listRepositories } from "./catalog.ts";
import {
  BLOBS_ROOT,
  blobPath,
  layerLinkPath,
  referrersPath,
  revisionLinkPath,
  revisionsPath,
  tagsPath,
  uploadsPath,
} from "./layout.ts";
import type { StorageDriver } from "./storage/driver.ts";

export interface GcOptions {
  dryRun?: boolean;
  /** Also remove manifests no tag reaches (directly, or through a tagged index). */
  deleteUntagged?: boolean;
  graceMs?: number;
  uploadGraceMs?: number;
  now?: number;
  /** One line per thing removed (or, on a dry run, that would be). */
  log?: (line: string) => void;
}

export interface GcReport {
  repositories: number;
  manifestsKept: number;
  manifestsDeleted: number;
  blobsMarked: number;
  blobsDeleted: number;
  bytesDeleted: number;
  blobsTooYoung: number;
  uploadsDeleted: number;
}

const HOUR = 3_600_000;

function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Every digest stored under a "<alg>/<hex>" directory tree (blobs, revisions). */
async function digestsUnder(driver: StorageDriver, root: string): Promise<Digest[]> {
  const out: Digest[] = [];
  for (const algDir of await driver.list(root)) {
    for (const entry of await driver.list(algDir))
      out.push(`${lastSegment(algDir)}:${lastSegment(entry)}` as Digest);
  }
  return out;
}

/** The blobs and child manifests a manifest or index needs. */
function referencesOf(bytes: Uint8Array, mediaType: string): { blobs: Digest[]; manifests: Digest[] } {
  try {
    const doc = parseDocument(bytes, mediaType);
    if (doc.kind === "manifest") {
      return {
        blobs: [doc.value.config.digest as Digest, ...doc.value.layers.map((l) => l.digest as Digest)],
        manifests: [],
      };
    }
    return { blobs: [], manifests: doc.value.manifests.map((m) => m.digest as Digest) };
  } catch {
    // A stored manifest that no longer parses still keeps itself; it names nothing we can trust.
    return { blobs: [], manifests: [] };
  }
}

export async function collectRegistryGarbage(
  driver: StorageDriver,
  options: GcOptions = {},
): Promise<GcReport> {
  const now = options.now ?? Date.now();
  const graceMs = options.graceMs ?? HOUR;
  const uploadGraceMs = options.uploadGraceMs ?? 24 * HOUR;
  const log = options.log ?? (() => {});
  const marked = new Set<string>();
  const report: GcReport = {
    repositories: 0,
    manifestsKept: 0,
    manifestsDeleted: 0,
    blobsMarked: 0,
    blobsDeleted: 0,
    bytesDeleted: 0,
    blobsTooYoung: 0,
    uploadsDeleted: 0,
  };

  const repositories = await listRepositories(driver);
  report.repositories = repositories.length;
  for (const name of repositories) {
    const revisions = await digestsUnder(driver, revisionsPath(name));
    const mediaTypes = new Map<Digest, string>();
    for (const digest of revisions) {
      const link = await driver.getContent(revisionLinkPath(name, digest)).catch(() => undefined);
      if (link) mediaTypes.set(digest, String(JSON.parse(link.toString()).mediaType));
    }
    const read = async (digest: Digest) => {
      const bytes = await driver.getContent(blobPath(digest)).catch(() => undefined);
      return bytes && referencesOf(bytes, mediaTypes.get(digest) ?? "");
    };
    // Roots: every revision, or (delete-untagged) the tagged ones and the referrers of kept ones.
    let roots: Digest[] = revisions;
    if (options.deleteUntagged) {
      const tagged: Digest[] = [];
      for (const tag of await driver.list(tagsPath(name))) {
        const target = await driver.getContent(tag).catch(() => undefined);
        if (target) tagged.push(target.toString() as Digest);
      }
      roots = tagged;
    }
    const kept = new Set<Digest>();
    const queue = [...roots];
    while (queue.length > 0) {
      const digest = queue.pop()!;
      if (kept.has(digest) || !mediaTypes.has(digest)) continue;
      kept.add(digest);
      const refs = await read(digest);
      for (const b of refs?.blobs ?? []) marked.add(b);
      queue.push(...(refs?.manifests ?? []));
      // Signatures and SBOMs of a kept manifest stay with it.
      for (const entry of await driver.list(referrersPath(name, digest))) {
        const [alg, hex] = lastSegment(entry).split("-");
        queue.push(`${alg}:${hex}` as Digest);
      }
    }
    for (const digest of kept) marked.add(digest);
    report.manifestsKept += kept.size;
    for (const digest of revisions) {
      if (kept.has(digest)) continue;
      report.manifestsDeleted += 1;
      log(`manifest eligible for deletion: ${name}@${digest}`);
      if (!options.dryRun) await driver.delete(revisionLinkPath(name, digest)).catch(() => undefined);
    }
    for (const upload of await driver.list(uploadsPath(name))) {
      const info = await driver.stat(upload);
      if (info && now - info.modTime.getTime() > uploadGraceMs) {
        report.uploadsDeleted += 1;
        log(`abandoned upload: ${name} ${lastSegment(upload)}`);
        if (!options.dryRun) await driver.delete(upload).catch(() => undefined);
      }
    }
  }
  report.blobsMarked = marked.size;

  for (const digest of await digestsUnder(driver, BLOBS_ROOT)) {
    if (marked.has(digest)) continue;
    const info = await driver.stat(blobPath(digest));
    if (!info) continue;
    // Young: the blob itself, or a link to it just made (an upload or a mount finished).
    const linkTimes = await Promise.all(repositories.map((r) => driver.stat(layerLinkPath(r, digest))));
    const newest = Math.max(info.modTime.getTime(), ...linkTimes.map((l) => l?.modTime.getTime() ?? 0));
    if (now - newest < graceMs) {
      report.blobsTooYoung += 1;
      continue;
    }
    report.blobsDeleted += 1;
    report.bytesDeleted += info.size;
    log(`blob eligible for deletion: ${digest}`);
    if (options.dryRun) continue;
    await driver.delete(blobPath(digest)).catch(() => undefined);
    for (const name of repositories) await driver.delete(layerLinkPath(name, digest)).catch(() => undefined);
  }
  return report;
}
