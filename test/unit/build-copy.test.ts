/**
 * COPY/ADD file operations (src/build/copy) on real temporary directories: placement rules,
 * wildcards, .dockerignore, --exclude, --parents, --chown, --chmod, metadata, links, the
 * destination's symlinks, ADD's archives (made with the system's tar and compressors) and URL
 * downloads (a local HTTP server), and the content hash of the cache key.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmod,
  link,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { pack } from "tar-stream";
import {
  type CopyRequest,
  copyIntoRoot,
  detectArchive,
  FileDigestCache,
  fetchAddUrl,
  hashCopySources,
  parseChmod,
  resolveChown,
  resolveInRoot,
} from "../../src/build/copy/index.ts";
import { isWharfError } from "../../src/errors.ts";

const scratch = await mkdtemp(join(tmpdir(), "wharf-build-copy-"));
after(() => rm(scratch, { recursive: true, force: true }));
let counter = 0;

/** A fresh directory under the test's scratch directory. */
async function freshDir(name: string): Promise<string> {
  const dir = join(scratch, `${name}-${++counter}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

type Tree = Record<
  string,
  string | { mode?: number; data?: string; link?: string; dir?: true; mtime?: number }
>;

/** Writes `tree` under `root` (parents made as needed). */
async function writeTree(root: string, tree: Tree): Promise<void> {
  for (const [path, spec] of Object.entries(tree)) {
    const abs = join(root, path);
    await mkdir(dirname(abs), { recursive: true });
    const s = typeof spec === "string" ? { data: spec } : spec;
    if (s.link !== undefined) await symlink(s.link, abs);
    else if (s.dir) await mkdir(abs, { recursive: true });
    else await writeFile(abs, s.data ?? "");
    if (s.mode !== undefined) await chmod(abs, s.mode);
    if (s.mtime !== undefined && s.link === undefined) await utimes(abs, s.mtime, s.mtime);
  }
}

/** A context and a destination root, and a copy between them. */
async function setup(tree: Tree, excludes?: string[]): Promise<{ context: string; destRoot: string }> {
  const context = await freshDir("context");
  const destRoot = await freshDir("dest");
  await writeTree(context, tree);
  if (excludes !== undefined) await writeFile(join(context, ".dockerignore"), excludes.join("\n"));
  return { context, destRoot };
}

function request(
  context: string,
  destRoot: string,
  sourcePaths: string[],
  dest: string,
  extra: Partial<CopyRequest> = {},
  excludes: string[] = [],
): CopyRequest {
  return { source: { root: context, excludes }, sourcePaths, dest, workdir: "/", destRoot, ...extra };
}

async function read(path: string): Promise<string> {
  return (await readFile(path)).toString();
}

async function modeOf(path: string): Promise<number> {
  return (await lstat(path)).mode & 0o7777;
}

async function rejectsWith(promise: Promise<unknown>, code: string, message: string | RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isWharfError(err), `expected a WharfError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (typeof message === "string") assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

describe("placement", () => {
  test("a file to a file path, a file into dir/, a directory's contents", async () => {
    const { context, destRoot } = await setup({ "a.txt": "A", "dir/b.txt": "B", "dir/sub/c.txt": "C" });
    await copyIntoRoot(request(context, destRoot, ["a.txt"], "/opt/renamed"));
    assert.equal(await read(join(destRoot, "opt/renamed")), "A");
    await copyIntoRoot(request(context, destRoot, ["a.txt"], "/into/"));
    assert.equal(await read(join(destRoot, "into/a.txt")), "A");
    // An existing directory without the slash also keeps the base name.
    await copyIntoRoot(request(context, destRoot, ["a.txt"], "/into"));
    assert.equal(await read(join(destRoot, "into/a.txt")), "A");
    const r = await copyIntoRoot(request(context, destRoot, ["dir"], "/app"));
    assert.deepEqual(r, { files: 2, bytes: 2 });
    assert.equal(await read(join(destRoot, "app/b.txt")), "B");
    assert.equal(await read(join(destRoot, "app/sub/c.txt")), "C");
    await assert.rejects(lstat(join(destRoot, "app/dir")));
  });

  test("relative destinations are taken from the workdir; '.' is the workdir itself", async () => {
    const { context, destRoot } = await setup({ "a.txt": "A" });
    await copyIntoRoot(request(context, destRoot, ["a.txt"], ".", { workdir: "/work/dir" }));
    assert.equal(await read(join(destRoot, "work/dir/a.txt")), "A");
    await copyIntoRoot(request(context, destRoot, ["a.txt"], "sub/b", { workdir: "/work" }));
    assert.equal(await read(join(destRoot, "work/sub/b")), "A");
  });

  test("sources cannot leave the context: '../a.txt' is '/a.txt'", async () => {
    const { context, destRoot } = await setup({ "a.txt": "A" });
    await copyIntoRoot(request(context, destRoot, ["../../a.txt"], "/x"));
    assert.equal(await read(join(destRoot, "x")), "A");
  });

  test("wildcards (Go's filepath.Match) and several sources", async () => {
    const { context, destRoot } = await setup({
      "a1.txt": "1",
      "a2.txt": "2",
      "b.md": "b",
      "src/x/main.go": "x",
      "src/y/main.go": "y",
      "src/y/other.go": "o",
    });
    await copyIntoRoot(request(context, destRoot, ["a?.txt", "b.md"], "/w/"));
    assert.equal(await read(join(destRoot, "w/a1.txt")), "1");
    assert.equal(await read(join(destRoot, "w/a2.txt")), "2");
    assert.equal(await read(join(destRoot, "w/b.md")), "b");
    // A wildcard in a middle component; matches keep their base name only.
    await copyIntoRoot(request(context, destRoot, ["src/*/main.go"], "/m/"));
    assert.equal(await read(join(destRoot, "m/main.go")), "y");
    await copyIntoRoot(request(context, destRoot, ["[ab]*"], "/c/"));
    assert.deepEqual((await readdir(join(destRoot, "c"))).sort(), ["a1.txt", "a2.txt", "b.md"]);
    // A wildcard that matches nothing copies nothing (BuildKit's AllowEmptyWildcard)...
    await copyIntoRoot(request(context, destRoot, ["*.none"], "/none/"));
    await assert.rejects(lstat(join(destRoot, "none")));
    // ... unless asked to fail.
    await rejectsWith(
      copyIntoRoot(request(context, destRoot, ["*.none"], "/none/", { allowEmptyWildcard: false })),
      "BUILD_SOURCE_NOT_FOUND",
      '"/*.none": not found',
    );
  });

  test("several sources need a directory destination", async () => {
    const { context, destRoot } = await setup({ "a.txt": "A", "b.txt": "B" });
    await rejectsWith(
      copyIntoRoot(request(context, destRoot, ["a.txt", "b.txt"], "/file")),
      "BUILD_COPY_INVALID",
      "When using COPY with more than one source file, the destination must be a directory and end with a /",
    );
    await rejectsWith(
      copyIntoRoot(request(context, destRoot, ["*.txt"], "/file", { instruction: "ADD" })),
      "BUILD_COPY_INVALID",
      /^When using ADD with more than one source file/,
    );
    await assert.rejects(lstat(join(destRoot, "file")));
    // An existing directory is accepted without the slash (BuildKit copies into it).
    await mkdir(join(destRoot, "existing"));
    await copyIntoRoot(request(context, destRoot, ["a.txt", "b.txt"], "/existing"));
    assert.equal(await read(join(destRoot, "existing/b.txt")), "B");
  });

  test("a missing source, and one .dockerignore excludes, are not found", async () => {
    const { context, destRoot } = await setup({ "a.txt": "A", "secret.txt": "S", "tmp/x.tmp": "t" }, [
      "secret.txt",
      "tmp",
    ]);
    const excludes = ["secret.txt", "tmp"];
    await rejectsWith(
      copyIntoRoot(request(context, destRoot, ["missing.txt"], "/x", {}, excludes)),
      "BUILD_SOURCE_NOT_FOUND",
      '"/missing.txt": not found',
    );
    await rejectsWith(
      copyIntoRoot(request(context, destRoot, ["./sub/../secret.txt"], "/x", {}, excludes)),
      "BUILD_SOURCE_NOT_FOUND",
      '"/secret.txt": not found',
    );
    await rejectsWith(
      copyIntoRoot(request(context, destRoot, ["tmp/x.tmp"], "/x", {}, excludes)),
      "BUILD_SOURCE_NOT_FOUND",
      '"/tmp/x.tmp": not found',
    );
    // Copying the whole context leaves the excluded files out.
    await copyIntoRoot(request(context, destRoot, ["."], "/ctx/", {}, excludes));
    assert.equal(await read(join(destRoot, "ctx/a.txt")), "A");
    await assert.rejects(lstat(join(destRoot, "ctx/secret.txt")));
    await assert.rejects(lstat(join(destRoot, "ctx/tmp")));
    // A wildcard does not see them either.
    await copyIntoRoot(request(context, destRoot, ["*.txt"], "/w/", {}, excludes));
    await assert.rejects(lstat(join(destRoot, "w/secret.txt")));
  });

  test("a .dockerignore exception brings a file back inside an excluded directory", async () => {
    const { context, destRoot } = await setup({ "docs/a.md": "a", "docs/keep.md": "k" });
    const excludes = ["docs", "!docs/keep.md"];
    await copyIntoRoot(request(context, destRoot, ["."], "/c/", {}, excludes));
    assert.equal(await read(join(destRoot, "c/docs/keep.md")), "k");
    await assert.rejects(lstat(join(destRoot, "c/docs/a.md")));
  });

  test("--exclude, relative to each source", async () => {
    const { context, destRoot } = await setup({
      "dir/a.txt": "a",
      "dir/b.log": "b",
      "dir/sub/c.log": "c",
      "dir/sub/d.txt": "d",
      "dir/cache/x": "x",
    });
    await copyIntoRoot(
      request(context, destRoot, ["dir"], "/e/", { excludePatterns: ["*.log", "**/*.log", "cache"] }),
    );
    assert.equal(await read(join(destRoot, "e/a.txt")), "a");
    assert.equal(await read(join(destRoot, "e/sub/d.txt")), "d");
    await assert.rejects(lstat(join(destRoot, "e/b.log")));
    await assert.rejects(lstat(join(destRoot, "e/sub/c.log")));
    await assert.rejects(lstat(join(destRoot, "e/cache")));
    // An exception below an excluded directory creates just the parents it needs.
    await copyIntoRoot(
      request(context, destRoot, ["dir"], "/f/", { excludePatterns: ["sub", "!sub/d.txt"] }),
    );
    assert.equal(await read(join(destRoot, "f/sub/d.txt")), "d");
    await assert.rejects(lstat(join(destRoot, "f/sub/c.log")));
  });

  test("--parents keeps the source's path, from the root or from a '/./' pivot", async () => {
    const { context, destRoot } = await setup({
      "x/y/a.txt": "a",
      "x/y/z/b.txt": "b",
      "x/q/c.txt": "c",
      "other.txt": "o",
    });
    await copyIntoRoot(request(context, destRoot, ["x/y/a.txt", "x/q"], "/p/", { parents: true }));
    assert.equal(await read(join(destRoot, "p/x/y/a.txt")), "a");
    assert.equal(await read(join(destRoot, "p/x/q/c.txt")), "c");
    await assert.rejects(lstat(join(destRoot, "p/x/y/z")));
    await assert.rejects(lstat(join(destRoot, "p/other.txt")));
    await copyIntoRoot(request(context, destRoot, ["x/./y/z/b.txt"], "/pivot/", { parents: true }));
    assert.equal(await read(join(destRoot, "pivot/y/z/b.txt")), "b");
    await copyIntoRoot(request(context, destRoot, ["."], "/all/", { parents: true }));
    assert.equal(await read(join(destRoot, "all/x/y/z/b.txt")), "b");
    assert.equal(await read(join(destRoot, "all/other.txt")), "o");
    await copyIntoRoot(request(context, destRoot, ["x/*/a.txt"], "/wild/", { parents: true }));
    assert.equal(await read(join(destRoot, "wild/x/y/a.txt")), "a");
    await rejectsWith(
      copyIntoRoot(request(context, destRoot, ["x/nope.txt"], "/p/", { parents: true })),
      "BUILD_SOURCE_NOT_FOUND",
      '"/x/nope.txt": not found',
    );
  });

  test("heredoc files: 0644, owned by root or --chown, --chmod applied", async () => {
    const { context, destRoot } = await setup({});
    await copyIntoRoot(
      request(context, destRoot, [], "/h/", {
        inlineFiles: [{ path: "EOF", data: "hello\n" }],
        sourceDateEpoch: 1000,
      }),
    );
    assert.equal(await read(join(destRoot, "h/EOF")), "hello\n");
    assert.equal(await modeOf(join(destRoot, "h/EOF")), 0o644);
    assert.equal((await stat(join(destRoot, "h/EOF"))).mtimeMs, 1_000_000);
    await copyIntoRoot(
      request(context, destRoot, [], "/h/run.sh", {
        inlineFiles: [{ path: "EOF", data: "#!/bin/sh\n" }],
        chmod: "+x",
        chown: "7:8",
      }),
    );
    assert.equal(await modeOf(join(destRoot, "h/run.sh")), 0o755);
    const st = await lstat(join(destRoot, "h/run.sh"));
    assert.deepEqual([st.uid, st.gid], [7, 8]);
  });
});

describe("metadata", () => {
  test("modes (set-id and sticky too) and mtimes are kept; owners become 0:0 from the context", async () => {
    const { context, destRoot } = await setup({
      "d/run": { data: "#!", mode: 0o4751, mtime: 1_500_000_000 },
      "d/sticky": { dir: true, mode: 0o1777, mtime: 1_400_000_000 },
      "d/ro": { data: "r", mode: 0o400, mtime: 1_300_000_000.5 },
    });
    await utimes(join(context, "d"), 1_200_000_000, 1_200_000_000);
    execFileSync("chown", ["1234:5678", join(context, "d/run")]);
    await chmod(join(context, "d/run"), 0o4751); // chown cleared the set-uid bit
    await copyIntoRoot(request(context, destRoot, ["d"], "/m"));
    const run = await lstat(join(destRoot, "m/run"));
    assert.equal(run.mode & 0o7777, 0o4751);
    assert.deepEqual([run.uid, run.gid], [0, 0]);
    assert.equal(run.mtimeMs, 1_500_000_000_000);
    assert.equal(run.atimeMs, run.mtimeMs);
    const sticky = await lstat(join(destRoot, "m/sticky"));
    assert.equal(sticky.mode & 0o7777, 0o1777);
    assert.equal(sticky.mtimeMs, 1_400_000_000_000);
    assert.equal((await lstat(join(destRoot, "m/ro"))).mtimeMs, 1_300_000_000_500);
    // The destination directory takes the source directory's times (fsutil), not its mode.
    const m = await lstat(join(destRoot, "m"));
    assert.equal(m.mtimeMs, 1_200_000_000_000);
    assert.equal(m.mode & 0o7777, 0o755);
  });

  test("a stage's root keeps its owners; --chown overrides them", async () => {
    const stage = await freshDir("stage");
    const destRoot = await freshDir("dest");
    await writeTree(stage, { "app/a": "a", "app/sub/b": "b" });
    execFileSync("chown", ["-R", "1000:1001", join(stage, "app")]);
    await copyIntoRoot({
      source: { root: stage },
      sourcePaths: ["/app"],
      dest: "/app",
      workdir: "/",
      destRoot,
    });
    for (const p of ["app/a", "app/sub", "app/sub/b"]) {
      const st = await lstat(join(destRoot, p));
      assert.deepEqual([p, st.uid, st.gid], [p, 1000, 1001]);
    }
    await copyIntoRoot({
      source: { root: stage },
      sourcePaths: ["/app"],
      dest: "/app2",
      workdir: "/",
      destRoot,
      chown: "5",
    });
    const st = await lstat(join(destRoot, "app2/sub/b"));
    assert.deepEqual([st.uid, st.gid], [5, 5]);
  });

  test("--chown by ids: entries and the parents it creates; existing parents untouched", async () => {
    const { context, destRoot } = await setup({ "d/f": "f", "d/sub/g": "g" });
    await mkdir(join(destRoot, "exists"));
    await copyIntoRoot(request(context, destRoot, ["d"], "/exists/new/deeper", { chown: "123:456" }));
    for (const p of [
      "exists/new",
      "exists/new/deeper",
      "exists/new/deeper/f",
      "exists/new/deeper/sub",
      "exists/new/deeper/sub/g",
    ]) {
      const st = await lstat(join(destRoot, p));
      assert.deepEqual([p, st.uid, st.gid], [p, 123, 456]);
    }
    const existing = await lstat(join(destRoot, "exists"));
    assert.deepEqual([existing.uid, existing.gid], [0, 0]);
    assert.equal((await lstat(join(destRoot, "exists/new"))).mode & 0o7777, 0o755);
  });

  test("--chown by name from the destination's /etc/passwd and /etc/group", async () => {
    const { context, destRoot } = await setup({ a: "a" });
    await writeTree(destRoot, {
      "etc/passwd": "root:x:0:0:root:/root:/bin/sh\napp:x:1500:1600::/home/app:/bin/sh\n",
      "etc/group": "root:x:0:\nstaff:x:50:app\n",
    });
    await copyIntoRoot(request(context, destRoot, ["a"], "/u1", { chown: "app" }));
    let st = await lstat(join(destRoot, "u1"));
    assert.deepEqual([st.uid, st.gid], [1500, 1600]);
    await copyIntoRoot(request(context, destRoot, ["a"], "/u2", { chown: "app:staff" }));
    st = await lstat(join(destRoot, "u2"));
    assert.deepEqual([st.uid, st.gid], [1500, 50]);
    await copyIntoRoot(request(context, destRoot, ["a"], "/u3", { chown: "42:staff" }));
    st = await lstat(join(destRoot, "u3"));
    assert.deepEqual([st.uid, st.gid], [42, 50]);
    // BuildKit does not fail for unknown names (uid 0; a group keeps the user's gid); the caller can warn.
    assert.deepEqual(await resolveChown("nobody:nogroup", destRoot), {
      uid: 0,
      gid: 0,
      unknownUser: "nobody",
      unknownGroup: "nogroup",
    });
    assert.deepEqual(await resolveChown("app:nogroup", destRoot), {
      uid: 1500,
      gid: 1600,
      unknownGroup: "nogroup",
    });
    assert.deepEqual(await resolveChown("root", destRoot), { uid: 0, gid: 0 });
    // The passwd file is read inside the root: an absolute link cannot point at the host's.
    const other = await freshDir("dest");
    await mkdir(join(other, "etc"));
    await mkdir(join(other, "host-etc"));
    await writeFile(join(other, "host-etc/passwd"), "app:x:77:88::/:/bin/sh\n");
    await rm(join(other, "etc"), { recursive: true });
    await symlink("/host-etc", join(other, "etc"));
    assert.deepEqual(await resolveChown("app", other), { uid: 77, gid: 88 });
  });

  test("--chmod, octal and symbolic", async () => {
    const { context, destRoot } = await setup({
      "d/f": { data: "f", mode: 0o640 },
      "d/x": { data: "x", mode: 0o750 },
      "d/sub": { dir: true, mode: 0o700 },
    });
    await copyIntoRoot(request(context, destRoot, ["d"], "/oct/new", { chmod: "0751" }));
    assert.equal(await modeOf(join(destRoot, "oct/new/f")), 0o751);
    assert.equal(await modeOf(join(destRoot, "oct/new/sub")), 0o751);
    // Current BuildKit also gives the created parents the octal mode.
    assert.equal(await modeOf(join(destRoot, "oct")), 0o751);
    await copyIntoRoot(request(context, destRoot, ["d"], "/sym/new", { chmod: "u+x,g-w,o=u" }));
    assert.equal(await modeOf(join(destRoot, "sym/new/f")), 0o747);
    assert.equal(await modeOf(join(destRoot, "sym/new/x")), 0o757);
    assert.equal(await modeOf(join(destRoot, "sym/new/sub")), 0o707);
    assert.equal(await modeOf(join(destRoot, "sym")), 0o755);
    await rejectsWith(
      copyIntoRoot(request(context, destRoot, ["d"], "/bad", { chmod: "08" })),
      "BUILD_COPY_INVALID",
      "invalid chmod parameter: '08'. it should be octal string and between 0 and 07777",
    );
    await rejectsWith(
      copyIntoRoot(request(context, destRoot, ["d"], "/bad", { chmod: "u+q" })),
      "BUILD_COPY_INVALID",
      "invalid syntax",
    );
  });

  test("symbolic modes as chmod(1) and BSD setmode compute them", () => {
    const cases: [string, number, boolean, number][] = [
      ["+x", 0o644, false, 0o755],
      ["a-w", 0o666, false, 0o444],
      ["go=", 0o777, false, 0o700],
      ["go=u-w", 0o750, false, 0o755],
      ["u=rwx,go=rx", 0o000, false, 0o755],
      ["+X", 0o644, false, 0o644],
      ["+X", 0o744, false, 0o755],
      ["+X", 0o600, true, 0o711],
      ["=rw,+X", 0o751, false, 0o777],
      ["u+s", 0o755, false, 0o4755],
      ["g+s,+t", 0o755, true, 0o3755],
      ["o+s", 0o755, false, 0o755],
      ["u-x+w", 0o544, false, 0o644],
      ["a=r", 0o4777, false, 0o0444],
    ];
    for (const [text, mode, isDir, want] of cases) {
      assert.equal(
        parseChmod(text).apply(mode, isDir).toString(8),
        want.toString(8),
        `${text} on ${mode.toString(8)}`,
      );
    }
    assert.equal(parseChmod("7777").octal, 0o7777);
    assert.throws(() => parseChmod("17777"), /invalid chmod parameter/);
    assert.throws(() => parseChmod(""), /invalid syntax/);
    assert.throws(() => parseChmod("u"), /invalid syntax/);
  });
});

describe("links and replacing", () => {
  test("links inside the source stay links; the source path itself is followed", async () => {
    const { context, destRoot } = await setup({
      "d/real.txt": "R",
      "d/rel": { link: "real.txt" },
      "d/abs": { link: "/etc/passwd" },
      "d/dangling": { link: "nowhere" },
      top: { link: "d/real.txt" },
      topdir: { link: "d" },
    });
    await copyIntoRoot(request(context, destRoot, ["d"], "/l"));
    assert.equal(await readlink(join(destRoot, "l/rel")), "real.txt");
    assert.equal(await readlink(join(destRoot, "l/abs")), "/etc/passwd");
    assert.equal(await readlink(join(destRoot, "l/dangling")), "nowhere");
    await copyIntoRoot(request(context, destRoot, ["top", "topdir"], "/f/"));
    const top = await lstat(join(destRoot, "f/top"));
    assert.ok(top.isFile());
    assert.equal(await read(join(destRoot, "f/top")), "R");
    // A followed directory link copies the directory's contents.
    assert.equal(await read(join(destRoot, "f/real.txt")), "R");
  });

  test("hard links within one source stay hard links", async () => {
    const { context, destRoot } = await setup({ "d/one": "1", "d/z": "zz" });
    await link(join(context, "d/one"), join(context, "d/two"));
    await copyIntoRoot(request(context, destRoot, ["d"], "/h"));
    const [a, b, z] = await Promise.all(["h/one", "h/two", "h/z"].map((p) => lstat(join(destRoot, p))));
    assert.equal(a!.ino, b!.ino);
    assert.notEqual(a!.ino, z!.ino);
    assert.equal(a!.nlink, 2);
  });

  test("large files (through the thread pool), hard links to them, fifos and devices", async () => {
    const stage = await freshDir("stage");
    const destRoot = await freshDir("dest");
    const big = Buffer.alloc(3 << 20, 7);
    big.write("end", big.length - 3);
    await writeTree(stage, { "s/small": "s" });
    await writeFile(join(stage, "s/big"), big);
    await chmod(join(stage, "s/big"), 0o2755);
    await utimes(join(stage, "s/big"), 1_234_567_890, 1_234_567_890);
    await link(join(stage, "s/big"), join(stage, "s/big-link"));
    execFileSync("mknod", [join(stage, "s/fifo"), "p"]);
    execFileSync("mknod", [join(stage, "s/null"), "c", "1", "3"]);
    execFileSync("chown", ["-h", "44:55", join(stage, "s/null")]);
    const r = await copyIntoRoot({
      source: { root: stage },
      sourcePaths: ["s"],
      dest: "/s",
      workdir: "/",
      destRoot,
    });
    assert.deepEqual(r, { files: 5, bytes: big.length + 1 });
    assert.ok((await readFile(join(destRoot, "s/big"))).equals(big));
    const b = await lstat(join(destRoot, "s/big"));
    assert.equal(b.mode & 0o7777, 0o2755);
    assert.equal(b.mtimeMs, 1_234_567_890_000);
    assert.equal((await lstat(join(destRoot, "s/big-link"))).ino, b.ino);
    assert.ok((await lstat(join(destRoot, "s/fifo"))).isFIFO());
    const dev = await lstat(join(destRoot, "s/null"));
    assert.ok(dev.isCharacterDevice());
    assert.equal(dev.rdev, (await lstat("/dev/null")).rdev);
    assert.deepEqual([dev.uid, dev.gid], [44, 55]);
  });

  test("a large file copied by itself: content, --chown, --chmod, mtime; a link there resolves inside the root", async () => {
    const { context, destRoot } = await setup({});
    const big = Buffer.alloc(2 << 20, 3);
    big.write("tail", big.length - 4);
    await writeFile(join(context, "big.bin"), big);
    await utimes(join(context, "big.bin"), 1_300_000_000, 1_300_000_000);
    const outside = join(scratch, `outside-${++counter}`);
    await writeFile(outside, "host");
    await mkdir(join(destRoot, "data"));
    await symlink(outside, join(destRoot, "data/link"));
    const opts = { chown: "7:8", chmod: "0640" };
    for (const dest of ["/data/big.bin", "/data/link"]) {
      const r = await copyIntoRoot(request(context, destRoot, ["big.bin"], dest, opts));
      assert.deepEqual(r, { files: 1, bytes: big.length });
    }
    for (const copied of [join(destRoot, "data/big.bin"), join(destRoot, outside)]) {
      const st = await lstat(copied);
      assert.ok(st.isFile(), copied);
      assert.ok((await readFile(copied)).equals(big));
      assert.deepEqual([st.uid, st.gid, st.mode & 0o7777, st.mtimeMs], [7, 8, 0o640, 1_300_000_000_000]);
    }
    assert.equal(await read(outside), "host", "nothing written outside the root");
  });

  test("an existing file (or link) is replaced, never written through; a directory is not", async () => {
    const { context, destRoot } = await setup({ a: "new", "d/x": "x" });
    const outside = join(scratch, `outside-${++counter}`);
    await writeFile(outside, "host");
    await writeFile(join(destRoot, "file"), "old");
    await mkdir(join(destRoot, "t"));
    await symlink(outside, join(destRoot, "t/x"));
    await copyIntoRoot(request(context, destRoot, ["a"], "/file"));
    assert.equal(await read(join(destRoot, "file")), "new");
    await copyIntoRoot(request(context, destRoot, ["d"], "/t"));
    assert.equal(await read(join(destRoot, "t/x")), "x");
    assert.ok((await lstat(join(destRoot, "t/x"))).isFile());
    assert.equal(await read(outside), "host");
    await mkdir(join(destRoot, "dirs/a"), { recursive: true });
    await rejectsWith(
      copyIntoRoot(request(context, destRoot, ["a"], "/dirs/")),
      "BUILD_COPY_INVALID",
      "cannot replace to directory /dirs/a with file",
    );
  });

  test("an absolute symlink among the destination's parents resolves inside the root", async () => {
    const { context, destRoot } = await setup({ a: "A", "d/b": "B" });
    const host = join(scratch, `host-${++counter}`);
    await mkdir(host);
    // /etc -> <host path> and /lib -> /usr/lib, as an image could have them.
    await symlink(host, join(destRoot, "etc"));
    await symlink("/usr/lib", join(destRoot, "lib"));
    await symlink("../../../../../../..", join(destRoot, "up"));
    await copyIntoRoot(request(context, destRoot, ["a"], "/etc/conf/a"));
    await copyIntoRoot(request(context, destRoot, ["d"], "/lib/x/"));
    await copyIntoRoot(request(context, destRoot, ["a"], "/up/escaped"));
    assert.equal(await read(join(destRoot, host, "conf/a")), "A");
    assert.equal(await read(join(destRoot, "usr/lib/x/b")), "B");
    assert.equal(await read(join(destRoot, "escaped")), "A");
    assert.deepEqual(await readdir(host), []);
    assert.equal(await resolveInRoot(destRoot, "/up/../../x"), join(destRoot, "x"));
    assert.equal(await resolveInRoot(destRoot, "/lib/../y"), join(destRoot, "usr/y"));
  });
});

describe("on an overlay mount", () => {
  test("a lower file is replaced, a lower directory merged, the upper holds only the copy", async () => {
    const base = await freshDir("overlay");
    const [lower, upper, work, merged] = ["lower", "upper", "work", "merged"].map((d) => join(base, d));
    for (const d of [lower, upper, work, merged]) await mkdir(d!, { recursive: true });
    await writeTree(lower!, {
      "app/old.txt": "lower",
      "app/keep.txt": "keep",
      "etc/passwd": "web:x:33:33::/:/bin/sh\n",
    });
    await symlink("/app", join(lower!, "link"));
    const { context } = await setup({ "src/old.txt": "new", "src/sub/n.txt": "n" });
    execFileSync("mount", [
      "-t",
      "overlay",
      "overlay",
      "-o",
      `lowerdir=${lower},upperdir=${upper},workdir=${work}`,
      merged!,
    ]);
    try {
      await copyIntoRoot(request(context, merged!, ["src"], "/link/", { chown: "web" }));
      assert.equal(await read(join(merged!, "app/old.txt")), "new");
      assert.equal(await read(join(merged!, "app/keep.txt")), "keep");
      const st = await lstat(join(merged!, "app/sub/n.txt"));
      assert.deepEqual([st.uid, st.gid], [33, 33]);
    } finally {
      execFileSync("umount", [merged!]);
    }
    assert.equal(await read(join(upper!, "app/old.txt")), "new");
    assert.equal(await read(join(lower!, "app/old.txt")), "lower");
    await assert.rejects(lstat(join(upper!, "app/keep.txt")));
    assert.deepEqual((await readdir(join(upper!, "app"))).sort(), ["old.txt", "sub"]);
  });
});

describe("ADD", () => {
  async function makeTar(dir: string, name: string, compress: string[] | undefined): Promise<string> {
    const tarFile = join(dirname(dir), `${name}.tar`);
    execFileSync("tar", ["--numeric-owner", "-cf", tarFile, "-C", dir, "."]);
    if (compress === undefined) return tarFile;
    execFileSync(compress[0]!, [...compress.slice(1), tarFile]);
    return `${tarFile}.${compress[0] === "gzip" ? "gz" : compress[0] === "bzip2" ? "bz2" : compress[0] === "xz" ? "xz" : "zst"}`;
  }

  test("local archives (none, gzip, bzip2, xz, zstd) are unpacked into the destination", async () => {
    const content = await freshDir("tar-content");
    await writeTree(content, {
      "bin/tool": { data: "#!/bin/sh\n", mode: 0o755, mtime: 1_600_000_000 },
      "etc/conf": { data: "c", mode: 0o600 },
      "lib/link": { link: "../bin/tool" },
    });
    execFileSync("chown", ["-R", "321:654", join(content, "etc")]);
    await utimes(join(content, "bin"), 1_550_000_000, 1_550_000_000);
    const context = await freshDir("context");
    for (const [name, compress] of [
      ["plain", undefined],
      ["gz", ["gzip"]],
      ["bz", ["bzip2"]],
      ["xz", ["xz"]],
      ["zst", ["zstd", "-q", "--rm"]],
    ] as const) {
      const file = await makeTar(content, name, compress as string[] | undefined);
      const copied = join(context, name === "plain" ? "a.tar" : `a-${name}`);
      await writeFile(copied, await readFile(file));
      assert.notEqual(await detectArchive(copied), undefined, name);
      const destRoot = await freshDir("dest");
      const r = await copyIntoRoot(
        request(context, destRoot, [copied.slice(context.length)], "/x", { unpackArchives: true }),
      );
      assert.equal(r.files, 3, name);
      assert.equal(await read(join(destRoot, "x/bin/tool")), "#!/bin/sh\n");
      const tool = await lstat(join(destRoot, "x/bin/tool"));
      assert.equal(tool.mode & 0o7777, 0o755);
      assert.equal(tool.mtimeMs, 1_600_000_000_000);
      assert.equal((await lstat(join(destRoot, "x/bin"))).mtimeMs, 1_550_000_000_000);
      const conf = await lstat(join(destRoot, "x/etc/conf"));
      assert.deepEqual([conf.uid, conf.gid, conf.mode & 0o7777], [321, 654, 0o600]);
      assert.equal(await readlink(join(destRoot, "x/lib/link")), "../bin/tool");
      // --chown overrides the archive's owners.
      const chowned = await freshDir("dest");
      await copyIntoRoot(
        request(context, chowned, [copied.slice(context.length)], "/", {
          unpackArchives: true,
          chown: "9:9",
        }),
      );
      const c2 = await lstat(join(chowned, "etc/conf"));
      assert.deepEqual([c2.uid, c2.gid], [9, 9]);
    }
  });

  test("COPY does not unpack; ADD copies other files as they are", async () => {
    const content = await freshDir("tar-content");
    await writeTree(content, { f: "f" });
    const tarFile = await makeTar(content, "t", ["gzip"]);
    const { context, destRoot } = await setup({ "not-a-tar.gz": "plain text", empty: "" });
    await writeFile(join(context, "t.tar.gz"), await readFile(tarFile));
    await copyIntoRoot(request(context, destRoot, ["t.tar.gz"], "/copy/"));
    assert.ok((await lstat(join(destRoot, "copy/t.tar.gz"))).isFile());
    await copyIntoRoot(
      request(context, destRoot, ["not-a-tar.gz", "empty"], "/add/", { unpackArchives: true }),
    );
    assert.equal(await read(join(destRoot, "add/not-a-tar.gz")), "plain text");
    assert.equal(await read(join(destRoot, "add/empty")), "");
  });

  test("an archive entry that climbs out with '..' is refused; links inside the destination are followed inside it", async () => {
    const make = async (
      entries: { name: string; type?: "symlink" | "file" | "directory"; linkname?: string; data?: string }[],
    ) => {
      const p = pack();
      for (const e of entries) {
        if (e.type === "symlink") p.entry({ name: e.name, type: "symlink", linkname: e.linkname! });
        else if (e.type === "directory") p.entry({ name: e.name, type: "directory", mode: 0o755 });
        else p.entry({ name: e.name, mode: 0o644 }, e.data ?? "");
      }
      p.finalize();
      const chunks: Buffer[] = [];
      for await (const c of p) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    };
    const context = await freshDir("context");
    await writeFile(join(context, "evil.tar"), await make([{ name: "../escape", data: "x" }]));
    await writeFile(
      join(context, "linky.tar"),
      await make([
        { name: "abs", type: "symlink", linkname: "/" },
        { name: "abs/inside", data: "i" },
        { name: "up", type: "symlink", linkname: "../../../.." },
        { name: "up/up.txt", data: "u" },
      ]),
    );
    const destRoot = await freshDir("dest");
    await rejectsWith(
      copyIntoRoot(request(context, destRoot, ["evil.tar"], "/x/", { unpackArchives: true })),
      "ARCHIVE_INVALID",
      /"\.\.\/escape" is outside of/,
    );
    await assert.rejects(lstat(join(destRoot, "escape")));
    await copyIntoRoot(request(context, destRoot, ["linky.tar"], "/y/", { unpackArchives: true }));
    // Inside the destination directory, as moby's chroot resolves them.
    assert.equal(await read(join(destRoot, "y/inside")), "i");
    assert.equal(await read(join(destRoot, "y/up.txt")), "u");
    assert.equal(await readlink(join(destRoot, "y/abs")), "/");
  });

  test("fetchAddUrl: mode 0600, mtime from Last-Modified (else 0), checksum verified", async () => {
    const body = Buffer.from("downloaded content\n");
    const server = createServer((req, res) => {
      if (req.url === "/missing") {
        res.writeHead(404).end();
        return;
      }
      const headers: Record<string, string> = { "content-length": String(body.length) };
      if (req.url === "/dated") headers["last-modified"] = "Wed, 21 Oct 2015 07:28:00 GMT";
      res.writeHead(200, headers).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    after(() => server.close());
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dir = await freshDir("fetch");
    const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
    const got = await fetchAddUrl(`${base}/dated`, join(dir, "f"), digest);
    assert.deepEqual(got, { digest, size: body.length, mtime: 1445412480 });
    const st = await lstat(join(dir, "f"));
    assert.equal(st.mode & 0o7777, 0o600);
    assert.equal(st.mtimeMs, 1445412480_000);
    await fetchAddUrl(`${base}/plain`, join(dir, "g"));
    assert.equal((await lstat(join(dir, "g"))).mtimeMs, 0);
    const wrong = `sha256:${"0".repeat(64)}`;
    await rejectsWith(
      fetchAddUrl(`${base}/plain`, join(dir, "h"), wrong),
      "DIGEST_MISMATCH",
      `digest mismatch for ${base}/plain: ${digest} (expected: ${wrong})`,
    );
    await assert.rejects(lstat(join(dir, "h")));
    await rejectsWith(
      fetchAddUrl(`${base}/missing`, join(dir, "i")),
      "BUILD_FETCH_FAILED",
      "invalid response status 404",
    );
  });
});

describe("content hash", () => {
  test("stable across mtime changes; different for a mode, content, name or owner change", async () => {
    const { context } = await setup({ "d/a": "a", "d/sub/b": "b", "d/l": { link: "a" } });
    const req = { source: { root: context, excludes: [] }, sourcePaths: ["d"], dest: "/x", workdir: "/" };
    const cache = new FileDigestCache();
    const h1 = await hashCopySources({ ...req, digestCache: cache });
    assert.match(h1, /^sha256:[0-9a-f]{64}$/);
    await utimes(join(context, "d/a"), 1000, 1000);
    await utimes(join(context, "d/sub"), 2000, 2000);
    assert.equal(await hashCopySources({ ...req, digestCache: cache }), h1);
    assert.equal(await hashCopySources({ ...req, digestCache: new FileDigestCache() }), h1);
    const seen = new Set([h1]);
    const changed = async (what: string, change: () => Promise<unknown>, extra: object = {}) => {
      await change();
      const h = await hashCopySources({ ...req, ...extra, digestCache: cache });
      assert.ok(!seen.has(h), `${what} must change the hash`);
      seen.add(h);
    };
    await changed("a mode", () => chmod(join(context, "d/a"), 0o600));
    await changed("a directory's mode", () => chmod(join(context, "d/sub"), 0o700));
    // Same size and the mtime put back: the stat key still changes (ctime), so the content is re-read.
    await changed("content", async () => {
      await writeFile(join(context, "d/a"), "A");
      await utimes(join(context, "d/a"), 1000, 1000);
    });
    await changed("a name", () =>
      (async () => {
        await writeFile(join(context, "d/c"), await readFile(join(context, "d/sub/b")));
        await rm(join(context, "d/sub/b"));
      })(),
    );
    await changed("a link target", async () => {
      await rm(join(context, "d/l"));
      await symlink("c", join(context, "d/l"));
    });
    await changed("--chown", async () => undefined, { chownIds: { uid: 1, gid: 1 } });
    await changed("--chmod", async () => undefined, { chmod: "0700" });
    await changed("--exclude", async () => undefined, { excludePatterns: ["c"] });
    // .dockerignore hides what the build does not send: excluding it changes the hash, as removing it would.
    await changed(".dockerignore", async () => undefined, { source: { root: context, excludes: ["d/a"] } });
  });

  test("COPY and ADD of an archive hash differently; a stage's owners count", async () => {
    const content = await freshDir("tar-content");
    await writeTree(content, { f: "f" });
    const context = await freshDir("context");
    execFileSync("tar", ["-cf", join(context, "a.tar"), "-C", content, "."]);
    const req = { source: { root: context, excludes: [] }, sourcePaths: ["a.tar"], dest: "/", workdir: "/" };
    assert.notEqual(await hashCopySources(req), await hashCopySources({ ...req, unpackArchives: true }));
    const stage = { ...req, source: { root: context } };
    const before = await hashCopySources(stage);
    assert.equal(await hashCopySources(req), await hashCopySources({ ...req }));
    execFileSync("chown", ["3:3", join(context, "a.tar")]);
    assert.notEqual(await hashCopySources(stage), before);
    // From the context owners are 0:0 whatever the file system says.
    assert.equal(await hashCopySources(req), await hashCopySources({ ...req }));
  });
});
