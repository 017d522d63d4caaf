/**
 * ../shared/corpus/tar-security.json, every case: malicious layer tars from moby/go-archive and
 * containerd's archive tests, unpacked by unpackLayer into a real directory (pre-populated as the
 * case's `setup` says), then the case's expectations checked on the real files.
 *
 * Errors: the corpus's "breakout", "path-escapes" and "invalid archive" are wharf's LAYER_UNSAFE.
 * Beyond each case's own checks, every case asserts that nothing outside the extraction root
 * changed (the tree beside it and the outside directory of `<TD>`, compared before and after).
 *
 * Where wharf deliberately decides differently from the reference (DELIBERATE below: it refuses a
 * layer that moby or containerd would resolve through a symlink, scoped to the root), the case
 * asserts wharf's refusal and the safety checks instead, and says why.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  type Stats,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { describe, test } from "node:test";
import { pack } from "tar-stream";
import { isWharfError } from "../../src/errors.ts";
import { unpackLayer } from "../../src/layer/unpack.ts";
import { loadCorpus } from "../corpus.ts";

interface SetupItem {
  path: string;
  type: "dir" | "reg" | "symlink" | "link";
  mode?: string;
  content?: string;
  linkname?: string;
}
interface TarEntrySpec {
  type: "reg" | "dir" | "symlink" | "link" | "pax-global";
  name: string;
  linkname?: string;
  mode?: string;
  content?: string;
  contentHex?: string;
}
type Check =
  | string
  | { fileContent: { path: string; content?: string; contentHex?: string } }
  | { sameFile: [string, string] }
  | { notSameFile: [string, string] }
  | { notExists: string }
  | { hostFileNot: { path: string; contentHex: string } }
  | { bothSymlinksWithSameTarget: [string, string] }
  | { hostFileMode: { path: string; mode: string } };
interface SecurityCase {
  id: number;
  suite: string;
  name?: string;
  description?: string;
  implementation: string;
  apis: string[];
  setup: { layout: string; outside?: SetupItem[]; dest?: SetupItem[] };
  entries?: TarEntrySpec[];
  layers?: TarEntrySpec[][];
  layerSequence?: { change: string[]; expectedTreeAfter: string[] }[];
  expect: {
    result: "accept" | "reject" | "reject-or-contain";
    allowedErrors?: string[];
    errorKind?: string;
    errorContains?: string;
    checks?: Check[];
  };
  platform?: string;
  requiresRoot?: boolean;
}

const cases = loadCorpus<SecurityCase[]>("tar-security.json");
const isRoot = process.getuid?.() === 0;

/** The corpus's error kinds, as wharf reports them. */
const ERROR_KINDS: Record<string, "LAYER_UNSAFE"> = {
  breakout: "LAYER_UNSAFE",
  "path-escapes": "LAYER_UNSAFE",
  "invalid archive": "LAYER_UNSAFE",
};

interface Deliberate {
  reason: string;
  /** What wharf's refusal says, so that the case fails for the reason given. */
  message: RegExp;
}
const FOLLOWS_SYMLINK: Deliberate = {
  reason:
    "the reference resolves a symlink in the entry's path (or link target) inside the root; wharf never follows one and refuses the layer (LAYER_UNSAFE)",
  message: /has a symbolic link in its path/,
};
const CLAMPS_DOTDOT: Deliberate = {
  reason:
    "containerd clamps a hard link target that climbs above the root to the root; wharf refuses it (LAYER_UNSAFE)",
  message: /escapes the root/,
};
const LINK_TO_SYMLINK: Deliberate = {
  reason:
    "containerd hard-links a symlink itself; wharf's hard links must name a regular file (LAYER_UNSAFE)",
  message: /not a regular file/,
};
const DOTDOT_NAME: Deliberate = {
  reason:
    "an entry named `..` escapes the root: wharf refuses it as moby does (containerd ignores the entry)",
  message: /escapes the root/,
};

