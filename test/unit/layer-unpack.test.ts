/**
 * unpackLayer on real tars into real directories: the busybox fixture's layers (compared with GNU
 * tar's extraction of the same tars, then stacked with kernel overlayfs and run with chroot),
 * metadata (PAX, GNU long names, special mode bits, owners, devices, hard links), whiteouts and
 * opaque directories checked as character devices and through a mounted overlay, and failures.
 * Needs root (device nodes, owners, mounts), as `wharf build` does.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  createReadStream,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  type Stats,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { describe, test } from "node:test";
import { createGunzip, gunzipSync } from "node:zlib";
import { type Header, pack } from "tar-stream";
import { isWharfError } from "../../src/errors.ts";
import { unpackLayer } from "../../src/layer/unpack.ts";
import { FIXTURES_DIR } from "../corpus.ts";
import { tempDir } from "../helpers/tmp.ts";

const isRoot = process.getuid?.() === 0;
const needsRoot = isRoot ? false : "needs root (owners, device nodes, overlay mounts)";
const BUSYBOX = join(FIXTURES_DIR, "oci/busybox");

function busyboxLayerBlobs(): string[] {
  const index = JSON.parse(readFileSync(join(BUSYBOX, "index.json"), "utf8")) as {
    manifests: { digest: string }[];
  };
  const blob = (digest: string) => join(BUSYBOX, "blobs", ...digest.split(":"));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0]!.digest), "utf8")) as {
    layers: { digest: string }[];
  };
  return manifest.layers.map((l) => blob(l.digest));
}

type EntrySpec = Partial<Header> & { name: string; content?: string | Buffer; pax?: Record<string, string> };

/** A tar made with tar-stream's pack (root-owned, a fixed mtime, unless the entry says otherwise). */
async function makeTar(entries: EntrySpec[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of p) chunks.push(c as Buffer);
  })();
  for (const { content, ...header } of entries) {
    const full = { uid: 0, gid: 0, mtime: new Date(1_600_000_000_000), ...header };
    // A file entry without content still needs its (empty) body, or pack waits for one.
    if (content === undefined && full.type !== "file") p.entry(full);
    else p.entry(full, content ?? "");
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

function chunks(tar: Buffer, size = 4096): Readable {
  return Readable.from(
    (function* () {
      for (let pos = 0; pos < tar.length; pos += size) yield tar.subarray(pos, pos + size);
    })(),
  );
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** Mounts a read-only overlay of `lowerDirs` (top first), runs `fn`, and always unmounts. */
async function withOverlay<T>(lowerDirs: string[], fn: (merged: string) => T | Promise<T>): Promise<T> {
  const work = tempDir("wharf-overlay-");
  const merged = join(work, "merged");
  const empty = join(work, "empty");
  mkdirSync(merged);
  mkdirSync(empty);
  // Overlay without an upper directory wants two lower ones: an empty one goes at the bottom.
  run("mount", ["-t", "overlay", "overlay", "-o", `lowerdir=${[...lowerDirs, empty].join(":")}`, merged]);
  try {
    return await fn(merged);
  } finally {
    spawnSync("umount", [merged]);
  }
}

/** Every path below `root` with what matters of it: type, mode, owner, size, mtime, target or hash. */
function describeTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    const path = rel === "" ? root : join(root, rel);
    const st = lstatSync(path);
    let what = `${st.mode.toString(8)} ${st.uid}:${st.gid} mtime=${Math.floor(st.mtimeMs / 1000)}`;
    if (st.isSymbolicLink()) what += ` -> ${readlinkSync(path)}`;
    else if (st.isFile())
      what += ` ${st.size} ${createHash("sha256").update(readFileSync(path)).digest("hex")}`;
    else if (st.isCharacterDevice() || st.isBlockDevice()) what += ` rdev=${st.rdev}`;
    out.set(rel === "" ? "." : rel, what);
    if (st.isDirectory())
      for (const name of readdirSync(path).sort()) walk(rel === "" ? name : `${rel}/${name}`);
  };
  walk("");
  return out;
}

function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

