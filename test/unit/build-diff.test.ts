import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { test } from "node:test";
import { gunzipSync, zstdDecompressSync } from "node:zlib";
import { extract, type Header } from "tar-stream";
import { type LayerCompression, type WrittenLayer, writeLayer } from "../../src/build/diff/index.ts";
import { tempDir } from "../helpers/tmp.ts";

const EMPTY_DIFF_ID = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";
const T = 1_600_000_000;

interface Entry {
  header: Header;
  data: Buffer;
}

function sha256(data: Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

function decompress(blob: Buffer, compression: LayerCompression): Buffer {
  if (compression === "gzip") return gunzipSync(blob);
  if (compression === "zstd") return zstdDecompressSync(blob);
  return blob;
}

async function readTar(tar: Buffer): Promise<Entry[]> {
  const entries: Entry[] = [];
  const ex = extract();
  Readable.from([tar]).pipe(ex);
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    entries.push({ header: entry.header, data: Buffer.concat(chunks) });
  }
  return entries;
}

async function layerEntries(outPath: string, compression: LayerCompression = "none"): Promise<Entry[]> {
  return readTar(decompress(readFileSync(outPath), compression));
}

function sh(cmd: string, ...args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")}: ${r.stderr}`);
}

/** A kernel overlay of `lowers` (top first) with a fresh upper; `body` runs while it is mounted. */
async function withOverlay(
  root: string,
  lowers: string[],
  body: (dirs: { upper: string; merged: string }) => Promise<void>,
): Promise<void> {
  const upper = join(root, "upper");
  const work = join(root, "work");
  const merged = join(root, "merged");
  for (const d of [upper, work, merged]) mkdirSync(d);
  const options = `lowerdir=${lowers.join(":")},upperdir=${upper},workdir=${work},index=off,redirect_dir=off,metacopy=off`;
  sh("mount", "-t", "overlay", "overlay", "-o", options, merged);
  try {
    await body({ upper, merged });
  } finally {
    const r = spawnSync("umount", [merged]);
    if (r.status !== 0) spawnSync("umount", ["-l", merged]);
  }
}

const names = (entries: Entry[]) => entries.map((e) => e.header.name);

/** The raw 512-byte header block of the entry named `name` in an uncompressed tar. */
function rawHeader(tar: Buffer, name: string): Buffer {
  for (let off = 0; off + 512 <= tar.length; ) {
    const block = tar.subarray(off, off + 512);
    const size = Number.parseInt(block.subarray(124, 135).toString("latin1"), 8) || 0;
    const field = block.subarray(0, 100);
    const blockName = field.subarray(0, field.includes(0) ? field.indexOf(0) : 100).toString("latin1");
    if (blockName === name) return block;
    off += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`no header ${name}`);
}

