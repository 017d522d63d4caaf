/**
 * `wharf save` and `wharf load` against Docker itself (dockerd 20.10): what wharf saves, `docker load`
 * takes with the same image ID and tags (layers kept compressed: gzip, and zstd); what `docker save`
 * writes (Docker 20's `<id>/layer.tar` format), wharf loads with the same image ID and tags.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { type Dockerd, runOk, startDockerd } from "../helpers/dockerd.ts";
import { WHARF_MAIN, wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";

const FIXTURES = join(import.meta.dirname, "../../../shared/fixtures/oci");
const BUSYBOX_ID = "sha256:1c03f4e795fd19db4fa0c25496cd2f696994f6798cbf12e04ae981d4143ae7a5";

// Started once for the file (its helper stops it when the file finishes).
const dockerd: Dockerd = await startDockerd({ insecureRegistries: [] });
const work = tempDir("wharf-archive-docker-");
/** A store with busybox:latest, busybox:second (same image) and busybox:zstd (zstd layers). */
const root = join(work, "root");

async function wharfOk(args: string[]): Promise<string> {
  const r = await wharf(["--root", root, ...args]);
  assert.equal(r.code, 0, `wharf ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  await wharfOk(["copy", "-q", `oci:${FIXTURES}/busybox:latest`, "busybox:latest"]);
  await wharfOk(["tag", "busybox:latest", "busybox:second"]);
  const zstdLayout = join(work, "zstd");
  await runOk("skopeo", [
    "copy",
    "--quiet",
    "--dest-compress-format",
    "zstd",
    `oci:${FIXTURES}/busybox:latest`,
    `oci:${zstdLayout}:latest`,
  ]);
  await wharfOk(["copy", "-q", `oci:${zstdLayout}:latest`, "busybox:zstd"]);
});

const dockerId = async (name: string) =>
  (await dockerd.dockerOk(["image", "inspect", "--format", "{{.Id}}", name])).stdout.trim();

describe("wharf save -> docker load", () => {
  test("two tags of one image and gzip layers: docker load prints both, same image ID", async () => {
    const file = join(work, "save-gzip.tar");
    await wharfOk(["save", "-o", file, "busybox:latest", "busybox:second"]);
    const r = await dockerd.dockerOk(["load", "-i", file]);
    assert.equal(r.stdout, "Loaded image: busybox:latest\nLoaded image: busybox:second\n");
    assert.equal(await dockerId("busybox:latest"), BUSYBOX_ID);
    assert.equal(await dockerId("busybox:second"), BUSYBOX_ID);
    await dockerd.dockerOk(["rmi", "busybox:latest", "busybox:second"]);
  });

  test("zstd layers are written decompressed (Docker 20 cannot read zstd): same image ID", async () => {
    const file = join(work, "save-zstd.tar");
    await wharfOk(["save", "-o", file, "busybox:zstd"]);
    const manifest = await runOk("tar", ["xOf", file, "manifest.json"]);
    const first = (JSON.parse(manifest.stdout) as { Layers: string[] }[])[0]?.Layers[0] ?? "";
    const head = await runOk("sh", ["-c", `tar xOf ${file} ${first} | head -c 262 | tail -c 5`]);
    assert.equal(head.stdout, "ustar", "the layer file is a plain tar");
    const r = await dockerd.docker(["load", "-i", file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "Loaded image: busybox:zstd\n");
    assert.equal(await dockerId("busybox:zstd"), BUSYBOX_ID);
    await dockerd.dockerOk(["rmi", "busybox:zstd"]);
  });

  test("to stdout, piped into docker load", async () => {
    const save = spawn(process.execPath, [WHARF_MAIN, "--root", root, "save", "busybox:latest"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const load = spawn("docker", ["-H", dockerd.host, "load"], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, DOCKER_CONFIG: dockerd.newConfigDir() },
    });
    save.stdout.pipe(load.stdin);
    let out = "";
    load.stdout.on("data", (d) => {
      out += d;
    });
    const code = await new Promise((resolve) => load.once("close", resolve));
    assert.equal(code, 0);
    assert.equal(out, "Loaded image: busybox:latest\n");
    assert.equal(await dockerId("busybox:latest"), BUSYBOX_ID);
  });
});

describe("docker save -> wharf load", () => {
  test("Docker 20's archive (<id>/layer.tar, uncompressed): same image ID and tags", async () => {
    await dockerd.dockerOk(["tag", "busybox:latest", "example.com/team/busybox:v1"]);
    const file = join(work, "docker-saved.tar");
    await dockerd.dockerOk(["save", "-o", file, "busybox:latest", "example.com/team/busybox:v1"]);
    const fresh = tempDir();
    const r = await wharf(["--root", fresh, "load", "-i", file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "Loaded image: busybox:latest\nLoaded image: example.com/team/busybox:v1\n");
    for (const name of ["busybox:latest", "example.com/team/busybox:v1"]) {
      const id = await wharf(["--root", fresh, "inspect", "--format", "{{.Id}}", name]);
      assert.equal(id.stdout.trim(), BUSYBOX_ID, id.stderr);
    }
    const check = await wharf(["--root", fresh, "system", "check"]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
  });

  test("from stdin, and saved again by wharf for docker: a round trip keeps the ID", async () => {
    const file = join(work, "docker-saved-2.tar");
    await dockerd.dockerOk(["save", "-o", file, "busybox:latest"]);
    const fresh = tempDir();
    const load = spawn(process.execPath, [WHARF_MAIN, "--root", fresh, "load"], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    createReadStream(file).pipe(load.stdin);
    let out = "";
    let err = "";
    load.stdout.on("data", (d) => {
      out += d;
    });
    load.stderr.on("data", (d) => {
      err += d;
    });
    assert.equal(await new Promise((resolve) => load.once("close", resolve)), 0, err);
    assert.equal(out, "Loaded image: busybox:latest\n");
    const again = join(work, "resaved.tar");
    assert.equal((await wharf(["--root", fresh, "save", "-o", again, "busybox"])).code, 0);
    await dockerd.dockerOk(["rmi", "busybox:latest"]);
    assert.equal((await dockerd.dockerOk(["load", "-i", again])).stdout, "Loaded image: busybox:latest\n");
    assert.equal(await dockerId("busybox:latest"), BUSYBOX_ID);
  });
});
