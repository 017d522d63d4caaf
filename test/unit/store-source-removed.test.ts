/**
 * StoreSource.open (push, save, copy from the store) when another process removed the image between
 * the caller's lookup and the lease: lease first, then confirm. With a lookup the name is looked up
 * again (the image may be back, or the name mean another one; or the lookup says No such image);
 * given only a manifest, a removal is IMAGE_NOT_FOUND. No lease is left behind by a failed open.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { isWharfError } from "../../src/errors.ts";
import { findImageRecord, removeImages } from "../../src/images/index.ts";
import { type ImageData, Store } from "../../src/store/index.ts";
import { leasedDigests } from "../../src/store/lease.ts";
import { StoreSource } from "../../src/transport/store-source.ts";
import { addTaggedImage } from "../helpers/synthetic.ts";
import { tempDir } from "../helpers/tmp.ts";

/** A lookup that answers `stale` first (what the caller found before the removal), then looks again. */
function lookupFrom(store: Store, stale: ImageData, name: string) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    lookup: () => (calls++ === 0 ? stale.manifest : findImageRecord(store, name).manifest),
  };
}

test("removed before the lease and pulled again under its name: the source opens on the image now named", async () => {
  const store = await Store.open({ root: tempDir() });
  try {
    const old = await addTaggedImage(store, "img", "one");
    await removeImages(store, ["img"]);
    const now = await addTaggedImage(store, "img", "two");
    const l = lookupFrom(store, old, "img");
    const source = await StoreSource.open(store, l.lookup);
    try {
      assert.equal(l.calls, 2);
      assert.equal(source.top.digest, now.manifest.digest);
      assert.equal((await source.topManifest()).digest, now.manifest.digest);
      const leased = leasedDigests(store.db);
      for (const d of [now.manifest.digest, now.id, ...now.layers.map((x) => x.digest)])
        assert.ok(leased.has(d), `${d} leased`);
    } finally {
      await source.close();
    }
    assert.equal(leasedDigests(store.db).size, 0);
  } finally {
    store.close();
  }
});

test("removed before the lease and gone: the lookup's No such image, no lease left", async () => {
  const store = await Store.open({ root: tempDir() });
  try {
    const old = await addTaggedImage(store, "img", "one");
    await removeImages(store, ["img"]);
    await assert.rejects(
      StoreSource.open(store, lookupFrom(store, old, "img").lookup),
      (err: unknown) => isWharfError(err, "IMAGE_NOT_FOUND") && err.message === "No such image: img:latest",
    );
    // Given only the manifest, which is gone: as before, it is not in the store.
    await assert.rejects(StoreSource.open(store, old.manifest), (err: unknown) =>
      isWharfError(err, "STORE_BLOB_UNKNOWN"),
    );
    assert.equal(leasedDigests(store.db).size, 0);
  } finally {
    store.close();
  }
});

test("the manifest leased but its config and layers swept before their lease: removed, not a half image", async () => {
  const store = await Store.open({ root: tempDir() });
  try {
    const image = await addTaggedImage(store, "img", "one");
    // Another reader's lease on the manifest alone (what open held between its two leases before).
    const partial = store.lease();
    await partial.add(image.manifest.digest);
    const removed = await removeImages(store, ["img"]);
    assert.ok(removed.gc?.removedBlobs.some((b) => b.digest === image.id));
    assert.equal(await store.blobs.has(image.manifest.digest), true);
    await assert.rejects(
      StoreSource.open(store, image.manifest),
      (err: unknown) => isWharfError(err, "IMAGE_NOT_FOUND") && err.detail.removed === true,
    );
    assert.deepEqual([...leasedDigests(store.db)], [image.manifest.digest]);
    await partial.release();
  } finally {
    store.close();
  }
});
