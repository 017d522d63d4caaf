import assert from "node:assert/strict";
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { isWharfError } from "../../src/errors.ts";
import { type Digest, digestBytes } from "../../src/oci/digest.ts";
import { bytesSource, checkStore, collectGarbage, Store } from "../../src/store/index.ts";
import { FIXTURES_DIR } from "../corpus.ts";
import { importLayoutImage } from "../helpers/import-layout.ts";
import { droppingSource } from "../helpers/synthetic.ts";
import { tempDir } from "../helpers/tmp.ts";

const BUSYBOX = join(FIXTURES_DIR, "oci/busybox");
const TAG = "docker.io/library/busybox:latest";

async function storeWithBusybox() {
  const store = await Store.open({ root: tempDir() });
  const image = await importLayoutImage(store, BUSYBOX, { tag: TAG });
  return { store, id: image.id, key: image.manifest.digest };
}

function indexJson(store: Store) {
  return JSON.parse(readFileSync(store.paths.indexJson, "utf8")) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
}

test("a recorded image carries Docker's metadata and appears in index.json under its full name", async () => {
  const { store, id } = await storeWithBusybox();
  const image = store.read((r) => r.byTag(TAG));
  assert.ok(image);
  assert.equal(image.id, id);
  assert.equal(image.layers.length, 3);
  assert.ok(image.layers.every((l) => l.uncompressedSize > l.size || l.size < 400));
  assert.equal(
    image.size,
    image.layers.reduce((s, l) => s + l.uncompressedSize, 0),
  );
  assert.deepEqual(image.platform, { os: "linux", architecture: "amd64" });
  assert.equal(image.tags[0]?.name, TAG);
  assert.equal(image.tags[0]!.lastTagTime, null, "a pulled/imported tag has no LastTagTime");
  assert.deepEqual(
    store.read((r) => r.layerInfo(image.layers[0]!.digest)),
    {
      diffId: image.layers[0]!.diffId,
      uncompressedSize: image.layers[0]!.uncompressedSize,
    },
  );
  const entries = indexJson(store).manifests;
  assert.equal(entries.length, 1);
  assert.equal(entries[0]?.digest, image.manifest.digest);
  assert.equal(entries[0]?.annotations?.["org.opencontainers.image.ref.name"], TAG);
  store.close();
});

test("moving a tag leaves the old image dangling but listed; deleting it removes it from index.json", async () => {
  const { store, key } = await storeWithBusybox();
  const other = await importLayoutImage(store, join(FIXTURES_DIR, "oci/busybox-multi"), {
    manifest: {
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      ...(await firstChild(join(FIXTURES_DIR, "oci/busybox-multi"), "arm64")),
    },
  });
  const previous = await store.update((r) => r.setTag(TAG, other.manifest.digest, new Date()));
  assert.equal(previous, key);
  assert.ok(store.read((r) => r.get(other.manifest.digest))?.tags[0]?.lastTagTime);
  const dangling = store.read((r) => r.get(key));
  assert.deepEqual(dangling?.tags, []);
  assert.equal(indexJson(store).manifests.length, 2);
  await store.update((r) => r.deleteImage(key));
  assert.equal(indexJson(store).manifests.length, 1);
  store.close();
});

async function firstChild(layout: string, arch: string): Promise<{ digest: Digest; size: number }> {
  const top = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")).manifests[0];
  const index = JSON.parse(readFileSync(join(layout, "blobs/sha256", top.digest.slice(7)), "utf8"));
  const child = index.manifests.find(
    (m: { platform: { architecture: string } }) => m.platform.architecture === arch,
  );
  return { digest: child.digest, size: child.size };
}

test("a record cannot name a blob the store lacks, and a failed update changes nothing", async () => {
  const { store, key } = await storeWithBusybox();
  const before = readFileSync(store.paths.indexJson, "utf8");
  const missing = digestBytes("not stored");
  await assert.rejects(
    store.update((r) => {
      r.setTag("docker.io/library/busybox:other", key, null);
      r.addRepoDigest(key, {
        repository: "docker.io/library/busybox",
        digest: missing,
        mediaType: "x",
        size: 1,
      });
    }),
    (e) => isWharfError(e, "STORE_BLOB_UNKNOWN"),
  );
  assert.equal(
    store.read((r) => r.byTag("docker.io/library/busybox:other")),
    undefined,
  );
  assert.equal(readFileSync(store.paths.indexJson, "utf8"), before);
  await assert.rejects(
    store.update((r) => r.setTag("x:y", missing, null)),
    (e) => isWharfError(e, "STORE_IMAGE_UNKNOWN"),
  );
  store.close();
});

