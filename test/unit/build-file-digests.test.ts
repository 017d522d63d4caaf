/** The context digests kept between builds: one file per context, bounded, advisory. */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { FileDigestCache } from "../../src/build/copy/content-hash.ts";
import { fileDigestsPath, loadFileDigests, saveFileDigests } from "../../src/build/engine/file-digests.ts";

async function cacheOf(dir: string, name: string, text: string): Promise<FileDigestCache> {
  const path = join(dir, name);
  await writeFile(path, text);
  const cache = new FileDigestCache();
  await cache.digest(path, await stat(path, { bigint: true }));
  return cache;
}

test("each context keeps its own digests; a corrupt file reads as empty", async () => {
  const buildDir = await mkdtemp(join(tmpdir(), "wharf-digests-"));
  const files = await mkdtemp(join(tmpdir(), "wharf-digests-src-"));
  saveFileDigests(buildDir, "/ctx/a", await cacheOf(files, "a", "aaa"));
  saveFileDigests(buildDir, "/ctx/b", await cacheOf(files, "b", "bbb"));
  assert.equal((await loadFileDigests(buildDir, "/ctx/a")).size, 1);
  assert.deepEqual(Object.keys((await loadFileDigests(buildDir, "/ctx/a")).toJSON()), [join(files, "a")]);
  assert.deepEqual(Object.keys((await loadFileDigests(buildDir, "/ctx/b")).toJSON()), [join(files, "b")]);
  assert.equal((await loadFileDigests(buildDir, "/ctx/none")).size, 0);
  await writeFile(fileDigestsPath(buildDir, "/ctx/a"), "{not json");
  assert.equal((await loadFileDigests(buildDir, "/ctx/a")).size, 0);
});

test("an unchanged cache writes nothing; past 64 contexts the least recently written go", async () => {
  const buildDir = await mkdtemp(join(tmpdir(), "wharf-digests-"));
  const files = await mkdtemp(join(tmpdir(), "wharf-digests-src-"));
  saveFileDigests(buildDir, "/ctx/none", new FileDigestCache());
  await assert.rejects(readdir(join(buildDir, "file-digests")));
  // The one file of every context that older stores kept goes at the first save.
  await mkdir(buildDir, { recursive: true });
  await writeFile(join(buildDir, "file-digests.json"), "{}");
  for (let i = 0; i < 70; i++) {
    saveFileDigests(buildDir, `/ctx/${i}`, await cacheOf(files, `f${i}`, String(i)));
    // Distinct mtimes, oldest first, whatever the file system's resolution.
    const t = 1_000_000 + i;
    await utimes(fileDigestsPath(buildDir, `/ctx/${i}`), t, t);
  }
  const kept = await readdir(join(buildDir, "file-digests"));
  assert.equal(kept.filter((n) => n.endsWith(".json")).length, 64);
  assert.equal(kept.length, 64, "no temporary files left behind");
  for (let i = 0; i < 6; i++)
    assert.equal((await loadFileDigests(buildDir, `/ctx/${i}`)).size, 0, `context ${i}`);
  for (let i = 6; i < 70; i++)
    assert.equal((await loadFileDigests(buildDir, `/ctx/${i}`)).size, 1, `context ${i}`);
  await assert.rejects(stat(join(buildDir, "file-digests.json")));
});
