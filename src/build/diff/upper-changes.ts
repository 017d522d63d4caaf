/**
 * The changes an overlay upper directory holds, in the order BuildKit's overlay differ
 * (util/overlay Changes, with containerd's changeWriter including parents) reports them: Go's
 * filepath.Walk order (each directory's names sorted by bytes, a directory before its contents).
 *
 * - A whiteout (char 0,0) is a deletion, reported only if the lowers have the name (checkDelete).
 * - A directory that the lowers also have with the same mode, owner and rdev (BuildKit's
 *   sameDirent: copied up only because something below it changed) is reported just before the
 *   first change below it, and not at all if nothing below it is (a temporary file made and removed).
 * - Opaque directories (trusted.overlay.opaque=y, unreadable from Node) are told by the merged
 *   mount: a lower name missing from the upper directory is visible in the merged one unless the
 *   directory is opaque. Each lower name it hides is reported deleted, at its place in the order,
 *   as BuildKit's double-walk of an opaque directory reports them.
 *
 * Sync file-system calls: thousands of small lstats and reads cost less without a thread-pool round
 * trip each, and the compressor works on the thread pool meanwhile.
 */
import { lstatSync, readdirSync, readlinkSync, type Stats } from "node:fs";

/** fuse-overlayfs's opaque-directory marker file (overlay's aufs-style name for it). */
const OPAQUE_MARKER = Buffer.from(".wh..wh..opq");

import { isWhiteout, type LowerDir, LowerListing, lowerRoot, NO_LOWER } from "./lower-union.ts";

export type UpperChange =
  | {
      readonly kind: "entry";
      /** Relative path, raw bytes, no trailing "/". */
      readonly path: Buffer;
      /** Absolute path in the upper dir (to read a file's content). */
      readonly source: Buffer;
      readonly stats: Stats;
      /** A symlink's target. */
      readonly linkTarget?: Buffer;
    }
  | {
      readonly kind: "delete";
      /** Relative path of the deleted name. */
      readonly path: Buffer;
      /** The upper parent directory's mtime in seconds (the whiteout's time). */
      readonly parentMtime: number;
    };

export interface UpperWalkOptions {
  upperDir: string;
  mergedDir?: string;
  lowerDirs: readonly string[];
  exclude?: ReadonlySet<string>;
}

const SEP = Buffer.from("/");

function join(a: Buffer, b: Buffer): Buffer {
  return a.length === 0 ? b : Buffer.concat([a, SEP, b]);
}

export function mtimeSeconds(stats: Stats): number {
  return Math.floor(stats.mtimeMs / 1000);
}

/** BuildKit's compareSysStat: same st_mode (type and bits), uid, gid and rdev. */
function sameDirent(lower: Stats, upper: Stats): boolean {
  return (
    lower.isDirectory() &&
    upper.isDirectory() &&
    lower.mode === upper.mode &&
    lower.uid === upper.uid &&
    lower.gid === upper.gid &&
    lower.rdev === upper.rdev
  );
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** The upper dir's changes, parents before children. */
export function* upperChanges(options: UpperWalkOptions): Generator<UpperChange> {
  const upper = Buffer.from(options.upperDir);
  const merged = options.mergedDir === undefined ? undefined : Buffer.from(options.mergedDir);
  const exclude = options.exclude ?? new Set<string>();
  const rootStats = lstatSync(upper);
  /** Directories held back (sameDirent) until something below them is reported. */
  const pending: UpperChange[] = [];

  function* flushPending(): Generator<UpperChange> {
    yield* pending;
    pending.length = 0;
  }

  function* walk(dir: Buffer, dirStats: Stats, lower: LowerDir): Generator<UpperChange> {
    // fuse-overlayfs marks an opaque directory with a `.wh..wh..opq` file in the upper dir (the
    // kernel with an xattr): a marker, never an entry; the merged view below tells what it hides.
    const upperNames = readdirSync(join(upper, dir), { encoding: "buffer" }).filter(
      (name) => !name.equals(OPAQUE_MARKER),
    );
    const listing = lower.paths.length === 0 ? undefined : new LowerListing(lower);
    const names: { name: Buffer; hidden: boolean }[] = upperNames.map((name) => ({ name, hidden: false }));
    if (listing !== undefined && merged !== undefined) {
      const inUpper = new Set(upperNames.map((n) => n.toString("latin1")));
      const candidates = listing.presentNames().filter((n) => !inUpper.has(n.toString("latin1")));
      // One visible name means the directory is not opaque (an opaque one hides them all); else each
      // is checked, so that no name the merged view shows is ever deleted.
      const mergedDir = join(merged, dir);
      const first = candidates[0];
      if (first !== undefined && isHiddenInMerged(join(mergedDir, first))) {
        for (const name of candidates) {
          if (name === first || isHiddenInMerged(join(mergedDir, name))) names.push({ name, hidden: true });
        }
      }
    }
    names.sort((a, b) => Buffer.compare(a.name, b.name));
    const parentMtime = mtimeSeconds(dirStats);

    for (const { name, hidden } of names) {
      const path = join(dir, name);
      if (exclude.size > 0 && exclude.has(path.toString())) continue;
      if (hidden) {
        yield* flushPending();
        yield { kind: "delete", path, parentMtime };
        continue;
      }
      const source = join(upper, path);
      const stats = lstatSync(source);
      if (isWhiteout(stats)) {
        if (listing?.has(name) !== true) continue; // nothing below to delete
        yield* flushPending();
        yield { kind: "delete", path, parentMtime };
        continue;
      }
      if (stats.isSocket()) continue; // containerd leaves sockets out
      if (stats.isDirectory()) {
        const entry: UpperChange = { kind: "entry", path, source, stats };
        const lowerStats = listing?.topDirStats(name);
        const deferred = lowerStats !== undefined && sameDirent(lowerStats, stats);
        if (deferred) {
          pending.push(entry);
        } else {
          yield* flushPending();
          yield entry;
        }
        yield* walk(path, stats, listing === undefined ? NO_LOWER : listing.child(name));
        if (deferred && pending[pending.length - 1] === entry) pending.pop();
        continue;
      }
      yield* flushPending();
      if (stats.isSymbolicLink()) {
        yield {
          kind: "entry",
          path,
          source,
          stats,
          linkTarget: readlinkSync(source, { encoding: "buffer" }),
        };
      } else {
        yield { kind: "entry", path, source, stats };
      }
    }
  }

  function isHiddenInMerged(path: Buffer): boolean {
    try {
      lstatSync(path);
      return false;
    } catch (err) {
      if (isMissing(err)) return true;
      throw err;
    }
  }

  yield* walk(Buffer.alloc(0), rootStats, lowerRoot(options.lowerDirs));
}
