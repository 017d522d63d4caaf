/**
 * Mount clean-up for the peers' stores (dockerd, podman): shared by the tests' helpers and the
 * benches, with no test-runner imports.
 */

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Mount points at or below `dir`, from the kernel's own table, deepest first. */
export function mountsUnder(dir: string): string[] {
  let mountinfo: string;
  try {
    mountinfo = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return [];
  }
  return mountinfo
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\040/g, " "))
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** Unmounts whatever is mounted at or below `dir`, deepest first (overlay stores leave mounts behind). */
export function unmountUnder(dir: string): void {
  for (const p of mountsUnder(dir)) {
    // A plain unmount first; lazily if something still holds it busy.
    if (spawnSync("umount", [p], { stdio: "ignore" }).status !== 0) {
      spawnSync("umount", ["-l", p], { stdio: "ignore" });
    }
  }
}
