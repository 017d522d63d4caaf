/**
 * Mount stubs: runc creates an empty directory or file in the rootfs for every mount target that
 * is missing (proc, dev, sys, etc/hosts, the targets of RUN --mount), and those would end up in
 * the layer. As BuildKit's executor/stubs.go does, the missing targets (and their missing parents)
 * are noted before the run, and after it each one that is still an empty directory or an empty file
 * is removed, deepest first.
 *
 * Removing a stub changes its parent directory's mtime. BuildKit restores the mtime from just
 * before the removal, which keeps the stub's creation time; here a parent whose entries are the
 * same as before the run gets its mtime from before the run back, so that a directory only runc
 * touched (/ for proc, /etc for hosts) does not look changed to the differ. A parent whose entries
 * changed keeps the time of the step's own change (BuildKit's rule).
 *
 * The file system calls are synchronous: a few dozen small metadata calls, which the thread pool's
 * round trips would make several times slower.
 */
import { lstatSync, readdirSync, rmdirSync, statSync, unlinkSync, utimesSync } from "node:fs";
import { posix } from "node:path";
import { resolveInRoot } from "../root-path.ts";
import { runCommand } from "./command.ts";

interface Times {
  atimeNs: bigint;
  mtimeNs: bigint;
}

interface ParentState extends Times {
  /** Sorted names of the entries before the run. */
  names: string[];
}

export interface StubCandidates {
  /** Absolute host paths under the rootfs, deepest first. */
  paths: string[];
  /** Existing parents of candidates, as they were before the run. */
  parents: Map<string, ParentState>;
}

/** Notes which of `targets` (absolute container paths) and their parents are missing from `rootfs`. */
export function collectStubCandidates(rootfs: string, targets: readonly string[]): StubCandidates {
  const paths = new Set<string>();
  const parents = new Map<string, ParentState>();
  for (const target of targets) {
    const normal = posix.join("/", target);
    if (normal === "/") continue;
    let path: string;
    try {
      path = resolveInRoot(rootfs, normal);
    } catch {
      continue;
    }
    let missing = false;
    while (path !== rootfs && !exists(path)) {
      paths.add(path);
      missing = true;
      path = posix.dirname(path);
    }
    if (missing && !parents.has(path)) {
      const state = parentState(path);
      if (state) parents.set(path, state);
    }
  }
  const ordered = [...paths].sort((a, b) => depth(b) - depth(a) || (a < b ? -1 : a > b ? 1 : 0));
  return { paths: ordered, parents };
}

/**
 * Removes the candidates that are still empty stubs; returns them relative to the rootfs (no
 * leading slash), in removal order.
 */
export async function removeStubs(rootfs: string, candidates: StubCandidates): Promise<string[]> {
  const removed: string[] = [];
  const touchedParents = new Map<string, Times>();
  for (const path of candidates.paths) {
    const relative = posix.relative(rootfs, path);
    // The step may have replaced a directory on the way with a link: only remove what is still
    // at the same place inside the root.
    const parent = posix.dirname(path);
    try {
      if (resolveInRoot(rootfs, relative) !== path) continue;
    } catch {
      continue;
    }
    try {
      const st = lstatSync(path);
      if (st.isDirectory() ? readdirSync(path).length !== 0 : !st.isFile() || st.size !== 0) continue;
      if (!touchedParents.has(parent)) {
        const before = statSync(parent, { bigint: true });
        touchedParents.set(parent, { atimeNs: before.atimeNs, mtimeNs: before.mtimeNs });
      }
      if (st.isDirectory()) rmdirSync(path);
      else unlinkSync(path);
    } catch {
      continue;
    }
    removed.push(relative);
  }
  const exact: Promise<void>[] = [];
  for (const [parent, beforeRemoval] of touchedParents) {
    // A parent that was itself a stub is gone by now: nothing to restore.
    if (!exists(parent)) continue;
    const original = candidates.parents.get(parent);
    const times = original && sameNames(readdirSync(parent), original.names) ? original : beforeRemoval;
    if (!setTimes(parent, times) && parent !== rootfs) exact.push(setTimesExactly(parent, times));
  }
  await Promise.all(exact);
  return removed;
}

function parentState(path: string): ParentState | undefined {
  try {
    const st = statSync(path, { bigint: true });
    const names = readdirSync(path).sort();
    return { atimeNs: st.atimeNs, mtimeNs: st.mtimeNs, names };
  } catch {
    return undefined;
  }
}

/**
 * Sets a directory's times with utimes, which takes seconds as a double: exact for whole seconds
 * (the times tar gives extracted layers), about 0.2 µs off otherwise. True if the mtime is exact.
 */
function setTimes(path: string, times: Times): boolean {
  try {
    utimesSync(path, nsToSeconds(times.atimeNs), nsToSeconds(times.mtimeNs));
    return statSync(path, { bigint: true }).mtimeNs === times.mtimeNs;
  } catch {
    return true;
  }
}

/**
 * The mtime to the nanosecond, as Go's os.Chtimes sets it, by `touch` (a spawn, so only for a
 * directory a differ compares with its lower counterpart: not the root, whose upper dir's own
 * times never match a lower's anyway).
 */
async function setTimesExactly(path: string, times: Times): Promise<void> {
  await runCommand("touch", ["-h", "-m", "-d", `@${formatNs(times.mtimeNs)}`, path]).catch(() => {});
}

function nsToSeconds(ns: bigint): number {
  return Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) / 1e9;
}

/** Nanoseconds since the epoch as touch's "@SECONDS.NANOSECONDS". */
function formatNs(ns: bigint): string {
  const sec = ns / 1_000_000_000n;
  const frac = ns % 1_000_000_000n;
  return `${sec}.${frac.toString().padStart(9, "0")}`;
}

function sameNames(now: string[], before: string[]): boolean {
  if (now.length !== before.length) return false;
  const sorted = [...now].sort();
  return sorted.every((n, i) => n === before[i]);
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function depth(path: string): number {
  return path.split("/").length;
}
