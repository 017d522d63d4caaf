/**
 * `wharf build`'s results, against BuildKit's behaviour: SOURCE_DATE_EPOCH builds that are the same
 * image twice, the outputs (-o oci, docker, local, tar, --push: only the image output and --push
 * tag the store), and the build cache in the store (system df, builder prune, concurrent builds,
 * rmi then rebuild). The progress, failures, flags and instructions are in build.test.ts.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { contextDir, ok, outcome, wharfIn as wharfCli } from "../helpers/build-cli.ts";
import { pushFixtures, startDistribution } from "../helpers/distribution.ts";
import { unmountUnder } from "../helpers/mounts.ts";
import type { Finished } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";
import { tool } from "../helpers/tools.ts";

const registry = await startDistribution();
await pushFixtures(registry.host);
const HOST = registry.host;
const BASE = `${HOST}/busybox:latest`;
const DOCKER_CONFIG = tempDir("wharf-build-docker-config-");
const stores: string[] = [];
after(() => stores.forEach(unmountUnder));

/** A fresh store for the tests that must not share a cache. */
function newStore(): string {
  const dir = tempDir("wharf-build-store-");
  stores.push(dir);
  return dir;
}
const STORE = newStore();

const env = { ...process.env, DOCKER_CONFIG };
const wharfIn = (store: string, args: string[]): Promise<Finished> => wharfCli(store, args, { env });
const context = (files: Record<string, string>) => contextDir(files);

/** A build in `store` of `dir`; returns the run and the image ID (from --iidfile). */
async function build(store: string, dir: string, ...args: string[]): Promise<Finished & { id: string }> {
  const iid = join(tempDir("wharf-build-iid-"), "iid");
  const r = await ok(wharfIn(store, ["build", "--progress", "plain", "--iidfile", iid, ...args, dir]));
  return { ...r, id: readFileSync(iid, "utf8") };
}