describe("unpackLayer: the busybox fixture", { skip: needsRoot }, () => {
  test("each layer unpacks as GNU tar extracts it, and the overlay of them runs /bin/sh", async () => {
    const lowerDirs: string[] = [];
    for (const blob of busyboxLayerBlobs()) {
      const work = tempDir("wharf-busybox-");
      const dest = join(work, "ours");
      const reference = join(work, "gnu-tar");
      mkdirSync(dest);
      mkdirSync(reference);
      const progress: number[] = [];
      const result = await unpackLayer(createReadStream(blob).pipe(createGunzip()), dest, {
        lowerDirs,
        onProgress: (bytes) => progress.push(bytes),
      });
      const tar = gunzipSync(readFileSync(blob));
      assert.equal(result.bytes, tar.length);
      assert.equal(progress.at(-1), tar.length, "progress ends at the tar's size");
      assert.ok(
        progress.every((b, i) => i === 0 || b > progress[i - 1]!),
        "progress only grows",
      );
      const listed = run("tar", ["-tzf", blob]).trim().split("\n");
      assert.equal(result.entries, listed.length);
      run("tar", ["-xpzf", blob, "-C", reference, "--numeric-owner"]);
      assert.deepEqual(describeTree(dest), describeTree(reference));
      lowerDirs.unshift(dest);
    }
    const base = lowerDirs.at(-1)!;
    const busybox = lstatSync(join(base, "bin/busybox"));
    assert.ok(busybox.isFile());
    assert.equal(busybox.mode & 0o7777, 0o755);
    assert.equal(readlinkSync(join(base, "bin/sh")), "/bin/busybox");
    assert.equal(lstatSync(join(lowerDirs[1]!, "tmp")).mode & 0o7777, 0o1777, "sticky bit kept");
    await withOverlay(lowerDirs, (merged) => {
      assert.equal(readFileSync(join(merged, "app/hello.sh"), "utf8").length, 47);
      const out = run("chroot", [merged, "/bin/sh", "-c", "cat /etc/hostname; ls /app"]);
      assert.match(out, /hello\.sh/);
    });
  });
});