test("short IDs and repo digests find images", async () => {
  const { store, id, key } = await storeWithBusybox();
  const image = store.read((r) => r.get(key))!;
  await store.update((r) =>
    r.addRepoDigest(key, { repository: "docker.io/library/busybox", ...image.manifest }),
  );
  assert.deepEqual(
    store.read((r) => r.byIdPrefix(id.slice(7, 19))).map((i) => i.id),
    [id],
  );
  assert.deepEqual(
    store.read((r) => r.byIdPrefix("%")),
    [],
  );
  assert.equal(
    store.read((r) => r.byRepoDigest("docker.io/library/busybox", image.manifest.digest))[0]?.id,
    id,
  );
  store.close();
});

test("garbage collection keeps referenced and leased blobs, sweeps the rest", async () => {
  const { store, id, key } = await storeWithBusybox();
  const stray = Buffer.from("unreferenced");
  const leased = Buffer.from("leased, about to be referenced");
  const strayLease = store.lease();
  await store.ingest({ digest: digestBytes(stray), source: bytesSource(stray), lease: strayLease });
  const lease = store.lease();
  await store.ingest({ digest: digestBytes(leased), source: bytesSource(leased), lease });
  assert.deepEqual((await collectGarbage(store, { dryRun: true })).removedBlobs, [], "both are leased");
  await strayLease.release();
  const result = await collectGarbage(store);
  assert.deepEqual(
    result.removedBlobs.map((b) => b.digest),
    [digestBytes(stray)],
  );
  assert.equal(result.reclaimedBytes, stray.length);
  assert.ok(await store.blobs.has(digestBytes(leased)));
  assert.ok(await store.blobs.has(id));
  await lease.release();
  const after = await collectGarbage(store);
  assert.deepEqual(
    after.removedBlobs.map((b) => b.digest),
    [digestBytes(leased)],
  );
  await store.update((r) => r.deleteImage(key));
  const all = await collectGarbage(store);
  assert.equal(all.removedBlobs.length, 5, "manifest, config and three layers");
  assert.equal(readdirSync(join(store.root, "blobs/sha256")).length, 0);
  store.close();
});

test("abandoned ingests go after the grace period, recent ones stay resumable", async () => {
  const store = await Store.open({ root: tempDir() });
  const data = Buffer.alloc(1 << 20, 3);
  await assert.rejects(
    store.ingest({ digest: digestBytes(data), source: droppingSource(data), lease: store.lease() }),
  );
  assert.equal(readdirSync(store.paths.ingestDir).length, 1);
  assert.deepEqual((await collectGarbage(store)).removedIngests, []);
  const [dir] = readdirSync(store.paths.ingestDir);
  const old = new Date(Date.now() - 2 * 24 * 3600 * 1000);
  utimesSync(join(store.paths.ingestDir, dir!), old, old);
  utimesSync(join(store.paths.ingestDir, dir!, "data"), old, old);
  assert.deepEqual((await collectGarbage(store)).removedIngests, [digestBytes(data)]);
  assert.equal(readdirSync(store.paths.ingestDir).length, 0);
  store.close();
});

test("system check passes on a good store and names each problem on a broken one", async () => {
  const { store, key } = await storeWithBusybox();
  const clean = await checkStore(store);
  assert.deepEqual(clean.problems, []);
  assert.equal(clean.blobsChecked, 5);
  assert.equal(clean.imagesChecked, 1);
  const image = store.read((r) => r.get(key))!;
  appendFileSync(store.blobs.path(image.layers[2]!.digest), "x");
  rmSync(store.blobs.path(image.layers[1]!.digest));
  const broken = await checkStore(store);
  assert.equal(broken.problems.length, 2, broken.problems.join("\n"));
  assert.match(broken.problems.join("\n"), /blob sha256:08628fc2a8e6.*content is corrupt/);
  assert.match(broken.problems.join("\n"), /layer 1 blob sha256:2987cd55610b.* is missing/);
  store.close();
});

test("check re-renders an index.json left out of step by a crash", async () => {
  const { store } = await storeWithBusybox();
  const good = readFileSync(store.paths.indexJson, "utf8");
  appendFileSync(store.paths.indexJson, " ");
  const report = await checkStore(store);
  assert.equal(report.repairedIndex, true);
  assert.deepEqual(report.problems, []);
  assert.equal(readFileSync(store.paths.indexJson, "utf8"), good);
  assert.ok(existsSync(store.paths.ociLayout));
  store.close();
});
