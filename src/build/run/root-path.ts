/**
 * A path inside a container's root file system, as continuity's fs.RootPath resolves it: every
 * symbolic link on the way is followed as the container would see it (an absolute target starts
 * again at the root, ".." stops at the root), so the result never leaves `root`. Components that
 * do not exist are kept as they are. Used for everything wharf reads or creates in a rootfs from the
 * host side (/etc/passwd, the working directory, mount stubs): a hostile image cannot point us at
 * the host's files. Synchronous: a few lstat calls, cheaper than the thread pool's round trips.
 */
import { lstatSync, readlinkSync } from "node:fs";
import { posix } from "node:path";

/** Linux's limit (MAXSYMLINKS); a loop of links fails as ELOOP would. */
const MAX_LINKS = 40;

/** `root` (absolute, no symlinks of its own) joined with `path` with links resolved inside root. */
export function resolveInRoot(root: string, path: string): string {
  const pending = splitPath(path);
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === "..") {
      resolved.pop();
      continue;
    }
    const candidate = posix.join(root, ...resolved, part);
    let isLink = false;
    try {
      isLink = lstatSync(candidate).isSymbolicLink();
    } catch {
      // Missing (or not a directory on the way): the rest stays literal.
    }
    if (!isLink) {
      resolved.push(part);
      continue;
    }
    if (++links > MAX_LINKS) {
      throw Object.assign(new Error(`too many levels of symbolic links: ${path}`), { code: "ELOOP" });
    }
    const target = readlinkSync(candidate);
    if (target.startsWith("/")) resolved.length = 0;
    pending.unshift(...splitPath(target));
  }
  return posix.join(root, ...resolved);
}

/** The components of a path, without empty ones and ".". */
function splitPath(path: string): string[] {
  return path.split("/").filter((p) => p !== "" && p !== ".");
}
