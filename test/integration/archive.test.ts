/**
 * Archives and OCI layouts with skopeo as the peer: skopeo's docker-archive and oci-archive loaded by
 * wharf, wharf's oci-archive read by skopeo, `oci:` layouts round-tripped with digests intact (an
 * index with --all too), compressed input (gzip, zstd, from stdin), and malformed or truncated
 * archives refused with one line and nothing left behind.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { runOk } from "../helpers/dockerd.ts";
import { WHARF_MAIN, wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";

const FIXTURES = join(import.meta.dirname, "../../../shared/fixtures/oci");
const BUSYBOX_ID = "sha256:1c03f4e795fd19db4fa0c25496cd2f696994f6798cbf12e04ae981d4143ae7a5";
const BUSYBOX_MANIFEST = "sha256:38c6850f878edc2669a36b99bec15cab8aa8ac3f682f9c89c0f51b761848d5da";
const MULTI_INDEX = "sha256:c94552dc6a235959cd41db2bbaf18bab61e4709dfcbbbe4b8157f9ff5c239834";

const work = tempDir("wharf-archive-");
/** wharf's temporary files go here, so that a test can see none is left. */
const tmp = join(work, "tmp");
mkdirSync(tmp);
const env = { ...process.env, TMPDIR: tmp };
/** wharf's own temporary files (node keeps its compile cache there too). */
const leftovers = () => readdirSync(tmp).filter((n) => n.startsWith("wharf-"));

const run = (root: string, args: string[], input?: string) =>
  wharf(["--root", root, ...args], { env, ...(input === undefined ? {} : { input }) });

