/**
 * Readers that list the records and then read configs, when another process deletes an image in
 * between (its records, then garbage collection its config): the image is left out of lists, a
 * command about it looks its name up again (and says `No such image: NAME` if it is gone), an image
 * that came back is read again, and only a config missing while its image is still there is damage.
 *
 * Deterministic: the deletion runs between the listing and the config reads (rmi from this process),
 * and for prune, while prune is held inside its listing on a layer blob that is a FIFO (it reads the
 * layers whose sizes are unknown after the records and before the configs).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, constants, existsSync, openSync, rmSync, writeSync } from "node:fs";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { isWharfError } from "../../src/errors.ts";
import {
  addFilter,
  configIfPresent,
  imageDiskUsage,
  imageHistory,
  inspectImage,
  isImageDeleted,
  listImages,
  loadImages,
  newFilters,
  pruneImages,
  removeImages,
  resolveAgain,
} from "../../src/images/index.ts";
import { Store } from "../../src/store/index.ts";
import { addTaggedImage } from "../helpers/synthetic.ts";
import { tempDir } from "../helpers/tmp.ts";

async function twoImages() {
  const store = await Store.open({ root: tempDir() });
  const stay = await addTaggedImage(store, "stay", "stay");
  const gone = await addTaggedImage(store, "gone", "go");
  return { store, stay, gone };
}

function labelFilter(value: string) {
  return addFilter(newFilters(), "label", value);
}

test("an image deleted after the listing: lists leave it out, its config says it is gone", async () => {
  const { store, stay, gone } = await twoImages();
  try {
    const images = await loadImages(store);
    await removeImages(store, ["gone"]);
    assert.equal(existsSync(store.blobs.path(gone.id)), false, "GC removed its config");

    const image = images.find((i) => i.id === gone.id)!;
    assert.throws(
      () => image.config,
      (err: unknown) => isImageDeleted(err) && isWharfError(err, "IMAGE_NOT_FOUND"),
    );
    assert.equal(configIfPresent(image), undefined);
    // A label filter reads every config: the deleted image is left out, the other one listed.
    const listed = listImages(images, { filters: labelFilter("label") });
    assert.deepEqual(
      listed.map((l) => l.image.id),
      [stay.id],
    );
    // Without one no config is read; the snapshot lists both, the deleted one with no labels.
    const all = listImages(images);
    assert.equal(all.length, 2);
    assert.equal(all.find((l) => l.image.id === gone.id)!.summary.Labels, null);
    assert.deepEqual(all.find((l) => l.image.id === stay.id)!.summary.Labels, { label: "stay" });
    assert.equal(imageDiskUsage(images).images.length, 2);
  } finally {
    store.close();
  }
});

test("an image deleted and back again (pulled again) has its config read again", async () => {
  const { store, gone } = await twoImages();
  try {
    const images = await loadImages(store);
    await removeImages(store, ["gone"]);
    await addTaggedImage(store, "gone", "go");
    const image = images.find((i) => i.id === gone.id)!;
    assert.deepEqual(image.config.config?.Labels, { label: "go" });
  } finally {
    store.close();
  }
});

test("a config missing while its image is still there is damage: STORE_BLOB_UNKNOWN", async () => {
  const { store, gone } = await twoImages();
  try {
    const images = await loadImages(store);
    rmSync(store.blobs.path(gone.id));
    const image = images.find((i) => i.id === gone.id)!;
    assert.throws(
      () => image.config,
      (err: unknown) => isWharfError(err, "STORE_BLOB_UNKNOWN") && !isImageDeleted(err),
    );
    assert.throws(() => listImages(images, { filters: labelFilter("label") }), /is not in the store/);
  } finally {
    store.close();
  }
});

test("inspect and history of an image deleted under them: No such image: NAME, or the image now so named", async () => {
  const { store, gone } = await twoImages();
  try {
    let images = await loadImages(store);
    await removeImages(store, ["gone"]);
    for (const use of [inspectImage, imageHistory]) {
      await assert.rejects(
        resolveAgain(store, images, "gone", (r) => use(r.group)),
        (err: unknown) =>
          isWharfError(err, "IMAGE_NOT_FOUND") &&
          !isImageDeleted(err) &&
          err.message === "No such image: gone:latest",
      );
    }

    // Deleted, and the name given to another image before the config was read: that one is shown.
    await addTaggedImage(store, "gone", "go");
    images = await loadImages(store);
    await removeImages(store, ["gone"]);
    const other = await addTaggedImage(store, "gone", "again");
    assert.notEqual(other.id, gone.id);
    const inspected = await resolveAgain(store, images, "gone", (r) => inspectImage(r.group));
    assert.equal(inspected.Id, other.id);
    assert.deepEqual(inspected.Config.Labels, { label: "again" });
    assert.deepEqual(inspected.RepoTags, ["gone:latest"]);
    const history = await resolveAgain(store, images, "gone", (r) => imageHistory(r.group));
    assert.deepEqual(history, []);
  } finally {
    store.close();
  }
});

test("prune with a label filter skips a candidate another process deleted under it", {
  timeout: 30_000,
}, async () => {
  const root = tempDir();
  const store = await Store.open({ root });
  const other = await Store.open({ root });
  const fifo = { path: "", released: false };
  try {
    // The first image's layer blob becomes a FIFO: prune's listing stops there, after the records.
    const held = await addTaggedImage(store, "held", "keep");
    const gone = await addTaggedImage(store, "gone", "prune-me");
    const pruned = await addTaggedImage(store, "pruned", "prune-me");
    fifo.path = store.blobs.path(held.layers[0]!.digest);
    rmSync(fifo.path);
    execFileSync("mkfifo", [fifo.path]);

    const filters = addFilter(labelFilter("label=prune-me"), "dangling", "false");
    const pruning = pruneImages(store, { filters });
    const writer = await openWhenRead(fifo.path);
    // Now, between prune's reading of the records and of the configs: another process's rmi and GC.
    const removed = await removeImages(other, ["gone"]);
    assert.ok(removed.gc?.removedBlobs.some((b) => b.digest === gone.id));
    writeSync(writer, "not a tar");
    closeSync(writer);
    fifo.released = true;

    const report = await pruning;
    assert.deepEqual(
      report.deleted.map((d) => d.Untagged ?? d.Deleted),
      ["pruned:latest", pruned.id, pruned.layers[0]!.diffId],
    );
  } finally {
    if (fifo.path !== "" && !fifo.released) {
      // Let a reader still blocked on the FIFO go.
      try {
        closeSync(openSync(fifo.path, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {}
    }
    other.close();
    store.close();
  }
});

/** The write end of the FIFO, once a reader has opened it (ENXIO until then). */
async function openWhenRead(path: string): Promise<number> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENXIO" || Date.now() > deadline) throw err;
      await sleep(5);
    }
  }
}
