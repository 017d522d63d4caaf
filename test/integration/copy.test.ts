/**
 * `wharf copy` and the copy engine between a real registry (distribution 2.8) and the local store:
 * the same image IDs and digests as a pull, --all keeping the index, and nothing visible from a copy
 * that fails.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { Store } from "../../src/store/index.ts";
import { pushFixtures, startDistribution } from "../helpers/distribution.ts";
import { wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";

const BUSYBOX_ID = "sha256:1c03f4e795fd19db4fa0c25496cd2f696994f6798cbf12e04ae981d4143ae7a5";
const BUSYBOX_MANIFEST = "sha256:38c6850f878edc2669a36b99bec15cab8aa8ac3f682f9c89c0f51b761848d5da";
const MULTI_INDEX = "sha256:c94552dc6a235959cd41db2bbaf18bab61e4709dfcbbbe4b8157f9ff5c239834";

// Started once for the file; its temp directory (and the registry) go when the file finishes.
const registry = await startDistribution();
await pushFixtures(registry.host);
after(() => registry.stop());

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
