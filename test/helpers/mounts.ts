/**
 * Mount clean-up for the peers' stores (dockerd, podman): shared by the tests' helpers and the
 * benches, with no test-runner imports.
 */

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Unmounts whatever is mounted at or below `dir`, deepest first (overlay stores leave mounts behind). */
export function unmountUnder(dir: string): void {
  let mountinfo: string;
  try {
    mountinfo = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return;
  }
  const points = mountinfo
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\040/g, " "))
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const p of points) {
    // A plain unmount first; lazily if something still holds it busy.
    if (spawnSync("umount", [p], { stdio: "ignore" }).status !== 0) {
      spawnSync("umount", ["-l", p], { stdio: "ignore" });
    }
  }
}
