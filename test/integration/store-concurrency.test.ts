/**
 * Eight wharf processes ingest overlapping sets of blobs and tag images at the same time. Afterwards
 * the store is consistent, no tag is lost, and every blob was written by exactly one of them.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Store } from "../../src/store/index.ts";
import { run, STORE_WORKER, wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";

const WORKERS = 8;

test(`${WORKERS} processes ingest and tag at once`, { timeout: 300_000 }, async () => {
  const root = tempDir();
  const finished = await Promise.all(
    Array.from({ length: WORKERS }, (_, k) => run(STORE_WORKER, ["mix", root, String(k)])),
  );
  const reports = finished.map((f, k) => {
    assert.equal(f.code, 0, `worker ${k}: ${f.stderr}`);
    return JSON.parse(f.stdout.split("\n").find((l) => l.startsWith("{"))!) as {
      results: { digest: string; existed: boolean }[];
      tags: string[];
    };
  });

  // Each of the 12 shared blobs was written once, whoever got there first; the rest found it.
  const writers = new Map<string, number>();
  for (const { results } of reports) {
    for (const r of results) writers.set(r.digest, (writers.get(r.digest) ?? 0) + (r.existed ? 0 : 1));
  }
  assert.equal(writers.size, 12);
  for (const [digest, count] of writers) assert.equal(count, 1, `${digest} written ${count} times`);

  const store = await Store.open({ root });
  const images = store.read((r) => r.list());
  const tagged = new Set(images.flatMap((i) => i.tags.map((t) => t.name)));
  for (const { tags } of reports) for (const tag of tags) assert.ok(tagged.has(tag), `tag ${tag} lost`);
  assert.ok(tagged.has("docker.io/library/mix:shared"));
  assert.equal(tagged.size, WORKERS * 3 + 1);
  store.close();

  assert.deepEqual(readdirSync(join(root, "ingest")), [], "no ingest left behind");
  const blobFiles = readdirSync(join(root, "blobs/sha256"));
  assert.equal(blobFiles.length, new Set(blobFiles).size);
  assert.ok(
    blobFiles.every((name) => /^[a-f0-9]{64}$/.test(name)),
    "no temporary files among the blobs",
  );
  const check = await wharf(["system", "check", "--root", root]);
  assert.equal(check.code, 0, check.stdout + check.stderr);
});
