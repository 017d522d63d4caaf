/**
 * The context files' content digests, kept between builds by path and stat (device, inode, size, mtime,
 * ctime: any write changes ctime), as BuildKit keeps its contenthash metadata: a rebuild hashes only
 * what changed, so a cached build of a big context costs a walk instead of reading every byte. One file
 * per context directory, `ROOT/build/file-digests/KEY.json`: a small context's build reads only its own
 * entries (a store's one file of every context's took 4 ms to parse before each build). The files are
 * advisory: unreadable or corrupt is empty, written atomically, two builds writing at once lose at most
 * entries that are recomputed next time, and past MAX_CONTEXTS the oldest go (a context from stdin is
 * a new directory each time).
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomicSync } from "../../util/fs-atomic.ts";
import { FileDigestCache } from "../copy/content-hash.ts";

/** Beyond this many files the cache starts afresh rather than grow without end. */
const MAX_ENTRIES = 200_000;
/** Contexts whose digests are kept; beyond, the least recently written go. */
const MAX_CONTEXTS = 64;

export function fileDigestsPath(buildDir: string, contextDir: string): string {
  const key = createHash("sha256").update(contextDir).digest("hex").slice(0, 32);
  return join(buildDir, "file-digests", `${key}.json`);
}

export async function loadFileDigests(buildDir: string, contextDir: string): Promise<FileDigestCache> {
  try {
    const text = await readFile(fileDigestsPath(buildDir, contextDir), "utf8");
    return FileDigestCache.fromJSON(JSON.parse(text));
  } catch {
    return new FileDigestCache();
  }
}

/** Written only when the build hashed something the cache did not know. */
export function saveFileDigests(buildDir: string, contextDir: string, cache: FileDigestCache): void {
  if (cache.changes === 0 || cache.size > MAX_ENTRIES) return;
  try {
    const path = fileDigestsPath(buildDir, contextDir);
    const dir = join(path, "..");
    mkdirSync(dir, { recursive: true });
    writeFileAtomicSync(path, JSON.stringify(cache));
    forgetOldest(dir);
    // The one file of every context that stores before the split kept.
    rmSync(join(buildDir, "file-digests.json"), { force: true });
  } catch {
    // Advisory: a build that cannot keep its digests only hashes again next time.
  }
}

function forgetOldest(dir: string): void {
  const names = readdirSync(dir).filter((n) => n.endsWith(".json"));
  if (names.length <= MAX_CONTEXTS) return;
  const byAge = names
    .map((name) => ({ name, mtime: statSync(join(dir, name), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
    .sort((a, b) => a.mtime - b.mtime);
  for (const { name } of byAge.slice(0, names.length - MAX_CONTEXTS))
    rmSync(join(dir, name), { force: true });
}