describe("unpackLayer: entries and metadata", { skip: needsRoot }, () => {
  test("files, modes, owners, times, PAX records, links, devices, implied directories", async () => {
    const dest = tempDir("wharf-unpack-");
    const longName = `deep/${"d".repeat(120)}/${"f".repeat(200)}`;
    const tar = await makeTar([
      { name: "./", type: "directory", mode: 0o700, uid: 7, gid: 8 },
      { name: "bin/", type: "directory", mode: 0o755 },
      { name: "bin/su", type: "file", mode: 0o4755, content: "setuid" },
      { name: "bin/wall", type: "file", mode: 0o2755, gid: 5, content: "setgid" },
      { name: "shared/", type: "directory", mode: 0o2775, gid: 50 },
      { name: "tmp/", type: "directory", mode: 0o1777, mtime: new Date(1_500_000_000_000) },
      { name: "tmp/x", type: "file", mode: 0o600, uid: 1000, gid: 1000, content: "x" },
      {
        name: "pax-owner",
        type: "file",
        mode: 0o640,
        content: "big uid",
        pax: { uid: "3000000000", gid: "3000000001", mtime: "1700000000.25", atime: "1700000100.5" },
      },
      { name: longName, type: "file", mode: 0o644, content: "long" },
      { name: "implied/a/b/file", type: "file", mode: 0o644, content: "implied" },
      { name: "abs-link", type: "symlink", linkname: "/does/not/exist", uid: 1234, gid: 4321 },
      { name: "rel-link", type: "symlink", linkname: "../../../etc/passwd" },
      { name: "bin/su-again", type: "link", linkname: "/bin/su" },
      { name: "dev/", type: "directory", mode: 0o755 },
      { name: "dev/null", type: "character-device", devmajor: 1, devminor: 3, mode: 0o666, uid: 5 },
      { name: "dev/loop0", type: "block-device", devmajor: 7, devminor: 0, mode: 0o660, gid: 6 },
      { name: "dev/fifo", type: "fifo", mode: 0o644 },
      { name: "replaced", type: "file", mode: 0o644, content: "first" },
      { name: "replaced", type: "file", mode: 0o600, content: "second" },
      { name: "was-link", type: "symlink", linkname: "/etc/shadow" },
      { name: "was-link", type: "file", mode: 0o644, content: "a file now" },
      { name: "was-dir/", type: "directory" },
      { name: "was-dir/inner", type: "file", content: "gone" },
      { name: "was-dir", type: "symlink", linkname: "/" },
    ]);
    const result = await unpackLayer(chunks(tar, 1000), dest, { lowerDirs: [] });
    assert.equal(result.entries, 24);
    assert.equal(result.bytes, tar.length);
    const st = (p: string) => lstatSync(join(dest, p));

    assert.equal(st(".").mode & 0o7777, 0o700, "the root takes the ./ entry's mode");
    assert.equal(`${st(".").uid}:${st(".").gid}`, "7:8");
    assert.equal(st("bin/su").mode & 0o7777, 0o4755);
    assert.equal(st("bin/wall").mode & 0o7777, 0o2755);
    assert.equal(st("bin/wall").gid, 5);
    assert.equal(st("shared").mode & 0o7777, 0o2775);
    assert.equal(st("tmp").mode & 0o7777, 0o1777);
    assert.equal(st("tmp").mtimeMs, 1_500_000_000_000, "directory times are set after their contents");
    assert.equal(`${st("tmp/x").uid}:${st("tmp/x").gid}`, "1000:1000");
    assert.equal(st("tmp/x").mode & 0o7777, 0o600);
    assert.equal(st("bin/su").mtimeMs, 1_600_000_000_000);

    const pax = lstatSync(join(dest, "pax-owner"), { bigint: true });
    assert.equal(pax.uid, 3_000_000_000n);
    assert.equal(pax.gid, 3_000_000_001n);
    assert.equal(pax.mtimeNs, 1_700_000_000_250_000_000n, "PAX mtime with its fraction");
    assert.equal(pax.atimeNs, 1_700_000_100_500_000_000n, "PAX atime");

    assert.equal(readFileSync(join(dest, longName), "utf8"), "long");
    assert.equal(readFileSync(join(dest, "implied/a/b/file"), "utf8"), "implied");
    for (const dir of ["implied", "implied/a", "implied/a/b"]) {
      assert.equal(st(dir).mode & 0o7777, 0o755, `${dir} is 0755`);
      assert.equal(`${st(dir).uid}:${st(dir).gid}`, "0:0", `${dir} is root's`);
    }

    assert.equal(readlinkSync(join(dest, "abs-link")), "/does/not/exist");
    assert.equal(`${st("abs-link").uid}:${st("abs-link").gid}`, "1234:4321", "symlink owner via lchown");
    assert.equal(st("abs-link").mtimeMs, 1_600_000_000_000, "symlink times via lutimes");
    assert.equal(readlinkSync(join(dest, "rel-link")), "../../../etc/passwd", "targets are kept verbatim");

    assert.equal(st("bin/su-again").ino, st("bin/su").ino, "hard link shares the inode");
    assert.equal(st("bin/su").nlink, 2);

    assert.ok(st("dev/null").isCharacterDevice());
    assert.equal(st("dev/null").rdev, (1 << 8) | 3);
    assert.equal(st("dev/null").mode & 0o7777, 0o666);
    assert.equal(st("dev/null").uid, 5);
    assert.ok(st("dev/loop0").isBlockDevice());
    assert.equal(st("dev/loop0").rdev, 7 << 8);
    assert.equal(st("dev/loop0").gid, 6);
    assert.ok(st("dev/fifo").isFIFO());
    assert.equal(st("dev/fifo").mode & 0o7777, 0o644);
    assert.equal(
      st("dev").mtimeMs,
      1_600_000_000_000,
      "device creation does not leave the directory's mtime changed",
    );

    assert.equal(
      readFileSync(join(dest, "replaced"), "utf8"),
      "second",
      "a later entry replaces an earlier one",
    );
    assert.equal(st("replaced").mode & 0o7777, 0o600);
    assert.ok(st("was-link").isFile(), "a file over a symlink replaces the symlink");
    assert.equal(readFileSync(join(dest, "was-link"), "utf8"), "a file now");
    assert.equal(readlinkSync(join(dest, "was-dir")), "/", "a symlink over a directory replaces it");
  });

  test("GNU long names and long link targets (GNU tar's --format=gnu)", async () => {
    const src = tempDir("wharf-gnu-src-");
    const long = "n".repeat(150);
    mkdirSync(join(src, "d".repeat(110)));
    writeFileSync(join(src, "d".repeat(110), long), "gnu");
    spawnSync("ln", ["-s", `/${"t".repeat(140)}`, join(src, "link")]);
    const tarPath = join(tempDir("wharf-gnu-tar-"), "gnu.tar");
    run("tar", ["--format=gnu", "-cf", tarPath, "-C", src, "."]);
    const dest = tempDir("wharf-gnu-dest-");
    await unpackLayer(createReadStream(tarPath), dest, { lowerDirs: [] });
    assert.equal(readFileSync(join(dest, "d".repeat(110), long), "utf8"), "gnu");
    assert.equal(readlinkSync(join(dest, "link")), `/${"t".repeat(140)}`);
  });

  test("a large file is written completely, in order", async () => {
    const data = randomBytes(5 * 1024 * 1024 + 3);
    const tar = await makeTar([{ name: "big", type: "file", mode: 0o644, content: data }]);
    const dest = tempDir("wharf-big-");
    await unpackLayer(chunks(tar, 65536), dest, { lowerDirs: [] });
    assert.ok(readFileSync(join(dest, "big")).equals(data));
  });
});

