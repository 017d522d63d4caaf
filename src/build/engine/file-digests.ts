/**
 * The context files' content digests, kept between builds in `ROOT/build/file-digests.json` by path
 * and stat (device, inode, size, mtime, ctime: any write changes ctime), as BuildKit keeps its
 * contenthash metadata: a rebuild hashes only what changed, so a cached build of a big context costs
 * a walk instead of reading every byte. The file is advisory: unreadable or corrupt is empty, written
 * atomically, and two builds writing at once lose at most entries that are recomputed next time.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomicSync } from "../../util/fs-atomic.ts";
import { FileDigestCache } from "../copy/content-hash.ts";

/** Beyond this many files the cache starts afresh rather than grow without end. */
const MAX_ENTRIES = 200_000;

export function fileDigestsPath(buildDir: string): string {
  return join(buildDir, "file-digests.json");
}

export interface LoadedDigests {
  cache: FileDigestCache;
  /** The file's text as read: an unchanged cache is not written again. */
  text: string;
}

export async function loadFileDigests(buildDir: string): Promise<LoadedDigests> {
  try {
    const text = await readFile(fileDigestsPath(buildDir), "utf8");
    return { cache: FileDigestCache.fromJSON(JSON.parse(text)), text };
  } catch {
    return { cache: new FileDigestCache(), text: "" };
  }
}

export function saveFileDigests(buildDir: string, loaded: LoadedDigests): void {
  const { cache } = loaded;
  if (cache.size === 0 || cache.size > MAX_ENTRIES) return;
  const text = JSON.stringify(cache);
  if (text === loaded.text) return;
  try {
    writeFileAtomicSync(fileDigestsPath(buildDir), text);
  } catch {
    // Advisory: a build that cannot keep its digests only hashes again next time.
  }
}