/** Cases (by suite, or suite/name) that wharf deliberately decides differently, with the reason. */
const DELIBERATE: Record<string, Deliberate> = {
  TestUntarThroughAbsoluteSymlink: FOLLOWS_SYMLINK,
  TestHardlinkSourceThroughAbsoluteSymlink: FOLLOWS_SYMLINK,
  "TestBreakouts/SymlinkAbsolute": FOLLOWS_SYMLINK,
  "TestBreakouts/SymlinkUpAndOut": FOLLOWS_SYMLINK,
  "TestBreakouts/SymlinkMultipleAbsolute": FOLLOWS_SYMLINK,
  "TestBreakouts/SymlinkMultipleRelative": FOLLOWS_SYMLINK,
  "TestBreakouts/SymlinkEmptyFile": FOLLOWS_SYMLINK,
  "TestBreakouts/HardlinkRelative": FOLLOWS_SYMLINK,
  "TestBreakouts/HardlinkDownAndOut": FOLLOWS_SYMLINK,
  "TestBreakouts/HardlinkAbsolute": FOLLOWS_SYMLINK,
  "TestBreakouts/HardlinkRelativeLong": FOLLOWS_SYMLINK,
  "TestBreakouts/HardlinkRelativeUpAndOut": FOLLOWS_SYMLINK,
  "TestBreakouts/HardlinkDirectRelative": CLAMPS_DOTDOT,
  "TestBreakouts/SymlinkParentDirectory": DOTDOT_NAME,
  "TestBreakouts/SymlinkParentRelative": FOLLOWS_SYMLINK,
  "TestBreakouts/SymlinkOverrideDirectory": FOLLOWS_SYMLINK,
  "TestBreakouts/SymlinkOverrideDirectoryRelative": FOLLOWS_SYMLINK,
  "TestBreakouts/WhiteoutSymlinkPath": FOLLOWS_SYMLINK,
  "TestBreakouts/WhiteoutDeadSymlinkParent": FOLLOWS_SYMLINK,
  "TestBreakouts/SymlinkOverridePath": FOLLOWS_SYMLINK,
  "TestBreakouts/HardlinkSymlinkBeforeCreateTarget": LINK_TO_SYMLINK,
  "TestBreakouts/HardlinkSymlinkRelative": LINK_TO_SYMLINK,
  "TestBreakouts/HardlinkSymlinkAbsolute": LINK_TO_SYMLINK,
  "TestBreakouts/HardlinkSymlinkChmod": LINK_TO_SYMLINK,
};

/** Multi-layer cases whose outcome differs by design: the check is replaced by wharf's own (see the test). */
const OVERLAY_SHADOWS_LOWER_SYMLINK =
  "wharf unpacks each layer into its own directory, as docker's overlay2 does: the second layer's implied lib/ is a real directory there, which in the merged view shadows the lower layer's lib symlink (moby's test applies both layers to one directory)";

function deliberateDifference(c: SecurityCase): Deliberate | undefined {
  return DELIBERATE[c.name === undefined ? c.suite : `${c.suite}/${c.name}`] ?? DELIBERATE[c.suite];
}

// ---------------------------------------------------------------------------------------------
// Building tars

function entryMode(e: TarEntrySpec): number {
  if (e.mode !== undefined) return Number.parseInt(e.mode, 8);
  return e.type === "dir" ? 0o755 : e.type === "reg" ? 0o644 : 0o777;
}

function entryBody(e: TarEntrySpec): Buffer {
  if (e.contentHex !== undefined) return Buffer.from(e.contentHex, "hex");
  return Buffer.from(e.content ?? "");
}

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A PAX global header (typeflag `g`), which tar-stream's pack cannot write. */
function paxGlobalHeader(name: string): Buffer {
  const record = " comment=wharf\n";
  let len = record.length + 2;
  if (String(len).length + record.length !== len) len = String(len + 1).length + record.length;
  const data = Buffer.from(`${len}${record}`);
  const header = Buffer.alloc(512);
  header.write(name, 0, 100);
  header.write("0000644\0", 100);
  header.write("0000000\0", 108);
  header.write("0000000\0", 116);
  header.write(`${data.length.toString(8).padStart(11, "0")}\0`, 124);
  header.write("00000000000\0", 136);
  header.write("g", 156);
  header.write("ustar\u000000", 257);
  header.fill(" ", 148, 156);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  const padded = Buffer.alloc(Math.ceil(data.length / 512) * 512);
  data.copy(padded);
  return Buffer.concat([header, padded]);
}

