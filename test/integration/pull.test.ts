/**
 * `wharf pull` against a real registry (Debian's distribution 2.8) holding the fixtures, compared
 * line by line with what Docker printed for the same pulls (../shared/docker-reference).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { Digest } from "../../src/oci/digest.ts";
import { Store } from "../../src/store/index.ts";
import { pushFixtures, startDistribution, startTokenIssuer } from "../helpers/distribution.ts";
import { dockerReference } from "../helpers/docker-reference.ts";
import { startFaultProxy } from "../helpers/fault-proxy.ts";
import { wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";
import { tool } from "../helpers/tools.ts";

const BUSYBOX_ID = "sha256:1c03f4e795fd19db4fa0c25496cd2f696994f6798cbf12e04ae981d4143ae7a5";
const MULTI_INDEX = "sha256:c94552dc6a235959cd41db2bbaf18bab61e4709dfcbbbe4b8157f9ff5c239834";

async function pull(root: string, args: string[], env?: NodeJS.ProcessEnv) {
  const r = await wharf(["--root", root, "pull", ...args], env ? { env } : {});
  return { ...r, output: r.stdout + r.stderr };
}

const DOWNLOAD_LINE = /: (Verifying Checksum|Download complete)$/;

/**
 * Docker's and wharf's pull output are the same lines; downloads run in parallel, so when each layer
 * finishes downloading varies from run to run (for Docker too). Everything else is in a fixed order,
 * and each layer's lines keep theirs: Verifying Checksum, Download complete, Pull complete.
 */
function assertSamePullOutput(actual: string, expected: string, what: string) {
  const message = `${what}\n--- wharf:\n${actual}--- docker:\n${expected}`;
  const a = actual.split("\n");
  const e = expected.split("\n");
  assert.deepEqual([...a].sort(), [...e].sort(), message);
  assert.deepEqual(
    a.filter((l) => !DOWNLOAD_LINE.test(l)),
    e.filter((l) => !DOWNLOAD_LINE.test(l)),
    message,
  );
  for (const line of a.filter((l) => l.endsWith(": Pull complete"))) {
    const id = line.slice(0, 12);
    const order = ["Verifying Checksum", "Download complete", "Pull complete"].map((s) =>
      a.indexOf(`${id}: ${s}`),
    );
    assert.deepEqual(
      [...order].sort((x, y) => x - y),
      order,
      message,
    );
  }
}

/** "docker pull X" -> the same pull by wharf, with the output as Docker's reference shows it. */
async function samePullAsDocker(root: string, file: string, host: string) {
  const ref = dockerReference(file, host);
  const args = ref.command.replace(/^docker pull /, "").split(" ");
  const r = await pull(root, args);
  assertSamePullOutput(r.output, ref.output, ref.command);
  assert.equal(r.code, ref.exitCode);
}

// Started once for the file, at top level: `after` hooks registered here stop it when the file ends.
const { host } = await startDistribution();
await pushFixtures(host);

