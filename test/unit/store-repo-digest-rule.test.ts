/**
 * moby's reference store cannot move a digest reference: `repo@digest` stays on the image (image ID)
 * that got it first; another manifest of the same image may share it.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Digest } from "../../src/oci/digest.ts";
import { bytesSource, Store } from "../../src/store/index.ts";
import { FIXTURES_DIR } from "../corpus.ts";
import { importLayoutImage } from "../helpers/import-layout.ts";
import { tempDir } from "../helpers/tmp.ts";

const MULTI = join(FIXTURES_DIR, "oci/busybox-multi");
const REPO = "127.0.0.1:5000/busybox";

function indexAndChildren() {
  const top = JSON.parse(readFileSync(join(MULTI, "index.json"), "utf8")).manifests[0] as {
    digest: Digest;
    size: number;
    mediaType: string;
  };
  const index = JSON.parse(readFileSync(join(MULTI, "blobs/sha256", top.digest.slice(7)), "utf8")) as {
    manifests: { digest: Digest; size: number; mediaType: string; platform: { architecture: string } }[];
  };
  const child = (arch: string) => {
    const m = index.manifests.find((c) => c.platform.architecture === arch)!;
    return { mediaType: m.mediaType, digest: m.digest, size: m.size };
  };
  return { top, amd64: child("amd64"), arm64: child("arm64") };
}

test("the first image keeps repo@index; the second is refused; once the first is gone, the second gets it", async () => {
  const store = await Store.open({ root: tempDir() });
  const { top, amd64, arm64 } = indexAndChildren();
  const first = await importLayoutImage(store, MULTI, { manifest: amd64 });
  const second = await importLayoutImage(store, MULTI, { manifest: arm64 });
  assert.notEqual(first.id, second.id);
  const entry = { repository: REPO, digest: top.digest, mediaType: top.mediaType, size: top.size };
  // The index blob itself, so that the RepoDigest names a blob the store has.
  const ingestIndex = async () => {
    const lease = store.lease();
    await store.ingest({
      digest: top.digest,
      size: top.size,
      source: bytesSource(readFileSync(join(MULTI, "blobs/sha256", top.digest.slice(7)))),
      lease,
    });
    return lease;
  };
  const lease = await ingestIndex();
  assert.equal(await store.update((w) => w.addRepoDigest(first.manifest.digest, entry)), true);
  assert.equal(await store.update((w) => w.addRepoDigest(second.manifest.digest, entry)), false);
  const holders = () =>
    store.read((r) =>
      r
        .list()
        .filter((i) => i.repoDigests.some((d) => d.digest === top.digest))
        .map((i) => i.id),
    );
  assert.deepEqual(holders(), [first.id]);
  // Again on the same image: still true, still one row.
  assert.equal(await store.update((w) => w.addRepoDigest(first.manifest.digest, entry)), true);
  assert.deepEqual(holders(), [first.id]);
  await store.update((w) => w.deleteImage(first.manifest.digest));
  assert.equal(await store.update((w) => w.addRepoDigest(second.manifest.digest, entry)), true);
  assert.deepEqual(holders(), [second.id]);
  await lease.release();
  store.close();
});