test("files, directories, symlinks, hard links, fifos and devices: every header field as Go writes it", async () => {
  const root = tempDir("wharf-diff-");
  const up = join(root, "up");
  mkdirSync(join(up, "a"), { recursive: true });
  writeFileSync(join(up, "a", "file"), "hello\n");
  chownSync(join(up, "a", "file"), 7, 8);
  chmodSync(join(up, "a", "file"), 0o4755); // after the chown, which clears setuid
  linkSync(join(up, "a", "file"), join(up, "a", "hard"));
  symlinkSync("../target", join(up, "a", "link"));
  sh("mknod", "-m", "0640", join(up, "fifo"), "p");
  sh("mknod", "-m", "0666", join(up, "null"), "c", "1", "3");
  sh("mknod", "-m", "0660", join(up, "blk"), "b", "7", "200");
  // Walk order, not full-path order: "b/x" comes before "b-c" ("b" < "b-c").
  mkdirSync(join(up, "b"));
  writeFileSync(join(up, "b", "x"), "");
  writeFileSync(join(up, "b-c"), "");
  mkdirSync(join(up, "t"), { mode: 0o1777 });
  chmodSync(join(up, "t"), 0o1777);
  const longDir = `long/${"d".repeat(60)}`;
  const longName = `${longDir}/${"f".repeat(90)}`; // 156 bytes: USTAR prefix + name
  mkdirSync(join(up, longDir), { recursive: true });
  writeFileSync(join(up, longName), "long");
  const unsplittable = "z".repeat(120); // no "/" to split at: a PAX path record
  writeFileSync(join(up, unsplittable), "");
  writeFileSync(join(up, "grüße.txt"), "non-ASCII"); // USTAR holds ASCII only: PAX
  const big = Buffer.from(Array.from({ length: 3 << 20 }, (_, i) => (i * 7) % 251));
  writeFileSync(join(up, "big.bin"), big); // bigger than one 1 MiB chunk, not a block multiple
  writeFileSync(join(up, "big.bin"), Buffer.concat([big, Buffer.from("tail")]));
  chownSync(join(up, "a"), 1000, 1001);
  chmodSync(join(up, "a"), 0o750);
  for (const p of ["a/file", "a", "b", "b/x", "b-c", "t", "fifo", "null", "blk", "big.bin", unsplittable]) {
    utimesSync(join(up, p), T, T + 0.9);
  }
  sh("touch", "-h", "-d", `@${T + 5}`, join(up, "a", "link"));

  const outPath = join(root, "layer.tar");
  const written = await writeLayer({ upperDir: up, lowerDirs: [], compression: "none", outPath });
  const tar = readFileSync(outPath);
  const entries = await readTar(tar);
  assert.deepEqual(names(entries), [
    "a/",
    "a/file",
    "a/hard",
    "a/link",
    "b/",
    "b/x",
    "b-c",
    "big.bin",
    "blk",
    "fifo",
    "grüße.txt",
    "long/",
    `${longDir}/`,
    longName,
    "null",
    "t/",
    unsplittable,
  ]);
  assert.equal(written.entries, entries.length);
  assert.equal(written.tarSize, tar.length);
  const byName = new Map(entries.map((e) => [e.header.name, e]));
  const h = (name: string) => byName.get(name)!.header;

  const fields = (x: Header) => ({
    type: x.type,
    mode: x.mode,
    uid: x.uid,
    gid: x.gid,
    size: x.size,
    mtime: x.mtime?.getTime(),
    linkname: x.linkname,
    uname: x.uname,
    gname: x.gname,
    devmajor: x.devmajor,
    devminor: x.devminor,
  });
  assert.deepEqual(fields(h("a/")), {
    type: "directory",
    mode: 0o750,
    uid: 1000,
    gid: 1001,
    size: 0,
    mtime: T * 1000,
    linkname: null,
    uname: "",
    gname: "",
    devmajor: 0,
    devminor: 0,
  });
  const file = h("a/file");
  assert.equal(file.type, "file");
  assert.equal(file.mode, 0o4755);
  assert.equal(file.uid, 7);
  assert.equal(file.gid, 8);
  assert.equal(file.size, 6);
  assert.equal(file.mtime?.getTime(), T * 1000); // T + 0.9 truncated to seconds
  assert.equal(byName.get("a/file")!.data.toString(), "hello\n");
  const hard = h("a/hard");
  assert.equal(hard.type, "link");
  assert.equal(hard.linkname, "a/file");
  assert.equal(hard.size, 0);
  assert.equal(hard.mode, 0o4755);
  assert.equal(hard.uid, 7);
  const link = h("a/link");
  assert.equal(link.type, "symlink");
  assert.equal(link.linkname, "../target");
  assert.equal(link.size, 0);
  assert.equal(link.mode, 0o777);
  assert.equal(link.mtime?.getTime(), (T + 5) * 1000);
  assert.equal(h("fifo").type, "fifo");
  assert.equal(h("fifo").mode, 0o640);
  assert.deepEqual([h("null").type, h("null").devmajor, h("null").devminor], ["character-device", 1, 3]);
  assert.deepEqual([h("blk").type, h("blk").devmajor, h("blk").devminor], ["block-device", 7, 200]);
  assert.equal(h("t/").mode, 0o1777);
  assert.equal(byName.get(longName)!.data.toString(), "long");
  assert.equal(byName.get("grüße.txt")!.data.toString(), "non-ASCII");
  assert.deepEqual(byName.get("big.bin")!.data, Buffer.concat([big, Buffer.from("tail")]));
  assert.equal(h("big.bin").size, big.length + 4);

  // Go's USTAR block: seven octal digits and a NUL per number, checksum "dddddd\0 ", ustar\0 00.
  const block = rawHeader(tar, "a/file");
  assert.equal(block.subarray(100, 108).toString("latin1"), "0004755\0");
  assert.equal(block.subarray(108, 116).toString("latin1"), "0000007\0");
  assert.equal(block.subarray(124, 136).toString("latin1"), "00000000006\0");
  assert.equal(block.subarray(136, 148).toString("latin1"), `${T.toString(8).padStart(11, "0")}\0`);
  assert.match(block.subarray(148, 156).toString("latin1"), /^[0-7]{6}\0 $/);
  assert.equal(block.subarray(257, 265).toString("latin1"), "ustar\x0000");
  assert.equal(block.subarray(265, 329).toString("latin1"), "\0".repeat(64)); // uname, gname empty
  assert.equal(block.subarray(329, 345).toString("latin1"), "0000000\x000000000\0");
  // The 156-byte name split at the last "/" that fits: no PAX header.
  const split = rawHeader(tar, "f".repeat(90));
  assert.equal(split.subarray(345, 345 + longDir.length + 1).toString("latin1"), `${longDir}\0`);
  assert.equal(tar.includes(Buffer.from(`PaxHeaders.0/${"f".repeat(90)}`)), false);
  // Unsplittable and non-ASCII names: a PAX 'x' header named DIR/PaxHeaders.0/BASE (ASCII only).
  const pax = rawHeader(tar, `PaxHeaders.0/${"z".repeat(87)}`);
  assert.equal(pax[156], 0x78);
  assert.equal(rawHeader(tar, "PaxHeaders.0/gre.txt")[156], 0x78);
  assert.equal(rawHeader(tar, "gre.txt")[156], 0x30);

  // The tar ends with two zero blocks, no record padding (Go's Writer.Close).
  assert.deepEqual(tar.subarray(tar.length - 1024), Buffer.alloc(1024));
  assert.equal(written.digest, sha256(tar));
  assert.equal(written.diffId, written.digest);
});

