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

export async function loadFileDigests(buildDir: string): Promise<FileDigestCache> {
  try {
    return FileDigestCache.fromJSON(JSON.parse(await readFile(fileDigestsPath(buildDir), "utf8")));
  } catch {
    return new FileDigestCache();
  }
}

/** Written only when the build hashed something the cache did not know. */
export function saveFileDigests(buildDir: string, cache: FileDigestCache): void {
  if (cache.changes === 0 || cache.size > MAX_ENTRIES) return;
  try {
    writeFileAtomicSync(fileDigestsPath(buildDir), JSON.stringify(cache));
  } catch {
    // Advisory: a build that cannot keep its digests only hashes again next time.
  }
}
