/**
 * The layers below, as overlayfs merges them (top first): which lower directories make up a merged
 * directory, and which names it shows. Only what the overlay view needs: opaque directories (turned
 * into explicit whiteouts) and the attributes of a directory a layer implies without an entry.
 * Paths are walked one component at a time with lstat, so a lower layer's symlink is never followed.
 */
import type { Stats } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import { childOf, parentOf } from "./unpack-header.ts";

function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw err;
  }
}

export class LowerStack {
  readonly #roots: readonly string[];
  /** Per merged directory: the lower directories (absolute, top first) that are merged into it. */
  readonly #chains = new Map<string, Promise<string[]>>();

  constructor(lowerDirs: readonly string[]) {
    this.#roots = lowerDirs;
    this.#chains.set("", Promise.resolve([...lowerDirs]));
  }

  get empty(): boolean {
    return this.#roots.length === 0;
  }

  /**
   * The lower directories merged at `rel`: from the top, every layer where it is a directory, until
   * a layer where it is a whiteout or not a directory (that hides the layers below). Empty when the
   * lower stack shows no directory there.
   */
  dirChain(rel: string): Promise<string[]> {
    let chain = this.#chains.get(rel);
    if (chain === undefined) {
      chain = this.#extend(rel);
      this.#chains.set(rel, chain);
    }
    return chain;
  }

  async #extend(rel: string): Promise<string[]> {
    const above = await this.dirChain(parentOf(rel));
    const name = rel.slice(rel.lastIndexOf("/") + 1);
    const chain: string[] = [];
    for (const dir of above) {
      const path = childOf(dir, name);
      const st = await lstatOrUndefined(path);
      if (st === undefined) continue;
      if (!st.isDirectory()) break;
      chain.push(path);
    }
    return chain;
  }

  /** Mode, owner and times of the directory the lower stack shows at `rel` (its top-most part). */
  async dirStats(rel: string): Promise<Stats | undefined> {
    const top = (await this.dirChain(rel))[0];
    return top === undefined ? undefined : await lstat(top);
  }

  /** The names the merged directory `rel` shows: the union of its lower parts minus whited-out names. */
  async visibleNames(rel: string): Promise<Set<string>> {
    const decided = new Map<string, boolean>();
    for (const dir of await this.dirChain(rel)) {
      for (const dirent of await readdir(dir, { withFileTypes: true })) {
        if (decided.has(dirent.name)) continue;
        const hidden = dirent.isCharacterDevice() && isWhiteout(await lstat(childOf(dir, dirent.name)));
        decided.set(dirent.name, !hidden);
      }
    }
    const names = new Set<string>();
    for (const [name, visible] of decided) if (visible) names.add(name);
    return names;
  }
}
