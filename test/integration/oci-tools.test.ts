/**
 * The store's blob area is a real OCI image layout: skopeo and umoci read images that wharf wrote,
 * by their full names, in OCI and in Docker media types.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { Store } from "../../src/store/index.ts";
import { FIXTURES_DIR } from "../corpus.ts";
import { importLayoutImage } from "../helpers/import-layout.ts";
import { tempDir } from "../helpers/tmp.ts";
import { tool } from "../helpers/tools.ts";

const BUSYBOX = join(FIXTURES_DIR, "oci/busybox");
const MULTI = join(FIXTURES_DIR, "oci/busybox-multi");
const OCI_NAME = "docker.io/library/busybox:latest";
const DOCKER_NAME = "127.0.0.1:5000/team/busybox-v2s2:1.0";
const ARM_NAME = "docker.io/library/busybox:arm64";

describe("skopeo and umoci read a store written by wharf", () => {
  const root = tempDir();
  let ids: { oci: string; docker: string; arm: string };

  before(async () => {
    // A Docker-media-type copy of the fixture, made by skopeo itself.
    const v2s2 = join(tempDir(), "v2s2");
    await tool("skopeo", ["copy", "--format", "v2s2", `oci:${BUSYBOX}:latest`, `oci:${v2s2}:latest`]);
    const armLayout = join(tempDir(), "arm");
    await tool("skopeo", [
      "copy",
      "--override-arch",
      "arm64",
      `oci:${MULTI}:latest`,
      `oci:${armLayout}:latest`,
    ]);
    const store = await Store.open({ root });
    ids = {
      oci: (await importLayoutImage(store, BUSYBOX, { tag: OCI_NAME })).id,
      docker: (await importLayoutImage(store, v2s2, { tag: DOCKER_NAME })).id,
      arm: (await importLayoutImage(store, armLayout, { tag: ARM_NAME })).id,
    };
    store.close();
  });

  test("umoci ls lists every tag by its full name", async () => {
    const { stdout } = await tool("umoci", ["ls", "--layout", root]);
    assert.deepEqual(stdout.trim().split("\n").sort(), [DOCKER_NAME, ARM_NAME, OCI_NAME].sort());
  });

  test("skopeo inspect finds each image, with its config and layers", async () => {
    for (const [name, id, arch] of [
      [OCI_NAME, ids.oci, "amd64"],
      [ARM_NAME, ids.arm, "arm64"],
    ] as const) {
      const { stdout } = await tool("skopeo", ["inspect", `oci:${root}:${name}`]);
      const info = JSON.parse(stdout) as { Architecture: string; Layers: string[] };
      assert.equal(info.Architecture, arch);
      assert.equal(info.Layers.length, 3);
      const { stdout: config } = await tool("skopeo", [
        "inspect",
        "--config",
        "--raw",
        `oci:${root}:${name}`,
      ]);
      assert.equal(config.length > 0, true);
      const store = await Store.open({ root });
      assert.equal((await store.blobs.readBytes(id as never)).toString(), config);
      store.close();
    }
  });

  test("a Docker-typed image keeps its media type and exact bytes in the layout", async () => {
    // containers/image reads only OCI-typed entries from a layout, so skopeo is not asked here;
    // the entry is listed truthfully rather than relabelled as OCI.
    const store = await Store.open({ root });
    const record = store.read((r) => r.byTag(DOCKER_NAME))!;
    const index = JSON.parse(readFileSync(join(root, "index.json"), "utf8")) as {
      manifests: { mediaType: string; digest: string; annotations?: Record<string, string> }[];
    };
    const entry = index.manifests.find(
      (m) => m.annotations?.["org.opencontainers.image.ref.name"] === DOCKER_NAME,
    );
    assert.equal(entry?.mediaType, "application/vnd.docker.distribution.manifest.v2+json");
    assert.equal(entry?.digest, record.manifest.digest);
    const bytes = await store.blobs.readBytes(record.manifest.digest);
    assert.equal(
      JSON.parse(bytes.toString()).mediaType,
      "application/vnd.docker.distribution.manifest.v2+json",
    );
    // Same config as the OCI fixture: one image ID, two manifests, two records.
    assert.equal(ids.docker, ids.oci);
    assert.equal(store.read((r) => r.byId(ids.oci as never)).length, 2);
    store.close();
  });

  test("skopeo copies an image out of the store, verifying every blob", async () => {
    const out = join(tempDir(), "out");
    await tool("skopeo", ["copy", `oci:${root}:${OCI_NAME}`, `oci:${out}:copied`]);
    const index = JSON.parse(readFileSync(join(out, "index.json"), "utf8"));
    const store = await Store.open({ root });
    assert.equal(index.manifests[0].digest, store.read((r) => r.byTag(OCI_NAME))!.manifest.digest);
    store.close();
  });

  test("umoci stat reads the image's history", async () => {
    const { stdout } = await tool("umoci", ["stat", "--image", `${root}:${OCI_NAME}`, "--json"]);
    const stat = JSON.parse(stdout) as { history: unknown[] };
    assert.ok(stat.history.length >= 3);
  });
});
