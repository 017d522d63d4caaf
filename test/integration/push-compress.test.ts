/**
 * `docker save | wharf load | wharf push`: the loaded layers are plain tars, and they go to the
 * registry gzip-compressed, as docker pushes them, under a manifest that names the compressed blobs
 * with the gzip media types (compared with what docker push sends for the same image). The image gets
 * the RepoDigest of what was pushed, the store stays consistent, docker pulls the result back as the
 * same image, a second push finds the compressed blobs (Layer already exists / Mounted from) without
 * a new digest, and a pulled image still goes byte for byte. Also: an index whose image has plain tar
 * layers (`wharf copy --all` to a registry), and the memory a large plain layer's push takes.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { pushFixtures, startDistribution } from "../helpers/distribution.ts";
import { type Dockerd, runOk, startDockerd } from "../helpers/dockerd.ts";
import { writeRandomLayout } from "../helpers/random-image.ts";
import { WHARF_MAIN, wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";

const registry = await startDistribution();
await pushFixtures(registry.host);
const dockerd: Dockerd = await startDockerd({ insecureRegistries: [registry.host] });
const REG = registry.host;
const BUSYBOX_ID = "sha256:1c03f4e795fd19db4fa0c25496cd2f696994f6798cbf12e04ae981d4143ae7a5";
const GZIP_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";

const work = tempDir("wharf-push-compress-");
const root = join(work, "root");

async function ok(args: string[]): Promise<string> {
  const r = await wharf(["--root", root, ...args]);
  assert.equal(r.code, 0, `wharf ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

interface Manifest {
  mediaType: string;
  config: { digest: string };
  layers: { mediaType: string; digest: string; size: number }[];
  manifests?: { digest: string; size: number; mediaType: string }[];
}

async function fetchBytes(path: string, accept?: string): Promise<Buffer> {
  const res = await fetch(`http://${REG}${path}`, accept ? { headers: { accept } } : {});
  assert.equal(res.status, 200, `GET ${path}`);
  return Buffer.from(await res.arrayBuffer());
}

const ACCEPT = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");

async function manifestAt(repo: string, reference: string): Promise<{ value: Manifest; digest: string }> {
  const bytes = await fetchBytes(`/v2/${repo}/manifests/${reference}`, ACCEPT);
  return { value: JSON.parse(bytes.toString()) as Manifest, digest: sha256(bytes) };
}

const sha256 = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/** Every layer of the pushed manifest is a gzip blob whose tar is the config's diff ID. */
async function checkCompressed(repo: string, manifest: Manifest, layerMediaType: string): Promise<number> {
  const config = JSON.parse((await fetchBytes(`/v2/${repo}/blobs/${manifest.config.digest}`)).toString()) as {
    rootfs: { diff_ids: string[] };
  };
  let total = 0;
  for (const [i, layer] of manifest.layers.entries()) {
    assert.equal(layer.mediaType, layerMediaType);
    const blob = await fetchBytes(`/v2/${repo}/blobs/${layer.digest}`);
    assert.equal(blob.byteLength, layer.size);
    assert.deepEqual([...blob.subarray(0, 2)], [0x1f, 0x8b], "a gzip stream");
    assert.equal(sha256(gunzipSync(blob)), config.rootfs.diff_ids[i]);
    total += blob.byteLength;
  }
  return total;
}

before(async () => {
  await dockerd.dockerOk(["pull", "-q", `${REG}/busybox:v2s2`]);
  const archive = join(work, "docker-save.tar");
  await dockerd.dockerOk(["save", "-o", archive, `${REG}/busybox:v2s2`]);
  await ok(["load", "-q", "-i", archive]);
  await ok(["tag", `${REG}/busybox:v2s2`, `${REG}/loaded/app:1`]);
});

