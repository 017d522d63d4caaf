/**
 * `wharf copy` and the copy engine between a real registry (distribution 2.8) and local stores: the
 * same image IDs and digests as a pull, --all keeping the index digest with each shared blob moved
 * once, lookups before transfers, and nothing visible (no image, tag or lease) from a copy that fails.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
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
import { tool } from "../helpers/tools.ts";
import { startWharfServe } from "../helpers/wharf-serve.ts";

const BUSYBOX_ID = "sha256:1c03f4e795fd19db4fa0c25496cd2f696994f6798cbf12e04ae981d4143ae7a5";
const BUSYBOX_MANIFEST = "sha256:38c6850f878edc2669a36b99bec15cab8aa8ac3f682f9c89c0f51b761848d5da";
const MULTI_INDEX = "sha256:c94552dc6a235959cd41db2bbaf18bab61e4709dfcbbbe4b8157f9ff5c239834" as Digest;

// Started once for the file; its temp directory (and the registry) go when the file finishes.
const [registry, served, guarded] = await Promise.all([
  startDistribution(),
  startWharfServe(),
  startDistribution({ kind: "htpasswd", users: { alice: "s3cret" } }),
]);
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
  assert.match(r.stdout, /Writing manifest list to image destination\n$/);
  return root;
}

const indexRef = () => ({
  digest: MULTI_INDEX,
  mediaType: "application/vnd.oci.image.index.v1+json",
  size: 0,
});

describe("wharf copy: registry and local store", () => {
  const images = async (root: string) =>
    (
      await wharf([
        "--root",
        root,
        "images",
        "--digests",
        "--format",
        "{{.Repository}}:{{.Tag}} {{.Digest}} {{.ID}}",
      ])
    ).stdout;

  test("docker:// -> wharf: is what a pull stores: image ID, tag and RepoDigest", async () => {
    const root = tempDir();
    const r = await wharf([
      "--root",
      root,
      "copy",
      `docker://${registry.host}/busybox:latest`,
      `${registry.host}/busybox:latest`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Copying blob sha256:[0-9a-f]{64}$/m);
    assert.match(r.stdout, new RegExp(`^Copying config ${BUSYBOX_ID}$`, "m"));
    assert.match(r.stdout, /Writing manifest to image destination\n$/);
    assert.equal(
      await images(root),
      `${registry.host}/busybox:latest ${BUSYBOX_MANIFEST} ${BUSYBOX_ID.slice(7, 19)}\n`,
    );
    const check = await wharf(["--root", root, "system", "check"]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
  });

  test("wharf: -> wharf: names the same image again, reusing every blob", async () => {
    const root = tempDir();
    assert.equal((await wharf(["--root", root, "pull", "-q", `${registry.host}/busybox:v2s2`])).code, 0);
    const r = await wharf(["--root", root, "copy", `${registry.host}/busybox:v2s2`, "wharf:copied:one"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.match(/skipped: already exists/g)?.length, 4, r.stdout);
    const out = await images(root);
    assert.match(out, new RegExp(`^copied:one <none> ${BUSYBOX_ID.slice(7, 19)}$`, "m"));
  });

  test("--all into the store keeps the index and every platform; the tag is this host's image", async () => {
    const root = await filledStore();
    const store = await Store.open({ root });
    try {
      assert.equal(await store.blobs.has(MULTI_INDEX), true);
      const records = store.read((rec) => rec.listAll());
      assert.deepEqual(records.map((x) => x.platform.architecture).sort(), ["amd64", "arm64"]);
      const tagged = store.read((rec) => rec.byTag("docker.io/library/multi:all"));
      assert.equal(tagged?.platform.architecture, "amd64");
    } finally {
      store.close();
    }
  });

  test("docker:// -> docker:// --all, to another registry: the index digest unchanged, skopeo reads it", async () => {
    const r = await wharf([
      "copy",
      "--all",
      `docker://${registry.host}/busybox:multi`,
      `docker://${served.host}/mirror/busybox:multi`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const raw = await tool("skopeo", [
      "inspect",
      "--raw",
      "--tls-verify=false",
      `docker://${served.host}/mirror/busybox:multi`,
    ]);
    assert.equal(`sha256:${createHash("sha256").update(raw.stdout).digest("hex")}`, MULTI_INDEX);
    const arm = await tool("skopeo", [
      "inspect",
      "--tls-verify=false",
      "--override-arch",
      "arm64",
      `docker://${served.host}/mirror/busybox:multi`,
    ]);
    assert.equal(JSON.parse(arm.stdout).Architecture, "arm64");
  });

  test("wharf: --all -> docker://: the store's index and both platforms pushed, index digest unchanged", async () => {
    const root = await filledStore();
    const to = `docker://${served.host}/from-store/busybox:multi`;
    const r = await wharf(["--root", root, "copy", "--all", "wharf:multi:all", to]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Writing manifest list to image destination\n$/);
    const raw = await tool("skopeo", ["inspect", "--raw", "--tls-verify=false", to]);
    assert.equal(`sha256:${createHash("sha256").update(raw.stdout).digest("hex")}`, MULTI_INDEX);
    // Without --all, the image the name points at: this host's platform manifest only.
    const one = await wharf([
      "--root",
      root,
      "copy",
      "wharf:multi:all",
      `docker://${served.host}/from-store/busybox:one`,
    ]);
    assert.equal(one.code, 0, one.stderr);
    const single = await tool("skopeo", [
      "inspect",
      "--raw",
      "--tls-verify=false",
      `docker://${served.host}/from-store/busybox:one`,
    ]);
    const manifest = JSON.parse(single.stdout);
    assert.equal(manifest.manifests, undefined, "a platform manifest, not an index");
    assert.equal(manifest.layers.length, 3);
  });

  test("--dest-creds and --src-creds: a guarded registry in and out; without them one line, exit 1", async () => {
    const root = tempDir();
    const noConfig = { ...process.env, DOCKER_CONFIG: tempDir() };
    const to = `docker://${guarded.host}/kept/busybox:v1`;
    const refused = await wharf(["copy", `docker://${registry.host}/busybox:latest`, to], { env: noConfig });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^unauthorized: /);
    assert.equal(refused.stderr.trim().split("\n").length, 1, refused.stderr);
    const copied = await wharf(
      ["copy", "--dest-creds", "alice:s3cret", `docker://${registry.host}/busybox:latest`, to],
      {
        env: noConfig,
      },
    );
    assert.equal(copied.code, 0, copied.stderr);
    const back = await wharf(["--root", root, "copy", "--src-creds", "alice:s3cret", to, "wharf:back:v1"], {
      env: noConfig,
    });
    assert.equal(back.code, 0, back.stderr);
    assert.equal(await images(root), `back:v1 ${BUSYBOX_MANIFEST} ${BUSYBOX_ID.slice(7, 19)}\n`);
  });

  test("a copy that fails leaves no image and no tag", async () => {
    const root = tempDir();
    const r = await wharf([
      "--root",
      root,
      "copy",
      `docker://${registry.host}/busybox:nosuchtag`,
      "wharf:never:seen",
    ]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.equal(await images(root), "");
  });

  test("bad transport references are one line and exit 125 or 1", async () => {
    for (const bad of ["docker:busybox", "oci:", "docker-archive:x:@-1", "wharf:UPPER"]) {
      const r = await wharf(["copy", bad, "wharf:x"]);
      assert.notEqual(r.code, 0, bad);
      assert.match(r.stderr, /^invalid image reference "/, bad);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
  });
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
