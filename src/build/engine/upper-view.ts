/**
 * A step's change made straight in its upper dir, as overlayfs would make it, for the steps that
 * can do without a mount (WORKDIR, most COPYs): what the lower stack shows at a path (merged as
 * overlayfs merges, lstat only, links never followed: src/layer/unpack-lower.ts) and the copy-up of
 * existing directories (mode, owner, times) before something is created below them. Two spawns
 * (mount, umount) fewer per step; anything unusual (a link or a file on the way) is the caller's
 * cue to mount instead.
 */
import type { Stats } from "node:fs";
import { chown, lstat, mkdir, utimes } from "node:fs/promises";
import { join } from "node:path";
import { LowerStack } from "../../layer/unpack-lower.ts";

export type LowerEntry = { kind: "dir"; stats: Stats } | { kind: "missing" } | { kind: "other" };

export interface PathInLowers {
  /** The directories on the path that the lower stack has (relative, outermost first), with their stats. */
  existing: { rel: string; stats: Stats }[];
  /** What the stack shows at the path itself. */
  last: LowerEntry;
  /** Index of the first component that is missing (parts.length when none is). */
  missingFrom: number;
  /** A component before the last is a link or a file: only the mounted view can say what it means. */
  blocked: boolean;
}

/** The lower stack's view along `path` (absolute, "/"-separated). */
export async function pathInLowers(stack: LowerStack, path: string): Promise<PathInLowers> {
  const parts = path.split("/").filter((p) => p);
  const existing: PathInLowers["existing"] = [];
  let rel = "";
  let last: LowerEntry = { kind: "dir", stats: undefined as unknown as Stats };
  for (const [i, part] of parts.entries()) {
    const entry = await lowerEntry(await stack.dirChain(rel), part);
    rel = rel === "" ? part : `${rel}/${part}`;
    last = entry;
    if (entry.kind === "missing") return { existing, last, missingFrom: i, blocked: false };
    if (entry.kind === "other")
      return { existing, last, missingFrom: parts.length, blocked: i < parts.length - 1 };
    existing.push({ rel, stats: entry.stats });
  }
  return { existing, last, missingFrom: parts.length, blocked: false };
}

async function lowerEntry(parentChain: readonly string[], name: string): Promise<LowerEntry> {
  for (const dir of parentChain) {
    const st = await lstat(join(dir, name)).catch(() => undefined);
    if (st === undefined) continue;
    if (st.isCharacterDevice() && st.rdev === 0) return { kind: "missing" };
    return st.isDirectory() ? { kind: "dir", stats: st } : { kind: "other" };
  }
  return { kind: "missing" };
}

/** overlayfs's copy-up of the directories on a path: made in the upper dir with the lower's metadata. */
export async function copyUpDirs(upperDir: string, dirs: PathInLowers["existing"]): Promise<void> {
  for (const { rel, stats } of dirs) {
    const target = join(upperDir, rel);
    await mkdir(target, { mode: stats.mode & 0o7777 });
    await chown(target, stats.uid, stats.gid);
    await utimes(target, stats.atime, stats.mtime);
  }
}

/** "uid" or "uid:gid" in numbers (or none): usable without the root's passwd and group files. */
export function numericOwner(user: string): { uid: number; gid: number } | undefined {
  if (user === "") return { uid: 0, gid: 0 };
  const m = /^(\d+)(?::(\d+))?$/.exec(user);
  return m ? { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) } : undefined;
}

export { LowerStack };