describe("an image loaded from docker save", () => {
  let pushedDigest = "";

  test("is pushed with gzip layers, as docker pushes it; the RepoDigest is what was pushed", async () => {
    const stored = JSON.parse(await ok(["image", "inspect", `${REG}/loaded/app:1`])) as unknown[];
    assert.equal(stored.length, 1);
    const out = await ok(["push", `${REG}/loaded/app:1`]);
    assert.match(out, /: Pushed\n/);
    const { value, digest } = await manifestAt("loaded/app", "1");
    pushedDigest = digest;
    assert.match(out, new RegExp(`^1: digest: ${digest} size: \\d+$`, "m"));
    const compressed = await checkCompressed("loaded/app", value, GZIP_LAYER);
    // What a loaded layer takes uncompressed: the store's manifest of the image.
    const local = JSON.parse(
      await ok(["image", "inspect", "--format", "{{json .RootFS.Layers}}", `${REG}/loaded/app:1`]),
    ) as string[];
    assert.equal(local.length, value.layers.length);
    const archiveLayers = JSON.parse(
      (await runOk("tar", ["xOf", join(work, "docker-save.tar"), "manifest.json"])).stdout,
    ) as { Layers: string[] }[];
    let uncompressed = 0;
    for (const path of archiveLayers[0]!.Layers) {
      uncompressed += (
        await runOk("sh", ["-c", `tar xOf ${join(work, "docker-save.tar")} ${path} | wc -c`])
      ).stdout
        .trim()
        .split(/\s+/)
        .map(Number)[0]!;
    }
    assert.ok(compressed * 1.5 < uncompressed, `pushed ${compressed} bytes for ${uncompressed} uncompressed`);
    // docker push of the same image: the same media types, the same number of layers.
    await dockerd.dockerOk(["tag", `${REG}/busybox:v2s2`, `${REG}/by-docker/app:1`]);
    await dockerd.dockerOk(["push", `${REG}/by-docker/app:1`]);
    const ofDocker = (await manifestAt("by-docker/app", "1")).value;
    assert.deepEqual(
      [value.mediaType, value.layers.map((l) => l.mediaType)],
      [ofDocker.mediaType, ofDocker.layers.map((l) => l.mediaType)],
    );
    const repoDigests = await ok([
      "image",
      "inspect",
      "--format",
      "{{json .RepoDigests}}",
      `${REG}/loaded/app:1`,
    ]);
    assert.ok(JSON.parse(repoDigests).includes(`${REG}/loaded/app@${digest}`), repoDigests);
    assert.match(await ok(["system", "check"]), /no problems/);
  });

  test("docker pulls it back as the same image", async () => {
    await dockerd.dockerOk(["pull", "-q", `${REG}/loaded/app:1`]);
    const id = await dockerd.dockerOk(["image", "inspect", "--format", "{{.Id}}", `${REG}/loaded/app:1`]);
    assert.equal(id.stdout.trim(), BUSYBOX_ID);
  });

  test("a second push finds the compressed blobs: same repository exists, another mounts; same digest", async () => {
    const again = await ok(["push", `${REG}/loaded/app:1`]);
    assert.equal((again.match(/: Layer already exists\n/g) ?? []).length, 3, again);
    assert.match(again, new RegExp(`^1: digest: ${pushedDigest} `, "m"));
    await ok(["tag", `${REG}/loaded/app:1`, `${REG}/other/app:2`]);
    const other = await ok(["push", `${REG}/other/app:2`]);
    assert.equal((other.match(/: Mounted from loaded\/app\n/g) ?? []).length, 3, other);
    assert.match(other, new RegExp(`^2: digest: ${pushedDigest} `, "m"));
  });

  test("a pulled image (gzip layers) still goes byte for byte: its digest is kept", async () => {
    await ok(["pull", "-q", `${REG}/busybox:latest`]);
    const pulled = await manifestAt("busybox", "latest");
    await ok(["tag", `${REG}/busybox:latest`, `${REG}/kept/app:1`]);
    const out = await ok(["push", `${REG}/kept/app:1`]);
    assert.match(out, new RegExp(`^1: digest: ${pulled.digest} `, "m"));
    assert.equal((await manifestAt("kept/app", "1")).digest, pulled.digest);
  });
});

describe("plain tar layers elsewhere", () => {
  test("an index copied with --all names its rewritten platform manifest", async () => {
    const layout = await writeRandomLayout(join(work, "plain-index"), [16, 8], { gzip: false });
    const blobs = join(layout.dir, "blobs", "sha256");
    const index = JSON.parse(readFileSync(join(layout.dir, "index.json"), "utf8")) as {
      manifests: Record<string, unknown>[];
    };
    const { annotations: _ignored, ...child } = index.manifests[0]!;
    const imageIndex = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.index.v1+json",
        manifests: [{ ...child, platform: { architecture: "amd64", os: "linux" } }],
      }),
    );
    const indexDigest = sha256(imageIndex);
    writeFileSync(join(blobs, indexDigest.slice(7)), imageIndex);
    writeFileSync(
      join(layout.dir, "index.json"),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: "application/vnd.oci.image.index.v1+json",
            digest: indexDigest,
            size: imageIndex.byteLength,
            annotations: { "org.opencontainers.image.ref.name": "latest" },
          },
        ],
      }),
    );
    await ok(["copy", "-q", "--all", `oci:${layout.dir}:latest`, `docker://${REG}/plain/index:1`]);
    const pushed = await manifestAt("plain/index", "1");
    assert.notEqual(pushed.digest, indexDigest, "the index names another manifest now");
    const entry = pushed.value.manifests![0]!;
    const platformManifest = await manifestAt("plain/index", entry.digest);
    assert.equal(platformManifest.digest, entry.digest);
    await checkCompressed(
      "plain/index",
      platformManifest.value,
      "application/vnd.oci.image.layer.v1.tar+gzip",
    );
  });

  test("a large plain layer is pushed in bounded memory", async () => {
    /** Peak RSS (KiB) of pushing an image of one plain layer of `mib` MiB. */
    const pushRss = async (mib: number) => {
      const layout = await writeRandomLayout(join(work, `plain-${mib}`), [mib * 1024], { gzip: false });
      await ok(["copy", "-q", `oci:${layout.dir}:latest`, `${REG}/large/app:${mib}`]);
      const r = await runOk("/usr/bin/time", [
        "-f",
        "maxrss=%M",
        process.execPath,
        WHARF_MAIN,
        "--root",
        root,
        "push",
        "-q",
        `${REG}/large/app:${mib}`,
      ]);
      const { value } = await manifestAt("large/app", String(mib));
      assert.equal(value.layers[0]?.mediaType, "application/vnd.oci.image.layer.v1.tar+gzip");
      const rss = Number(/maxrss=(\d+)/.exec(r.stderr)?.[1]);
      assert.ok(rss > 0, r.stderr);
      return rss;
    };
    const small = await pushRss(8);
    const large = await pushRss(192);
    // Holding the 192 MiB layer (or its gzip form) would add more than that to the peak.
    assert.ok(large - small < 64 * 1024, `peak RSS ${small} KiB for 8 MiB, ${large} KiB for 192 MiB`);
  });
});
