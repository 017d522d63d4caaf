/** RecordReader.listAll (what `wharf images` reads) returns exactly what list() does. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { type Digest, digestBytes } from "../../src/oci/digest.ts";
import { bytesSource, Store } from "../../src/store/index.ts";
import { FIXTURES_DIR } from "../corpus.ts";
import { importLayoutImage } from "../helpers/import-layout.ts";
import { tempDir } from "../helpers/tmp.ts";

const MULTI = join(FIXTURES_DIR, "oci/busybox-multi");

function children(): {
  digest: Digest;
  size: number;
  mediaType: string;
  platform: { os: string; architecture: string };
}[] {
  const top = JSON.parse(readFileSync(join(MULTI, "index.json"), "utf8")).manifests[0];
  return JSON.parse(readFileSync(join(MULTI, "blobs/sha256", top.digest.slice(7)), "utf8")).manifests;
}

test("listAll gives list()'s records, field for field and in the same order", async () => {
  const store = await Store.open({ root: tempDir() });
  assert.deepEqual(
    store.read((r) => r.listAll()),
    [],
  );
  const busybox = await importLayoutImage(store, join(FIXTURES_DIR, "oci/busybox"), {
    tag: "docker.io/library/busybox:latest",
  });
  for (const child of children()) await importLayoutImage(store, MULTI, { manifest: child });
  // A record without a created time, sharing busybox's layers under another manifest.
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, note: "no created" }));
  const lease = store.lease();
  const manifestDigest = digestBytes(manifest);
  await store.ingest({ digest: manifestDigest, size: manifest.length, source: bytesSource(manifest), lease });
  await store.update((w) => {
    w.putImage({
      id: busybox.id,
      manifest: { digest: manifestDigest, mediaType: "application/vnd.oci.image.manifest.v1+json", size: 1 },
      platform: { os: "linux", architecture: "arm", variant: "v7" },
      layers: busybox.layers,
    });
    w.setTag("example.com/a/b:v1", manifestDigest, new Date("2026-01-02T03:04:05Z"));
    w.setTag("example.com/a/b:v0", manifestDigest, null);
    w.addRepoDigest(manifestDigest, { repository: "example.com/a/b", ...busybox.manifest });
    w.addRepoDigest(manifestDigest, { repository: "docker.io/library/busybox", ...busybox.manifest });
    w.addRepoDigest(busybox.manifest.digest, {
      repository: "docker.io/library/busybox",
      ...busybox.manifest,
    });
    w.setLayerUnpackedSizes(new Map([[busybox.layers[0]!.diffId, 42]]));
  });
  await lease.release();
  const [list, listAll] = store.read((r) => [r.list(), r.listAll()]);
  assert.ok(list.length >= 3);
  assert.deepEqual(listAll, list);
  assert.deepEqual(
    listAll.map((r) => Object.keys(r)),
    list.map((r) => Object.keys(r)),
  );
  assert.ok(listAll.some((r) => r.created === undefined && !("created" in r)));
  store.close();
});
