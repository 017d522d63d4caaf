/**
 * save, load and RepoDigests side by side with Docker (docker CLI 28 + dockerd 20.10, started here)
 * over the same registry: `save -o` path refusals and file mode, `load` of what is not an image
 * archive, the `Loaded image ID:` lines, `save REPO` with digest-only images, and which image keeps
 * `repo@index` after two platforms of an index were pulled by tag.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, statSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { pushFixtures, startDistribution } from "../helpers/distribution.ts";
import { type Dockerd, runOk, startDockerd } from "../helpers/dockerd.ts";
import { wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";

const registry = await startDistribution();
await pushFixtures(registry.host);
const dockerd: Dockerd = await startDockerd({ insecureRegistries: [registry.host] });
const REPO = `${registry.host}/busybox`;
const AMD64_ID = "sha256:1c03f4e795fd19db4fa0c25496cd2f696994f6798cbf12e04ae981d4143ae7a5";
const ARM64_ID = "sha256:d9807954d5ed84395a6a28cd552dfb62e5708598834a568e119bd5d485ea9907";
const INDEX = "sha256:c94552dc6a235959cd41db2bbaf18bab61e4709dfcbbbe4b8157f9ff5c239834";
const AMD64_MANIFEST = "sha256:38c6850f878edc2669a36b99bec15cab8aa8ac3f682f9c89c0f51b761848d5da";
const ARM64_MANIFEST = "sha256:b0032ce26ab2ab326bee631379d963b9520a6cf87eaebdc5f7a95611a2dc9e77";

const work = tempDir("wharf-save-load-docker-");
const root = join(work, "root");

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

const inWharf = async (args: string[]): Promise<Outcome> => wharf(["--root", root, ...args]);
const inDocker = async (args: string[]): Promise<Outcome> => dockerd.docker(args);

/** Both, the same command: code and both streams. */
async function both(args: string[]): Promise<{ docker: Outcome; wharf: Outcome }> {
  return { docker: await inDocker(args), wharf: await inWharf(args) };
}

/** Removes every image from dockerd and empties the wharf store. */
async function reset(): Promise<void> {
  const ids = (await dockerd.dockerOk(["images", "-aq", "--no-trunc"])).stdout.split("\n").filter(Boolean);
  if (ids.length > 0) await dockerd.dockerOk(["rmi", "-f", ...new Set(ids)]);
  const own = (await inWharf(["images", "-aq", "--no-trunc"])).stdout.split("\n").filter(Boolean);
  if (own.length > 0) assert.equal((await inWharf(["rmi", "-f", ...new Set(own)])).code, 0);
}

before(async () => {
  await dockerd.dockerOk(["pull", "-q", `${REPO}:v2s2`]);
  const pulled = await inWharf(["pull", "-q", `${REPO}:v2s2`]);
  assert.equal(pulled.code, 0, pulled.stderr);
});

describe("save -o: docker's refusals and file mode", () => {
  test("a missing or non-directory parent, a directory, a FIFO, a device, a symlink: the same line, exit 1", async () => {
    const dir = join(work, "targets");
    mkdirSync(dir);
    writeFileSync(join(dir, "file"), "x");
    mkdirSync(join(dir, "adir"));
    await runOk("mkfifo", [join(dir, "fifo")]);
    symlinkSync(join(dir, "file"), join(dir, "link"));
    const targets = [
      "/no/such/dir/x.tar",
      join(dir, "nosuch", "x.tar"),
      join(dir, "file", "x.tar"),
      join(dir, "adir"),
      join(dir, "fifo"),
      "/dev/null",
      join(dir, "link"),
    ];
    for (const target of targets) {
      const r = await both(["save", "-o", target, `${REPO}:v2s2`]);
      assert.match(r.docker.stderr, /^failed to save image: /, target);
      assert.deepEqual(
        [r.wharf.code, r.wharf.stderr],
        [r.docker.code, `${r.docker.stderr.trimEnd()}\n`],
        `save -o ${target}`,
      );
    }
  });

  test("a relative path's missing directory is named as given", async () => {
    // Both run in this process's directory, where no such directory is.
    const relative = "no-such-dir-of-save-load-docker/x.tar";
    const docker = await inDocker(["save", "-o", relative, `${REPO}:v2s2`]);
    const own = await inWharf(["save", "-o", relative, `${REPO}:v2s2`]);
    assert.equal(
      docker.stderr.trim(),
      "failed to save image: invalid output path: stat no-such-dir-of-save-load-docker: no such file or directory",
    );
    assert.deepEqual([own.code, own.stderr.trim()], [docker.code, docker.stderr.trim()]);
  });

  test("the archive is made 0600, as docker makes it", async () => {
    const ofDocker = join(work, "mode-docker.tar");
    const ofWharf = join(work, "mode-wharf.tar");
    await dockerd.dockerOk(["save", "-o", ofDocker, `${REPO}:v2s2`]);
    assert.equal((await inWharf(["save", "-o", ofWharf, `${REPO}:v2s2`])).code, 0);
    assert.equal(statSync(ofDocker).mode & 0o777, 0o600);
    assert.equal(statSync(ofWharf).mode & 0o777, statSync(ofDocker).mode & 0o777);
  });
});

