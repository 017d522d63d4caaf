/**
 * `wharf build` side by side with the peers: fixtures/build/small built once by wharf, dockerd 20.10's
 * BuildKit (0.8), its legacy builder and buildah (when installed), then compared as data — every
 * entry of every layer, the runtime config, the history and `history`'s table — and wharf's image
 * loaded into the peers' dockerd and run. The differences fixtures/build/README.md documents (and
 * where current BuildKit, which wharf follows, differs from 0.8) are each asserted line by line, so
 * that any other difference fails. Last, the cache: a rebuild, a `touch` and a `chmod` of a COPY
 * source, in wharf and BuildKit.
 */
import assert from "node:assert/strict";
import { mkdtempSync, utimesSync } from "node:fs";
import { chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type BuildPeers, copyContext, type PeerBuild, startBuildPeers } from "../helpers/build-peers.ts";
import { BUSYBOX_LAYOUT } from "../helpers/distribution.ts";
import { removeTree } from "../helpers/dockerd.ts";
import {
  diffEntries,
  type ImageContents,
  type LayerEntry,
  normaliseConfig,
  readDockerArchive,
  readOciLayout,
} from "../helpers/image-contents.ts";
import { mountsUnder } from "../helpers/mounts.ts";
import { wharf } from "../helpers/spawn.ts";

const TAG = "app:1";

const peers: BuildPeers = await startBuildPeers();
// At the top level: their clean-up runs in an `after` of the file, not of a hook.
const context = await copyContext("small");
// wharf's store; removed with removeTree, which first undoes any mount a failed build left below it.
const storeRoot = mkdtempSync(join(tmpdir(), "wharf-build-docker-"));
after(() => removeTree(storeRoot));

interface WharfBuild {
  /** stderr (the progress) then stdout. */
  output: string;
  /** The image ID from the progress' `writing image sha256:... done`. */
  id: string;
  seconds: number;
}

let base: ImageContents;
let buildkit: PeerBuild;
let legacy: PeerBuild;
let buildah: PeerBuild | undefined;
let built: WharfBuild;
let image: ImageContents;

/**
 * The image ID a build's plain progress reports (wharf and BuildKit print the same line; BuildKit
 * adds the time the write took when it is long enough to show: `writing image sha256:... 0.0s done`).
 */
function reportedId(output: string): string {
  const m = /^#\d+ writing image (sha256:[0-9a-f]{64})(?: \d+\.\d+s)? done$/m.exec(output);
  assert.ok(m, `no image ID in:\n${output}`);
  return m[1]!;
}

