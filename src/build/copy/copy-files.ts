/**
 * COPY/ADD into a root directory (the step's merged overlay mount), with fsutil's copy semantics
 * as BuildKit's file op runs them, one source after the other:
 * - the destination's missing parents are made 0755 (or the octal --chmod, as current BuildKit
 *   does), owned by the --chown ids when given; existing ones are left alone;
 * - a file source into an existing directory (or a destination ending in "/") keeps its base
 *   name, else it becomes the destination; a directory source's contents are merged into the
 *   destination, whose times become the source directory's;
 * - entries keep their mode (set-id and sticky bits too) and mtime (atime = mtime); owner 0:0 for
 *   the build context, the source's for another stage, --chown ids when given; --chmod applies to
 *   every copied file and directory; links below the source stay links; hard links within one
 *   source stay hard links (fsutil's inode map); an existing file is replaced (never written
 *   through: a link at the destination is removed first), an existing directory merged (and given
 *   the source directory's metadata), a directory never replaced by a file;
 * - paths inside the destination are resolved with links followed inside it only.
 * Files of 1 MiB and more are copied with fs.copyFile (FICLONE where the file system can, else
 * copy_file_range) through the thread pool, 4 at once; the small ones are read whole and written
 * through one descriptor, synchronously in time slices meanwhile (see TimeSlicer: the pool's
 * overhead per small file is larger than the copy).
 */
