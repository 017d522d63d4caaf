/**
 * The peers' side of `wharf build`'s side-by-side tests, on their own: fixtures/build/small built by
 * dockerd 20.10's BuildKit (0.8), its legacy builder and buildah 1.28 (when installed), read back as
 * data by image-contents.ts, and what fixtures/build/README.md says about each checked — so that the
 * harness is known to work and the peers' differences are documented by assertions. The wharf
 * comparisons are in build-docker.test.ts. Busybox only (nodeapp is the benchmark's).
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { type BuildPeers, copyContext, type PeerBuild, startBuildPeers } from "../helpers/build-peers.ts";
import { BUSYBOX_LAYOUT } from "../helpers/distribution.ts";
import {
  diffEntries,
  type ImageContents,
  type LayerEntry,
  normaliseConfig,
  readOciLayout,
} from "../helpers/image-contents.ts";

const peers: BuildPeers = await startBuildPeers();
const BUILDAH_SKIP = peers.buildahUnavailable ?? false;

// At the top level: its temp dir is removed in an `after` of the file, not of a hook.
const context = await copyContext("small");
let base: ImageContents;
let buildkit: PeerBuild;
let legacy: PeerBuild;
let buildah: PeerBuild | undefined;

before(async () => {
  base = await readOciLayout(BUSYBOX_LAYOUT, "latest");
  // One after another: the figures logged below are each builder's alone.
  buildkit = await peers.buildWithBuildKit(context);
  legacy = await peers.buildWithLegacy(context);
  if (!peers.buildahUnavailable) buildah = await peers.buildWithBuildah(context);
});

/** The layers a build added on top of the busybox base. */
const added = (b: PeerBuild) => b.contents.layers.slice(base.layers.length);
const paths = (layer: readonly LayerEntry[]) => layer.map((e) => e.path);
const entry = (layer: readonly LayerEntry[] | undefined, path: string) =>
  layer?.find((e) => e.path === path && e.type !== "whiteout" && e.type !== "opaque");
const emptyDir = (layer: readonly LayerEntry[], path: string) => {
  const e = entry(layer, path);
  return e?.type === "dir" && !layer.some((x) => x.path.startsWith(`${path}/`));
};
const built = () => buildah!;