const imageList = async (store: string) =>
  (await ok(wharfIn(store, ["images", "-a", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"])))
    .stdout;

async function inspectId(store: string, ref: string): Promise<string | undefined> {
  const r = await wharfIn(store, ["inspect", "--format", "{{.Id}}", ref]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** An OCI archive's index.json and the config of its one image. */
interface OciConfig {
  created: string;
  history: { created: string; created_by: string }[];
  rootfs: { diff_ids: string[] };
}

async function ociArchive(file: string): Promise<{ manifestDigest: string; config: OciConfig }> {
  const index = JSON.parse(spawnSync("tar", ["-xOf", file, "index.json"], { encoding: "utf8" }).stdout);
  const config = JSON.parse((await tool("skopeo", ["inspect", "--config", `oci-archive:${file}`])).stdout);
  return { manifestDigest: index.manifests[0].digest, config };
}

// The base in the shared store first: a build pulls it, which is no output's doing.
await ok(wharfIn(STORE, ["pull", "-q", BASE]));

const EPOCH_TIME = "2023-11-14T22:13:20Z";

test("SOURCE_DATE_EPOCH with --no-cache: the same image in two stores", async () => {
  const dir = context({
    Dockerfile: `FROM ${BASE}\nCOPY f.txt /f.txt\nRUN echo repro > /r.txt && mkdir -p /var/made\n`,
    "f.txt": "reproducible\n",
  });
  const results = [];
  for (const store of [newStore(), newStore()]) {
    const archive = join(tempDir("wharf-build-repro-"), "image.tar");
    const args = [
      "--build-arg",
      "SOURCE_DATE_EPOCH=1700000000",
      "--no-cache",
      "-o",
      `type=oci,dest=${archive}`,
    ];
    const r = await build(store, dir, ...args);
    assert.doesNotMatch(r.stderr, /\[Warning\]/, "SOURCE_DATE_EPOCH is a predefined arg");
    results.push({ id: r.id, ...(await ociArchive(archive)) });
  }
  const [one, two] = results as [(typeof results)[0], (typeof results)[0]];
  assert.equal(one.id, two.id, "the same image ID");
  assert.equal(one.manifestDigest, two.manifestDigest, "the same manifest digest");
  assert.equal(one.config.created, EPOCH_TIME);
  const history = one.config.history;
  assert.deepEqual(
    history.slice(-2).map((h) => h.created),
    [EPOCH_TIME, EPOCH_TIME],
  );
});

describe("outputs", () => {
  const dir = context({
    Dockerfile: `FROM ${BASE}\nCOPY hello.txt /hello.txt\nRUN echo built > /built.txt\n`,
    "hello.txt": "hello output\n",
  });
  const out = tempDir("wharf-build-out-");

  test("-o type=oci, docker, local, tar: files, and nothing tagged in the store", async () => {
    const before = await imageList(STORE);
    const oci = await build(STORE, dir, "-t", "out:oci", "-o", `type=oci,dest=${join(out, "oci.tar")}`);
    const raw = JSON.parse(
      (await tool("skopeo", ["inspect", "--raw", `oci-archive:${join(out, "oci.tar")}`])).stdout,
    );
    assert.equal(raw.config.digest, oci.id);
    const { config } = await ociArchive(join(out, "oci.tar"));
    assert.equal(config.rootfs.diff_ids.length, raw.layers.length);

    const docker = await build(
      STORE,
      dir,
      "-t",
      "out:docker",
      "-o",
      `type=docker,dest=${join(out, "docker.tar")}`,
    );
    assert.equal(docker.id, oci.id, "the same build, cached");

    await build(STORE, dir, "-o", `type=local,dest=${join(out, "rootfs")}`);
    assert.equal(readFileSync(join(out, "rootfs", "hello.txt"), "utf8"), "hello output\n");
    assert.equal(readFileSync(join(out, "rootfs", "built.txt"), "utf8"), "built\n");
    assert.ok(existsSync(join(out, "rootfs", "bin", "busybox")), "the base image's files too");

    await build(STORE, dir, "-o", `type=tar,dest=${join(out, "rootfs.tar")}`);
    const names = spawnSync("tar", ["-tf", join(out, "rootfs.tar")], { encoding: "utf8" }).stdout.split("\n");
    assert.ok(names.includes("./hello.txt") && names.includes("./built.txt"), names.join(" "));
    const built = spawnSync("tar", ["-xOf", join(out, "rootfs.tar"), "./built.txt"], { encoding: "utf8" });
    assert.equal(built.stdout, "built\n");

    assert.equal(await imageList(STORE), before, "no output but the image one touches the store's images");
    assert.equal(await inspectId(STORE, "out:oci"), undefined);

    const loaded = await ok(wharfIn(STORE, ["load", "-i", join(out, "docker.tar")]));
    assert.match(loaded.stdout, /^Loaded image: out:docker$/m);
    assert.equal(await inspectId(STORE, "out:docker"), docker.id);
  });

  test("--push -t HOST/app:1", async () => {
    const r = await build(STORE, dir, "--push", "-t", `${HOST}/app:1`);
    const raw = JSON.parse(
      (await tool("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${HOST}/app:1`])).stdout,
    );
    assert.equal(raw.config.digest, r.id);
    // --push is the image exporter with push=true: docker's builder also keeps the image, tagged.
    assert.equal(await inspectId(STORE, `${HOST}/app:1`), r.id);
  });
});

describe("the build cache in the store", () => {
  test("system df counts it; builder prune -af reclaims it; the next build is not cached", async () => {
    const store = newStore();
    const dir = context({ Dockerfile: `FROM ${BASE}\nRUN head -c 300000 /dev/urandom > /blob\n` });
    await build(store, dir, "-t", "cached:1");
    const withImage = (await ok(wharfIn(store, ["system", "df"]))).stdout;
    const row = /^Build Cache\s+(\d+)\s/m.exec(withImage);
    assert.ok(row && Number(row[1]) > 0, withImage);
    // While the image exists its layers (and their unpacked snapshots) are the image's storage, as
    // docker's are; once it is removed they are only the cache's, and reclaimable.
    await ok(wharfIn(store, ["rmi", "cached:1"]));
    const df = (await ok(wharfIn(store, ["system", "df"]))).stdout;
    assert.doesNotMatch(df, /^Build Cache\s+\d+\s+\d+\s+0B\s/m, df);

    const pruned = (await ok(wharfIn(store, ["builder", "prune", "-af"]))).stdout;
    const after = (await ok(wharfIn(store, ["system", "df"]))).stdout;
    const again = await build(store, dir);
    assert.equal(outcome(again.stderr, "[2/2] RUN head -c 300000 /dev/urandom > /blob"), "DONE");

    assert.match(pruned, /^Deleted build cache objects:$/m);
    const reclaimed = /^Total reclaimed space: (\S+)$/m.exec(pruned)?.[1];
    assert.ok(reclaimed && reclaimed !== "0B", `${pruned}\nsystem df before:\n${df}`);
    // All of it was reclaimable (system df said so), and -a removes all of it.
    assert.match(after, /^Build Cache\s+0\s+0\s+0B\s+0B\s*$/m);
  });

  const store = newStore();
  const dir = context({
    Dockerfile: `FROM ${BASE}\nCOPY a.txt /a.txt\nRUN sleep 0.3 && cat /a.txt > /b.txt\n`,
    "a.txt": "concurrent\n",
  });

  test("two builds of one Dockerfile at once in one store", async () => {
    const [one, two] = await Promise.all([
      build(store, dir, "-t", "conc:1"),
      build(store, dir, "-t", "conc:1"),
    ]);
    const tagged = await inspectId(store, "conc:1");
    assert.ok(tagged === one.id || tagged === two.id, "the tag names one of them");
    await ok(wharfIn(store, ["system", "check"]));
    // BuildKit's solver shares the identical steps of concurrent builds: one result, one image.
    assert.equal(one.id, two.id, "the same image");
  });

  test("rmi of the built image, then a rebuild", async () => {
    const first = await build(store, dir, "-t", "conc:2");
    await ok(wharfIn(store, ["rmi", "conc:2"]));
    assert.equal(await inspectId(store, "conc:2"), undefined);
    const rebuilt = await build(store, dir, "-t", "conc:2");
    assert.equal(await inspectId(store, "conc:2"), rebuilt.id);
    assert.equal(outcome(rebuilt.stderr, "[3/3] RUN sleep 0.3 && cat /a.txt > /b.txt"), "CACHED");
    assert.equal(rebuilt.id, first.id, "the cache still holds the steps, so the same image");
    await ok(wharfIn(store, ["system", "check"]));
  });
});

describe("sources and platforms", () => {
  test("ADD of a URL: the file as BuildKit's HTTP source writes it (0600), --checksum checked, the cache over its bytes", async () => {
    const { createServer } = await import("node:http");
    let body = "remote contents\n";
    const server = createServer((_req, res) => {
      res.writeHead(200, { "Last-Modified": "Tue, 14 Nov 2023 22:13:20 GMT" });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const url = `http://127.0.0.1:${port}/files/remote.txt`;
      const dir = context({
        Dockerfile: `FROM ${BASE}\nADD ${url} /srv/\nRUN stat -c '%a %s' /srv/remote.txt\n`,
      });
      const first = await build(STORE, dir, "-t", "addurl:1");
      assert.match(first.stderr, /^#\d+ \d+\.\d{3} 600 16$/m, first.stderr);
      const again = await build(STORE, dir, "-t", "addurl:1");
      assert.equal(again.id, first.id, "the same bytes at the URL: cached");
      body = "changed contents\n";
      const changed = await build(STORE, dir, "-t", "addurl:1");
      assert.notEqual(changed.id, first.id, "new bytes at the URL: a new layer");
      const sha = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
      const bad = context({ Dockerfile: `FROM ${BASE}\nADD --checksum=${sha} ${url} /srv/\n` });
      const r = await wharfIn(STORE, ["build", "--progress", "plain", bad]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr.trimEnd().split("\n").at(-1)!, /^ERROR: failed to solve: .*digest mismatch/);
    } finally {
      server.close();
    }
  });

  test("FROM --platform=$BUILDPLATFORM; --platform of another architecture builds stages without RUN, refuses RUN", async () => {
    const multi = `${HOST}/busybox:multi`;
    const host = await build(
      STORE,
      context({ Dockerfile: `FROM --platform=$BUILDPLATFORM ${multi}\nRUN true\n` }),
    );
    assert.match(host.stderr, /\[1\/2\] FROM /);
    const dir = context({ Dockerfile: `FROM ${multi}\nCOPY a.txt /a.txt\n`, "a.txt": "a\n" });
    const arm = await build(STORE, dir, "--platform", "linux/arm64", "-t", "armcopy:1");
    const platform = await ok(
      wharfIn(STORE, ["inspect", "--format", "{{.Os}}/{{.Architecture}}", "armcopy:1"]),
    );
    assert.equal(platform.stdout.trim(), "linux/arm64");
    assert.ok(arm.id.startsWith("sha256:"));
    const run = context({ Dockerfile: `FROM ${multi}\nRUN true\n` });
    const r = await wharfIn(STORE, ["build", "--progress", "plain", "--platform", "linux/arm64", run]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr.trimEnd().split("\n").at(-1)!,
      /^ERROR: failed to solve: RUN for linux\/arm64.*no emulation/,
    );
  });
});