/** The tar of `entries`, each written by tar-stream's pack (its end-of-archive blocks cut off). */
async function buildTar(entries: TarEntrySpec[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  for (const e of entries) {
    if (e.type === "pax-global") {
      parts.push(paxGlobalHeader(e.name));
      continue;
    }
    const p = pack();
    const type = e.type === "reg" ? "file" : e.type === "dir" ? "directory" : e.type;
    const body = e.type === "reg" ? entryBody(e) : undefined;
    const header = {
      name: e.name,
      type,
      mode: entryMode(e),
      uid,
      gid,
      mtime: new Date(1_700_000_000_000),
    } as const;
    const withLink = e.linkname === undefined ? header : { ...header, linkname: e.linkname };
    if (body === undefined) p.entry(withLink);
    else p.entry(withLink, body);
    p.finalize();
    const bytes = await collect(p);
    parts.push(bytes.subarray(0, bytes.length - 1024));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** The tar as a stream of uneven chunks, so entries straddle chunk boundaries. */
function chunked(tar: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let pos = 0; pos < tar.length; pos += 777) yield tar.subarray(pos, pos + 777);
    })(),
  );
}

// ---------------------------------------------------------------------------------------------
// Setting up and checking trees

interface Context {
  /** The directory holding dest (and the case's outside files). */
  base: string;
  dest: string;
  /** `<TD>`: a directory outside the root, for cases that name absolute host paths. */
  td: string;
  victimHello?: { content: Buffer; mode: number; size: number };
}

function substitute<T>(value: T, placeholders: Record<string, string>): T {
  let json = JSON.stringify(value);
  for (const [key, replacement] of Object.entries(placeholders)) json = json.replaceAll(key, replacement);
  return JSON.parse(json) as T;
}

function createItems(root: string, items: SetupItem[], linkRoot: string): void {
  for (const item of items) {
    const path = join(root, item.path);
    mkdirSync(dirname(path), { recursive: true });
    const mode = item.mode === undefined ? undefined : Number.parseInt(item.mode, 8);
    if (item.type === "dir") {
      mkdirSync(path, { recursive: true });
      if (mode !== undefined) chmodSync(path, mode);
    } else if (item.type === "reg") {
      const content =
        item.content === "<unique random bytes>" ? randomBytes(32) : Buffer.from(item.content ?? "");
      writeFileSync(path, content);
      if (mode !== undefined) chmodSync(path, mode);
    } else if (item.type === "symlink") {
      symlinkSync(item.linkname ?? "", path);
    } else {
      linkSync(join(linkRoot, item.linkname ?? ""), path);
    }
  }
}

