/**
 * The one test suite every storage driver of `wharf serve` must pass (after distribution's
 * registry/storage/driver/testsuites): the filesystem driver now, the S3 driver later.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isWharfError } from "../../src/errors.ts";
import type { StorageDriver } from "../../src/registry/server/storage/driver.ts";

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

const notFound = (err: unknown) => isWharfError(err, "STORAGE_PATH_NOT_FOUND");

export function storageDriverSuite(name: string, makeDriver: () => Promise<StorageDriver>): void {
  describe(`storage driver: ${name}`, () => {
    test("putContent / getContent / stat round trip, replacing whole objects", async () => {
      const d = await makeDriver();
      await d.putContent("/a/b/c", "first");
      assert.equal((await d.getContent("/a/b/c")).toString(), "first");
      await d.putContent("/a/b/c", "second, longer");
      assert.equal((await d.getContent("/a/b/c")).toString(), "second, longer");
      const info = await d.stat("/a/b/c");
      assert.equal(info?.size, 14);
      assert.equal(info?.isDir, false);
      assert.equal((await d.stat("/a/b"))?.isDir, true);
      assert.equal(await d.stat("/a/nothing"), undefined);
      await d.putContent("/empty", new Uint8Array(0));
      assert.equal((await d.getContent("/empty")).length, 0);
    });

    test("missing objects: getContent, reader, delete and move throw STORAGE_PATH_NOT_FOUND", async () => {
      const d = await makeDriver();
      await assert.rejects(d.getContent("/missing"), notFound);
      await assert.rejects(d.reader("/missing"), notFound);
      await assert.rejects(d.delete("/missing"), notFound);
      await assert.rejects(d.move("/missing", "/elsewhere"), notFound);
      assert.deepEqual(await d.list("/missing"), []);
    });

    test("reader from an offset", async () => {
      const d = await makeDriver();
      const data = Buffer.alloc(3 * 1024 * 1024 + 17);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
      await d.putContent("/big", data);
      assert.ok((await readAll(await d.reader("/big"))).equals(data));
      assert.ok((await readAll(await d.reader("/big", 1_000_001))).equals(data.subarray(1_000_001)));
      assert.equal((await readAll(await d.reader("/big", data.length))).length, 0);
    });

    test("openFile (when the driver offers it): positioned reads into the caller's buffer", async (t) => {
      const d = await makeDriver();
      if (!d.openFile) {
        t.skip(`${name} reads by stream only`);
        return;
      }
      const data = Buffer.from("0123456789".repeat(100));
      await d.putContent("/ra", data);
      const file = await d.openFile("/ra");
      const buffer = Buffer.alloc(16);
      assert.equal(await file.read(buffer, 990), 10);
      assert.equal(buffer.subarray(0, 10).toString(), "0123456789");
      assert.equal(await file.read(buffer, 1000), 0);
      await file.close();
      await assert.rejects(d.openFile("/missing"), notFound);
    });

    test("writer: write, close, append later, commit; cancel removes", async () => {
      const d = await makeDriver();
      const w = await d.writer("/up/data", false);
      await w.write(Buffer.from("hello "));
      assert.equal(w.size, 6);
      await w.close();
      const again = await d.writer("/up/data", true);
      assert.equal(again.size, 6, "an appending writer starts at the end");
      await again.write(Buffer.from("world"));
      await again.commit();
      assert.equal((await d.getContent("/up/data")).toString(), "hello world");
      const fresh = await d.writer("/up/data", false);
      assert.equal(fresh.size, 0, "a non-appending writer starts over");
      await fresh.write(Buffer.from("x"));
      await fresh.cancel();
      assert.equal(await d.stat("/up/data"), undefined);
      const created = await d.writer("/up/new", true);
      assert.equal(created.size, 0, "appending to nothing creates the object");
      await created.commit();
      assert.equal((await d.stat("/up/new"))?.size, 0);
    });

    test("move replaces the target; list gives sorted direct children as full paths", async () => {
      const d = await makeDriver();
      await d.putContent("/m/src", "payload");
      await d.putContent("/m/dst/file", "old");
      await d.move("/m/src", "/m/dst/file");
      assert.equal((await d.getContent("/m/dst/file")).toString(), "payload");
      assert.equal(await d.stat("/m/src"), undefined);
      await d.putContent("/l/b", "");
      await d.putContent("/l/a/x", "");
      await d.putContent("/l/c", "");
      assert.deepEqual(await d.list("/l"), ["/l/a", "/l/b", "/l/c"]);
      assert.deepEqual(await d.list("/l/a"), ["/l/a/x"]);
      assert.ok((await d.list("/")).includes("/l"));
    });

    test("delete removes an object or a whole tree", async () => {
      const d = await makeDriver();
      await d.putContent("/t/one", "1");
      await d.putContent("/t/sub/two", "2");
      await d.delete("/t/one");
      assert.equal(await d.stat("/t/one"), undefined);
      await d.delete("/t");
      assert.equal(await d.stat("/t/sub/two"), undefined);
      assert.deepEqual(await d.list("/t"), []);
    });

    test("paths that could escape the key space are refused", async () => {
      const d = await makeDriver();
      for (const bad of ["relative", "/a/../b", "/a//b", "/a/./b", "/a/"]) {
        await assert.rejects(d.putContent(bad, "x"), /invalid storage path/, bad);
        await assert.rejects(d.stat(bad), /invalid storage path/, bad);
      }
    });

    test("concurrent putContent of one path: the result is one of the writes, whole", async () => {
      const d = await makeDriver();
      const versions = Array.from({ length: 8 }, (_, i) => Buffer.alloc(256 * 1024, i + 1));
      await Promise.all(versions.map((v) => d.putContent("/race", v)));
      const got = await d.getContent("/race");
      assert.ok(versions.some((v) => v.equals(got)));
      assert.deepEqual(await d.list("/"), ["/race"], "no temporary objects are listed");
    });
  });
}
