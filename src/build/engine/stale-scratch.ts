/**
 * Scratch dirs of dead builds under `<store>/build/tmp/`: a SIGKILLed (or crashed) wharf cannot
 * remove its step's scratch, which may still hold an overlay mount, a running runc container (its
 * state in `<scratch>/state`, see src/build/run/run-step.ts) and a half-written layer blob. A dir is
 * stale when the owner file the builder wrote into it names a dead process, or, with no owner file,
 * when it is older than ten minutes (the moment between mkdtemp and the owner file, or a dir made by
 * a wharf without owner files). Stale dirs lose their containers first (they may use the mounts),
 * then their mounts (deepest first), then their files.
 *
 * Nothing outside `buildTmpDir` is touched: only real directories directly in it are considered,
 * symbolic links are never followed (an owner file or state dir that is a link is not one), and a
 * dir that still has a mount below it after unmounting is left alone rather than removed through
 * the mount (that would delete layer files).
 */
import { constants, type Stats } from "node:fs";
import { lstat, open, readdir, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { currentOwner, formatOwner, isOwnerAlive, parseOwner } from "../../store/owner.ts";
import { runCommand } from "../run/command.ts";
import { findRunc } from "../run/runc.ts";

/** The file in a scratch dir naming the process that uses it (formatOwner's text). */
export const SCRATCH_OWNER_FILE = ".wharf-owner";

/** A dir without an owner file counts as abandoned after this long. */
export const UNOWNED_SCRATCH_MAX_AGE_MS = 10 * 60 * 1000;

export interface StaleScratchResult {
  /** The stale dirs removed (absolute, under the real path of buildTmpDir). */
  removed: string[];
  /** Stale dirs that could not be cleaned (a mount that would not go, a removal that failed);
   *  left for the next clean-up. */
  failed: { dir: string; reason: string }[];
}

/**
 * Marks `dir` (just made by mkdtemp) as this process's: writes the owner file. On failure (a full
 * disk) the dir is removed again and the error thrown. Returns `dir`.
 */
export async function claimScratch(dir: string): Promise<string> {
  try {
    await writeFile(join(dir, SCRATCH_OWNER_FILE), formatOwner(currentOwner()), { flag: "wx", mode: 0o644 });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return dir;
}

export async function cleanStaleScratch(buildTmpDir: string): Promise<StaleScratchResult> {
  const result: StaleScratchResult = { removed: [], failed: [] };
  let base: string;
  try {
    // Mount points in mountinfo are canonical paths: compare against the canonical dir.
    base = await realpath(buildTmpDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return result;
    throw err;
  }
  const entries = await readdir(base, { withFileTypes: true });
  const now = Date.now();
  for (const entry of entries) {
    // Dirent types are lstat's: a symbolic link to a directory is not a directory here.
    if (!entry.isDirectory()) continue;
    const dir = join(base, entry.name);
    if (!(await isStale(dir, now))) continue;
    try {
      await removeContainers(dir);
      await unmountBelow(dir);
      const left = mountPointsBelow(await readMountinfo(), dir);
      if (left.length > 0) {
        result.failed.push({ dir, reason: `still mounted: ${left.join(", ")}` });
        continue;
      }
      await rm(dir, { recursive: true, force: true });
      result.removed.push(dir);
    } catch (err) {
      result.failed.push({ dir, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  return result;
}

async function isStale(dir: string, now: number): Promise<boolean> {
  const owner = await readOwnerFile(join(dir, SCRATCH_OWNER_FILE));
  if (owner !== undefined) return !isOwnerAlive(owner);
  let st: Stats;
  try {
    st = await lstat(dir);
  } catch {
    return false; // gone meanwhile (its build finished)
  }
  // mtime: a step adds its entries (upper, overlay, bundle, state) when it starts.
  return st.isDirectory() && now - st.mtimeMs > UNOWNED_SCRATCH_MAX_AGE_MS;
}

/** The owner named by a regular file at `path` (opened without following a link), if any. */
async function readOwnerFile(path: string): Promise<ReturnType<typeof parseOwner>> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    if (!(await handle.stat()).isFile()) return undefined;
    const text = await handle.readFile("utf8");
    return parseOwner(text.trim());
  } finally {
    await handle.close();
  }
}

/** Kills and deletes every container whose runc state is `<dir>/state` (a real directory). */
async function removeContainers(dir: string): Promise<void> {
  const stateDir = join(dir, "state");
  const st = await lstat(stateDir).catch(() => undefined);
  if (!st?.isDirectory()) return;
  const ids: string[] = [];
  for (const entry of await readdir(stateDir, { withFileTypes: true })) {
    if (entry.isDirectory()) ids.push(entry.name);
  }
  if (ids.length === 0) return;
  // No runc, nothing it could have started: the mounts and files still go.
  let runc: string;
  try {
    runc = findRunc();
  } catch {
    return;
  }
  // `delete --force` SIGKILLs a running container and waits for it; a stopped one is just deleted.
  await Promise.all(ids.map((id) => runCommand(runc, ["--root", stateDir, "delete", "--force", id])));
}

/** Unmounts every mount point at or below `dir`, deepest first; lazily what stays busy. */
async function unmountBelow(dir: string): Promise<void> {
  let points = mountPointsBelow(await readMountinfo(), dir);
  // One spawn for all: umount takes the targets in order and tries each.
  if (points.length > 0) await runCommand("umount", points);
  // A few rounds: a point mounted more than once shows once per mount.
  for (let round = 0; round < 4; round++) {
    points = mountPointsBelow(await readMountinfo(), dir);
    if (points.length === 0) return;
    await runCommand("umount", ["-l", ...points]);
  }
}

async function readMountinfo(): Promise<string> {
  return readFile("/proc/self/mountinfo", "utf8");
}

/** Mount points at or below `dir` from mountinfo's text, deepest first. */
export function mountPointsBelow(mountinfo: string, dir: string): string[] {
  const points: string[] = [];
  for (const line of mountinfo.split("\n")) {
    const field = line.split(" ")[4];
    if (field === undefined) continue;
    const point = unescapeMountinfo(field);
    if (point === dir || point.startsWith(`${dir}/`)) points.push(point);
  }
  return points.sort((a, b) => b.split("/").length - a.split("/").length);
}

/** The kernel writes space, tab, newline and backslash in mountinfo as octal escapes (\040 ...). */
function unescapeMountinfo(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}
