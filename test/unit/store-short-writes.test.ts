/**
 * Short writes and dead writers' leftovers. A real disk cannot be made to write short on demand, so
 * the ingest's file is a fault double over a real file: each writev hands the kernel only part of
 * what it was given (as a full disk does), or stops writing at a set size. The ingest must write all
 * of the blob or fail, never make a short file visible, and leave what it wrote resumable.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { isWharfError } from "../../src/errors.ts";
import { type Digest, digestBytes } from "../../src/oci/digest.ts";
import {
  bytesSource,
  checkStore,
  collectGarbage,
  type IngestFile,
  type OpenIngestFile,
  partialIngests,
  Store,
} from "../../src/store/index.ts";
import { ingestDirFor } from "../../src/store/ingest.ts";
import { writevAll } from "../../src/util/write-all.ts";
import { droppingSource } from "../helpers/synthetic.ts";
import { tempDir } from "../helpers/tmp.ts";

/** Every writev writes at most `max` bytes; past `capacity` bytes in the file it writes nothing. */
function shortWriting(
  max: number,
  capacity = Number.POSITIVE_INFINITY,
): OpenIngestFile & { calls: () => number } {
  let calls = 0;
  const opener = async (path: string, flags: "w" | "r+"): Promise<IngestFile> => {
    const handle = await open(path, flags);
    return {
      async writev(buffers, position) {
        calls += 1;
        const room = Math.max(0, Math.min(max, capacity - position));
        const cut: Uint8Array[] = [];
        let left = room;
        for (const b of buffers) {
          if (left === 0) break;
          cut.push(b.subarray(0, Math.min(left, b.byteLength)));
          left -= cut.at(-1)!.byteLength;
        }
        if (cut.length === 0) return { bytesWritten: 0 };
        return handle.writev(cut, position);
      },
      datasync: () => handle.datasync(),
      sync: () => handle.sync(),
      stat: () => handle.stat(),
      close: () => handle.close(),
    };
  };
  return Object.assign(opener, { calls: () => calls });
}

function content(mib: number): Buffer {
  const out = Buffer.alloc(mib * 1024 * 1024);
  for (let i = 0; i < out.length; i += 4) out.writeUInt32LE((i * 2654435761) >>> 0, i);
  return out;
}

test("writevAll writes the rest after each short write, across buffer boundaries", async () => {
  const seen: number[] = [];
  const file = {
    async writev(buffers: Uint8Array[], position: number) {
      seen.push(position);
      const total = buffers.reduce((n, b) => n + b.byteLength, 0);
      return { bytesWritten: Math.min(total, 3) };
    },
  };
  const n = await writevAll(file, [Buffer.from("abcd"), Buffer.from("ef"), Buffer.from("ghij")], 100);
  assert.equal(n, 10);
  assert.deepEqual(seen, [100, 103, 106, 109]);
});

test("writevAll: a device that keeps writing nothing is full (ENOSPC)", async () => {
  const file = { writev: async () => ({ bytesWritten: 0 }) };
  await assert.rejects(writevAll(file, [Buffer.from("x")], 0), { code: "ENOSPC", syscall: "write" });
});

test("an ingest whose every write is short still writes the whole blob", async () => {
  const opener = shortWriting(7_777);
  const store = await Store.open({ root: tempDir(), openIngestFile: opener });
  const data = content(3);
  const digest = digestBytes(data);
  const lease = store.lease();
  const result = await store.ingest({ digest, size: data.length, source: bytesSource(data), lease });
  assert.equal(result.size, data.length);
  assert.ok(opener.calls() > data.length / 7_777, "the double did write short");
  assert.ok(readFileSync(store.blobs.path(digest)).equals(data));
  assert.deepEqual((await checkStore(store)).problems, []);
  await lease.release();
  store.close();
});

