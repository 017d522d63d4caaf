/** ChainIDs and Docker's layer sizes (what a layer's files take once unpacked). */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { chainId, chainIds, UnpackedSizeCounter, unpackedSizeOfFile } from "../../src/images/index.ts";
import { type Digest, digestBytes } from "../../src/oci/digest.ts";
import { FIXTURES_DIR } from "../corpus.ts";
import { tempDir } from "../helpers/tmp.ts";

const BUSYBOX = join(FIXTURES_DIR, "oci/busybox/blobs/sha256");
const DIFF_IDS = [
  "sha256:358fca316c443fd09d6e517c0d10cfc378f7111fda4dfd0fe3dd1fdacc0499b0",
  "sha256:7aedd9cd15543ec9ab72716ce82943503dd48ae38011383c0d9df7f66647fc2e",
  "sha256:a3815f279023a5ec5f2d2f3c3083e881f859d2caaa1b22b1053f9290288d4ce2",
] as Digest[];

test("ChainIDs follow image-spec: the first is the diff ID, then sha256(previous + ' ' + diffID)", () => {
  const chains = chainIds(DIFF_IDS);
  assert.equal(chains[0], DIFF_IDS[0]);
  assert.equal(chains[1], digestBytes(`${DIFF_IDS[0]} ${DIFF_IDS[1]}`));
  assert.equal(chains[2], digestBytes(`${chains[1]} ${DIFF_IDS[2]}`));
  // The layer IDs Docker printed when it deleted busybox (32-image-prune-a.txt), top first.
  assert.deepEqual(chains.toReversed(), [
    "sha256:dbfa4c7f84c4ae685a7c1288ef242cf92b02e14bfa97827a679dd2cade07a9f1",
    "sha256:fe1171ba450a53062a7cc28bfed7b205371ac4d901dc11f69d1606d0d93badc0",
    "sha256:358fca316c443fd09d6e517c0d10cfc378f7111fda4dfd0fe3dd1fdacc0499b0",
  ]);
  assert.equal(chainId(DIFF_IDS), chains[2]);
  assert.equal(chainId([]), undefined);
});

test("busybox's layers are as big as Docker says: 1.99MB, 122B, 65.6kB, 2,051,177 bytes in all", async () => {
  const media = "application/vnd.oci.image.layer.v1.tar+gzip";
  const sizes = await Promise.all(
    [
      "2800f364f59f5f75afc6ace53a5d734dedf3439e044a83f09a0693194d801684",
      "2987cd55610bb8575fec2f73d3c57816785910867c82775d96930b5198c5b96c",
      "08628fc2a8e650043ab7c94c10fb71875bd96ab2f2cf0b52b9d85f6eb84affff",
    ].map((h) => unpackedSizeOfFile(join(BUSYBOX, h), media)),
  );
  assert.deepEqual(sizes, [1_985_472, 122, 65_583]);
  assert.equal(
    sizes.reduce((a, b) => a + b),
    2_051_177,
  );
});

/** A tar made by GNU tar from real files: regular, hard link, symlink, directory, long name, whiteout. */
function gnuTar(format: "gnu" | "pax" | "ustar"): Buffer {
  const dir = tempDir();
  const root = join(dir, "root");
  mkdirSync(join(root, "etc/sub"), { recursive: true });
  writeFileSync(join(root, "etc/a"), "x".repeat(1000));
  linkSync(join(root, "etc/a"), join(root, "etc/a-hardlink"));
  symlinkSync("../etc/a", join(root, "etc/sub/link"));
  writeFileSync(join(root, "etc/.wh.removed"), "");
  writeFileSync(join(root, "etc/empty"), "");
  const long = `${"d".repeat(60)}/${"f".repeat(90)}`;
  mkdirSync(join(root, "d".repeat(60)));
  writeFileSync(join(root, long), "y".repeat(700));
  const out = join(dir, "layer.tar");
  const r = spawnSync("tar", [`--format=${format}`, "-C", root, "-cf", out, "."], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return readFileSync(out);
}

const EXPECTED = 1000 + "../etc/a".length + 700;

test("regular files, symlink targets, hard links once, no directories or whiteouts; GNU, PAX and ustar tars", () => {
  for (const format of ["gnu", "pax", "ustar"] as const) {
    const tar = gnuTar(format);
    const whole = new UnpackedSizeCounter();
    whole.update(tar);
    assert.equal(whole.total, EXPECTED, format);
    // Chunk boundaries anywhere (inside headers, data and padding) change nothing.
    for (const step of [1, 7, 511, 513, 4096]) {
      const counter = new UnpackedSizeCounter();
      for (let i = 0; i < tar.length; i += step) counter.update(tar.subarray(i, i + step));
      assert.equal(counter.total, EXPECTED, `${format} in chunks of ${step}`);
    }
  }
});

/** One ustar header block (checksum not needed by the counter). */
function header(name: string, type: string, size: number, link = ""): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, "utf8");
  h.write(`${size.toString(8).padStart(11, "0")}\0`, 124, "latin1");
  h.write(type, 156, "latin1");
  h.write(link, 157, "utf8");
  h.write("ustar\0", 257, "latin1");
  h.write("00", 263, "latin1");
  return h;
}

function entry(name: string, type: string, data: Buffer | string, link = ""): Buffer {
  const body = Buffer.from(data);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([header(name, type, body.length, link), body, pad]);
}

function pax(records: Record<string, string>): Buffer {
  let text = "";
  for (const [k, v] of Object.entries(records)) {
    const core = ` ${k}=${v}\n`;
    let len = core.length + 1;
    while (String(len).length + core.length !== len) len = String(len).length + core.length;
    text += `${len}${core}`;
  }
  return entry("PaxHeaders/x", "x", text);
}

test("a file written twice counts once (the last), PAX overrides path and linkpath, end blocks stop the count", () => {
  const tar = Buffer.concat([
    entry("./a", "0", "1".repeat(10)),
    entry("a", "0", "2".repeat(30)),
    pax({ path: `long/${"p".repeat(200)}`, linkpath: "t".repeat(150) }),
    entry("short", "2", "", "ignored"),
    entry("dir/", "5", ""),
    entry("dev", "3", ""),
    Buffer.alloc(1024),
    entry("after-the-end", "0", "z".repeat(99)),
  ]);
  const counter = new UnpackedSizeCounter();
  counter.update(tar);
  assert.equal(counter.total, 30 + 150);
});

test("a gzip-compressed or uncompressed layer blob is read as its media type says", async () => {
  const dir = tempDir();
  const tar = Buffer.concat([entry("f", "0", "q".repeat(5000)), Buffer.alloc(1024)]);
  writeFileSync(join(dir, "plain"), tar);
  writeFileSync(join(dir, "gz"), gzipSync(tar));
  assert.equal(await unpackedSizeOfFile(join(dir, "plain"), "application/vnd.oci.image.layer.v1.tar"), 5000);
  assert.equal(
    await unpackedSizeOfFile(join(dir, "gz"), "application/vnd.docker.image.rootfs.diff.tar.gzip"),
    5000,
  );
});