import { execFileSync } from "node:child_process";
import type { BigIntStats } from "node:fs";
import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import {
  chmod as chmodPath,
  copyFile,
  lchown,
  lstat,
  mkdir,
  stat,
  unlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { noSpaceError, WharfError } from "../../errors.ts";
import { writeAllSync } from "../../util/write-all.ts";
import { cleanAbsolute, resolveInRoot } from "../root-path.ts";
import { type Chmod, parseChmod } from "./chmod.ts";
import { type ChownIds, resolveChown } from "./chown.ts";
import type { CopyRequest, CopyResult } from "./copy-request.ts";
import { type CopyPlan, planCopy, type SourceEntry, type SourceItem } from "./copy-sources.ts";
import { forEachLimited, TimeSlicer } from "./limited.ts";

/** Files from this size on are copied through the thread pool, this many at once. */
const LARGE_FILE = 1 << 20;
const LARGE_CONCURRENCY = 4;
const COPY_FLAGS = constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE;

/** The destination as BuildKit normalises it: absolute, and whether it names a directory. */
export function destinationPath(dest: string, workdir: string): { path: string; isDir: boolean } {
  const isDir = dest === "" || dest === "." || dest.endsWith("/") || dest.endsWith("/.");
  const path = dest.startsWith("/") ? cleanAbsolute(dest) : cleanAbsolute(`${workdir}/${dest}`);
  return { path, isDir };
}

interface CopyContext {
  readonly destRoot: string;
  readonly chownIds: ChownIds | undefined;
  readonly chmod: Chmod | undefined;
  readonly ownership: CopyPlan["ownership"];
  readonly createdTime: number | undefined;
  /** Directories made as missing parents, for their times at the end. */
  readonly createdDirs: string[];
  readonly result: CopyResult;
}

/** Copies what `req` names into `req.destRoot`. A full disk is NO_SPACE. */
export async function copyIntoRoot(req: CopyRequest): Promise<CopyResult> {
  try {
    return await copyRequest(req);
  } catch (err) {
    throw noSpaceError(err) ?? err;
  }
}

async function copyRequest(req: CopyRequest): Promise<CopyResult> {
  const chmod = req.chmod !== undefined && req.chmod !== "" ? parseChmod(req.chmod) : undefined;
  const plan = await planCopy(req);
  const chownIds =
    req.chown !== undefined && req.chown !== "" ? await resolveChown(req.chown, req.destRoot) : undefined;
  const dest = destinationPath(req.dest, req.workdir);
  const ctx: CopyContext = {
    destRoot: req.destRoot,
    chownIds: chownIds === undefined ? undefined : { uid: chownIds.uid, gid: chownIds.gid },
    chmod,
    ownership: plan.ownership,
    createdTime: req.sourceDateEpoch,
    createdDirs: [],
    result: { files: 0, bytes: 0 },
  };
  if (plan.items.length > 1 && !dest.isDir && !(await isDirectory(resolveInRoot(req.destRoot, dest.path)))) {
    const instruction = req.instruction ?? "COPY";
    throw new WharfError(
      "BUILD_COPY_INVALID",
      `When using ${instruction} with more than one source file, the destination must be a directory and end with a /`,
      { dest: req.dest },
    );
  }
  for (const item of plan.items) await copyItem(ctx, item, dest);
  if (ctx.createdTime !== undefined) {
    const t = ctx.createdTime;
    await Promise.all(ctx.createdDirs.map((d) => utimes(d, t, t)));
  }
  return ctx.result;
}

async function copyItem(
  ctx: CopyContext,
  item: SourceItem,
  dest: { path: string; isDir: boolean },
): Promise<void> {
  if (item.kind === "archive") {
    // BuildKit's unpack: into the destination itself, made 0755 whatever --chmod says.
    const destAbs = resolveInRoot(ctx.destRoot, dest.path);
    await mkdirAll(ctx, destAbs, 0o755);
    // Loaded here: tar-stream is for ADD of archives only.
    const { unpackArchive } = await import("./archive-unpack.ts");
    const r = await unpackArchive(
      item.abs,
      item.compression,
      destAbs,
      ctx.chownIds ? { chown: ctx.chownIds } : {},
    );
    ctx.result.files += r.files;
    ctx.result.bytes += r.bytes;
    return;
  }
  // fsutil's Copy: the destination's directory (or the destination itself for "dir/") first.
  const ensure = dest.isDir ? dest.path : parentOf(dest.path);
  await mkdirAll(ctx, resolveInRoot(ctx.destRoot, ensure), parentMode(ctx));
  const destAbs = resolveInRoot(ctx.destRoot, dest.path);
  const isDir = item.kind === "tree" && item.isDir;
  const existing = await statOrUndefined(destAbs);
  const target = !isDir && existing?.isDirectory() === true ? `${destAbs}/${item.name}` : destAbs;
  await mkdirAll(ctx, isDir && existing === undefined ? target : parentOf(target), parentMode(ctx));
  if (item.kind === "inline") {
    await copyInline(ctx, item.data, target);
    return;
  }
  if (!isDir) {
    const entry = item.entries[0]!;
    if (entry.kind === "file" && entry.stat.size >= LARGE_FILE) await copyLargeFile(ctx, entry, target);
    else copyLeaf(ctx, entry, target);
    return;
  }
  await copyTree(ctx, item.entries, target);
}

/** A heredoc file: BuildKit makes it 0644 in a scratch state and copies it like any file. */
async function copyInline(ctx: CopyContext, data: Buffer, target: string): Promise<void> {
  await replaceableAsync(ctx, target, () => writeFile(target, data, { flag: "wx", mode: 0o600 }));
  const mode = ctx.chmod ? ctx.chmod.apply(0o100644, false) : 0o644;
  const ids = ctx.chownIds ?? { uid: 0, gid: 0 };
  await lchown(target, ids.uid, ids.gid);
  await chmodPath(target, mode);
  const t = ctx.createdTime ?? Date.now() / 1000;
  await utimes(target, t, t);
  ctx.result.files++;
  ctx.result.bytes += data.length;
}

async function copyTree(ctx: CopyContext, entries: readonly SourceEntry[], target: string): Promise<void> {
  const top = await lstat(target);
  if (!top.isDirectory()) throw cannotCopyToNonDirectory(ctx, target);
  const slicer = new TimeSlicer();
  // Directories first, in pre-order, so that every file's parent exists.
  const dirs: { entry: SourceEntry; path: string }[] = [];
  for (const entry of entries) {
    if (entry.kind !== "dir" || entry.rel === "") continue;
    await slicer.pause();
    const path = `${target}/${entry.rel}`;
    let created = true;
    try {
      mkdirSync(path, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (!lstatSync(path).isDirectory()) throw cannotCopyToNonDirectory(ctx, path);
      created = false;
    }
    // An existing directory takes the source's metadata unless it is only a parent of what is copied.
    if (created || !entry.parentOnly) dirs.push({ entry, path });
  }
  // Large files go to the thread pool (copy_file_range/FICLONE) while the small ones, where the
  // pool's overhead would dominate, are copied synchronously between event-loop turns.
  const large: SourceEntry[] = [];
  const links: SourceEntry[] = [];
  for (const entry of entries) {
    if (entry.kind === "dir") continue;
    if (entry.hardlinkTo !== undefined) links.push(entry);
    else if (entry.kind === "file" && entry.stat.size >= LARGE_FILE) large.push(entry);
  }
  const largeCopies = forEachLimited(large, LARGE_CONCURRENCY, (entry) =>
    copyLargeFile(ctx, entry, `${target}/${entry.rel}`),
  );
  // Keep the large copies' failure from being unhandled while the small ones run.
  largeCopies.catch(() => undefined);
  for (const entry of entries) {
    if (entry.kind === "dir" || entry.hardlinkTo !== undefined) continue;
    if (entry.kind === "file" && entry.stat.size >= LARGE_FILE) continue;
    await slicer.pause();
    copyLeaf(ctx, entry, `${target}/${entry.rel}`);
  }
  await largeCopies;
  for (const entry of links) {
    await slicer.pause();
    const path = `${target}/${entry.rel}`;
    replaceable(ctx, path, () => linkSync(`${target}/${entry.hardlinkTo}`, path));
    ctx.result.files++;
  }
  // Directory metadata last: writing into a directory changes its mtime.
  for (const { entry, path } of dirs) {
    await slicer.pause();
    applyMetadata(ctx, entry.stat, path, true);
  }
  // The destination directory itself keeps its owner and mode but takes the source's times.
  const t = mtimeSeconds(entries[0]!.stat);
  await utimes(target, t, t);
  const created = ctx.createdDirs.indexOf(target);
  if (created >= 0) ctx.createdDirs.splice(created, 1);
}

/** A file of LARGE_FILE or more: copy_file_range/FICLONE on the thread pool, not through JS buffers. */
async function copyLargeFile(ctx: CopyContext, entry: SourceEntry, path: string): Promise<void> {
  await replaceableAsync(ctx, path, () => copyFile(entry.abs, path, COPY_FLAGS));
  ctx.result.bytes += Number(entry.stat.size);
  ctx.result.files++;
  applyMetadata(ctx, entry.stat, path, false);
}

/** One non-directory entry (not a hard link) at `path`. */
function copyLeaf(ctx: CopyContext, entry: SourceEntry, path: string): void {
  switch (entry.kind) {
    case "file":
      copySmallFile(ctx, entry, path);
      return;
    case "symlink": {
      const linkTarget = readlinkSync(entry.abs);
      replaceable(ctx, path, () => symlinkSync(linkTarget, path));
      break;
    }
    case "socket":
      // fsutil's copyDevice drops the socket type: mknod makes an empty regular file.
      replaceable(ctx, path, () => writeFileSync(path, "", { flag: "wx", mode: 0o600 }));
      break;
    default: {
      const type = entry.kind === "fifo" ? "p" : entry.kind === "block" ? "b" : "c";
      const rdev = entry.stat.rdev;
      // Linux's dev_t encoding (glibc's gnu_dev_major/minor).
      const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
      const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
      const args = type === "p" ? [path, type] : [path, type, String(major), String(minor)];
      replaceable(ctx, path, () => execFileSync("mknod", args, { stdio: "ignore" }));
    }
  }
  ctx.result.files++;
  applyMetadata(ctx, entry.stat, path, false);
}

/**
 * A file under LARGE_FILE, read whole and written through one descriptor that also takes its
 * owner, mode and times: 9 system calls where copyFile (which also tries FICLONE, copies owner,
 * mode and times itself) and the path-based metadata calls after it made 13.
 */
function copySmallFile(ctx: CopyContext, entry: SourceEntry, path: string): void {
  const data = readFileSync(entry.abs);
  let fd = -1;
  replaceable(ctx, path, () => {
    fd = openSync(path, "wx", 0o600);
  });
  try {
    writeAllSync(fd, data);
    const ids = ownerOf(ctx, entry.stat);
    fchownSync(fd, ids.uid, ids.gid);
    // After the chown, which clears set-id bits.
    const mode = Number(entry.stat.mode) & 0o7777;
    fchmodSync(fd, ctx.chmod ? ctx.chmod.apply(Number(entry.stat.mode), false) : mode);
    const t = mtimeSeconds(entry.stat);
    futimesSync(fd, t, t);
  } finally {
    closeSync(fd);
  }
  ctx.result.bytes += data.length;
  ctx.result.files++;
}

/** fsutil's copyFileInfo: owner, then mode (a chown clears set-id bits), then times. */
function applyMetadata(ctx: CopyContext, st: BigIntStats, path: string, isDir: boolean): void {
  const ids = ownerOf(ctx, st);
  lchownSync(path, ids.uid, ids.gid);
  const t = mtimeSeconds(st);
  if (st.isSymbolicLink()) {
    lutimesSync(path, t, t);
    return;
  }
  const mode = Number(st.mode) & 0o7777;
  const wanted = ctx.chmod ? ctx.chmod.apply(Number(st.mode), isDir) : mode;
  // copyFile already gave a regular file the source's mode; the chown cleared only set-id bits.
  if (isDir || wanted !== mode || (mode & 0o6000) !== 0 || !st.isFile()) chmodSync(path, wanted);
  utimesSync(path, t, t);
}

function ownerOf(ctx: CopyContext, st: BigIntStats): ChownIds {
  if (ctx.chownIds !== undefined) return ctx.chownIds;
  if (ctx.ownership === "root") return { uid: 0, gid: 0 };
  return { uid: Number(st.uid), gid: Number(st.gid) };
}

/**
 * Runs `create`, which fails with EEXIST when something is at `path`: a directory there is an
 * error (fsutil's ensureEmptyFileTarget), anything else is removed and `create` runs again.
 */
function replaceable(ctx: CopyContext, path: string, create: () => unknown): void {
  try {
    create();
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  if (lstatSync(path).isDirectory()) throw cannotReplaceDirectory(ctx, path);
  unlinkSync(path);
  create();
}

async function replaceableAsync(
  ctx: CopyContext,
  path: string,
  create: () => Promise<unknown>,
): Promise<void> {
  try {
    await create();
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  if ((await lstat(path)).isDirectory()) throw cannotReplaceDirectory(ctx, path);
  await unlink(path);
  await create();
}

function cannotReplaceDirectory(ctx: CopyContext, path: string): WharfError {
  const shown = relativeToRoot(ctx, path);
  return new WharfError("BUILD_COPY_INVALID", `cannot replace to directory ${shown} with file`, {
    path: shown,
  });
}

/** fsutil's MkdirAll: missing directories down to `abs` (inside the root), recorded as created. */
async function mkdirAll(ctx: CopyContext, abs: string, mode: number): Promise<void> {
  const missing: string[] = [];
  let p = abs;
  while (p.length > ctx.destRoot.length) {
    const st = await statOrUndefined(p);
    if (st !== undefined) {
      if (!st.isDirectory()) {
        throw new WharfError("BUILD_COPY_INVALID", `mkdir ${relativeToRoot(ctx, p)}: not a directory`, {
          path: relativeToRoot(ctx, p),
        });
      }
      break;
    }
    missing.push(p);
    p = parentOf(p);
  }
  for (const dir of missing.reverse()) {
    await mkdir(dir, { mode });
    // mkdir's mode passes through the umask.
    await chmodPath(dir, mode);
    if (ctx.chownIds !== undefined) await lchown(dir, ctx.chownIds.uid, ctx.chownIds.gid);
    ctx.createdDirs.push(dir);
  }
}

/** Current BuildKit gives created parents the octal --chmod (not a symbolic one), else 0755. */
function parentMode(ctx: CopyContext): number {
  return ctx.chmod?.octal ?? 0o755;
}

function cannotCopyToNonDirectory(ctx: CopyContext, path: string): WharfError {
  const shown = relativeToRoot(ctx, path);
  return new WharfError("BUILD_COPY_INVALID", `cannot copy to non-directory: ${shown}`, { path: shown });
}

/** A host path inside the destination root as the image sees it ("/etc/x"). */
function relativeToRoot(ctx: CopyContext, path: string): string {
  const root = ctx.destRoot.replace(/\/+$/, "");
  return path.startsWith(`${root}/`) ? path.slice(root.length) : path === root ? "/" : path;
}

function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** Seconds with microseconds (what a double keeps exactly enough of; utimes takes no nanoseconds). */
function mtimeSeconds(st: BigIntStats): number {
  return Number(st.mtimeNs / 1000n) / 1e6;
}

async function statOrUndefined(path: string): Promise<import("node:fs").Stats | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw err;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return (await statOrUndefined(path))?.isDirectory() === true;
}