test("a file deleted through the overlay becomes a .wh. entry after its parent", async () => {
  const root = tempDir("wharf-diff-");
  const lower = join(root, "lower");
  mkdirSync(join(lower, "etc"), { recursive: true });
  writeFileSync(join(lower, "etc", "passwd"), "root:x:0:0::/root:/bin/sh\n");
  writeFileSync(join(lower, "etc", "group"), "root:x:0:\n");
  const outPath = join(root, "layer.tar");
  let layer: WrittenLayer | undefined;
  let parentMtime = 0;
  await withOverlay(root, [lower], async ({ upper, merged }) => {
    unlinkSync(join(merged, "etc", "passwd"));
    const whiteout = lstatSync(join(upper, "etc", "passwd"));
    assert.ok(whiteout.isCharacterDevice() && whiteout.rdev === 0, "overlay wrote a whiteout");
    parentMtime = Math.floor(lstatSync(join(upper, "etc")).mtimeMs / 1000);
    layer = await writeLayer({
      upperDir: upper,
      mergedDir: merged,
      lowerDirs: [lower],
      compression: "none",
      outPath,
    });
  });
  const entries = await layerEntries(outPath);
  assert.deepEqual(names(entries), ["etc/", "etc/.wh.passwd"]);
  assert.equal(layer?.entries, 2);
  const wh = entries[1]!.header;
  assert.deepEqual(
    [wh.type, wh.mode, wh.uid, wh.gid, wh.size, wh.mtime?.getTime()],
    ["file", 0, 0, 0, 0, parentMtime * 1000],
  );
});

test("rm -rf D && mkdir D over a lower D: a whiteout for each name the lowers had", async () => {
  const root = tempDir("wharf-diff-");
  const bottom = join(root, "bottom");
  const top = join(root, "top");
  mkdirSync(join(bottom, "root", "sub"), { recursive: true });
  writeFileSync(join(bottom, "root", ".profile"), "x");
  writeFileSync(join(bottom, "root", "sub", "x"), "x");
  writeFileSync(join(bottom, "root", "z"), "x");
  writeFileSync(join(bottom, "root", "dead"), "x");
  mkdirSync(join(top, "root"), { recursive: true });
  writeFileSync(join(top, "root", "added"), "x");
  sh("mknod", join(top, "root", "dead"), "c", "0", "0"); // the top lower deleted root/dead already
  const withMerged = join(root, "with-merged.tar");
  const withoutMerged = join(root, "without-merged.tar");
  await withOverlay(root, [top, bottom], async ({ upper, merged }) => {
    rmSync(join(merged, "root"), { recursive: true });
    mkdirSync(join(merged, "root"));
    mkdirSync(join(merged, "root", "sub")); // a new sub inside the opaque root hides the lower's sub/x
    writeFileSync(join(merged, "root", "new"), "new");
    const common = { upperDir: upper, lowerDirs: [top, bottom], compression: "none" as const };
    await writeLayer({ ...common, mergedDir: merged, outPath: withMerged });
    await writeLayer({ ...common, outPath: withoutMerged });
  });
  assert.deepEqual(names(await layerEntries(withMerged)), [
    "root/",
    "root/.wh..profile",
    "root/.wh.added",
    "root/new",
    "root/sub/",
    "root/sub/.wh.x",
    "root/.wh.z",
  ]);
  // Without the merged mount an opaque directory cannot be told apart: only what the upper holds,
  // and root/sub, a directory the lower has alike with nothing reported below it, not even that.
  assert.deepEqual(names(await layerEntries(withoutMerged)), ["root/", "root/new"]);
});