describe("unpackLayer: whiteouts and opaque directories", { skip: needsRoot }, () => {
  test("whiteouts are character devices 0,0 and the overlay view is docker's", async () => {
    const lower = tempDir("wharf-lower-");
    const upper = tempDir("wharf-upper-");
    await unpackLayer(
      chunks(
        await makeTar([
          { name: "a/", type: "directory", mode: 0o755 },
          { name: "a/keep", type: "file", content: "keep" },
          { name: "a/gone", type: "file", content: "gone" },
          { name: "a/sub/", type: "directory", mode: 0o755 },
          { name: "a/sub/x", type: "file", content: "x" },
          { name: "f", type: "file", content: "f" },
          { name: "o/", type: "directory", mode: 0o751 },
          { name: "o/old1", type: "file", content: "1" },
          { name: "o/old2/", type: "directory" },
          { name: "o/old2/y", type: "file", content: "y" },
          { name: "o/deep/", type: "directory" },
          { name: "o/deep/d1", type: "file", content: "d1" },
          { name: "o/deep/d2", type: "file", content: "d2" },
          { name: "tmp/", type: "directory", mode: 0o1777 },
        ]),
      ),
      lower,
      { lowerDirs: [] },
    );
    await unpackLayer(
      chunks(
        await makeTar([
          { name: "a/.wh.gone", type: "file" },
          { name: ".wh.f", type: "file" },
          { name: "o/", type: "directory", mode: 0o755 },
          { name: "o/.wh..wh..opq", type: "file" },
          { name: "o/new", type: "file", content: "new" },
          { name: "o/deep/", type: "directory" },
          { name: "o/deep/d2", type: "file", content: "d2 again" },
          { name: "o/deep/n", type: "file", content: "n" },
          { name: ".wh..wh.plnk/", type: "directory" },
          { name: "tmp/made-here", type: "file", content: "t" },
        ]),
      ),
      upper,
      { lowerDirs: [lower] },
    );
    const st = (p: string) => lstatSync(join(upper, p));
    for (const p of ["a/gone", "f", "o/old1", "o/old2", "o/deep/d1"]) {
      assert.ok(isWhiteout(st(p)), `${p} is a whiteout (c 0,0)`);
    }
    assert.deepEqual(readdirSync(join(upper, "a")), ["gone"], "the whiteout's directory is implied");
    assert.deepEqual(readdirSync(join(upper, "o")).sort(), ["deep", "new", "old1", "old2"]);
    assert.deepEqual(readdirSync(upper).sort(), ["a", "f", "o", "tmp"], "aufs metadata is skipped");
    assert.equal(st("tmp").mode & 0o7777, 0o1777, "an implied directory keeps the lower one's mode");
    assert.equal(st("a").mode & 0o7777, 0o755);

    await withOverlay([upper, lower], (merged) => {
      assert.deepEqual(readdirSync(join(merged, "a")).sort(), ["keep", "sub"], "a/gone deleted");
      assert.deepEqual(readdirSync(join(merged, "a/sub")), ["x"]);
      assert.deepEqual(readdirSync(merged).sort(), ["a", "o", "tmp"], "f deleted");
      assert.deepEqual(
        readdirSync(join(merged, "o")).sort(),
        ["deep", "new"],
        "opaque: only the new layer's entries",
      );
      assert.deepEqual(readdirSync(join(merged, "o/deep")).sort(), ["d2", "n"], "opaque at every depth");
      assert.equal(readFileSync(join(merged, "o/deep/d2"), "utf8"), "d2 again");
      assert.equal(lstatSync(join(merged, "o")).mode & 0o7777, 0o755);
      assert.deepEqual(readdirSync(join(merged, "tmp")).sort(), ["made-here"]);
      assert.equal(lstatSync(join(merged, "tmp")).mode & 0o7777, 0o1777);
    });
  });

  test("an opaque directory hides only what the lower stack shows (names whited out above stay hidden)", async () => {
    const l1 = tempDir("wharf-l1-");
    const l2 = tempDir("wharf-l2-");
    const l3 = tempDir("wharf-l3-");
    await unpackLayer(
      chunks(
        await makeTar([
          { name: "o/", type: "directory" },
          { name: "o/x", type: "file", content: "x" },
          { name: "o/y", type: "file", content: "y" },
          { name: "o/link", type: "symlink", linkname: "/etc" },
        ]),
      ),
      l1,
      { lowerDirs: [] },
    );
    await unpackLayer(chunks(await makeTar([{ name: "o/.wh.y", type: "file" }])), l2, { lowerDirs: [l1] });
    await unpackLayer(
      chunks(
        await makeTar([
          { name: "o/.wh..wh..opq", type: "file" },
          { name: "o/z", type: "file", content: "z" },
        ]),
      ),
      l3,
      { lowerDirs: [l2, l1] },
    );
    assert.deepEqual(readdirSync(join(l3, "o")).sort(), ["link", "x", "z"]);
    assert.ok(isWhiteout(lstatSync(join(l3, "o/x"))));
    assert.ok(isWhiteout(lstatSync(join(l3, "o/link"))));
    await withOverlay([l3, l2, l1], (merged) => {
      assert.deepEqual(readdirSync(join(merged, "o")), ["z"]);
    });
  });

  test("a lower layer's symlink is not followed when looking below it", async () => {
    const l1 = tempDir("wharf-l1-");
    const l2 = tempDir("wharf-l2-");
    // The lower stack's `etc` is a symlink to the host's /etc: an opaque etc/ above must not read it.
    await unpackLayer(chunks(await makeTar([{ name: "etc", type: "symlink", linkname: "/etc" }])), l1, {
      lowerDirs: [],
    });
    await unpackLayer(
      chunks(
        await makeTar([
          { name: "etc/", type: "directory" },
          { name: "etc/.wh..wh..opq", type: "file" },
          { name: "etc/mine", type: "file", content: "m" },
        ]),
      ),
      l2,
      { lowerDirs: [l1] },
    );
    assert.deepEqual(readdirSync(join(l2, "etc")), ["mine"]);
  });
});

