/**
 * The cache key's share of a COPY/ADD: a digest over what it would copy, from the same plan the
 * copy runs (copy-sources.ts): per source its kind and name, per entry the path below it, type,
 * mode after --chmod, uid/gid after --chown, symlink target, hard-link target or content digest;
 * the mode and owner given to created parents. Not mtimes (as BuildKit's cache/contenthash: a
 * `touch` alone does not invalidate the cache, a `chmod` does). The destination path, the parent
 * layer and the instruction are the engine's part of the key.
 *
 * File contents are hashed once per (device, inode, size, mtime, ctime): FileDigestCache keeps
 * them, in memory and, through toJSON/fromJSON, wherever the engine persists it.
 */
import { createHash } from "node:crypto";
import type { BigIntStats } from "node:fs";
import { closeSync, openSync, readSync } from "node:fs";
import { readlink } from "node:fs/promises";
import { parseChmod } from "./chmod.ts";
import type { ChownIds } from "./chown.ts";
import type { CopyRequest } from "./copy-request.ts";
import { planCopy, type SourceEntry } from "./copy-sources.ts";
import { TimeSlicer } from "./limited.ts";

/** Read size for hashing. */
const CHUNK = 4 << 20;

export class FileDigestCache {
  private readonly entries = new Map<string, { key: string; digest: string }>();
  /** Files hashed (not answered from the cache) since it was made or loaded: 0 means nothing to save. */
  changes = 0;

  static fromJSON(data: unknown): FileDigestCache {
    const cache = new FileDigestCache();
    if (typeof data === "object" && data !== null) {
      for (const [path, value] of Object.entries(data as Record<string, unknown>)) {
        const v = value as { key?: unknown; digest?: unknown };
        if (typeof v?.key === "string" && typeof v.digest === "string") {
          cache.entries.set(path, { key: v.key, digest: v.digest });
        }
      }
    }
    return cache;
  }

  toJSON(): Record<string, { key: string; digest: string }> {
    return Object.fromEntries(this.entries);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The sha256 (hex) of the file at `path`, hashed only when its stat changed since last time. */
  async digest(path: string, st: BigIntStats, slicer = new TimeSlicer()): Promise<string> {
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    const known = this.entries.get(path);
    if (known?.key === key) return known.digest;
    const digest = await hashFile(path, slicer);
    this.entries.set(path, { key, digest });
    this.changes += 1;
    return digest;
  }
}

/** The process's cache, used when the caller gives none. */
export const defaultDigestCache = new FileDigestCache();

export type HashCopyRequest = Omit<CopyRequest, "destRoot"> & {
  /** The --chown ids, already resolved against the destination (resolveChown). */
  chownIds?: ChownIds;
  digestCache?: FileDigestCache;
};

/** "sha256:<hex>" over what `req` copies. */
export async function hashCopySources(req: HashCopyRequest): Promise<string> {
  const cache = req.digestCache ?? defaultDigestCache;
  const chmod = req.chmod !== undefined && req.chmod !== "" ? parseChmod(req.chmod) : undefined;
  const plan = await planCopy(req);
  const ids = req.chownIds;
  const owner = (st: BigIntStats): [number, number] => {
    if (ids !== undefined) return [ids.uid, ids.gid];
    if (plan.ownership === "root") return [0, 0];
    return [Number(st.uid), Number(st.gid)];
  };
  const modeOf = (st: BigIntStats, isDir: boolean): number =>
    chmod ? chmod.apply(Number(st.mode), isDir) : Number(st.mode) & 0o7777;

  // Content digests first, in parallel; the records are then written in plan order.
  const files: { path: string; st: BigIntStats }[] = [];
  for (const item of plan.items) {
    if (item.kind === "archive") files.push({ path: item.abs, st: item.stat });
    if (item.kind !== "tree") continue;
    for (const e of item.entries)
      if (e.kind === "file" && e.hardlinkTo === undefined) files.push({ path: e.abs, st: e.stat });
  }
  // Sequential synchronous reads beat the thread pool for many small files (see TimeSlicer).
  const digests = new Map<string, string>();
  const slicer = new TimeSlicer();
  for (const { path, st } of files) digests.set(path, await cache.digest(path, st, slicer));

  const hash = createHash("sha256");
  const record = (fields: unknown[]): void => {
    hash.update(`${JSON.stringify(fields)}\n`);
  };
  record(["wharf-copy", 1, chmod?.octal ?? 0o755, ids === undefined ? null : [ids.uid, ids.gid]]);
  for (const item of plan.items) {
    switch (item.kind) {
      case "archive":
        record(["archive", item.name, digests.get(item.abs), ids === undefined ? null : [ids.uid, ids.gid]]);
        break;
      case "inline": {
        const mode = chmod ? chmod.apply(0o100644, false) : 0o644;
        const [uid, gid] = ids === undefined ? [0, 0] : [ids.uid, ids.gid];
        record(["inline", item.name, mode, uid, gid, createHash("sha256").update(item.data).digest("hex")]);
        break;
      }
      case "tree":
        record(["item", item.isDir ? "dir" : "file", item.name]);
        for (const e of item.entries) record(await entryRecord(e, digests, owner, modeOf));
    }
  }
  return `sha256:${hash.digest("hex")}`;
}

async function entryRecord(
  e: SourceEntry,
  digests: ReadonlyMap<string, string>,
  owner: (st: BigIntStats) => [number, number],
  modeOf: (st: BigIntStats, isDir: boolean) => number,
): Promise<unknown[]> {
  // A directory source's own metadata is not copied (only its times, which are not hashed).
  if (e.rel === "" && e.kind === "dir") return ["root"];
  const [uid, gid] = owner(e.stat);
  const base = [e.rel, e.kind, uid, gid];
  switch (e.kind) {
    case "dir":
      return [...base, modeOf(e.stat, true), e.parentOnly];
    case "file":
      if (e.hardlinkTo !== undefined) return [...base, modeOf(e.stat, false), "link", e.hardlinkTo];
      return [...base, modeOf(e.stat, false), digests.get(e.abs)];
    case "symlink":
      return [...base, await readlink(e.abs)];
    case "socket":
      return [...base, modeOf(e.stat, false)];
    default:
      return [...base, modeOf(e.stat, false), String(e.stat.rdev)];
  }
}

/** One buffer for every read: hashing is synchronous, so no two reads share it at once. */
let readBuffer: Buffer | undefined;

/** sha256 (hex) of a file, read synchronously in chunks with event-loop turns in between. */
async function hashFile(path: string, slicer: TimeSlicer): Promise<string> {
  readBuffer ??= Buffer.allocUnsafe(CHUNK);
  const hash = createHash("sha256");
  const fd = openSync(path, "r");
  try {
    for (;;) {
      await slicer.pause();
      const n = readSync(fd, readBuffer, 0, CHUNK, null);
      if (n === 0) break;
      hash.update(readBuffer.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}