/** Everything under `dir` (not following symlinks), minus `skip`: type, mode, owner, inode, content. */
function snapshot(dir: string, skip?: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (path: string): void => {
    if (path === skip) return;
    const st = lstatSync(path);
    let what = `${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.ino} ${st.nlink} ${st.size} ${st.mtimeMs}`;
    if (st.isSymbolicLink()) what += ` -> ${readlinkSync(path)}`;
    else if (st.isFile()) what += ` ${readFileSync(path).toString("hex")}`;
    out.set(path, what);
    if (st.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
  };
  walk(dir);
  return out;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** A path inside the root with symlinks followed but kept inside it (containerd's fs.RootPath). */
function resolveInRoot(root: string, path: string): string {
  let rest = path.split("/").filter((p) => p !== "" && p !== ".");
  let resolved: string[] = [];
  let hops = 0;
  while (rest.length > 0) {
    const part = rest.shift()!;
    if (part === "..") {
      resolved.pop();
      continue;
    }
    const here = join(root, ...resolved, part);
    const st = lstatOrUndefined(here);
    if (st?.isSymbolicLink()) {
      hops += 1;
      assert.ok(hops < 40, `too many symlinks resolving ${path}`);
      const target = readlinkSync(here);
      if (target.startsWith("/")) resolved = [];
      rest = [...target.split("/").filter((p) => p !== "" && p !== "."), ...rest];
      continue;
    }
    resolved.push(part);
  }
  return join(root, ...resolved);
}

/** Absent from the overlay view: no such path, a parent that is not a directory, or a whiteout. */
function absentInOverlayView(root: string, path: string): boolean {
  const parts = path.split("/").filter((p) => p !== "");
  for (let i = 1; i <= parts.length; i++) {
    const st = lstatOrUndefined(join(root, ...parts.slice(0, i)));
    if (st === undefined) return true;
    if (st.isCharacterDevice() && st.rdev === 0) return true;
    if (i < parts.length && !st.isDirectory()) return true;
  }
  return false;
}

function regularFilesUnder(dir: string): string[] {
  const files: string[] = [];
  const walk = (path: string): void => {
    const st = lstatSync(path);
    if (st.isFile()) files.push(path);
    if (st.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
  };
  walk(dir);
  return files;
}

function sameInode(a: string, b: string): boolean {
  const sa = statSync(a);
  const sb = statSync(b);
  return sa.dev === sb.dev && sa.ino === sb.ino;
}

const STRING_CHECKS: Record<string, (ctx: Context) => void> = {
  "extraction may fail with a breakout/path-escape error or succeed; any other error fails the case": () => {
    // The result rule: asserted where the outcome is (reject-or-contain with allowedErrors).
  },
  'tmpdir/victim still exists, is a directory and contains only "hello"': ({ base }) => {
    assert.ok(lstatSync(join(base, "victim")).isDirectory());
    assert.deepEqual(readdirSync(join(base, "victim")), ["hello"]);
  },
  "tmpdir/victim/hello is unchanged (content, mode, size)": ({ base, victimHello }) => {
    const path = join(base, "victim/hello");
    const st = lstatSync(path);
    assert.ok(victimHello);
    assert.deepEqual(readFileSync(path), victimHello.content);
    assert.equal(st.mode, victimHello.mode);
    assert.equal(st.size, victimHello.size);
  },
  "no non-symlink file under dest has content equal to victim/hello (symlinks pointing outside are tolerated)":
    ({ dest, victimHello }) => {
      assert.ok(victimHello);
      for (const file of regularFilesUnder(dest)) {
        assert.notDeepEqual(readFileSync(file), victimHello.content, `${file} has victim/hello's content`);
      }
    },
  'base still contains only "dest"': ({ base }) => assert.deepEqual(readdirSync(base), ["dest"]),
  "dest/grab does not exist (no hardlink to the prefix-sharing sibling)": ({ dest }) =>
    assert.equal(lstatOrUndefined(join(dest, "grab")), undefined),
  "usr/bin/perlbug and usr/bin/perlthanks are the same inode (absolute hardlink target resolved inside the root)":
    ({ dest }) => assert.ok(sameInode(join(dest, "usr/bin/perlbug"), join(dest, "usr/bin/perlthanks"))),
  "tmpdir/victim/newfile does not exist": ({ base }) =>
    assert.equal(lstatOrUndefined(join(base, "victim/newfile")), undefined),
  '"foo" does not exist: no parent directories are created for PAX global headers': ({ dest }) =>
    assert.equal(lstatOrUndefined(join(dest, "foo")), undefined),
  "target/file does not exist": ({ dest }) =>
    assert.equal(lstatOrUndefined(join(dest, "target/file")), undefined),
};

function runCheck(check: Check, ctx: Context): void {
  const { dest } = ctx;
  if (typeof check === "string") {
    const fn = STRING_CHECKS[check];
    assert.ok(fn, `no implementation for the check ${JSON.stringify(check)}`);
    fn(ctx);
    return;
  }
  if ("fileContent" in check) {
    const { path, content, contentHex } = check.fileContent;
    const expected = contentHex !== undefined ? Buffer.from(contentHex, "hex") : Buffer.from(content ?? "");
    assert.deepEqual(readFileSync(resolveInRoot(dest, path)), expected, `content of ${path}`);
  } else if ("sameFile" in check) {
    const [a, b] = check.sameFile;
    assert.ok(sameInode(resolveInRoot(dest, a), resolveInRoot(dest, b)), `${a} and ${b} are one file`);
  } else if ("notSameFile" in check) {
    const [a, b] = check.notSameFile;
    assert.ok(!sameInode(resolveInRoot(dest, a), resolveInRoot(dest, b)), `${a} and ${b} are two files`);
  } else if ("notExists" in check) {
    // In a lower directory of an overlay, "removed" is a whiteout (character device 0,0).
    assert.ok(absentInOverlayView(dest, check.notExists), `${check.notExists} is absent`);
  } else if ("hostFileNot" in check) {
    const { path, contentHex } = check.hostFileNot;
    if (existsSync(path)) assert.notDeepEqual(readFileSync(path), Buffer.from(contentHex, "hex"));
  } else if ("bothSymlinksWithSameTarget" in check) {
    const [a, b] = check.bothSymlinksWithSameTarget.map((p) => join(dest, p)) as [string, string];
    assert.ok(lstatSync(a).isSymbolicLink() && lstatSync(b).isSymbolicLink());
    assert.equal(readlinkSync(a), readlinkSync(b));
  } else if ("hostFileMode" in check) {
    const { path, mode } = check.hostFileMode;
    assert.equal(lstatSync(path).mode & 0o7777, Number.parseInt(mode, 8), `mode of ${path}`);
  } else {
    assert.fail(`unknown check ${JSON.stringify(check)}`);
  }
}

/** Checks about the host outside the root: they hold whatever the outcome. */
function isHostCheck(check: Check): boolean {
  return typeof check !== "string" && ("hostFileNot" in check || "hostFileMode" in check);
}

// ---------------------------------------------------------------------------------------------
// Overlay views for the multi-layer cases

function mountOverlay(lowerDirs: string[], merged: string): void {
  const result = spawnSync(
    "mount",
    ["-t", "overlay", "overlay", "-o", `lowerdir=${lowerDirs.join(":")}`, merged],
    { encoding: "utf8" },
  );
  assert.equal(result.status, 0, `mount overlay: ${result.stderr}`);
}

function unmount(merged: string): void {
  spawnSync("umount", [merged], { stdio: "ignore" });
}

/** The merged tree as the corpus lists it: directories with a trailing slash, sorted. */
function treeOf(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, prefix: string): void => {
    for (const dirent of readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix + dirent.name;
      if (dirent.isDirectory()) {
        out.push(`${rel}/`);
        walk(join(dir, dirent.name), `${rel}/`);
      } else out.push(rel);
    }
  };
  walk(root, "");
  return out.sort();
}

function changeEntries(change: string[]): TarEntrySpec[] {
  return change.map((name) =>
    name.endsWith("/")
      ? { type: "dir", name }
      : { type: "reg", name, content: name.includes(".wh.") ? "" : name },
  );
}

// ---------------------------------------------------------------------------------------------

function caseTitle(c: SecurityCase): string {
  return `#${c.id} ${c.suite}${c.name ? `/${c.name}` : ""}${c.description ? `: ${c.description}` : ""} [${c.apis.join(", ")}]`;
}

async function runSingleLayer(c: SecurityCase, t: { diagnostic(message: string): void }): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), "wharf-tarsec-"));
  const td = mkdtempSync(join(tmpdir(), "wharf-tarsec-td-"));
  const placeholders = { "<TD>": td, "<TNAME>": `wharf-${randomBytes(6).toString("hex")}` };
  const hostBreakout = `/tmp/breakout-${placeholders["<TNAME>"]}`;
  try {
    const spec = substitute(
      { setup: c.setup, entries: c.entries ?? [], checks: c.expect.checks ?? [] },
      placeholders,
    );
    const dest = join(base, "dest");
    mkdirSync(dest);
    createItems(base, spec.setup.outside ?? [], base);
    createItems(dest, spec.setup.dest ?? [], dest);
    if (/victim is an empty sibling directory/.test(c.setup.layout)) mkdirSync(join(base, "victim"));
    if (c.name === "HardlinkSymlinkChmod") {
      // containerd's test: a read-only file outside the root, and a symlink to it beside it.
      writeFileSync(join(td, "perm400"), "perm400");
      chmodSync(join(td, "perm400"), 0o400);
      symlinkSync(join(td, "perm400"), join(td, "also-exists-outside-root"));
    }
    const ctx: Context = { base, dest, td };
    const hello = lstatOrUndefined(join(base, "victim/hello"));
    if (hello)
      ctx.victimHello = {
        content: readFileSync(join(base, "victim/hello")),
        mode: hello.mode,
        size: hello.size,
      };
    const outsideBefore = snapshot(base, dest);
    const tdBefore = snapshot(td);

    let error: unknown;
    try {
      await unpackLayer(chunked(await buildTar(spec.entries)), dest, { lowerDirs: [] });
    } catch (err) {
      error = err;
    }

    // Whatever happened inside, nothing outside the root changed.
    assert.deepEqual(snapshot(base, dest), outsideBefore, "the tree beside the root is unchanged");
    assert.deepEqual(snapshot(td), tdBefore, "the outside directory is unchanged");
    assert.equal(existsSync(hostBreakout), false, `${hostBreakout} was not created`);

    const deliberate = deliberateDifference(c);
    if (deliberate !== undefined) {
      t.diagnostic(`deliberate difference: ${deliberate.reason}`);
      assert.ok(isWharfError(error, "LAYER_UNSAFE"), `expected LAYER_UNSAFE, got ${String(error)}`);
      assert.match(error.message, deliberate.message);
      for (const check of spec.checks) if (isHostCheck(check)) runCheck(check, ctx);
      return;
    }
    const { result, errorKind, errorContains, allowedErrors } = c.expect;
    if (result === "accept") {
      assert.equal(error, undefined, `expected success, got ${String(error)}`);
    } else if (result === "reject") {
      const code = ERROR_KINDS[errorKind ?? "breakout"];
      assert.ok(code, `unmapped error kind ${errorKind}`);
      assert.ok(isWharfError(error, code), `expected ${code}, got ${String(error)}`);
      if (errorContains !== undefined) assert.match((error as Error).message, new RegExp(errorContains));
    } else if (error !== undefined) {
      for (const kind of allowedErrors ?? []) assert.ok(ERROR_KINDS[kind], `unmapped error kind ${kind}`);
      assert.ok(
        isWharfError(error, "LAYER_UNSAFE"),
        `expected success or LAYER_UNSAFE, got ${String(error)}`,
      );
    }
    if (error !== undefined) {
      assert.match((error as Error).message, /^layer entry ".*" /, "the message names the entry");
    }
    for (const check of spec.checks) runCheck(check, ctx);
  } finally {
    rmSync(base, { recursive: true, force: true });
    rmSync(td, { recursive: true, force: true });
    rmSync(hostBreakout, { force: true });
  }
}