test("a directory copied up only for a temporary file is left out; a chmod is not", async () => {
  const root = tempDir("wharf-diff-");
  const lower = join(root, "lower");
  mkdirSync(join(lower, "tmp"), { recursive: true, mode: 0o1777 });
  chmodSync(join(lower, "tmp"), 0o1777);
  mkdirSync(join(lower, "var", "lib"), { recursive: true });
  writeFileSync(join(lower, "var", "keep"), "x");
  const outPath = join(root, "layer.tar");
  await withOverlay(root, [lower], async ({ upper, merged }) => {
    writeFileSync(join(merged, "tmp", "scratch"), "x");
    unlinkSync(join(merged, "tmp", "scratch"));
    chmodSync(join(merged, "var"), 0o700);
    writeFileSync(join(merged, "var", "lib", "state"), "x");
    unlinkSync(join(merged, "var", "lib", "state"));
    assert.ok(lstatSync(join(upper, "tmp")).isDirectory(), "tmp was copied up");
    await writeLayer({
      upperDir: upper,
      mergedDir: merged,
      lowerDirs: [lower],
      compression: "none",
      outPath,
    });
  });
  const entries = await layerEntries(outPath);
  assert.deepEqual(names(entries), ["var/"]);
  assert.equal(entries[0]!.header.mode, 0o700);
});

test("exclude leaves out the runtime's stubs and everything below them", async () => {
  const root = tempDir("wharf-diff-");
  const up = join(root, "up");
  mkdirSync(join(up, "proc", "sys"), { recursive: true });
  writeFileSync(join(up, "proc", "sys", "x"), "");
  mkdirSync(join(up, "etc"));
  writeFileSync(join(up, "etc", "hosts"), "");
  writeFileSync(join(up, "etc", "other"), "kept");
  const outPath = join(root, "layer.tar");
  const layer = await writeLayer({
    upperDir: up,
    lowerDirs: [],
    exclude: new Set(["proc", "etc/hosts"]),
    compression: "none",
    outPath,
  });
  assert.deepEqual(names(await layerEntries(outPath)), ["etc/", "etc/other"]);
  assert.equal(layer.entries, 2);
});

test("an empty upper is the empty layer", async () => {
  const root = tempDir("wharf-diff-");
  const up = join(root, "up");
  mkdirSync(up);
  for (const compression of ["none", "gzip", "zstd"] as const) {
    const outPath = join(root, `empty-${compression}`);
    const layer = await writeLayer({ upperDir: up, lowerDirs: [], compression, outPath });
    const blob = readFileSync(outPath);
    assert.equal(layer.diffId, EMPTY_DIFF_ID);
    assert.equal(layer.entries, 0);
    assert.equal(layer.tarSize, 1024);
    assert.deepEqual(decompress(blob, compression), Buffer.alloc(1024));
    assert.equal(layer.digest, sha256(blob));
    assert.equal(layer.size, blob.length);
  }
});

