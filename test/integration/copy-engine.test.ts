/**
 * The copy engine between two real stores (filled from distribution 2.8): an index copied with --all
 * keeps its digest and moves each shared blob once; a copy that fails midway leaves the destination
 * without images, tags or leases; a lookup of what the destination has comes before any transfer.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, describe, test } from "node:test";
import type { Digest } from "../../src/oci/digest.ts";
import { collectGarbage, Store } from "../../src/store/index.ts";
import { leasedDigests } from "../../src/store/lease.ts";
import { copyAndCommit } from "../../src/transport/copy.ts";
import { StoreDestination } from "../../src/transport/store-destination.ts";
import { StoreSource } from "../../src/transport/store-source.ts";
import type { CopyEvent } from "../../src/transport/types.ts";
import { pushFixtures, startDistribution } from "../helpers/distribution.ts";
import { wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";

const MULTI_INDEX = "sha256:c94552dc6a235959cd41db2bbaf18bab61e4709dfcbbbe4b8157f9ff5c239834" as Digest;

const registry = await startDistribution();
await pushFixtures(registry.host);
after(() => registry.stop());

/** A store holding busybox:multi with both platforms and its index, filled by `wharf copy --all`. */
async function filledStore(): Promise<string> {
  const root = tempDir();
  const r = await wharf([
    "--root",
    root,
    "copy",
    "--all",
    `docker://${registry.host}/busybox:multi`,
    "wharf:multi:all",
  ]);
  assert.equal(r.code, 0, r.stderr);
  return root;
}

const indexRef = () => ({
  digest: MULTI_INDEX,
  mediaType: "application/vnd.oci.image.index.v1+json",
  size: 0,
});

describe("copy engine between stores", () => {
  test("--all keeps the index digest; every blob is looked up first and moved once", async () => {
    const a = await Store.open({ root: await filledStore() });
    const b = await Store.open({ root: tempDir() });
    try {
      const events: CopyEvent[] = [];
      const source = await StoreSource.open(a, indexRef());
      const destination = new StoreDestination(b);
      const result = await copyAndCommit(source, destination, {
        all: true,
        names: ["copied:multi"],
        onEvent: (e) => events.push(e),
      });
      await source.close();
      assert.equal(result.top.digest, MULTI_INDEX);
      assert.equal(await b.blobs.has(MULTI_INDEX), true);
      const started = events.filter(
        (e) => e.type === "blob" && e.status === "transferring" && e.current === 0,
      );
      const digests = started.map((e) => (e as { digest: string }).digest);
      assert.equal(new Set(digests).size, digests.length, "a blob moved twice");
      assert.equal(b.read((r) => r.listAll()).length, 2, "both platforms are images in the copy");
      // Per manifest, no transfer starts before the last lookup answer of that manifest.
      const firstTransfer = events.findIndex((e) => e.type === "blob" && e.status === "transferring");
      const firstPending = events.findIndex((e) => e.type === "blob" && e.status === "pending");
      assert.ok(firstPending >= 0 && firstPending < firstTransfer);
      assert.equal(destination.committed?.names[0]?.name, "docker.io/library/copied:multi");
    } finally {
      a.close();
      b.close();
    }
  });

  test("a source that fails midway: no image, no tag, no lease left; GC takes the partial blobs", async () => {
    const rootA = await filledStore();
    const a = await Store.open({ root: rootA });
    const b = await Store.open({ root: tempDir() });
    try {
      const amd64 = a.read((r) => r.listAll()).find((x) => x.platform.architecture === "amd64")!;
      // The largest layer vanishes from the source after the copy has started.
      const largest = [...amd64.layers].sort((x, y) => y.size - x.size)[0]!;
      const source = await StoreSource.open(a, amd64.manifest);
      rmSync(a.blobs.path(largest.digest));
      await assert.rejects(
        copyAndCommit(source, new StoreDestination(b), { names: ["broken:one"] }),
        (err: Error & { code?: string }) => err.code === "STORE_BLOB_UNKNOWN",
      );
      await source.close();
      assert.deepEqual(
        b.read((r) => r.listAll()),
        [],
      );
      assert.equal(
        b.read((r) => r.byTag("docker.io/library/broken:one")),
        undefined,
      );
      assert.equal(leasedDigests(b.db).size, 0);
      const gc = await collectGarbage(b);
      assert.ok(gc.removedBlobs.length > 0, "the blobs that did arrive are garbage");
    } finally {
      a.close();
      b.close();
    }
  });
});
