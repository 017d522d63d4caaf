/**
 * RegistryClient's push side against real registries (distribution 2.8 and wharf serve): manifests
 * by tag and digest, cross-repository mounts, monolithic and chunked uploads, a chunk cut off by a
 * fault proxy (resumed, or restarted where the registry refuses to resume), and push without access.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { after, describe, test } from "node:test";
import { isWharfError } from "../../src/errors.ts";
import { type Digest, digestBytes } from "../../src/oci/digest.ts";
import { OciMediaType } from "../../src/oci/mediatype.ts";
import { RegistryClient, type RegistryClientOptions } from "../../src/registry/client/index.ts";
import { bytesSource, fileSource } from "../../src/store/sources.ts";
import {
  BUSYBOX_LAYOUT,
  pushFixtures,
  startDistribution,
  startTokenIssuer,
} from "../helpers/distribution.ts";
import { startFaultProxy } from "../helpers/fault-proxy.ts";
import { tempDir } from "../helpers/tmp.ts";
import { tool } from "../helpers/tools.ts";
import { startWharfServe } from "../helpers/wharf-serve.ts";

function client(host: string, options: RegistryClientOptions = {}): RegistryClient {
  const c = new RegistryClient(host, { retryBaseDelayMs: 10, ...options });
  after(() => c.close());
  return c;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function layoutBlob(digest: string): Buffer {
  const [alg, hex] = digest.split(":") as [string, string];
  return readFileSync(join(BUSYBOX_LAYOUT, "blobs", alg, hex));
}

const index = JSON.parse(readFileSync(join(BUSYBOX_LAYOUT, "index.json"), "utf8"));
const MANIFEST_DIGEST: Digest = index.manifests[0].digest;
const MANIFEST = layoutBlob(MANIFEST_DIGEST);
const parsed = JSON.parse(MANIFEST.toString());
const BLOBS: { digest: Digest; size: number }[] = [parsed.config, ...parsed.layers];

/** A random blob in a file (a file source re-opens at any offset, as the store's blobs do). */
function randomBlob(size: number): { digest: Digest; size: number; path: string; bytes: Buffer } {
  const bytes = randomBytes(size);
  const path = join(tempDir("wharf-push-blob-"), "blob");
  writeFileSync(path, bytes);
  return { digest: digestBytes(bytes), size, path, bytes };
}

const plain = await startDistribution({ kind: "none" });
const served = await startWharfServe();
const issuer = await startTokenIssuer({ users: { alice: "secret" } });
const tokenReg = await startDistribution({ kind: "token", issuer });
await pushFixtures(plain.host);