async function ok(root: string, args: string[]): Promise<string> {
  const r = await run(root, args);
  assert.equal(r.code, 0, `wharf ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

const imageId = async (root: string, name: string) =>
  (await ok(root, ["inspect", "--format", "{{.Id}}", name])).trim();

const skopeoDigest = async (ref: string) =>
  (JSON.parse((await runOk("skopeo", ["inspect", ref])).stdout) as { Digest: string }).Digest;

/** A store holding busybox:latest (from the fixture). */
async function storeWithBusybox(): Promise<string> {
  const root = tempDir();
  await ok(root, ["copy", "-q", `oci:${FIXTURES}/busybox:latest`, "busybox:latest"]);
  return root;
}

describe("skopeo's archives -> wharf load", () => {
  test("docker-archive (skopeo's <digest>.tar layout): tag and image ID", async () => {
    const file = join(work, "skopeo-docker.tar");
    await runOk("skopeo", [
      "copy",
      "-q",
      `oci:${FIXTURES}/busybox:latest`,
      `docker-archive:${file}:busybox:sk`,
    ]);
    const root = tempDir();
    assert.equal(await ok(root, ["load", "-i", file]), "Loaded image: busybox:sk\n");
    assert.equal(await imageId(root, "busybox:sk"), BUSYBOX_ID);
  });

  test("oci-archive with a bare ref name: loaded without a name, by ID", async () => {
    const file = join(work, "skopeo-oci.tar");
    await runOk("skopeo", ["copy", "-q", `oci:${FIXTURES}/busybox:latest`, `oci-archive:${file}:latest`]);
    const root = tempDir();
    assert.equal(await ok(root, ["load", "-q", "-i", file]), `Loaded image ID: ${BUSYBOX_ID}\n`);
    assert.equal(await imageId(root, BUSYBOX_ID.slice(7, 19)), BUSYBOX_ID);
  });
});

describe("wharf save --format oci -> skopeo", () => {
  test("skopeo reads the oci-archive: same manifest digest", async () => {
    const root = await storeWithBusybox();
    const file = join(work, "wharf-oci.tar");
    await ok(root, ["save", "--format", "oci", "-o", file, "busybox:latest"]);
    assert.equal(await skopeoDigest(`oci-archive:${file}:latest`), BUSYBOX_MANIFEST);
    // And back: wharf loads its own oci-archive under the name it saved.
    const fresh = tempDir();
    assert.equal(await ok(fresh, ["load", "-i", file]), "Loaded image: busybox:latest\n");
  });
});

describe("oci: layouts with skopeo", () => {
  test("wharf copy oci: -> oci:, then skopeo: digests identical, entries added and replaced", async () => {
    const dir = join(work, "layout-a");
    await ok(tempDir(), ["copy", "-q", `oci:${FIXTURES}/busybox:latest`, `oci:${dir}:v1`]);
    assert.equal(await skopeoDigest(`oci:${dir}:v1`), BUSYBOX_MANIFEST);
    await ok(tempDir(), ["copy", "-q", `oci:${FIXTURES}/busybox:latest`, `oci:${dir}:v2`]);
    await ok(tempDir(), ["copy", "-q", `oci:${FIXTURES}/busybox:latest`, `oci:${dir}:v1`]);
    const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as {
      manifests: { annotations: Record<string, string> }[];
    };
    const names = index.manifests.map((m) => m.annotations["org.opencontainers.image.ref.name"]);
    assert.deepEqual(names.sort(), ["v1", "v2"]);
    // skopeo copies what wharf wrote, and wharf reads what skopeo wrote.
    const back = join(work, "layout-b");
    await runOk("skopeo", ["copy", "-q", `oci:${dir}:v2`, `oci:${back}:x`]);
    const root = tempDir();
    await ok(root, ["copy", "-q", `oci:${back}:x`, "busybox:back"]);
    assert.equal(await imageId(root, "busybox:back"), BUSYBOX_ID);
  });

  test("--all keeps the index digest both ways", async () => {
    const dir = join(work, "layout-multi");
    await ok(tempDir(), ["copy", "-q", "--all", `oci:${FIXTURES}/busybox-multi:latest`, `oci:${dir}:latest`]);
    const raw = (await runOk("skopeo", ["inspect", "--raw", `oci:${dir}:latest`])).stdout;
    assert.equal(`sha256:${createHash("sha256").update(raw).digest("hex")}`, MULTI_INDEX);
    const skopeoDir = join(work, "layout-multi-skopeo");
    await runOk("skopeo", ["copy", "-q", "--all", `oci:${dir}:latest`, `oci:${skopeoDir}:m`]);
    const archive = join(work, "multi.tar");
    await ok(tempDir(), ["copy", "-q", "--all", `oci:${skopeoDir}:m`, `oci-archive:${archive}:m`]);
    const index = JSON.parse((await runOk("tar", ["xOf", archive, "index.json"])).stdout) as {
      manifests: { digest: string }[];
    };
    assert.equal(index.manifests[0]?.digest, MULTI_INDEX);
    await runOk("skopeo", [
      "copy",
      "-q",
      "--all",
      `oci-archive:${archive}:m`,
      `oci:${join(work, "multi-out")}:z`,
    ]);
  });
});

describe("compressed and piped input", () => {
  test("gzip and zstd archives, from a file and from stdin", async () => {
    const root = await storeWithBusybox();
    const file = join(work, "plain.tar");
    await ok(root, ["save", "-o", file, "busybox:latest"]);
    const plain = readFileSync(file);
    writeFileSync(join(work, "saved.tar.gz"), gzipSync(plain));
    writeFileSync(join(work, "saved.tar.zst"), zstdCompressSync(plain));
    for (const name of ["saved.tar.gz", "saved.tar.zst"]) {
      const fresh = tempDir();
      assert.equal(await ok(fresh, ["load", "-i", join(work, name)]), "Loaded image: busybox:latest\n");
      assert.equal(await imageId(fresh, "busybox:latest"), BUSYBOX_ID);
    }
    const fresh = tempDir();
    const piped = await runOk(
      "sh",
      [
        "-c",
        `"${process.execPath}" "${WHARF_MAIN}" --root "${fresh}" load < "${join(work, "saved.tar.zst")}"`,
      ],
      { env },
    );
    assert.equal(piped.stdout, "Loaded image: busybox:latest\n");
    assert.deepEqual(leftovers(), [], "no temporary file left");
  });
});

describe("load on a terminal", () => {
  test("a Loading layer line per layer, redrawn in place, then the result (util-linux script gives a pty)", async () => {
    const root = await storeWithBusybox();
    const file = join(work, "tty.tar");
    await ok(root, ["save", "-o", file, "busybox:latest"]);
    const fresh = tempDir();
    const command = `"${process.execPath}" "${WHARF_MAIN}" --root "${fresh}" load -i "${file}"`;
    const r = await runOk("script", ["-qec", command, "/dev/null"], { env });
    const layers = new Set(
      [...r.stdout.matchAll(/([0-9a-f]{12}): Loading layer +[0-9.]+[kMG]?B\/[0-9.]+[kMG]?B/g)].map(
        (m) => m[1],
      ),
    );
    assert.equal(layers.size, 3, r.stdout);
    const ESC = String.fromCharCode(27);
    assert.ok(r.stdout.includes(`${ESC}[2K\r`), "lines are redrawn in place with cursor movements");
    assert.match(r.stdout, /Loaded image: busybox:latest\r?\n$/);
    assert.equal(await imageId(fresh, "busybox:latest"), BUSYBOX_ID);
  });
});

describe("interrupted", () => {
  test("Ctrl-C while load spools stdin: exit 130, its temporary directory removed", async () => {
    const fresh = tempDir();
    const child = spawn(process.execPath, [WHARF_MAIN, "--root", fresh, "load"], {
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) =>
      child.once("exit", (code, signal) => resolve(code ?? (signal === "SIGINT" ? 130 : null))),
    );
    // The start of a gzip stream, and then nothing: wharf is spooling it to a temporary file.
    child.stdin.write(gzipSync(Buffer.alloc(1 << 16)).subarray(0, 1024));
    for (let i = 0; i < 200 && leftovers().length === 0; i += 1) await new Promise((r) => setTimeout(r, 25));
    assert.ok(leftovers().length > 0, "the spool file appeared");
    child.kill("SIGINT");
    assert.equal(await exited, 130);
    assert.deepEqual(leftovers(), [], "nothing left in TMPDIR");
    assert.equal(await ok(fresh, ["images", "-q"]), "");
  });
});

describe("malformed archives are refused with one line, nothing left behind", () => {
  const loadFails = async (file: string, message: RegExp) => {
    const root = tempDir();
    const r = await run(root, ["load", "-i", file]);
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(await ok(root, ["images", "-q"]), "", "no image was imported");
    assert.deepEqual(leftovers(), [], "no temporary file left");
  };

  test("truncated tar", async () => {
    const root = await storeWithBusybox();
    const file = join(work, "truncated.tar");
    await ok(root, ["save", "-o", file, "busybox:latest"]);
    truncateSync(file, Math.floor(statSync(file).size / 2));
    // dockerd's words (its untar stops at the cut); no "Error response from daemon: " before them.
    await loadFails(file, /^Error processing tar file\(exit status 1\): unexpected EOF\n$/);
  });

  test("not an image archive (no manifest.json, no index.json)", async () => {
    const dir = join(work, "junk");
    mkdirSync(dir);
    writeFileSync(join(dir, "hello.txt"), "hello");
    const file = join(work, "junk.tar");
    await runOk("tar", ["cf", file, "-C", dir, "hello.txt"]);
    await loadFails(file, /^open \S+\/docker-import-\d+\/repositories: no such file or directory\n$/);
  });

  /** busybox:latest saved by wharf and unpacked into `work/name`, to be damaged and packed again. */
  const unpackedSave = async (name: string) => {
    const root = await storeWithBusybox();
    const dir = join(work, name);
    mkdirSync(dir);
    await ok(root, ["save", "-o", join(dir, "x.tar"), "busybox:latest"]);
    await runOk("tar", ["xf", join(dir, "x.tar"), "-C", dir]);
    return dir;
  };

  test("a layer path manifest.json names that the archive lacks", async () => {
    const dir = await unpackedSave("missing-layer");
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { Layers: string[] }[];
    (manifest[0] as { Layers: string[] }).Layers[1] = "nowhere/layer.tar";
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
    const file = join(work, "missing-layer.tar");
    await runOk("tar", ["cf", file, "-C", dir, "manifest.json", "blobs"]);
    await loadFails(file, /layer nowhere\/layer\.tar is not in the archive/);
  });

  test("a blob whose content does not match its digest", async () => {
    const dir = await unpackedSave("corrupt");
    const blob = join(dir, "blobs/sha256/08628fc2a8e650043ab7c94c10fb71875bd96ab2f2cf0b52b9d85f6eb84affff");
    const bytes = readFileSync(blob);
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 0xff;
    writeFileSync(blob, bytes);
    const file = join(work, "corrupt.tar");
    await runOk("tar", ["cf", file, "-C", dir, "manifest.json", "index.json", "oci-layout", "blobs"]);
    await loadFails(file, /invalid archive .*corrupt\.tar: digest mismatch/);
  });

  test("docker's words for bad paths and terminals: exit 1, one line", async () => {
    const root = await storeWithBusybox();
    const missingDir = join(work, "no-such-dir");
    const save = await run(root, ["save", "-o", join(missingDir, "x.tar"), "busybox:latest"]);
    assert.deepEqual(
      [save.code, save.stderr],
      [1, `failed to save image: invalid output path: stat ${missingDir}: no such file or directory\n`],
    );
    const load = await run(root, ["load", "-i", join(missingDir, "x.tar")]);
    assert.deepEqual(
      [load.code, load.stderr],
      [1, `open ${join(missingDir, "x.tar")}: no such file or directory\n`],
    );
    const command = `"${process.execPath}" "${WHARF_MAIN}" --root "${root}" save busybox:latest; echo "[exit $?]"`;
    const tty = await runOk("script", ["-qec", command, "/dev/null"], { env });
    assert.match(
      tty.stdout,
      /^cowardly refusing to save to a terminal\. Use the -o flag or redirect\r?\n\[exit 1\]/,
    );
  });

  test("a failed save leaves no file", async () => {
    const root = await storeWithBusybox();
    const out = join(work, "never");
    mkdirSync(out);
    const r = await run(root, ["save", "-o", join(out, "x.tar"), "busybox:latest", "nosuch:tag"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error response from daemon: No such image: nosuch:tag\n$/);
    assert.deepEqual(readdirSync(out), []);
  });
});