describe("wharf pull from distribution, side by side with Docker", () => {
  const root = tempDir();

  test("01 first pull: every layer downloaded, verified and completed in order", () =>
    samePullAsDocker(root, "01-pull-busybox.txt", host));
  test("02 the same image in Docker media types: config present, no layer lines", () =>
    samePullAsDocker(root, "02-pull-v2s2-shared-layers.txt", host));
  test("03 pulling again: up to date", () => samePullAsDocker(root, "03-pull-again-up-to-date.txt", host));
  test("04 by digest", () => samePullAsDocker(root, "04-pull-by-digest.txt", host));

  test("05 a multi-platform index resolves to --platform; layers already there", async () => {
    const ref = dockerReference("05-pull-multi-arm64.txt", host);
    const r = await pull(root, ["--platform", "linux/arm64", `${host}/busybox:multi`]);
    // Docker's WARNING line is about busybox:latest (amd64, pulled by 01): dockerd checks the
    // repository's name without the tag after a pull with --platform, and wharf does as it does.
    assert.equal(r.output, ref.output);
    const store = await Store.open({ root });
    const image = store.read((rec) => rec.byTag(`${host}/busybox:multi`))!;
    assert.equal(image.platform.architecture, "arm64");
    assert.deepEqual(
      image.repoDigests.map((d) => d.digest),
      [MULTI_INDEX],
      "RepoDigests records the index digest that was asked for",
    );
    store.close();
  });

  test("24 bad name: one line, exit 1", () => samePullAsDocker(root, "24-pull-bad-name.txt", host));
  test("25 missing: Docker's message, exit 1", async () => {
    const ref = dockerReference("25-pull-missing.txt", host);
    const r = await pull(root, [`${host}/nope:latest`]);
    assert.equal(r.code, 1);
    assert.equal(r.output, ref.output);
  });

  test("the store passes system check and shares layers between the images", async () => {
    const check = await wharf(["--root", root, "system", "check"]);
    assert.equal(check.code, 0, check.stdout);
    const store = await Store.open({ root });
    const images = store.read((r) => r.list());
    assert.equal(images.length, 3, "latest (OCI), v2s2 (Docker), multi (arm64)");
    assert.equal(images.filter((i) => i.id === BUSYBOX_ID).length, 2);
    for (const image of images) {
      assert.ok(image.layers.every((l) => l.uncompressedSize > 0));
      assert.equal(
        image.size,
        image.layers.reduce((s, l) => s + l.uncompressedSize, 0),
      );
    }
    store.close();
  });

  test("no platform match lists what the index has", async () => {
    const r = await pull(tempDir(), ["--platform", "linux/s390x", `${host}/busybox:multi`]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      "no matching manifest for linux/s390x in the manifest list entries (available: linux/amd64, linux/arm64/v8)\n",
    );
  });

  test("-q prints only the reference; 'Using default tag' for a bare name", async () => {
    const fresh = tempDir();
    const quiet = await pull(fresh, ["-q", `${host}/busybox:v2s2`]);
    assert.equal(quiet.output, `${host}/busybox:v2s2\n`);
    await tool("skopeo", [
      "copy",
      "-q",
      "--src-tls-verify=false",
      "--dest-tls-verify=false",
      `docker://${host}/busybox:v2s2`,
      `docker://${host}/plain:latest`,
    ]);
    const bare = await pull(fresh, [`${host}/plain`]);
    assert.match(bare.output, /^Using default tag: latest\nlatest: Pulling from plain\n/);
  });

  test("-a pulls every tag of the repository", async () => {
    const fresh = tempDir();
    const r = await pull(fresh, ["-a", `${host}/busybox`]);
    assert.equal(r.code, 0, r.output);
    const store = await Store.open({ root: fresh });
    const tags = store.read((rec) => rec.list().flatMap((i) => i.tags.map((t) => t.name))).sort();
    store.close();
    assert.deepEqual(
      tags,
      ["latest", "list", "multi", "v2s2"].map((t) => `${host}/busybox:${t}`),
    );
  });

  test("a re-pull that moves a tag leaves the old image dangling", async () => {
    const fresh = tempDir();
    await pull(fresh, [`${host}/busybox:latest`]);
    await tool("skopeo", [
      "copy",
      "-q",
      "--src-tls-verify=false",
      "--dest-tls-verify=false",
      "--override-arch",
      "arm64",
      `docker://${host}/busybox:multi`,
      `docker://${host}/busybox:latest`,
    ]);
    const moved = await pull(fresh, [`${host}/busybox:latest`]);
    assert.match(moved.output, /Status: Downloaded newer image for/);
    const store = await Store.open({ root: fresh });
    const images = store.read((r) => r.list());
    assert.equal(images.length, 2);
    const dangling = images.find((i) => i.id === BUSYBOX_ID)!;
    assert.deepEqual(dangling.tags, []);
    store.close();
    // Put the tag back for the other tests' sake.
    await pushFixtures(host);
  });
});

describe("wharf pull through network faults", () => {
  test("a layer download cut off midway resumes with a Range request and verifies", async () => {
    const layer = "sha256:2800f364f59f5f75afc6ace53a5d734dedf3439e044a83f09a0693194d801684";
    const proxy = await startFaultProxy(host, { blob: layer, afterBytes: 300_000 });
    const root = tempDir();
    const r = await pull(root, [`${proxy.host}/busybox:latest`]);
    assert.equal(r.code, 0, r.output);
    const ranged = proxy.requests.filter((q) => q.url.endsWith(layer) && q.range);
    assert.equal(ranged.length, 1, JSON.stringify(proxy.requests));
    assert.match(ranged[0]!.range!, /^bytes=\d+-$/);
    assert.notEqual(ranged[0]!.range, "bytes=0-");
    const check = await wharf(["--root", root, "system", "check"]);
    assert.equal(check.code, 0, check.stdout);
  });
});