describe("the three peers read back as data", () => {
  test("docker save and buildah push oci: give the base's three layers unchanged, then 8 (docker) or 6 (buildah)", (t) => {
    assert.equal(base.layers.length, 3);
    for (const [name, b] of [
      ["BuildKit", buildkit],
      ["legacy", legacy],
      ["buildah", buildah],
    ] as const) {
      if (!b) continue;
      t.diagnostic(`${name}: ${b.seconds.toFixed(2)} s, ${b.contents.layers.length} layers`);
      for (let i = 0; i < base.layers.length; i++) {
        assert.deepEqual(diffEntries(base.layers[i]!, b.contents.layers[i]!), [], `${name} layer ${i}`);
      }
    }
    assert.equal(added(buildkit).length, 8);
    assert.equal(added(legacy).length, 8);
    if (buildah) assert.equal(added(buildah).length, 6);
  });

  test("BuildKit prints plain #N progress; the legacy builder prints Step N/M", () => {
    assert.match(buildkit.output, /^#1 \[internal\] load build definition from Dockerfile$/m);
    assert.match(buildkit.output, /^#\d+ \[4\/9\] RUN rm -f \/app\/hello\.sh /m);
    assert.match(buildkit.output, /^#\d+ naming to docker\.io\/library\/wharf-peer-build-\d+:latest done$/m);
    assert.match(legacy.output, /^Step 1\/16 : ARG REGISTRY=127\.0\.0\.1:5000$/m);
  });

  test("the runtime config is the same in all three (buildah adds its version label); history differs", () => {
    const want = {
      Env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "APP_HOME=/srv/app", "GREETING=hello world"],
      Cmd: ["/bin/sh", "-c", "cat /srv/app/greeting.txt"],
      ExposedPorts: { "8080/tcp": {}, "9090/tcp": {} },
      WorkingDir: "/srv/app/sub",
      User: "1000:1000",
      Labels: {
        "org.example.kind": "small",
        "org.example.owner": "build lab",
        "org.opencontainers.image.title": "busybox-test",
      },
    };
    assert.deepEqual(normaliseConfig(buildkit.contents.config), want);
    assert.deepEqual(normaliseConfig(legacy.contents.config), want);
    if (buildah) {
      const { Labels, ...rest } = normaliseConfig(buildah.contents.config);
      const { "io.buildah.version": version, ...labels } = Labels ?? {};
      assert.match(version ?? "", /^1\.28\./);
      assert.deepEqual({ ...rest, Labels: labels }, want);
    }
    // One history entry per instruction after FROM (14), on top of the base's four.
    const createdBy = (b: PeerBuild) => b.contents.history.map((h) => h.created_by ?? "");
    for (const b of [buildkit, legacy, buildah]) if (b) assert.equal(b.contents.history.length, 4 + 14);
    assert.equal(createdBy(buildkit).at(-1), 'CMD ["/bin/sh" "-c" "cat /srv/app/greeting.txt"]');
    assert.equal(
      createdBy(legacy).at(-1),
      '/bin/sh -c #(nop)  CMD ["/bin/sh" "-c" "cat /srv/app/greeting.txt"]',
    );
    const nonEmpty = (b: PeerBuild) => b.contents.history.filter((h) => !h.empty_layer).length;
    assert.equal(nonEmpty(buildkit), buildkit.contents.layers.length);
    assert.equal(nonEmpty(legacy), legacy.contents.layers.length);
    if (buildah) assert.equal(nonEmpty(buildah), buildah.contents.layers.length);
  });
});

describe("what fixtures/build/README.md says the peers do differently", () => {
  test("WORKDIR: BuildKit and legacy make a layer for each WORKDIR that creates its directory; BuildKit as the current USER", () => {
    for (const b of [buildkit, legacy]) {
      assert.deepEqual(paths(added(b)[0]!), ["srv", "srv/app"]);
      assert.deepEqual(paths(added(b)[7]!), ["srv", "srv/app", "srv/app/sub"]);
    }
    assert.equal(entry(added(buildkit)[7], "srv/app/sub")?.uid, 1000);
    assert.equal(entry(added(legacy)[7], "srv/app/sub")?.uid, 0);
    // diffEntries says so in one line.
    assert.deepEqual(diffEntries(added(buildkit)[7]!, added(legacy)[7]!), [
      "~ srv/app/sub: dir, mode 0755, 1000:1000 | dir, mode 0755, 0:0",
    ]);
  });

  test("buildah makes no WORKDIR layer: its first added layer is the first RUN's", {
    skip: BUILDAH_SKIP,
  }, () => {
    assert.ok(entry(added(built())[0], "srv/app/greeting.txt"));
    assert.ok(!added(built()).some((l) => paths(l).includes("srv/app/sub")));
  });

  test("RUN leftovers: BuildKit 0.8 leaves empty dev, proc, sys stubs; the legacy builder none", () => {
    const firstRun = added(buildkit)[1]!;
    for (const stub of ["dev", "proc", "sys"]) assert.ok(emptyDir(firstRun, stub), `BuildKit ${stub}`);
    for (const layer of added(legacy)) {
      for (const stub of ["dev", "proc", "sys", "run"]) assert.equal(entry(layer, stub), undefined, stub);
    }
  });

  test("RUN leftovers: buildah leaves an empty run in every RUN layer", { skip: BUILDAH_SKIP }, () => {
    const layers = added(built());
    for (const i of [0, 1, 5]) assert.ok(emptyDir(layers[i]!, "run"), `layer ${i}`);
    for (const i of [2, 3, 4]) assert.equal(entry(layers[i], "run"), undefined, `COPY layer ${i}`);
  });

  test("/etc/hostname written by RUN: captured by BuildKit only", () => {
    const hostname = entry(added(buildkit)[2], "etc/hostname");
    assert.equal(hostname?.type, "file");
    // The base's "busybox-test\n" and the appended line.
    assert.equal(hostname?.size, "busybox-test\nappended\n".length);
    assert.ok(!added(legacy).some((l) => entry(l, "etc/hostname")));
    if (buildah) assert.ok(!added(buildah).some((l) => entry(l, "etc/hostname")));
  });

  test("deletions: a whiteout for /app/hello.sh and an opaque /root (0700) in the second RUN layer of all", () => {
    const secondRun = [added(buildkit)[2]!, added(legacy)[2]!, ...(buildah ? [added(buildah)[1]!] : [])];
    for (const layer of secondRun) {
      assert.ok(layer.some((e) => e.type === "whiteout" && e.path === "app/hello.sh"));
      assert.ok(layer.some((e) => e.type === "opaque" && e.path === "root"));
      assert.equal(entry(layer, "root")?.mode, 0o700);
      assert.equal(entry(layer, "root/.profile")?.size, "export PS1=x\n".length);
    }
  });

  test("COPY: the context's mode, 0:0; --chown 1000:1000 on script.sh and the parents it creates; .dockerignore honoured", () => {
    const copies = (b: PeerBuild, from: number) => added(b).slice(from, from + 3);
    const all = [copies(buildkit, 3), copies(legacy, 3), ...(buildah ? [copies(buildah, 2)] : [])];
    for (const [files, dir, chown] of all) {
      assert.deepEqual(paths(files!), ["srv", "srv/app", "srv/app/a.txt", "srv/app/b.txt"]);
      assert.deepEqual(paths(dir!), ["etc", "etc/app", "etc/app/app.conf", "etc/app/log.conf"]);
      assert.equal(entry(files, "srv/app/a.txt")?.mode, 0o644);
      assert.equal(entry(files, "srv/app/a.txt")?.uid, 0);
      const owners = chown!.map((e) => [e.path, e.type, e.mode, e.uid, e.gid]);
      assert.deepEqual(owners, [
        ["usr", "dir", 0o755, 0, 0],
        ["usr/local", "dir", 0o755, 1000, 1000],
        ["usr/local/bin", "dir", 0o755, 1000, 1000],
        ["usr/local/bin/script.sh", "file", 0o755, 1000, 1000],
      ]);
    }
    // The COPY layers are the same in all three.
    for (const other of all.slice(1)) {
      for (let i = 0; i < 3; i++) assert.deepEqual(diffEntries(all[0]![i]!, other[i]!), [], `COPY ${i}`);
    }
    for (const b of [buildkit, legacy, buildah]) {
      const everything = b?.contents.layers.flat().map((e) => e.path) ?? [];
      assert.ok(!everything.some((p) => p.endsWith("secret.txt") || p.endsWith(".tmp")));
    }
  });

  test("ARG in RUN: /srv/version is version=1.0, 0600", () => {
    for (const b of [buildkit, legacy, buildah]) {
      if (!b) continue;
      const version = b.contents.layers.flat().find((e) => e.path === "srv/version");
      assert.deepEqual([version?.mode, version?.size], [0o600, "version=1.0\n".length]);
    }
  });
});

describe("the cache", () => {
  test("the same build again: BuildKit reports every step CACHED and gives the same layers", async (t) => {
    const again = await peers.buildWithBuildKit(context, { tag: buildkit.tag });
    t.diagnostic(`BuildKit cached: ${again.seconds.toFixed(2)} s`);
    assert.equal((again.output.match(/^#\d+ CACHED$/gm) ?? []).length, 8);
    assert.deepEqual(again.contents.config.rootfs, buildkit.contents.config.rootfs);
  });
});