describe("unpackLayer: refusals and failures", () => {
  test("an escaping name is LAYER_UNSAFE, naming the entry", async () => {
    const dest = tempDir("wharf-unsafe-");
    await assert.rejects(
      unpackLayer(chunks(await makeTar([{ name: "a/../../x", type: "file", content: "x" }])), dest, {
        lowerDirs: [],
      }),
      (err: unknown) =>
        isWharfError(err, "LAYER_UNSAFE") && err.message === 'layer entry "a/../../x" escapes the root',
    );
  });

  test("a symlink in an entry's path is LAYER_UNSAFE, never followed", async () => {
    const dest = tempDir("wharf-unsafe-");
    const outside = tempDir("wharf-outside-");
    await assert.rejects(
      unpackLayer(
        chunks(
          await makeTar([
            { name: "lib", type: "symlink", linkname: outside },
            { name: "lib/passwd", type: "file", content: "pwned" },
          ]),
        ),
        dest,
        { lowerDirs: [] },
      ),
      (err: unknown) =>
        isWharfError(err, "LAYER_UNSAFE") && /symbolic link in its path \("lib"\)/.test(err.message),
    );
    assert.deepEqual(readdirSync(outside), []);
  });

  test("a hard link to a missing file is LAYER_INVALID; to a directory, LAYER_UNSAFE", async () => {
    await assert.rejects(
      unpackLayer(chunks(await makeTar([{ name: "l", type: "link", linkname: "missing" }])), tempDir(), {
        lowerDirs: [],
      }),
      (err: unknown) => isWharfError(err, "LAYER_INVALID") && /missing/.test(err.message),
    );
    await assert.rejects(
      unpackLayer(
        chunks(
          await makeTar([
            { name: "d/", type: "directory" },
            { name: "l", type: "link", linkname: "d" },
          ]),
        ),
        tempDir(),
        { lowerDirs: [] },
      ),
      (err: unknown) => isWharfError(err, "LAYER_UNSAFE") && /not a regular file/.test(err.message),
    );
  });

  test("a PAX sparse file is LAYER_INVALID (never written as its sparse map)", async () => {
    const sparse = join(tempDir("wharf-sparse-src-"), "sparse");
    writeFileSync(sparse, "");
    run("truncate", ["-s", "8M", sparse]);
    writeFileSync(sparse, "data", { flag: "r+" });
    const tarPath = join(tempDir("wharf-sparse-tar-"), "sparse.tar");
    run("tar", ["--format=pax", "--sparse", "-cf", tarPath, "-C", join(sparse, ".."), "sparse"]);
    await assert.rejects(
      unpackLayer(createReadStream(tarPath), tempDir("wharf-sparse-"), { lowerDirs: [] }),
      (err: unknown) => isWharfError(err, "LAYER_INVALID") && /sparse/.test(err.message),
    );
  });

  test("a truncated tar is LAYER_INVALID", async () => {
    const tar = await makeTar([{ name: "f", type: "file", content: Buffer.alloc(10_000, 1) }]);
    await assert.rejects(
      unpackLayer(chunks(tar.subarray(0, 4000)), tempDir(), { lowerDirs: [] }),
      (err: unknown) => isWharfError(err, "LAYER_INVALID") && /truncated/.test(err.message),
    );
  });

  test("an abort while the input stalls settles at once, and the input stream is stopped", async () => {
    const tar = await makeTar([{ name: "f", type: "file", content: Buffer.alloc(100_000, 2) }]);
    const input = new PassThrough();
    input.write(tar.subarray(0, 10_000));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("stalled")), 50);
    await assert.rejects(
      unpackLayer(input, tempDir("wharf-stall-"), { lowerDirs: [], signal: controller.signal }),
      /stalled/,
    );
    assert.ok(input.destroyed);
  });

  test("an abort stops the unpack with the signal's reason", async () => {
    const entries: EntrySpec[] = [];
    for (let i = 0; i < 2000; i++) entries.push({ name: `f${i}`, type: "file", content: "x".repeat(100) });
    const tar = await makeTar(entries);
    const controller = new AbortController();
    let seen = 0;
    const dest = tempDir("wharf-abort-");
    await assert.rejects(
      unpackLayer(chunks(tar, 512), dest, {
        lowerDirs: [],
        signal: controller.signal,
        onProgress: (bytes) => {
          seen = bytes;
          if (bytes > tar.length / 4) controller.abort(new Error("stop"));
        },
      }),
      /stop/,
    );
    assert.ok(seen < tar.length, "the input was not read to its end");
    assert.ok(readdirSync(dest).length < 2000);
  });
});