for (const [name, host] of [
  ["distribution", plain.host],
  ["wharf serve", served.host],
] as const) {
  describe(`push to ${name}`, () => {
    test("blobs (one PUT each) then the manifest by tag: skopeo reads the same bytes", async () => {
      const c = client(host);
      let progress = 0;
      for (const b of BLOBS) {
        await c.uploadBlob("push/one", b, bytesSource(layoutBlob(b.digest)), {
          onProgress: (n) => {
            progress = n;
          },
        });
        assert.equal(await c.blobExists("push/one", b.digest), true);
      }
      assert.equal(progress, BLOBS.at(-1)?.size);
      const digest = await c.putManifest("push/one", "v1", {
        bytes: MANIFEST,
        mediaType: OciMediaType.ImageManifest,
      });
      assert.equal(digest, MANIFEST_DIGEST);
      const { stdout } = await tool("skopeo", [
        "inspect",
        "--raw",
        "--tls-verify=false",
        `docker://${host}/push/one:v1`,
      ]);
      assert.deepEqual(Buffer.from(stdout), MANIFEST);
      // By digest too (a child manifest of an index is pushed so).
      assert.equal(
        await c.putManifest("push/one", MANIFEST_DIGEST, {
          bytes: MANIFEST,
          mediaType: OciMediaType.ImageManifest,
        }),
        MANIFEST_DIGEST,
      );
    });

    test("mount from another repository: 201 -> true; a blob it lacks -> false, session cancelled", async () => {
      const c = client(host);
      const source = "push/mount-src";
      const layer = BLOBS[1] as { digest: Digest; size: number };
      await c.uploadBlob(source, layer, bytesSource(layoutBlob(layer.digest)));
      assert.equal(await c.mountBlob("push/mount-dst", layer.digest, source), true);
      assert.equal(await c.blobExists("push/mount-dst", layer.digest), true);
      const absent = digestBytes("not there");
      assert.equal(await c.mountBlob("push/mount-dst", absent, source), false);
    });

    test("chunked upload (PATCH with Content-Range, then PUT ?digest=)", async () => {
      const blob = randomBlob(1_000_000);
      const c = client(host);
      const seen: number[] = [];
      await c.uploadBlob("push/chunked", blob, fileSource(blob.path), {
        chunkSize: 256 * 1024,
        onProgress: (n) => seen.push(n),
      });
      const got = await c.getBlob("push/chunked", blob.digest);
      assert.deepEqual(await readAll(got.stream), blob.bytes);
      assert.equal(seen.at(-1), blob.size);
    });

    test("a chunk cut off mid-way: the upload finishes and the blob is right", async () => {
      const proxy = await startFaultProxy(host, { upload: true, afterBytes: 100_000 });
      const blob = randomBlob(1_200_000);
      const c = client(proxy.host);
      await c.uploadBlob("push/resumed", blob, fileSource(blob.path), { chunkSize: 256 * 1024 });
      assert.equal(proxy.cut(), true);
      const got = await client(host).getBlob("push/resumed", blob.digest);
      assert.deepEqual(await readAll(got.stream), blob.bytes);
      const statusAsked = proxy.requests.some((r) => r.method === "GET" && r.url.includes("/blobs/uploads/"));
      assert.ok(statusAsked, "the client asked the registry where the upload stands");
      const posts = proxy.requests.filter((r) => r.method === "POST").length;
      const patches = proxy.requests.filter((r) => r.method === "PATCH").map((r) => r.contentRange);
      if (name === "wharf serve") {
        // Resumed in the same session, from the byte the registry had.
        assert.equal(posts, 1, JSON.stringify(proxy.requests));
        const resumedAt = Number((patches[1] ?? "").split("-")[0]);
        assert.ok(resumedAt > 0 && resumedAt <= 100_000, `resumed at ${resumedAt}`);
      } else {
        // distribution refuses a session whose size differs from its signed state: a new session.
        assert.equal(posts, 2, JSON.stringify(proxy.requests));
      }
    });
  });
}

describe("push without access", () => {
  test("token auth, anonymous: one line in docker's words, nothing left behind", async () => {
    const c = client(tokenReg.host);
    const blob = BLOBS[0] as { digest: Digest; size: number };
    await assert.rejects(c.uploadBlob("team/app", blob, bytesSource(layoutBlob(blob.digest))), (err) => {
      assert.ok(isWharfError(err));
      assert.match(err.code, /REGISTRY_(UNAUTHORIZED|DENIED)/);
      assert.doesNotMatch(err.message, /\n/);
      assert.match(err.message, /^(unauthorized|denied): /);
      return true;
    });
  });

  test("token auth with credentials: pull,push on the target in the token request", async () => {
    const c = client(tokenReg.host, { credentials: { username: "alice", password: "secret" } });
    const blob = BLOBS[0] as { digest: Digest; size: number };
    const mark = issuer.requests.length;
    await c.uploadBlob("team/app", blob, bytesSource(layoutBlob(blob.digest)));
    assert.ok(
      issuer.requests
        .slice(mark)
        .some((r) => decodeURIComponent(r.url).includes("repository:team/app:pull,push")),
    );
    assert.equal(await c.blobExists("team/app", blob.digest), true);
  });
});
