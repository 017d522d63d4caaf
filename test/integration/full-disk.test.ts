/**
 * A full disk, met the way an operator meets it: the store (or save's output, or wharf serve's
 * storage) on a small tmpfs that fills in the middle of a pull, a load, a save or an upload. Each
 * run must end in one line (`no space left on device: ...`) and exit 1, leave nothing visible that is
 * not whole and verified (`system check`), and succeed when retried after the file system grows.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { startDistribution } from "../helpers/distribution.ts";
import { writeRandomLayout } from "../helpers/random-image.ts";
import { type Finished, wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";
import { smallFs } from "../helpers/tmpfs.ts";
import { tool } from "../helpers/tools.ts";
import { startWharfServe } from "../helpers/wharf-serve.ts";

/** Three layers of 1.5 MiB of random bytes: 4.5 MiB that no compression shrinks. */
const LAYERS_KIB = [1536, 1536, 1536];
const ROOMY_KIB = 32 * 1024;

/** Exit 1 and exactly one line on stderr, docker's words for a full disk, no stack trace. */
function assertNoSpaceLine(r: Finished, what: string): void {
  assert.equal(r.code, 1, `${what}: exit ${r.code}\n${r.stderr}`);
  const lines = r.stderr.split("\n").filter((l) => l.trim() !== "");
  assert.equal(lines.length, 1, `${what}: one line expected, got:\n${r.stderr}`);
  // Commands whose errors docker words as the daemon's keep its prefix (see image-support.ts).
  assert.match(lines[0]!, /^(Error response from daemon: )?no space left on device: \w+ \//, what);
}

async function assertCheckClean(root: string): Promise<void> {
  const check = await wharf(["system", "check", "--root", root]);
  assert.equal(check.code, 0, `system check:\n${check.stdout}${check.stderr}`);
}

function blobCount(root: string): number {
  const dir = join(root, "blobs", "sha256");
  return existsSync(dir) ? readdirSync(dir).length : 0;
}

const layout = await writeRandomLayout(tempDir("wharf-fullfs-layout-"), LAYERS_KIB);
const registry = await startDistribution();
const image = `${registry.host}/full/random:latest`;
await tool("skopeo", [
  "copy",
  "--quiet",
  "--dest-tls-verify=false",
  `oci:${layout.dir}:latest`,
  `docker://${image}`,
]);
/** A store on a roomy disk holding the image, and a docker-archive of it. */
const populated = tempDir("wharf-fullfs-store-");
const pulled = await wharf(["pull", "-q", image, "--root", populated]);
assert.equal(pulled.code, 0, pulled.stderr);
const archive = join(tempDir("wharf-fullfs-archive-"), "random.tar");
const saved = await wharf(["save", "-o", archive, image, "--root", populated]);
assert.equal(saved.code, 0, saved.stderr);

describe("pull into a store on a full disk", () => {
  // Full before the database exists, in the first layers, and with most of the image written.
  for (const kib of [96, 1800, 3800]) {
    test(`${kib} KiB: one line, nothing corrupt visible, the retry completes`, {
      timeout: 60_000,
    }, async () => {
      const fs = smallFs(kib);
      const root = join(fs.dir, "store");
      assertNoSpaceLine(await wharf(["pull", image, "--root", root]), "pull");
      const images = await wharf(["images", "-q", "--root", root]);
      if (images.code === 0) assert.equal(images.stdout, "", "no image after a failed pull");
      fs.resize(ROOMY_KIB);
      await assertCheckClean(root);
      const retry = await wharf(["pull", image, "--root", root]);
      assert.equal(retry.code, 0, retry.stderr);
      await assertCheckClean(root);
      assert.deepEqual(readdirSync(join(root, "ingest")), [], "no ingest left");
      assert.equal(blobCount(root), 2 + LAYERS_KIB.length, "manifest, config and layers");
    });
  }

  test("partial ingests of the failed pull show in system df and prune reclaims them", {
    timeout: 60_000,
  }, async () => {
    const fs = smallFs(3800);
    const root = join(fs.dir, "store");
    assertNoSpaceLine(await wharf(["pull", image, "--root", root]), "pull");
    const partial = readdirSync(join(root, "ingest"));
    assert.ok(partial.length > 0, "the failed pull left partial ingests to resume");
    const freeBefore = fs.free();
    const df = await wharf(["system", "df", "--root", root]);
    assert.equal(df.code, 0, df.stderr);
    assert.match(df.stdout, /^Partial ingests\s+\d+\s+0\s+\S+\s+\S+ \(100%\)$/m, df.stdout);
    // Their writer is dead: prune takes them at once (not after 24 h), and the space is free again.
    const prune = await wharf(["image", "prune", "-a", "-f", "--root", root]);
    assert.equal(prune.code, 0, prune.stderr);
    assert.deepEqual(readdirSync(join(root, "ingest")), []);
    assert.ok(fs.free() > freeBefore + 1024 * 1024, `free ${freeBefore} -> ${fs.free()}`);
    const dfAfter = await wharf(["system", "df", "--root", root]);
    assert.doesNotMatch(dfAfter.stdout, /Partial ingests/);
  });
});

describe("load into a store on a full disk", () => {
  test("one line, nothing corrupt visible, the retry completes", { timeout: 60_000 }, async () => {
    const fs = smallFs(2800);
    const root = join(fs.dir, "store");
    assertNoSpaceLine(await wharf(["load", "-i", archive, "--root", root]), "load");
    fs.resize(ROOMY_KIB);
    await assertCheckClean(root);
    const images = await wharf(["images", "-q", "--root", root]);
    assert.equal(images.stdout, "", "a failed load leaves no image");
    const retry = await wharf(["load", "-i", archive, "--root", root]);
    assert.equal(retry.code, 0, retry.stderr);
    assert.match(retry.stdout, /Loaded image: /);
    await assertCheckClean(root);
  });
});

describe("save onto a full disk", () => {
  test("one line, no file left, the retry completes", { timeout: 60_000 }, async () => {
    const fs = smallFs(2000);
    const out = join(fs.dir, "image.tar");
    assertNoSpaceLine(await wharf(["save", "-o", out, image, "--root", populated]), "save");
    assert.deepEqual(readdirSync(fs.dir), [], "neither the archive nor a temporary file is left");
    fs.resize(ROOMY_KIB);
    const retry = await wharf(["save", "-o", out, image, "--root", populated]);
    assert.equal(retry.code, 0, retry.stderr);
    assert.ok(statSync(out).size > 4 * 1024 * 1024);
    const root = tempDir("wharf-fullfs-reload-");
    const loaded = await wharf(["load", "-i", out, "--root", root]);
    assert.equal(loaded.code, 0, loaded.stderr);
    await assertCheckClean(root);
  });
});

describe("wharf serve with its storage on a full disk", () => {
  test("the push fails with a 5xx, nothing corrupt is served, the push completes once there is room", {
    timeout: 90_000,
  }, async () => {
    const fs = smallFs(2600);
    const server = await startWharfServe([], { storage: fs.dir });
    const target = `${server.host}/full/served:v1`;
    const tagged = await wharf(["tag", image, target, "--root", populated]);
    assert.equal(tagged.code, 0, tagged.stderr);
    const failed = await wharf(["push", target, "--root", populated]);
    assert.equal(failed.code, 1, failed.stdout + failed.stderr);
    assert.match(failed.stderr, /no space left on device/);
    assert.match(server.log(), /storage full/, "the server logged the full disk");
    // The manifest was not accepted: there is nothing to pull yet.
    const none = await wharf(["pull", target, "--root", tempDir("wharf-fullfs-early-")]);
    assert.equal(none.code, 1, "no manifest was stored");
    // Whatever the server has as a blob is whole.
    const blobs = servedBlobs(fs.dir);
    assert.ok(blobs.length > 0, "some blobs made it before the disk filled");
    for (const digest of blobs) {
      const res = await fetch(`http://${server.host}/v2/full/served/blobs/${digest}`);
      const body = Buffer.from(await res.arrayBuffer());
      if (res.status === 404) continue; // not linked into this repository
      assert.equal(res.status, 200);
      assert.equal(
        `sha256:${createHash("sha256").update(body).digest("hex")}`,
        digest,
        "a served blob is whole",
      );
    }
    fs.resize(ROOMY_KIB);
    const retry = await wharf(["push", target, "--root", populated]);
    assert.equal(retry.code, 0, retry.stdout + retry.stderr);
    const pulled = tempDir("wharf-fullfs-pulled-");
    const back = await wharf(["pull", target, "--root", pulled]);
    assert.equal(back.code, 0, back.stderr);
    await assertCheckClean(pulled);
  });

  test("an upload cut by the full disk keeps what was written and resumes there", {
    timeout: 60_000,
  }, async () => {
    const fs = smallFs(1024);
    const server = await startWharfServe([], { storage: fs.dir });
    const blob = randomBytes(2048 * 1024);
    const session = await fetch(`http://${server.host}/v2/full/resumed/blobs/uploads/`, { method: "POST" });
    assert.equal(session.status, 202);
    const upload = new URL(session.headers.get("location")!, `http://${server.host}`);
    const cut = await fetch(upload, { method: "PATCH", body: blob });
    assert.equal(cut.status, 507, "a full disk is the server's failure: 507 Insufficient Storage");
    await cut.arrayBuffer();
    fs.resize(ROOMY_KIB);
    const status = await fetch(upload);
    assert.equal(status.status, 204);
    const end = Number(/^0-(\d+)$/.exec(status.headers.get("range") ?? "")?.[1]);
    const written = end + 1;
    assert.ok(written > 256 * 1024 && written < blob.byteLength, `kept ${written} bytes`);
    const rest = await fetch(upload, {
      method: "PATCH",
      headers: { "content-range": `${written}-${blob.byteLength - 1}` },
      body: blob.subarray(written),
    });
    assert.equal(rest.status, 202, await rest.text());
    const digest = `sha256:${createHash("sha256").update(blob).digest("hex")}`;
    const done = new URL(rest.headers.get("location")!, `http://${server.host}`);
    done.searchParams.set("digest", digest);
    const put = await fetch(done, { method: "PUT" });
    assert.equal(put.status, 201, await put.text());
    const got = await fetch(`http://${server.host}/v2/full/resumed/blobs/${digest}`);
    const body = Buffer.from(await got.arrayBuffer());
    assert.equal(`sha256:${createHash("sha256").update(body).digest("hex")}`, digest);
  });
});

/** Digests of the blobs in a wharf serve filesystem storage (blobs/<alg>/<hex>). */
function servedBlobs(storage: string): string[] {
  const dir = join(storage, "blobs", "sha256");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /^[0-9a-f]{64}$/.test(name))
    .map((name) => `sha256:${name}`);
}