/** Unpacks layers in order, each into its own directory over the ones before; returns them top first. */
async function unpackStack(
  work: string,
  layers: TarEntrySpec[][],
  each?: (lowerDirs: string[], i: number) => void,
) {
  const dirs: string[] = [];
  for (const [i, layer] of layers.entries()) {
    const dir = join(work, `layer${i}`);
    mkdirSync(dir);
    await unpackLayer(chunked(await buildTar(layer)), dir, { lowerDirs: [...dirs] });
    dirs.unshift(dir);
    each?.([...dirs], i);
  }
  return dirs;
}

/** Shows the stack through a read-only overlay (with an empty bottom layer: overlay wants two). */
function withMergedView<T>(work: string, lowerDirs: string[], fn: (merged: string) => T): T {
  const merged = join(work, "merged");
  const empty = join(work, "empty");
  mkdirSync(merged, { recursive: true });
  mkdirSync(empty, { recursive: true });
  mountOverlay([...lowerDirs, empty], merged);
  try {
    return fn(merged);
  } finally {
    unmount(merged);
  }
}

describe("tar-security corpus", () => {
  for (const c of cases) {
    const skip =
      c.requiresRoot && !isRoot
        ? "needs root (device nodes and ownership)"
        : (c.layers || c.layerSequence) && !isRoot
          ? "needs root to mount an overlay of the layers"
          : false;
    test(caseTitle(c), { skip }, async (t) => {
      if (c.layerSequence) {
        // moby's TestApplyLayerWhiteouts: each layer applied, then the merged view compared.
        const work = mkdtempSync(join(tmpdir(), "wharf-tarsec-seq-"));
        try {
          const layers = c.layerSequence.map((l) => changeEntries(l.change));
          await unpackStack(work, layers, (lowerDirs, i) => {
            const expected = [...c.layerSequence![i]!.expectedTreeAfter].sort();
            withMergedView(work, lowerDirs, (merged) =>
              assert.deepEqual(treeOf(merged), expected, `after layer ${i}`),
            );
          });
        } finally {
          unmount(join(work, "merged"));
          rmSync(work, { recursive: true, force: true });
        }
        return;
      }
      if (c.layers) {
        assert.equal(c.suite, "TestUnpackLayerCreatesImpliedDirectoriesThroughLowerLayerSymlink");
        t.diagnostic(`deliberate difference: ${OVERLAY_SHADOWS_LOWER_SYMLINK}`);
        const work = mkdtempSync(join(tmpdir(), "wharf-tarsec-layers-"));
        try {
          const [top, bottom] = (await unpackStack(work, c.layers)) as [string, string];
          assert.equal(
            readlinkSync(join(bottom, "lib")),
            "usr/lib",
            "the lower layer's lib is still a symlink",
          );
          assert.equal(readFileSync(join(top, "lib/systemd/system/container.service"), "utf8"), "content");
          assert.equal(lstatSync(join(top, "lib")).mode & 0o7777, 0o755, "implied directory: 0755");
          withMergedView(work, [top, bottom], (merged) => {
            assert.ok(lstatSync(join(merged, "lib")).isDirectory(), "the upper lib/ shadows the symlink");
            assert.equal(
              readFileSync(join(merged, "lib/systemd/system/container.service"), "utf8"),
              "content",
            );
            assert.ok(lstatSync(join(merged, "usr/lib")).isDirectory());
          });
        } finally {
          unmount(join(work, "merged"));
          rmSync(work, { recursive: true, force: true });
        }
        return;
      }
      await runSingleLayer(c, t);
    });
  }
});
