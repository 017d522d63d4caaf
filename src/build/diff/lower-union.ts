/**
 * What the lower layers of an overlay hold at one directory, computed the way overlayfs merges them:
 * lower dirs top first, a name taken from the highest lower that has it, a whiteout (char 0,0) hiding
 * the name in every lower below it, and a directory's lowers ending at the first lower where it is
 * a whiteout or no directory. Opaque lower directories are not seen (their xattr is unreadable from
 * Node): wharf's unpacker writes none, it whites out each lower name instead (src/layer/unpack-tree.ts).
 */
import { type Dirent, lstatSync, readdirSync, type Stats } from "node:fs";

/** The lowers in which one directory is a directory, top first, and the lower root paths of each. */
export interface LowerDir {
  /** Absolute paths of this directory in each contributing lower, top first. */
  readonly paths: readonly Buffer[];
}

export const NO_LOWER: LowerDir = { paths: [] };

/** The root of the lower union: every lower dir contributes. */
export function lowerRoot(lowerDirs: readonly string[]): LowerDir {
  return { paths: lowerDirs.map((d) => Buffer.from(d)) };
}

export function isWhiteout(stats: Stats): boolean {
  return stats.isCharacterDevice() && stats.rdev === 0;
}

/** One name of the union: present (its topmost entry and the lower that has it) or whited out. */
interface UnionName {
  /** Index into LowerDir.paths of the topmost lower that has the name (as anything). */
  readonly top: number;
  readonly present: boolean;
  readonly isDir: boolean;
}

/** The merged listing of a directory over its lowers. */
export class LowerListing {
  readonly #dir: LowerDir;
  readonly #names = new Map<string, UnionName>();
  /** Per lower (same index as dir.paths): name (latin1) -> whether it is a directory there. */
  readonly #perLower: Map<string, boolean>[] = [];

  constructor(dir: LowerDir) {
    this.#dir = dir;
    dir.paths.forEach((path, index) => {
      const here = new Map<string, boolean>();
      this.#perLower.push(here);
      let entries: Dirent<Buffer>[];
      try {
        entries = readdirSync(path, { encoding: "buffer", withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
        throw err;
      }
      for (const entry of entries) {
        const key = entry.name.toString("latin1");
        here.set(key, entry.isDirectory());
        if (this.#names.has(key)) continue;
        // Only character devices need a stat: rdev 0 is a whiteout, anything else a real device.
        const present = !(
          entry.isCharacterDevice() && isWhiteout(lstatSync(Buffer.concat([path, SEP, entry.name])))
        );
        this.#names.set(key, { top: index, present, isDir: entry.isDirectory() });
      }
    });
  }

  /** Whether the union has `name` (not whited out). */
  has(name: Buffer): boolean {
    return this.#names.get(name.toString("latin1"))?.present === true;
  }

  /** Every name present in the union, raw. */
  presentNames(): Buffer[] {
    const out: Buffer[] = [];
    for (const [key, n] of this.#names) if (n.present) out.push(Buffer.from(key, "latin1"));
    return out;
  }

  /** The stat of `name` in the topmost lower that has it, if it is a directory there. */
  topDirStats(name: Buffer): Stats | undefined {
    const n = this.#names.get(name.toString("latin1"));
    if (n === undefined || !n.present || !n.isDir) return undefined;
    return lstatSync(Buffer.concat([this.#dir.paths[n.top]!, SEP, name]));
  }

  /** The lowers of child directory `name`: those where it is a directory, up to the first where it is not. */
  child(name: Buffer): LowerDir {
    const key = name.toString("latin1");
    const paths: Buffer[] = [];
    for (let i = 0; i < this.#perLower.length; i++) {
      const isDir = this.#perLower[i]!.get(key);
      if (isDir === undefined) continue; // absent here: this lower is transparent
      if (!isDir) break; // a whiteout, a file, a symlink: nothing below shows through
      paths.push(Buffer.concat([this.#dir.paths[i]!, SEP, name]));
    }
    return paths.length === 0 ? NO_LOWER : { paths };
  }
}

const SEP = Buffer.from("/");
