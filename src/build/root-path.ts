/**
 * A path inside a root directory, with symbolic links followed as if the root were "/" (containerd
 * continuity's fs.RootPath, which BuildKit resolves COPY sources and destinations with): an
 * absolute link target starts again at the root, ".." stops at the root, so the result never
 * leaves it. Components that do not exist are kept as written (cleaned), so the result can name
 * a path still to be created. One module for every host-side access to a root wharf builds (COPY,
 * WORKDIR, /etc/passwd, mount stubs), so a hostile image cannot point us at the host's files.
 * Synchronous: a few lstat calls cost less than the thread pool's round trips.
 */
import { lstatSync, readlinkSync } from "node:fs";
import { WharfError } from "../errors.ts";

/** Linux's MAXSYMLINKS is 40; continuity allows 255 before giving up. */
const MAX_LINKS = 255;

export interface ScopedPathOptions {
  /** Follow the last component too when it is a link (default true). */
  followFinal?: boolean;
  /**
   * Whether a path (relative to the root, "/"-separated) is part of the view, e.g. not excluded by
   * .dockerignore; hidden paths resolve as if they did not exist.
   */
  visible?: (rel: string) => boolean;
}

/** `path` (absolute or relative, either way taken from the root) resolved inside `root`. */
export function resolveInRoot(root: string, path: string, options: ScopedPathOptions = {}): string {
  const rel = resolveRelative(root, path, options);
  return joinRoot(root, rel);
}

/** As resolveInRoot, but the result relative to the root ("" for the root itself). */
export function resolveRelative(root: string, path: string, options: ScopedPathOptions = {}): string {
  const followFinal = options.followFinal ?? true;
  const pending = splitPath(path);
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name === "..") {
      resolved.pop();
      continue;
    }
    if (pending.length === 0 && !followFinal) {
      resolved.push(name);
      break;
    }
    const rel = resolved.length === 0 ? name : `${resolved.join("/")}/${name}`;
    const target = linkTarget(joinRoot(root, rel), options.visible === undefined || options.visible(rel));
    if (target === undefined) {
      resolved.push(name);
      continue;
    }
    if (target === MISSING) {
      // The rest cannot be links: keep it lexically.
      resolved.push(name);
      for (const rest of pending) {
        if (rest === "..") resolved.pop();
        else resolved.push(rest);
      }
      break;
    }
    if (++links > MAX_LINKS) {
      throw new WharfError("BUILD_COPY_INVALID", `too many links resolving ${path}`, { path });
    }
    if (target.startsWith("/")) resolved.length = 0;
    pending.unshift(...splitPath(target));
  }
  return resolved.join("/");
}

const MISSING = Symbol("missing");

/** The link's target, undefined for anything else, MISSING when nothing (visible) is there. */
function linkTarget(abs: string, visible: boolean): string | undefined | typeof MISSING {
  if (!visible) return MISSING;
  try {
    const st = lstatSync(abs);
    if (!st.isSymbolicLink()) return undefined;
    return readlinkSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return MISSING;
    throw err;
  }
}

/** The components of a "/"-separated path, without "" and "." ones. */
export function splitPath(path: string): string[] {
  return path.split("/").filter((c) => c !== "" && c !== ".");
}

/** `root` + a relative path; the root itself for "". */
export function joinRoot(root: string, rel: string): string {
  if (rel === "") return root;
  return root.endsWith("/") ? `${root}${rel}` : `${root}/${rel}`;
}

/** Go's path.Clean of "/" + path, as BuildKit normalises COPY paths: "../x" is "/x". */
export function cleanAbsolute(path: string): string {
  const out: string[] = [];
  for (const c of splitPath(path)) {
    if (c === "..") out.pop();
    else out.push(c);
  }
  return `/${out.join("/")}`;
}
