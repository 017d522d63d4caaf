/**
 * `wharf system service` under load (issue 14): one service process on a store with a few images,
 * the real docker CLI 28 at its socket. Twice, 32 `docker images` run at once with 4 `docker pull`
 * from Debian's distribution registry (4 different images: OCI, Docker schema 2, an OCI index and a
 * Docker manifest list); then a burst of 32 `docker tag` and 32 `docker rmi` at once. Every command
 * must exit 0, every listing must be a well-formed table of tags that exist, no tag may be lost,
 * and `wharf system check` must find the store clean once the service has stopped.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ok, wharfIn } from "../helpers/build-cli.ts";
import { BUSYBOX_LAYOUT, BUSYBOX_MULTI_LAYOUT, startDistribution } from "../helpers/distribution.ts";
import { dockerAt, type EngineService, startEngineService } from "../helpers/engine-service.ts";
import { writeRandomLayout } from "../helpers/random-image.ts";
import type { Finished } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";
import { tool } from "../helpers/tools.ts";

const BUSYBOX_ID = "sha256:1c03f4e795fd19db4fa0c25496cd2f696994f6798cbf12e04ae981d4143ae7a5";
const IMAGES_AT_ONCE = 32;
const TAGS_AT_ONCE = 32;
const ROUNDS = 2;

// Made at top level: a temporary directory lives as long as the scope that made it.
const work = tempDir("wharf-engine-load-");
const root = join(work, "root");
const socket = join(work, "engine.sock");
const dockerConfig = join(work, "docker-config");
mkdirSync(dockerConfig);
const docker = dockerAt(socket, dockerConfig);

/** The store's tags before any load: busybox under three names, and the arm64 busybox. */
const ORIGINAL_TAGS = ["busybox:latest", "busybox:old", "localhost:5000/a/b:tag", "arm:latest"];

const registry = await startDistribution();

/** An image a round pushes and pulls: skopeo's source, its options, and the image ID docker shows. */
interface Pushed {
  repo: string;
  source: string;
  options: string[];
  id: string;
}

/** The config digest of an OCI layout's one single-platform image (docker's image ID). */
function configDigestOf(layout: string): string {
  const blob = (digest: string) => join(layout, "blobs", "sha256", digest.slice("sha256:".length));
  const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8"));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), "utf8"));
  return manifest.config.digest;
}

/**
 * Round N's four images, each under the tag rN: two of random layers of their own (so that the pull
 * downloads and writes new blobs while the listings read), as OCI and as Docker schema 2, and
 * busybox-multi as an OCI index and as a Docker manifest list (its amd64 image is the store's busybox).
 */
async function imagesOfRound(round: number): Promise<Pushed[]> {
  const random = async (repo: string, options: string[]): Promise<Pushed> => {
    const layout = await writeRandomLayout(join(work, `layout-${repo}-${round}`), [384, 256, 128], {
      labels: { repo, round: String(round) },
    });
    const source = `oci:${layout.dir}:${layout.ref}`;
    return { repo, source, options, id: configDigestOf(layout.dir) };
  };
  const multi = `oci:${BUSYBOX_MULTI_LAYOUT}:latest`;
  return [
    await random("load/oci", []),
    await random("load/schema2", ["--format", "v2s2"]),
    { repo: "load/index", source: multi, options: ["--all"], id: BUSYBOX_ID },
    { repo: "load/list", source: multi, options: ["--all", "--format", "v2s2"], id: BUSYBOX_ID },
  ];
}

/** The reference round N pulls the image by. */
function pullRef(image: Pushed, round: number): string {
  return `${registry.host}/${image.repo}:r${round}`;
}

const rounds = Array.from({ length: ROUNDS }, (_, i) => i + 1);
const roundImages = await Promise.all(rounds.map(imagesOfRound));

async function pushRound(round: number): Promise<void> {
  await Promise.all(
    (roundImages[round - 1] ?? []).map((image) =>
      tool("skopeo", [
        "copy",
        "--quiet",
        "--dest-tls-verify=false",
        ...image.options,
        image.source,
        `docker://${pullRef(image, round)}`,
      ]),
    ),
  );
}

let service: EngineService | undefined;

before(async () => {
  await ok(wharfIn(root, ["copy", "-q", `oci:${BUSYBOX_LAYOUT}:latest`, "wharf:busybox:latest"]));
  await ok(
    wharfIn(root, [
      "copy",
      "-q",
      "--platform",
      "linux/arm64",
      `oci:${BUSYBOX_MULTI_LAYOUT}:latest`,
      "wharf:arm:latest",
    ]),
  );
  for (const target of ["busybox:old", "localhost:5000/a/b:tag"])
    await ok(wharfIn(root, ["tag", "busybox", target]));
  await Promise.all(rounds.map(pushRound));
  service = await startEngineService(root, ["--host", `unix://${socket}`]);
});

after(async () => {
  await service?.stop();
});

/** The run, asserted to have exited 0 (the command and its output in the message). */
function exitedZero(args: string[], r: Finished): Finished {
  assert.equal(r.code, 0, `docker ${args.join(" ")}: exit ${r.code}\n${r.stdout}${r.stderr}`);
  return r;
}

async function dockerOk(args: string[]): Promise<Finished> {
  return exitedZero(args, await docker(args));
}

/** 12 hex digits, a creation time, a size: one row of `docker images`' default table. */
const ROW = /^(\S+) {2,}(\S+) {2,}([0-9a-f]{12}) {2,}(\S.*?\S) {2,}([\d.]+[kMG]?B)$/;

/**
 * The REPOSITORY:TAG of each row of a `docker images` table, asserting it has docker's header and
 * only well-formed rows.
 */
