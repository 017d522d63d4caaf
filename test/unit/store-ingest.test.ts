import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { test } from "node:test";
import { isWharfError } from "../../src/errors.ts";
import { digestBytes } from "../../src/oci/digest.ts";
import { bytesSource, type IngestSource, Store } from "../../src/store/index.ts";
import { tempDir } from "../helpers/tmp.ts";

const payload = Buffer.from(Buffer.alloc(3 * 1024 * 1024 + 17).map((_, i) => (i * 31) % 251));
const digest = digestBytes(payload);

async function openStore() {
  const store = await Store.open({ root: tempDir() });
  return store;
}

function ingestDirs(store: Store): string[] {
  return readdirSync(store.paths.ingestDir);
}

/** A source that fails after `failAt` bytes the first time, like a dropped connection. */
function flakySource(data: Buffer, failAt: number): IngestSource & { opens: number[] } {
  const opens: number[] = [];
  return {
    opens,
    async open(offset) {
      opens.push(offset);
      const first = opens.length === 1;
      async function* gen() {
        const end = first ? failAt : data.length;
        for (let pos = offset; pos < end; pos += 65536) yield data.subarray(pos, Math.min(pos + 65536, end));
        if (first) throw new Error("connection reset");
      }
      return { stream: gen(), offset };
    },
  };
}

test("a fresh store is a valid OCI layout", async () => {
  const store = await openStore();
  assert.deepEqual(JSON.parse(readFileSync(join(store.root, "oci-layout"), "utf8")), {
    imageLayoutVersion: "1.0.0",
  });
  const index = JSON.parse(readFileSync(join(store.root, "index.json"), "utf8"));
  assert.equal(index.schemaVersion, 2);
  assert.deepEqual(index.manifests, []);
  store.close();
});

test("ingest verifies and places the blob; a second ingest finds it", async () => {
  const store = await openStore();
  const lease = store.lease();
  const first = await store.ingest({ digest, size: payload.length, source: bytesSource(payload), lease });
  assert.deepEqual(first, { digest, size: payload.length, existed: false, resumedFrom: 0 });
  assert.ok(readFileSync(store.blobs.path(digest)).equals(payload));
  const again = await store.ingest({ digest, size: payload.length, source: bytesSource(payload), lease });
  assert.equal(again.existed, true);
  assert.deepEqual(ingestDirs(store), []);
  store.close();
});

test("content that does not match the digest is refused and leaves nothing", async () => {
  const store = await openStore();
  const other = Buffer.from(payload);
  other[1000] = (other[1000]! + 1) % 256;
  await assert.rejects(
    store.ingest({ digest, size: payload.length, source: bytesSource(other), lease: store.lease() }),
    (e) => isWharfError(e, "DIGEST_MISMATCH"),
  );
  assert.equal(existsSync(store.blobs.path(digest)), false);
  assert.deepEqual(ingestDirs(store), []);
  store.close();
});

test("content longer than the expected size is refused", async () => {
  const store = await openStore();
  await assert.rejects(
    store.ingest({ digest, size: 100, source: bytesSource(payload), lease: store.lease() }),
    (e) => isWharfError(e, "SIZE_MISMATCH"),
  );
  assert.equal(existsSync(store.blobs.path(digest)), false);
  store.close();
});

test("an interrupted ingest resumes from the bytes on disk", async () => {
  const store = await openStore();
  const source = flakySource(payload, 1024 * 1024);
  await assert.rejects(
    store.ingest({ digest, size: payload.length, source, lease: store.lease() }),
    /connection reset/,
  );
  assert.equal(existsSync(store.blobs.path(digest)), false);
  assert.equal(ingestDirs(store).length, 1, "the partial data is kept");
  const result = await store.ingest({ digest, size: payload.length, source, lease: store.lease() });
  assert.equal(result.resumedFrom, 1024 * 1024);
  assert.deepEqual(source.opens, [0, 1024 * 1024]);
  assert.ok(readFileSync(store.blobs.path(digest)).equals(payload));
  assert.deepEqual(ingestDirs(store), []);
  store.close();
});

test("a source that cannot seek starts over and still verifies", async () => {
  const store = await openStore();
  await assert.rejects(
    store.ingest({
      digest,
      size: payload.length,
      source: flakySource(payload, 500_000),
      lease: store.lease(),
    }),
  );
  const notSeekable: IngestSource = { open: async () => ({ stream: Readable.from([payload]), offset: 0 }) };
  const result = await store.ingest({
    digest,
    size: payload.length,
    source: notSeekable,
    lease: store.lease(),
  });
  assert.equal(result.resumedFrom, 0);
  assert.ok(readFileSync(store.blobs.path(digest)).equals(payload));
  store.close();
});

test("a corrupt partial file is caught at verification and discarded", async () => {
  const store = await openStore();
  await assert.rejects(
    store.ingest({
      digest,
      size: payload.length,
      source: flakySource(payload, 200_000),
      lease: store.lease(),
    }),
  );
  const [dir] = ingestDirs(store);
  writeFileSync(join(store.paths.ingestDir, dir!, "data"), Buffer.alloc(200_000, 1));
  await assert.rejects(
    store.ingest({ digest, size: payload.length, source: bytesSource(payload), lease: store.lease() }),
    (e) => isWharfError(e, "DIGEST_MISMATCH"),
  );
  assert.deepEqual(ingestDirs(store), []);
  const ok = await store.ingest({
    digest,
    size: payload.length,
    source: bytesSource(payload),
    lease: store.lease(),
  });
  assert.equal(ok.existed, false);
  store.close();
});

test("concurrent ingests of one digest in one process write it once", async () => {
  const store = await openStore();
  let opened = 0;
  const counting: IngestSource = {
    async open(offset) {
      opened += 1;
      return bytesSource(payload).open(offset);
    },
  };
  const lease = store.lease();
  const results = await Promise.all(
    [1, 2, 3, 4].map(() => store.ingest({ digest, size: payload.length, source: counting, lease })),
  );
  assert.equal(opened, 1);
  assert.equal(results.filter((r) => !r.existed).length, 1);
  store.close();
});