test("a disk that fills mid-blob: NO_SPACE naming the file, no blob visible, the retry resumes", async () => {
  const root = tempDir();
  const data = content(3);
  const digest = digestBytes(data);
  const capacity = 1_300_000;
  const full = await Store.open({ root, openIngestFile: shortWriting(64 * 1024, capacity) });
  const lease = full.lease();
  await assert.rejects(
    full.ingest({ digest, size: data.length, source: bytesSource(data), lease }),
    (err: unknown) => {
      assert.ok(isWharfError(err, "NO_SPACE"), String(err));
      assert.match(err.message, /^no space left on device: write \/.*\/ingest\/[0-9a-f]{64}\/data$/);
      return true;
    },
  );
  assert.equal(await full.blobs.has(digest), false, "nothing under the digest");
  const partial = join(ingestDirFor(full.paths, digest), "data");
  assert.equal(statSync(partial).size, capacity, "what reached the disk stays, to resume from");
  full.close();

  const roomy = await Store.open({ root });
  const retried = await roomy.ingest({
    digest,
    size: data.length,
    source: bytesSource(data),
    lease: roomy.lease(),
  });
  assert.equal(retried.resumedFrom, capacity);
  assert.ok(readFileSync(roomy.blobs.path(digest)).equals(data));
  assert.deepEqual(readdirSync(roomy.paths.ingestDir), []);
  roomy.close();
});

/** An owner identity of no live process (another boot). */
const DEAD = "00000000-dead-boot/4242/1";

async function failedIngest(store: Store, data: Buffer): Promise<Digest> {
  const digest = digestBytes(data);
  await assert.rejects(store.ingest({ digest, source: droppingSource(data), lease: store.lease() }));
  return digest;
}

test("GC takes a dead writer's partial ingest at once, and keeps a live one's", async () => {
  const store = await Store.open({ root: tempDir() });
  const mine = await failedIngest(store, Buffer.alloc(4096, 1));
  const theirs = await failedIngest(store, Buffer.alloc(4096, 2));
  store.db.sqlite.prepare("UPDATE ingests SET last_owner = ? WHERE ref = ?").run(DEAD, theirs);
  // One a process was writing when it was killed: its claim is still on the row.
  const killed = await failedIngest(store, Buffer.alloc(4096, 3));
  store.db.sqlite.prepare("UPDATE ingests SET owner = ?, last_owner = '' WHERE ref = ?").run(DEAD, killed);
  const states = new Map(partialIngests(store).map((p) => [p.ref, p.state]));
  assert.deepEqual(Object.fromEntries(states), {
    [mine]: "resumable",
    [theirs]: "abandoned",
    [killed]: "abandoned",
  });

  const gc = await collectGarbage(store);
  assert.deepEqual(gc.removedIngests.sort(), [theirs, killed].sort());
  assert.equal(gc.reclaimedIngestBytes, 2000);
  assert.deepEqual(
    partialIngests(store).map((p) => p.ref),
    [mine],
  );
  const rows = store.db.sqlite.prepare("SELECT ref FROM ingests").all() as { ref: string }[];
  assert.deepEqual(
    rows.map((r) => r.ref),
    [mine],
  );
  store.close();
});

test("an ingest folder left empty by a writer that died after moving its blob goes", async () => {
  const store = await Store.open({ root: tempDir() });
  const data = Buffer.from("moved into place, folder left behind");
  const digest = digestBytes(data);
  const lease = store.lease();
  await store.ingest({ digest, source: bytesSource(data), lease });
  // What the crash leaves: the folder, and the claim of a process that is gone.
  const dir = ingestDirFor(store.paths, digest);
  mkdirSync(dir);
  store.db.sqlite
    .prepare("INSERT INTO ingests (ref, owner, expected_digest, started_at) VALUES (?, ?, ?, ?)")
    .run(digest, DEAD, digest, new Date().toISOString());
  const again = await store.ingest({ digest, source: bytesSource(data), lease });
  assert.equal(again.existed, true);
  assert.equal(existsSync(dir), false, "the retry removed the folder");
  assert.equal((store.db.sqlite.prepare("SELECT count(*) AS n FROM ingests").get() as { n: number }).n, 0);

  // A folder no row names, and one without data: GC takes both now, not after 24 h.
  const orphan = join(store.paths.ingestDir, "f".repeat(64));
  mkdirSync(orphan);
  writeFileSync(join(orphan, "data"), "x");
  const empty = ingestDirFor(store.paths, "some-ref");
  mkdirSync(empty);
  store.db.sqlite
    .prepare("INSERT INTO ingests (ref, owner, last_owner, started_at) VALUES (?, '', ?, ?)")
    .run("some-ref", DEAD, new Date().toISOString());
  const gc = await collectGarbage(store);
  assert.deepEqual(gc.removedIngests.sort(), ["f".repeat(64), "some-ref"].sort());
  assert.deepEqual(readdirSync(store.paths.ingestDir), []);
  await lease.release();
  store.close();
});