describe("load of what is not an image archive: docker's line, exit 1", () => {
  test("short text, longer text, a cut-off archive, a cut-off gzip, an empty file, a tar of other files", async () => {
    const dir = join(work, "not-archives");
    mkdirSync(dir);
    const files: Record<string, string> = {};
    const add = (name: string, bytes: string | Buffer) => {
      files[name] = join(dir, name);
      writeFileSync(files[name], bytes);
    };
    add("short.txt", "hello\n");
    add("long.txt", "not a tar header at all. ".repeat(100));
    add("empty.tar", "");
    const cut = join(dir, "cut.tar");
    await dockerd.dockerOk(["save", "-o", cut, `${REPO}:v2s2`]);
    truncateSync(cut, Math.floor(statSync(cut).size / 2));
    files["cut.tar"] = cut;
    await runOk("sh", ["-c", `echo hello | gzip -c | head -c 15 > ${join(dir, "cut.gz")}`]);
    files["cut.gz"] = join(dir, "cut.gz");
    mkdirSync(join(dir, "other"));
    writeFileSync(join(dir, "other", "hello.txt"), "hello");
    await runOk("tar", ["cf", join(dir, "other.tar"), "-C", join(dir, "other"), "hello.txt"]);
    files["other.tar"] = join(dir, "other.tar");
    // dockerd names a fresh temporary directory of its own.
    const unrandom = (s: string) => s.replace(/^open \S*\/docker-import-\d+\//, "open TMP/docker-import-N/");
    for (const [name, file] of Object.entries(files)) {
      const r = await both(["load", "-i", file]);
      assert.equal(r.docker.code, 1, `${name}: ${r.docker.stderr}`);
      assert.deepEqual(
        [r.wharf.code, r.wharf.stdout, unrandom(r.wharf.stderr)],
        [r.docker.code, r.docker.stdout, unrandom(r.docker.stderr)],
        name,
      );
    }
  });
});

describe("two platforms of an index pulled by tag", () => {
  before(async () => {
    await reset();
    for (const platform of ["linux/amd64", "linux/arm64"]) {
      await dockerd.dockerOk(["pull", "-q", "--platform", platform, `${REPO}:multi`]);
      assert.equal((await inWharf(["pull", "-q", "--platform", platform, `${REPO}:multi`])).code, 0);
    }
  });

  const repoDigests = async (run: (args: string[]) => Promise<Outcome>, id: string) => {
    const r = await run(["image", "inspect", "--format", "{{json .RepoTags}} {{json .RepoDigests}}", id]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };

  test("repo@index stays on the first pulled (docker cannot move a digest reference)", async () => {
    for (const id of [AMD64_ID, ARM64_ID]) {
      assert.equal(await repoDigests(inWharf, id), await repoDigests(inDocker, id), id);
    }
    assert.equal(await repoDigests(inDocker, AMD64_ID), `[] ["${REPO}@${INDEX}"]\n`);
    const images = await both([
      "images",
      "--digests",
      "--no-trunc",
      "--format",
      "{{.Tag}} {{.Digest}} {{.ID}}",
    ]);
    const sorted = (s: string) => s.trim().split("\n").sort();
    assert.deepEqual(sorted(images.wharf.stdout), sorted(images.docker.stdout));
  });

  test("a platform manifest's digest names no image; the index's names the first pulled", async () => {
    for (const digest of [AMD64_MANIFEST, ARM64_MANIFEST]) {
      const r = await both(["image", "inspect", "--format", "{{.Id}}", `${REPO}@${digest}`]);
      assert.equal(r.docker.code, 1, r.docker.stdout);
      assert.equal(r.wharf.code, 1, r.wharf.stdout);
      assert.match(r.wharf.stderr, new RegExp(`No such image: ${REPO}@${digest}`));
    }
    const r = await both(["image", "inspect", "--format", "{{.Id}}", `${REPO}@${INDEX}`]);
    assert.deepEqual([r.wharf.code, r.wharf.stdout], [r.docker.code, r.docker.stdout]);
    assert.equal(r.docker.stdout, `${AMD64_ID}\n`);
  });

  test("save REPO takes the digest-only image too, without a name", async () => {
    const entries = async (file: string) => {
      const manifest = JSON.parse((await runOk("tar", ["xOf", file, "manifest.json"])).stdout) as {
        Config: string;
        RepoTags: string[] | null;
      }[];
      return manifest
        .map((m) => `${/([0-9a-f]{64})/.exec(m.Config)?.[1]} ${JSON.stringify(m.RepoTags ?? [])}`)
        .sort();
    };
    const ofDocker = join(work, "repo-docker.tar");
    const ofWharf = join(work, "repo-wharf.tar");
    await dockerd.dockerOk(["save", "-o", ofDocker, REPO]);
    assert.equal((await inWharf(["save", "-o", ofWharf, REPO])).code, 0);
    assert.deepEqual(await entries(ofWharf), await entries(ofDocker));
    assert.equal((await entries(ofDocker)).length, 2);
  });
  test("a pull by repo@index of the other platform: the image stays, the digest does not move, exit 1", async () => {
    const r = await both(["pull", "-q", "--platform", "linux/arm64", `${REPO}@${INDEX}`]);
    assert.deepEqual([r.docker.code, r.docker.stderr], [1, `Cannot overwrite digest ${INDEX}\n`]);
    assert.deepEqual([r.wharf.code, r.wharf.stderr], [r.docker.code, r.docker.stderr]);
    for (const id of [AMD64_ID, ARM64_ID]) {
      assert.equal(await repoDigests(inWharf, id), await repoDigests(inDocker, id), id);
    }
  });
});

describe("Loaded image ID: dockerd 20.10 looks at the last image of the archive", () => {
  const archive = join(work, "mixed");
  before(async () => {
    mkdirSync(archive);
    await reset();
    for (const platform of ["linux/amd64", "linux/arm64"]) {
      assert.equal((await inWharf(["pull", "-q", "--platform", platform, `${REPO}:multi`])).code, 0);
    }
    // arm64 tagged `multi`, amd64 without a name (only repo@index): saved in both orders.
    assert.equal(
      (await inWharf(["save", "-o", join(archive, "untagged-last.tar"), `${REPO}:multi`, AMD64_ID])).code,
      0,
    );
    assert.equal(
      (await inWharf(["save", "-o", join(archive, "tagged-last.tar"), AMD64_ID, `${REPO}:multi`])).code,
      0,
    );
  });

  for (const name of ["untagged-last.tar", "tagged-last.tar"]) {
    test(name, async () => {
      await reset();
      const r = await both(["load", "-i", join(archive, name)]);
      assert.equal(r.docker.code, 0, r.docker.stderr);
      assert.deepEqual([r.wharf.code, r.wharf.stdout], [0, r.docker.stdout]);
      if (name === "untagged-last.tar") {
        assert.equal(
          r.docker.stdout,
          `Loaded image: ${REPO}:multi\nLoaded image ID: ${ARM64_ID}\nLoaded image ID: ${AMD64_ID}\n`,
        );
      } else {
        assert.equal(r.docker.stdout, `Loaded image: ${REPO}:multi\n`);
      }
    });
  }
});

// The file's own check that the fixtures are what the constants above say.
test("the fixture index is the one these tests name", () => {
  const digest = readFileSync(
    join(registry.root, "docker/registry/v2/repositories/busybox/_manifests/tags/multi/current/link"),
    "utf8",
  );
  assert.equal(digest.trim(), INDEX);
});
