/**
 * `wharf scan db update --from URL|DIR` over a real HTTP server on a real socket (node:http serving
 * the fixtures' osv-scanner zips as osv.dev's bucket lays them out), including the faults only such
 * a server can be made to produce: a 404, and a download cut off mid-body, which imports nothing.
 */
import assert from "node:assert/strict";
import { createReadStream, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ok, wharfIn } from "../helpers/build-cli.ts";
import { tempDir } from "../helpers/tmp.ts";

const ZIPS = new URL("../../../shared/fixtures/osv/osv-scanner/", import.meta.url).pathname;
const RECORDS = new URL("../../../shared/fixtures/osv/records/", import.meta.url).pathname;
const store = tempDir("wharf-scan-db-update-");
let server: Server;
let base: string;

before(async () => {
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const m = /^\/(npm|Go|Debian|Alpine)\/all\.zip$/.exec(path);
    if (path === "/cut/all.zip") {
      // Says 2 MB, sends half of the npm zip's bytes, then drops the connection.
      const bytes = readFileSync(join(ZIPS, "npm", "all.zip"));
      res.writeHead(200, { "content-type": "application/zip", "content-length": String(2_000_000) });
      res.write(bytes.subarray(0, bytes.length >> 1), () => res.socket?.destroy());
      return;
    }
    if (!m) {
      res.writeHead(404).end("not found");
      return;
    }
    const file = join(ZIPS, m[1]!, "all.zip");
    res.writeHead(200, { "content-type": "application/zip", "content-length": String(statSync(file).size) });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const status = async () => (await ok(wharfIn(store, ["scan", "db", "status"]))).stdout;

test("--from URL: osv.dev's all.zip layout fetched and imported", async () => {
  const r = await ok(
    wharfIn(store, ["scan", "db", "update", "--from", `${base}/npm/all.zip`, "--from", `${base}/Go/all.zip`]),
  );
  assert.match(r.stdout, /\/npm\/all\.zip: 16 records \(16 new, 0 updated, 0 unchanged\)$/m);
  assert.match(r.stdout, /\/Go\/all\.zip: 16 records \(16 new, 0 updated, 0 unchanged\)$/m);
  assert.match(await status(), /^Records: +32 \(0 withdrawn\)$/m);
});

test("a 404 is one line naming the URL, exit 1", async () => {
  const r = await wharfIn(store, ["scan", "db", "update", "--from", `${base}/PyPI/all.zip`]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim(), `${base}/PyPI/all.zip: 404 Not Found`);
});

test("a download cut off mid-body imports nothing", async () => {
  const before = await status();
  const r = await wharfIn(store, ["scan", "db", "update", "--from", `${base}/cut/all.zip`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\/cut\/all\.zip: download cut short/);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  const afterStatus = await status();
  assert.equal(afterStatus.replace(/^Last import.*$/m, ""), before.replace(/^Last import.*$/m, ""));
});

test("--from DIR imports a folder as `scan db import` does", async () => {
  const r = await ok(wharfIn(store, ["scan", "db", "update", "--from", RECORDS]));
  assert.match(r.stdout, /records\/?: 123 records \(91 new, 0 updated, 32 unchanged\)$/m);
});
