/**
 * A walk of a directory tree in the order and with the controls of Go's filepath.WalkDir, which
 * fsutil (and so BuildKit) walks a build context with: entries of a directory sorted by name
 * (byte order of the UTF-8 names), a directory visited before its contents, symbolic links not
 * followed, and SKIP_DIR meaning "do not descend" for a directory and "skip the rest of this
 * directory" for anything else. Paths are relative to the root, "/"-separated; the root itself is
 * not visited.
 */
import type { Dirent } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";

export interface WalkEntry {
  /** Relative to the walked root, "/"-separated, no leading "/". */
  readonly path: string;
  readonly isDir: boolean;
  /** Set on a second visit of a directory that could not be read (as WalkDir reports it). */
  readonly error?: NodeJS.ErrnoException;
}

export const SKIP_DIR = Symbol("skip-dir");
export type WalkResult = typeof SKIP_DIR | undefined;
export type WalkVisitor = (entry: WalkEntry) => WalkResult;
/** A walk, started with the visitor to call for each entry. */
export type Walk = (visit: WalkVisitor) => Promise<void>;

/** The walk of the directory `root` on disk. */
export function directoryWalk(root: string): Walk {
  return async (visit) => {
    await walkChildren(root, "", visit);
  };
}

async function walkChildren(root: string, dir: string, visit: WalkVisitor): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir === "" ? root : join(root, dir), { withFileTypes: true });
  } catch (err) {
    if (dir === "") throw err;
    // WalkDir visits the directory again with the error; the visitor decides.
    visit({ path: dir, isDir: true, error: err as NodeJS.ErrnoException });
    return;
  }
  entries.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  for (const entry of entries) {
    const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
    const isDir = entry.isDirectory();
    const result = visit({ path, isDir });
    if (!isDir) {
      if (result === SKIP_DIR) return;
      continue;
    }
    if (result !== SKIP_DIR) await walkChildren(root, path, visit);
  }
}