function tagsOfTable(table: string): string[] {
  const lines = table.split("\n");
  assert.equal(lines.pop(), "", `no final newline:\n${table}`);
  assert.match(lines.shift() ?? "", /^REPOSITORY {2,}TAG {2,}IMAGE ID {2,}CREATED {2,}SIZE$/, table);
  return lines.map((line) => {
    const m = ROW.exec(line);
    assert.ok(m, `a malformed row "${line}" in:\n${table}`);
    return `${m[1]}:${m[2]}`;
  });
}

async function listedTags(): Promise<string[]> {
  return tagsOfTable((await dockerOk(["images"])).stdout);
}

/** Every tag of `expected` is listed (none lost). */
function assertListed(tags: readonly string[], expected: readonly string[], what: string): void {
  const missing = expected.filter((t) => !tags.includes(t));
  assert.deepEqual(missing, [], `${what}: tags missing from docker images (listed: ${tags.join(", ")})`);
}

/**
 * `docker images` in `lanes` lanes at once, each running it again as soon as it ends, until `settled`
 * has settled: the listings overlap the whole of the pulls, not just their start.
 */
async function listingsUntil(settled: Promise<unknown>, lanes: number): Promise<Finished[]> {
  let done = false;
  void settled.finally(() => {
    done = true;
  });
  const results: Finished[] = [];
  const lane = async () => {
    do results.push(await docker(["images"]));
    while (!done);
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return results;
}

describe("wharf system service under load", () => {
  /** The tags the store has before the round (what earlier rounds pulled included). */
  const present = [...ORIGINAL_TAGS];

  for (const round of rounds) {
    test(`round ${round}: ${IMAGES_AT_ONCE} docker images and 4 docker pull at once`, async () => {
      const images = roundImages[round - 1] ?? [];
      const pulling = images.map((image) => pullRef(image, round));
      const earlier = [...present];
      // Counted as present from now on, so that a failed round does not fail the next ones too.
      present.push(...pulling);
      const pulls = Promise.all(pulling.map((ref) => docker(["pull", ref])));
      const [listed, pulled] = await Promise.all([listingsUntil(pulls, IMAGES_AT_ONCE), pulls]);
      assert.ok(listed.length >= IMAGES_AT_ONCE);

      for (const [i, r] of pulled.entries()) {
        const ref = pulling[i] ?? "";
        exitedZero(["pull", ref], r);
        assert.match(r.stdout, new RegExp(`\nStatus: Downloaded newer image for ${ref}\n`), r.stdout);
      }
      for (const r of listed) {
        const tags = tagsOfTable(exitedZero(["images"], r).stdout);
        const strangers = tags.filter((t) => !present.includes(t));
        assert.deepEqual(strangers, [], `rows of no tag the store had or is pulling:\n${r.stdout}`);
        assertListed(tags, earlier, "during the pulls");
      }

      assertListed(await listedTags(), present, "after the pulls");
      for (const [i, ref] of pulling.entries()) {
        const format = "{{.Id}} {{.Os}}/{{.Architecture}} {{json .RepoTags}}";
        const { stdout } = await dockerOk(["inspect", "--format", format, ref]);
        const [id, platform, repoTags = "[]"] = stdout.trimEnd().split(" ");
        assert.equal(id, images[i]?.id, stdout);
        assert.equal(platform, "linux/amd64", stdout);
        assert.ok(
          (JSON.parse(repoTags) as string[]).includes(ref),
          `${ref} not among the RepoTags: ${stdout}`,
        );
      }
    });
  }

  test(`${TAGS_AT_ONCE} docker tag at once, then ${TAGS_AT_ONCE} docker rmi at once`, async () => {
    const names = Array.from({ length: TAGS_AT_ONCE }, (_, i) => `burst/t${i}:latest`);
    const tagged = await Promise.all(names.map((name) => docker(["tag", "busybox:latest", name])));
    for (const [i, r] of tagged.entries()) exitedZero(["tag", "busybox:latest", names[i] ?? ""], r);
    assertListed(await listedTags(), [...present, ...names], "after the tags");

    const removed = await Promise.all(names.map((name) => docker(["rmi", name])));
    for (const [i, r] of removed.entries()) {
      const name = names[i] ?? "";
      assert.equal(exitedZero(["rmi", name], r).stdout, `Untagged: ${name}\n`);
    }
    const left = await listedTags();
    assert.deepEqual(
      left.filter((t) => t.startsWith("burst/")),
      [],
      "burst tags left after the rmi",
    );
    assertListed(left, present, "after the rmi");
    const { stdout } = await dockerOk(["image", "inspect", "--format", "{{.Id}}", "busybox:latest"]);
    assert.equal(stdout, `${BUSYBOX_ID}\n`);
  });

  test("the service stops cleanly and wharf system check finds no problem", async () => {
    assert.deepEqual(await service?.stop(), { code: 0, signal: null }, service?.stderr());
    // Nothing logged beyond the address: no request failed inside the service.
    const address = `unix://${socket}`;
    assert.equal(service?.stderr(), `Listening on ${address}\nexport DOCKER_HOST=${address}\n`);
    const r = await ok(wharfIn(root, ["system", "check"]));
    assert.match(r.stdout, /^checked \d+ blobs and \d+ images: no problems\n$/, r.stdout);
    assert.equal(r.stderr, "", "system check repaired or warned");
    const { stdout } = await ok(wharfIn(root, ["images", "--format", "{{.Repository}}:{{.Tag}}"]));
    assertListed(stdout.trimEnd().split("\n"), present, "wharf images after the service");
  });
});
