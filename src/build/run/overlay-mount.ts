/**
 * An overlayfs view of a stack of layer directories, mounted with the `mount` tool. The kernel
 * takes the options as one page (4096 bytes), which long absolute paths of many layers overflow,
 * so, as Docker's overlay2 driver does with its `l/` links, every directory gets a short symbolic
 * link ("0", "1", ..., "u" for the upper) in a private directory and `mount` runs there with
 * relative paths: 60 layers take about 200 bytes.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { WharfError } from "../../errors.ts";
import { runCommand } from "./command.ts";

export interface OverlayMount {
  merged: string;
  unmount(): Promise<void>;
}

export interface OverlayOptions {
  /** Top first. */
  lowerDirs: readonly string[];
  /** Receives the changes; omit for a read-only view of the lower dirs. */
  upperDir?: string;
  /** The mount's private directory (merged dir, work dir, links) is made here; with an upper dir
   *  it must be on the upper dir's file system (overlayfs wants the work dir beside the upper). */
  scratchDir: string;
}

/** The kernel's limit for mount data: one page, with its terminating NUL. */
const MAX_OPTIONS = 4095;

/**
 * Index, redirects and metacopy off: each would record state in xattrs of the upper dir (copy-up
 * origins, renamed directories, metadata-only copies) that a layer differ reading the upper dir as
 * a plain tree of changes would miss; with them off the upper dir is a complete record.
 */
const FEATURES = "index=off,redirect_dir=off,metacopy=off";

/**
 * With an upper dir: no syncs. overlayfs turns a sync of the mount, and the one every unmount does,
 * into a syncfs of the upper dir's whole file system, which waits for every dirty page on it (30-50
 * ms an unmount after a step that copied 50 MB, measured here); `volatile` (Linux 5.10) skips them.
 * Nothing is lost by it: the upper dir becomes a snapshot, a cache that is never fsynced either way,
 * and the layer blob written from it is fsynced into the store on its own. A kernel without the
 * option refuses the mount, and it is mounted again without.
 */
const VOLATILE = ",volatile";

export async function mountOverlay(opts: OverlayOptions): Promise<OverlayMount> {
  const { lowerDirs, upperDir } = opts;
  if (lowerDirs.length === 0) {
    throw new WharfError("MOUNT_FAILED", "overlay mount needs at least one lower directory");
  }
  // Synchronous set-up: a handful of small calls, cheaper than the thread pool's round trips.
  const dir = mkdtempSync(join(resolve(opts.scratchDir), "ovl-"));
  const merged = join(dir, "m");
  try {
    const lowers = lowerDirs.map((_, i) => String(i));
    mkdirSync(merged);
    for (const [i, lower] of lowerDirs.entries()) symlinkSync(resolve(lower), join(dir, String(i)));
    let options: string;
    if (upperDir !== undefined) {
      symlinkSync(resolve(upperDir), join(dir, "u"));
      mkdirSync(join(dir, "w"));
      if (statSync(upperDir).dev !== statSync(dir).dev) {
        throw new WharfError(
          "MOUNT_FAILED",
          `overlay upper dir ${upperDir} and scratch dir ${opts.scratchDir} are on different file systems`,
          { upperDir, scratchDir: opts.scratchDir },
        );
      }
      options = `lowerdir=${lowers.join(":")},upperdir=u,workdir=w,${FEATURES}`;
    } else {
      // Without an upper dir overlayfs wants two lower dirs; an empty one at the bottom adds nothing.
      if (lowers.length === 1) {
        mkdirSync(join(dir, "e"));
        lowers.push("e");
      }
      options = `lowerdir=${lowers.join(":")},${FEATURES}`;
    }
    if (options.length > MAX_OPTIONS) {
      throw new WharfError("MOUNT_FAILED", `too many layers for one overlay mount: ${lowerDirs.length}`, {
        layers: lowerDirs.length,
      });
    }
    const kernel =
      process.env.WHARF_BUILD_OVERLAY === "fuse"
        ? undefined
        : await mountKernel(options, upperDir, merged, dir);
    if (kernel === undefined || kernel.code !== 0) await fuseFallback(options, merged, dir, kernel?.stderr);
  } catch (err) {
    await removeUnlessMounted(dir, merged);
    throw err;
  }
  let unmounted: Promise<void> | undefined;
  return {
    merged,
    unmount: () => {
      unmounted ??= unmountAndRemove(dir, merged);
      return unmounted;
    },
  };
}

/** Kernel overlayfs, `volatile` when there is an upper dir and the kernel knows the option. */
async function mountKernel(options: string, upperDir: string | undefined, merged: string, dir: string) {
  const mount = (o: string) => runCommand("mount", ["-t", "overlay", "overlay", "-o", o, merged], dir);
  if (upperDir === undefined) return mount(options);
  const result = await mount(options + VOLATILE);
  return result.code === 0 ? result : mount(options);
}

/**
 * Where kernel overlayfs cannot be mounted (an older kernel, a user namespace without userxattr):
 * fuse-overlayfs, which takes the same options and keeps the same upper-dir format (whiteouts as
 * char 0,0 devices, so the differ reads it alike). `WHARF_BUILD_OVERLAY=fuse` chooses it (tests).
 */
async function fuseFallback(options: string, merged: string, dir: string, kernelError: string | undefined) {
  // fuse-overlayfs knows overlayfs's layer options but not its feature switches.
  const fuseOptions = options.replace(`,${FEATURES}`, "");
  const fuse = await runCommand("fuse-overlayfs", ["-o", fuseOptions, merged], dir).catch(() => undefined);
  if (fuse?.code === 0) return;
  const why = kernelError ? `overlay mount failed: ${kernelError.trim()}` : "overlay mount not tried";
  const fallback =
    fuse === undefined || fuse.code === 127
      ? "and fuse-overlayfs is not installed (apt-get install fuse-overlayfs)"
      : `and fuse-overlayfs failed: ${fuse.stderr.trim()}`;
  throw new WharfError("MOUNT_FAILED", `${why}, ${fallback}`, { options });
}

async function unmountAndRemove(dir: string, merged: string): Promise<void> {
  const result = await runCommand("umount", [merged]);
  if (result.code !== 0 && (await isMountPoint(dir, merged))) {
    // Busy (a process of the step still holds a file): detach it; the kernel frees it once released.
    const lazy = await runCommand("umount", ["-l", merged]);
    if (await isMountPoint(dir, merged)) {
      throw new WharfError("MOUNT_FAILED", `cannot unmount ${merged}: ${lazy.stderr || result.stderr}`, {
        merged,
      });
    }
  }
  // A few links and empty dirs: synchronous is quicker.
  rmSync(dir, { recursive: true, force: true });
}

/** Removes the mount's private directory, but never through a live mount (that would delete layer files). */
async function removeUnlessMounted(dir: string, merged: string): Promise<void> {
  if (await isMountPoint(dir, merged)) return;
  await rm(dir, { recursive: true, force: true });
}

/** An overlay mount has a device of its own, so a merged dir on its parent's device is not mounted. */
async function isMountPoint(dir: string, merged: string): Promise<boolean> {
  try {
    const [m, d] = await Promise.all([stat(merged), stat(dir)]);
    return m.dev !== d.dev;
  } catch {
    return false;
  }
}