test("the same upper gives the same digest; with SOURCE_DATE_EPOCH later touches change nothing", async () => {
  const root = tempDir("wharf-diff-");
  const up = join(root, "up");
  mkdirSync(join(up, "app", "src"), { recursive: true });
  for (let i = 0; i < 50; i++) writeFileSync(join(up, "app", "src", `f${i}.js`), `export const n = ${i};\n`);
  symlinkSync("src/f0.js", join(up, "app", "main.js"));
  const write = async (name: string, sourceDateEpoch?: number) =>
    writeLayer({
      upperDir: up,
      lowerDirs: [],
      compression: "gzip",
      outPath: join(root, name),
      ...(sourceDateEpoch === undefined ? {} : { sourceDateEpoch }),
    });
  const first = await write("1");
  const second = await write("2");
  assert.equal(second.digest, first.digest);
  assert.deepEqual(readFileSync(join(root, "2")), readFileSync(join(root, "1")));

  const epoch = 1_000_000;
  const before = await write("3", epoch);
  const later = new Date(Date.now() + 10_000);
  utimesSync(join(up, "app", "src", "f3.js"), later, later);
  utimesSync(join(up, "app"), later, later);
  sh("touch", "-h", "-d", later.toISOString(), join(up, "app", "main.js"));
  const after = await write("4", epoch);
  assert.equal(after.digest, before.digest);
  assert.equal(after.diffId, before.diffId);
  const entries = await layerEntries(join(root, "4"), "gzip");
  assert.ok(entries.every((e) => e.header.mtime?.getTime() === epoch * 1000));
  // Without the clamp the touch shows.
  assert.notEqual((await write("5")).diffId, first.diffId);
});

test("gzip, zstd and none: media types, digests of the blob and diff IDs of its decompression", async () => {
  const root = tempDir("wharf-diff-");
  const up = join(root, "up");
  mkdirSync(up);
  writeFileSync(join(up, "data"), Buffer.alloc(200_000, "abc"));
  const mediaTypes = {
    gzip: "application/vnd.oci.image.layer.v1.tar+gzip",
    zstd: "application/vnd.oci.image.layer.v1.tar+zstd",
    none: "application/vnd.oci.image.layer.v1.tar",
  };
  let diffId: string | undefined;
  for (const compression of ["gzip", "zstd", "none"] as const) {
    const outPath = join(root, compression);
    const layer = await writeLayer({ upperDir: up, lowerDirs: [], compression, outPath });
    const blob = readFileSync(outPath);
    const tar = decompress(blob, compression);
    assert.equal(layer.mediaType, mediaTypes[compression]);
    assert.equal(layer.digest, sha256(blob));
    assert.equal(layer.size, blob.length);
    assert.equal(layer.diffId, sha256(tar));
    assert.equal(layer.tarSize, tar.length);
    assert.equal(layer.entries, 1);
    diffId ??= layer.diffId;
    assert.equal(layer.diffId, diffId, "one tar whatever the compression");
    if (compression === "none") assert.equal(layer.digest, layer.diffId);
    if (compression === "zstd") assert.deepEqual([...blob.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]);
    if (compression === "gzip") {
      // Deterministic gzip header: mtime 0, XFL 0 at level 6, OS 3 (Unix).
      assert.deepEqual([...blob.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
    }
  }
  const fast = await writeLayer({
    upperDir: up,
    lowerDirs: [],
    compression: "gzip",
    level: 1,
    outPath: join(root, "l1"),
  });
  assert.equal(fast.diffId, diffId);
  assert.equal(readFileSync(join(root, "l1"))[8], 4, "XFL 4: fastest");
});

test("no outPath: the tar only hashed, as the uncompressed layer, whatever compression is asked", async () => {
  const root = tempDir("wharf-diff-");
  const up = join(root, "up");
  mkdirSync(up);
  writeFileSync(join(up, "data"), Buffer.alloc(3 << 20, "xyz"));
  const outPath = join(root, "written");
  const written = await writeLayer({ upperDir: up, lowerDirs: [], compression: "none", outPath });
  const hashed = await writeLayer({ upperDir: up, lowerDirs: [], compression: "gzip" });
  assert.deepEqual(hashed, written);
  assert.equal(hashed.diffId, sha256(readFileSync(outPath)));
  assert.deepEqual(readdirSync(root).sort(), ["up", "written"], "nothing written without outPath");
});

test("a failed write leaves no blob behind", async () => {
  const root = tempDir("wharf-diff-");
  const outPath = join(root, "layer.tar");
  await assert.rejects(
    writeLayer({ upperDir: join(root, "missing"), lowerDirs: [], compression: "gzip", outPath }),
    /ENOENT/,
  );
  assert.throws(() => lstatSync(outPath), /ENOENT/);
});
