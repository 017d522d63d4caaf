/**
 * WORKDIR without a mount, when it can be: the directory is looked up in the lower stack as
 * overlayfs would merge it (src/layer/unpack-lower.ts, lstat only, links never followed), and the
 * change is made in the upper dir as the kernel would make it: existing parents copied up (mode,
 * owner, times), the missing directories created 0755 for the user. When a component is a link or
 * not a directory, or the user is a name to look up in /etc/passwd, the caller mounts instead.
 * Two spawns (mount, umount) fewer per WORKDIR.
 */
import type { Stats } from "node:fs";
import { chown, lstat, mkdir, utimes } from "node:fs/promises";
import { join } from "node:path";
import { LowerStack } from "../../layer/unpack-lower.ts";

/** "uid" or "uid:gid" in numbers: resolvable without the root's passwd file. */
function numericUser(user: string): { uid: number; gid: number } | undefined {
  if (user === "") return { uid: 0, gid: 0 };
  const m = /^(\d+)(?::(\d+))?$/.exec(user);
  return m ? { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) } : undefined;
}

/** What the lower stack shows at `rel`: a directory (its top-most part), nothing, or something else. */
async function lowerEntry(parentChain: readonly string[], name: string) {
  for (const dir of parentChain) {
    const st = await lstat(join(dir, name)).catch(() => undefined);
    if (st === undefined) continue;
    if (st.isCharacterDevice() && st.rdev === 0) return { kind: "missing" as const };
    return st.isDirectory() ? { kind: "dir" as const, stats: st } : { kind: "other" as const };
  }
  return { kind: "missing" as const };
}

/** Makes `dir` in `upperDir` over `lowerDirs`; false when this needs the mounted view instead. */
export async function workdirInUpper(
  lowerDirs: readonly string[],
  upperDir: string,
  dir: string,
  user: string,
): Promise<boolean> {
  const owner = numericUser(user);
  if (!owner) return false;
  const stack = new LowerStack(lowerDirs);
  const parts = dir.split("/").filter((p) => p);
  const existing: { rel: string; stats: Stats }[] = [];
  let rel = "";
  let missingFrom = parts.length;
  for (const [i, part] of parts.entries()) {
    const entry = await lowerEntry(await stack.dirChain(rel), part);
    rel = rel === "" ? part : `${rel}/${part}`;
    if (entry.kind === "other") return false;
    if (entry.kind === "missing") {
      missingFrom = i;
      break;
    }
    existing.push({ rel, stats: entry.stats });
  }
  if (missingFrom === parts.length) return true; // there already: the empty layer
  for (const { rel: path, stats } of existing) {
    const target = join(upperDir, path);
    await mkdir(target, { mode: stats.mode & 0o7777 });
    await chown(target, stats.uid, stats.gid);
    await utimes(target, stats.atime, stats.mtime);
  }
  let created = existing.at(-1)?.rel ?? "";
  for (const part of parts.slice(missingFrom)) {
    created = created === "" ? part : `${created}/${part}`;
    const target = join(upperDir, created);
    await mkdir(target, { mode: 0o755 });
    await chown(target, owner.uid, owner.gid);
  }
  return true;
}