describe("wharf pull with credentials", () => {
  test("basic auth: refused without credentials, accepted with config.json", async () => {
    const reg = await startDistribution({ kind: "htpasswd", users: { alice: "s3cret" } });
    await pushFixtures(reg.host, "alice:s3cret");
    const refused = await pull(tempDir(), [`${reg.host}/busybox:latest`], {
      ...process.env,
      DOCKER_CONFIG: tempDir(),
    });
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr,
      `Error response from daemon: Head "http://${reg.host}/v2/busybox/manifests/latest": no basic auth credentials\n`,
    );
    const config = tempDir();
    const auth = Buffer.from("alice:s3cret").toString("base64");
    writeFileSync(join(config, "config.json"), JSON.stringify({ auths: { [reg.host]: { auth } } }));
    const ok = await pull(tempDir(), [`${reg.host}/busybox:latest`], {
      ...process.env,
      DOCKER_CONFIG: config,
    });
    assert.equal(ok.code, 0, ok.output);
    assert.match(ok.output, /Status: Downloaded newer image/);
  });

  test("token auth with the test's own issuer", async () => {
    const issuer = await startTokenIssuer({ users: { bob: "pw" } });
    const reg = await startDistribution({ kind: "token", issuer });
    await pushFixtures(reg.host, "bob:pw");
    const config = tempDir();
    const auth = Buffer.from("bob:pw").toString("base64");
    writeFileSync(join(config, "config.json"), JSON.stringify({ auths: { [reg.host]: { auth } } }));
    const ok = await pull(tempDir(), [`${reg.host}/busybox:multi`], {
      ...process.env,
      DOCKER_CONFIG: config,
    });
    assert.equal(ok.code, 0, ok.output);
    assert.ok(issuer.requests.some((r) => r.authorized));
  });
});

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const NONDISTRIBUTABLE = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";

/**
 * Puts busybox:latest into `repository` with its last layer made non-distributable and pointed at
 * `url(digest)`: the config and the other layers are mounted from busybox, the last one is not (so
 * the registry answers 404 for it in `repository`). Returns the layer's digest.
 */
async function pushWithForeignLayer(repository: string, url: (digest: string) => string): Promise<string> {
  const res = await fetch(`http://${host}/v2/busybox/manifests/latest`, {
    headers: { accept: OCI_MANIFEST },
  });
  assert.equal(res.status, 200);
  const manifest = (await res.json()) as {
    config: { digest: string };
    layers: { digest: string; mediaType: string; urls?: string[] }[];
  };
  const foreign = manifest.layers.at(-1)!;
  foreign.mediaType = NONDISTRIBUTABLE;
  foreign.urls = [url(foreign.digest)];
  for (const digest of [manifest.config.digest, ...manifest.layers.slice(0, -1).map((l) => l.digest)]) {
    const mount = await fetch(`http://${host}/v2/${repository}/blobs/uploads/?mount=${digest}&from=busybox`, {
      method: "POST",
    });
    assert.equal(mount.status, 201, `mount ${digest}`);
  }
  const put = await fetch(`http://${host}/v2/${repository}/manifests/latest`, {
    method: "PUT",
    headers: { "content-type": OCI_MANIFEST },
    body: JSON.stringify(manifest),
  });
  assert.equal(put.status, 201, await put.text());
  const direct = await fetch(`http://${host}/v2/${repository}/blobs/${foreign.digest}`);
  await direct.body?.cancel();
  assert.equal(direct.status, 404, "the registry must not serve the foreign layer itself");
  return foreign.digest;
}

describe("non-distributable layers", () => {
  test("a layer the registry does not serve comes from its descriptor's urls, verified", async () => {
    const digest = await pushWithForeignLayer("foreign", (d) => `http://${host}/v2/busybox/blobs/${d}`);
    const root = tempDir("wharf-pull-foreign-");
    const r = await pull(root, [`${host}/foreign:latest`]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, new RegExp(`${digest.slice(7, 19)}: Pull complete`));
    const store = await Store.open({ root });
    try {
      const image = store.read((rec) => rec.byTag(`${host}/foreign:latest`));
      const layer = image?.layers.find((l) => l.digest === digest);
      assert.equal(layer?.mediaType, NONDISTRIBUTABLE);
      assert.ok(await store.blobs.has(digest as Digest), "the layer's blob is in the store");
    } finally {
      store.close();
    }
    assert.equal((await wharf(["--root", root, "system", "check"])).code, 0);
  });

  test("neither the registry nor any URL has it: one line naming the layer, nothing stored", async () => {
    const digest = await pushWithForeignLayer("foreign-gone", (d) => `http://${host}/v2/nowhere/blobs/${d}`);
    const root = tempDir("wharf-pull-foreign-gone-");
    const r = await pull(root, [`${host}/foreign-gone:latest`]);
    assert.equal(r.code, 1, r.output);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0]!,
      new RegExp(`non-distributable layer ${digest}: not on the registry .* nor at its URLs`),
    );
    const listed = await wharf(["--root", root, "images", "-q"]);
    assert.equal(listed.stdout, "");
  });
});