async function wharfOk(args: string[]): Promise<string> {
  const r = await wharf(["--root", storeRoot, ...args]);
  assert.equal(r.code, 0, `wharf ${args.join(" ")}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function buildWithWharf(): Promise<WharfBuild> {
  const t0 = performance.now();
  const r = await wharf([
    "--root",
    storeRoot,
    "build",
    "--build-arg",
    `REGISTRY=${peers.host}`,
    "-t",
    TAG,
    context,
  ]);
  const seconds = (performance.now() - t0) / 1000;
  const output = `${r.stderr}${r.stdout}`;
  assert.equal(r.code, 0, `wharf build:\n${output}`);
  return { output, id: reportedId(output), seconds };
}

/** wharf's image as `wharf save` exports it, read back like the peers' `docker save`. */
async function savedImage(): Promise<{ file: string; contents: ImageContents }> {
  const file = join(storeRoot, `save-${Date.now()}.tar`);
  await wharfOk(["save", "-o", file, TAG]);
  return { file, contents: await readDockerArchive(file) };
}

before(async () => {
  base = await readOciLayout(BUSYBOX_LAYOUT, "latest");
  buildkit = await peers.buildWithBuildKit(context);
  legacy = await peers.buildWithLegacy(context);
  if (!peers.buildahUnavailable) buildah = await peers.buildWithBuildah(context);
  built = await buildWithWharf();
  image = (await savedImage()).contents;
});

/** The layers a build added on top of the busybox base. */
const added = (contents: ImageContents) => contents.layers.slice(base.layers.length);

/** The 8 added layers, by the step that made them. */
const STEP = {
  workdir: 0,
  firstRun: 1,
  secondRun: 2,
  copyFiles: 3,
  copyDir: 4,
  copyChown: 5,
  argRun: 6,
  subWorkdir: 7,
} as const;

describe("wharf's layers against BuildKit 0.8's, entry by entry", () => {
  test("3 base layers unchanged, then 8; the build left nothing mounted", (t) => {
    t.diagnostic(`wharf ${built.seconds.toFixed(2)} s, BuildKit ${buildkit.seconds.toFixed(2)} s (cold)`);
    t.diagnostic(`dockerd storage driver: ${peers.dockerd.storageDriver}`);
    assert.equal(image.layers.length, 3 + 8);
    assert.equal(buildkit.contents.layers.length, 3 + 8);
    for (let i = 0; i < base.layers.length; i++) {
      assert.deepEqual(diffEntries(base.layers[i]!, image.layers[i]!), [], `base layer ${i}`);
      assert.deepEqual(diffEntries(buildkit.contents.layers[i]!, image.layers[i]!), [], `base layer ${i}`);
    }
    assert.deepEqual(mountsUnder(storeRoot), []);
  });

  test("every added layer equal, but for the documented differences", () => {
    const ours = added(image);
    const theirs = added(buildkit.contents);
    // diffEntries(BuildKit 0.8, wharf): "-" only in BuildKit's, "~" both, differently.
    const expected: string[][] = [];
    for (let i = 0; i < 8; i++) expected.push([]);
    // BuildKit 0.8 leaves in its first RUN layer the empty dev, proc, sys stubs it made for the
    // runtime's mounts, and the etc it touched for the /etc/hosts and /etc/resolv.conf mount stubs;
    // current BuildKit removes the stubs it made (restoring the parent's mtime), and so does wharf.
    // Later RUN layers see dev, proc and sys in their lower layers already, so only etc is touched.
    expected[STEP.firstRun] = [
      "- dev (dir, mode 0755, 0:0)",
      "- etc (dir, mode 0755, 0:0)",
      "- proc (dir, mode 0755, 0:0)",
      "- sys (dir, mode 0755, 0:0)",
    ];
    expected[STEP.argRun] = ["- etc (dir, mode 0755, 0:0)"];
    expected[STEP.secondRun] = [
      // docker's overlay2 differ writes whiteouts with mode 0600, containerd's changeWriter (current
      // BuildKit, wharf) with mode 0: a whiteout's mode means nothing.
      "~ app/hello.sh: whiteout, mode 0600, 0:0 | whiteout, mode 0000, 0:0",
      // `rm -rf /root && mkdir /root`: docker's overlay2 differ writes the opaque marker, wharf
      // explicit whiteouts for what the opaque dir hid — nothing here (asserted below), which means
      // the same: /root holds only what this layer puts there.
      "- root (opaque, mode 0700, 0:0)",
    ];
    for (let i = 0; i < 8; i++) {
      assert.deepEqual(diffEntries(theirs[i]!, ours[i]!), expected[i], `added layer ${i}`);
    }
  });

  test("the opaque /root: busybox's /root is empty, so wharf writes no whiteout under it", () => {
    const baseEntries = base.layers.flat();
    assert.equal(baseEntries.find((e) => e.path === "root")?.type, "dir");
    assert.deepEqual(
      baseEntries.filter((e) => e.path.startsWith("root/")),
      [],
    );
    const layer = added(image)[STEP.secondRun]!;
    const underRoot = layer.filter((e) => e.path === "root" || e.path.startsWith("root/"));
    assert.deepEqual(
      underRoot.map((e) => [e.path, e.type, e.mode, e.uid, e.gid, e.size]),
      [
        ["root", "dir", 0o700, 0, 0, 0],
        ["root/.profile", "file", 0o644, 0, 0, "export PS1=x\n".length],
      ],
    );
    assert.ok(layer.some((e) => e.type === "whiteout" && e.path === "app/hello.sh"));
    assert.ok(!layer.some((e) => e.type === "opaque"));
  });

  test("no runtime leftovers in any layer (no dev, proc, sys, run stubs; no /etc/hosts, /etc/resolv.conf)", () => {
    const leftovers = ["dev", "proc", "sys", "run", "etc/hosts", "etc/resolv.conf"];
    for (const [i, layer] of added(image).entries()) {
      const found = layer.filter((e) => leftovers.includes(e.path)).map((e) => e.path);
      assert.deepEqual(found, [], `added layer ${i}`);
    }
    // /etc/hostname written by RUN is captured, as by BuildKit (the base's line and the appended one).
    const hostname = added(image)[STEP.secondRun]!.find((e) => e.path === "etc/hostname");
    assert.equal(hostname?.size, "busybox-test\nappended\n".length);
  });

  test("the COPY layers equal the legacy builder's and buildah's too (README: all peers agree there)", (t) => {
    if (peers.buildahUnavailable) t.diagnostic(`legacy only: ${peers.buildahUnavailable}`);
    const copies = (contents: ImageContents, from: number) => added(contents).slice(from, from + 3);
    const ours = copies(image, STEP.copyFiles);
    const peersCopies: [string, LayerEntry[][]][] = [
      ["legacy", copies(legacy.contents, STEP.copyFiles)],
      // buildah makes no WORKDIR layers: its COPYs are its 3rd to 5th added layers.
      ...(buildah ? [["buildah", copies(buildah.contents, 2)] as [string, LayerEntry[][]]] : []),
    ];
    for (const [name, theirs] of peersCopies) {
      for (let i = 0; i < 3; i++)
        assert.deepEqual(diffEntries(theirs[i]!, ours[i]!), [], `${name} COPY ${i}`);
    }
    const chown = ours[2]!.map((e) => [e.path, e.type, e.mode, e.uid, e.gid]);
    assert.deepEqual(chown, [
      ["usr", "dir", 0o755, 0, 0],
      ["usr/local", "dir", 0o755, 1000, 1000],
      ["usr/local/bin", "dir", 0o755, 1000, 1000],
      ["usr/local/bin/script.sh", "file", 0o755, 1000, 1000],
    ]);
    const everything = image.layers.flat().map((e) => e.path);
    assert.ok(!everything.some((p) => p.endsWith("secret.txt") || p.endsWith(".tmp")), ".dockerignore");
  });
});

describe("wharf's config and history against BuildKit's", () => {
  test("the runtime config is BuildKit's", () => {
    assert.deepEqual(normaliseConfig(image.config), normaliseConfig(buildkit.contents.config));
    // And what that is, so that an equal mistake in both cannot pass.
    assert.deepEqual(normaliseConfig(image.config), {
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
    });
    const platform = (c: Record<string, unknown>) => [c.architecture, c.os, c.variant];
    assert.deepEqual(platform(image.config), platform(buildkit.contents.config));
    const rootfs = image.config.rootfs as { type: string; diff_ids: string[] };
    const theirs = buildkit.contents.config.rootfs as { type: string; diff_ids: string[] };
    assert.equal(rootfs.type, "layers");
    assert.equal(rootfs.diff_ids.length, 11);
    assert.deepEqual(rootfs.diff_ids.slice(0, 3), theirs.diff_ids.slice(0, 3));
  });

  test("history: created_by, empty_layer and comment as BuildKit's, but for EXPOSE and COPY --chown", () => {
    const ours = image.history;
    const theirs = buildkit.contents.history;
    assert.equal(ours.length, 4 + 14);
    assert.equal(theirs.length, ours.length);
    const differ = new Map<number, [string, string]>();
    for (const [i, h] of ours.entries()) {
      const them = theirs[i]!;
      assert.equal(h.empty_layer ?? false, them.empty_layer ?? false, `empty_layer of ${h.created_by}`);
      assert.equal(h.comment, them.comment, `comment of ${h.created_by}`);
      if (i >= 4) assert.equal(h.comment, "buildkit.dockerfile.v0");
      if (h.created_by !== them.created_by) differ.set(i, [them.created_by ?? "", h.created_by ?? ""]);
    }
    assert.deepEqual(
      [...differ.values()],
      [
        // BuildKit 0.8 leaves --chown out of COPY's history; current BuildKit writes it.
        [
          "COPY script.sh /usr/local/bin/script.sh # buildkit",
          "COPY --chown=1000:1000 script.sh /usr/local/bin/script.sh # buildkit",
        ],
        // BuildKit 0.8 prints EXPOSE's Go map, current BuildKit the sorted list of ports.
        ["EXPOSE map[8080/tcp:{} 9090/tcp:{}]", "EXPOSE [8080/tcp 9090/tcp]"],
      ],
    );
    // Spot checks of the ones that agree: the RUN with its ARG, the exec-form CMD.
    const createdBy = ours.map((h) => h.created_by);
    assert.ok(
      createdBy.includes(
        'RUN |1 VERSION=1.0 /bin/sh -c echo "version=$VERSION" > /srv/version && chmod 0600 /srv/version # buildkit',
      ),
    );
    assert.equal(createdBy.at(-1), 'CMD ["/bin/sh" "-c" "cat /srv/app/greeting.txt"]');
    assert.equal(ours.filter((h) => !h.empty_layer).length, image.layers.length);
  });

  test("`wharf history` prints `docker history`'s table for BuildKit's image, but for the same two lines", async () => {
    const ours = parseTable(await wharfOk(["history", TAG]));
    const theirs = parseTable((await peers.dockerd.dockerOk(["history", buildkit.tag])).stdout);
    assert.deepEqual(ours.header, theirs.header);
    assert.deepEqual(ours.header, ["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"]);
    assert.equal(ours.rows.length, 18);
    assert.equal(theirs.rows.length, 18);
    const short = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);
    assert.deepEqual(
      ours.rows.map((r) => r[0]),
      [short(built.id), ...Array(17).fill("<missing>")],
    );
    assert.equal(theirs.rows[0]![0], short(reportedId(buildkit.output)));
    const differ: [string, string][] = [];
    for (const [i, row] of ours.rows.entries()) {
      const them = theirs.rows[i]!;
      const [, created, createdBy, size, comment] = row;
      assert.match(created!, / ago$/);
      // The base's four entries are days old: the same relative time in both.
      if (i >= 14) assert.equal(created, them[1], `CREATED of ${createdBy}`);
      assert.equal(size, them[3], `SIZE of ${createdBy}`);
      assert.equal(comment, them[4], `COMMENT of ${createdBy}`);
      if (createdBy !== them[2]) differ.push([them[2]!, createdBy!]);
    }
    // The same two differences as in the config's history, truncated to 45 characters.
    assert.deepEqual(differ, [
      ["EXPOSE map[8080/tcp:{} 9090/tcp:{}]", "EXPOSE [8080/tcp 9090/tcp]"],
      ["COPY script.sh /usr/local/bin/script.sh # bu…", "COPY --chown=1000:1000 script.sh /usr/local/…"],
    ]);
    const sizes = ours.rows.map((r) => r[3]);
    assert.deepEqual(sizes.slice(0, 14), [
      "0B",
      "0B",
      "0B",
      "0B",
      "12B",
      "0B",
      "22B",
      "22B",
      "12B",
      "35B",
      "16B",
      "0B",
      "0B",
      "0B",
    ]);
  });
});

/** A docker table split at its header's column starts (tabwriter pads every row to them). */
function parseTable(text: string): { header: string[]; rows: string[][] } {
  const [head = "", ...lines] = text.trimEnd().split("\n");
  const starts = [...head.matchAll(/\S+(?: \S+)*/g)].map((m) => m.index);
  const cut = (line: string) => starts.map((s, i) => line.slice(s, starts[i + 1] ?? line.length).trim());
  return { header: cut(head), rows: lines.map(cut) };
}

describe("wharf's image in docker", () => {
  test("`docker load` of `wharf save` keeps the image ID; the image runs", async () => {
    const { file } = await savedImage();
    const wharfId = (await wharfOk(["inspect", TAG, "--format", "{{.Id}}"])).trim();
    assert.equal(wharfId, built.id);
    const load = await peers.dockerd.dockerOk(["load", "-i", file]);
    assert.match(load.stdout, /^Loaded image: app:1$/m);
    const dockerId = await peers.dockerd.dockerOk(["image", "inspect", TAG, "--format", "{{.Id}}"]);
    assert.equal(dockerId.stdout.trim(), wharfId);

    const run = async (...args: string[]) =>
      (await peers.dockerd.dockerOk(["run", "--rm", "--network", "none", ...args], { timeoutMs: 60_000 }))
        .stdout;
    // The CMD cats greeting.txt, written by the first RUN from $GREETING.
    assert.equal(await run(TAG), "hello world\n");
    // /srv/version is root's and 0600: read as root, since the image's USER is 1000.
    assert.equal(await run("--user", "0", TAG, "cat", "/srv/version"), "version=1.0\n");
    assert.match(await run(TAG, "id"), /^uid=1000 gid=1000\b/);
    assert.equal(await run(TAG, "pwd"), "/srv/app/sub\n");
  });
});

/** Each `[i/N]` step of a plain progress (FROM left out) and whether it was CACHED. */
function stepStates(output: string): Map<string, "CACHED" | "ran"> {
  const names = new Map<string, string>();
  for (const m of output.matchAll(/^#(\d+) \[(\d+\/\d+)\] (\S+)/gm)) {
    if (m[3] !== "FROM") names.set(m[1]!, m[2]!);
  }
  const cached = new Set([...output.matchAll(/^#(\d+) CACHED$/gm)].map((m) => m[1]!));
  const states = new Map<string, "CACHED" | "ran">();
  for (const [vertex, step] of names) states.set(step, cached.has(vertex) ? "CACHED" : "ran");
  return new Map([...states].sort(([a], [b]) => Number.parseInt(a, 10) - Number.parseInt(b, 10)));
}

const ALL_CACHED = new Map(
  ["2/9", "3/9", "4/9", "5/9", "6/9", "7/9", "8/9", "9/9"].map((s) => [s, "CACHED" as const]),
);

describe("the cache, in wharf and BuildKit", () => {
  test("the same build again: every layer step CACHED, the same image ID", async () => {
    const again = await buildWithWharf();
    const theirs = await peers.buildWithBuildKit(context, { tag: buildkit.tag });
    assert.deepEqual(stepStates(again.output), ALL_CACHED);
    assert.deepEqual(stepStates(theirs.output), ALL_CACHED);
    assert.equal(again.id, built.id);
    assert.equal(reportedId(theirs.output), reportedId(buildkit.output));
  });

  test("`touch a.txt`: still all CACHED, the same image ID (no peer invalidates on mtime)", async () => {
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(context, "a.txt"), later, later);
    const again = await buildWithWharf();
    const theirs = await peers.buildWithBuildKit(context, { tag: buildkit.tag });
    assert.deepEqual(stepStates(again.output), ALL_CACHED);
    assert.deepEqual(stepStates(theirs.output), ALL_CACHED);
    assert.equal(again.id, built.id);
    assert.equal(reportedId(theirs.output), reportedId(buildkit.output));
  });

  test("`chmod 600 a.txt`: COPY a.txt and every step after it run again, in both", async () => {
    await chmod(join(context, "a.txt"), 0o600);
    const again = await buildWithWharf();
    const theirs = await peers.buildWithBuildKit(context, { tag: buildkit.tag });
    const expected = new Map<string, "CACHED" | "ran">([
      ["2/9", "CACHED"],
      ["3/9", "CACHED"],
      ["4/9", "CACHED"],
      ["5/9", "ran"],
      ["6/9", "ran"],
      ["7/9", "ran"],
      ["8/9", "ran"],
      ["9/9", "ran"],
    ]);
    assert.deepEqual(stepStates(again.output), expected);
    assert.deepEqual(stepStates(theirs.output), expected);
    assert.notEqual(again.id, built.id);
    assert.notEqual(reportedId(theirs.output), reportedId(buildkit.output));
    // The new COPY layer has a.txt 0600, as BuildKit's; the layers below it are the cached ones.
    const { contents } = await savedImage();
    const ours = added(contents);
    const before = diffEntries(added(buildkit.contents)[STEP.copyFiles]!, ours[STEP.copyFiles]!);
    assert.equal(before.length, 1);
    assert.match(before[0]!, /^~ srv\/app\/a\.txt: file, mode 0644, 0:0, .* \| file, mode 0600, 0:0, /);
    assert.deepEqual(diffEntries(added(theirs.contents)[STEP.copyFiles]!, ours[STEP.copyFiles]!), []);
    const rootfs = (c: ImageContents) => (c.config.rootfs as { diff_ids: string[] }).diff_ids;
    assert.deepEqual(rootfs(contents).slice(0, 6), rootfs(image).slice(0, 6));
    assert.notDeepEqual(rootfs(contents)[6], rootfs(image)[6]);
    assert.deepEqual(mountsUnder(storeRoot), []);
  });
});
