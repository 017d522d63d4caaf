/** A small file system of the test's own (tmpfs, as root) to fill up, then grow. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { unmountUnder } from "./mounts.ts";

export interface SmallFs {
  dir: string;
  /** Sets the file system's size (what is on it stays). */
  resize(kib: number): void;
  /** Free bytes now. */
  free(): number;
}

export function smallFs(kib: number): SmallFs {
  const dir = mkdtempSync(join(tmpdir(), "wharf-fullfs-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${kib}k,mode=0755`, "tmpfs", dir]);
  after(() => {
    unmountUnder(dir);
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    resize: (size) => execFileSync("mount", ["-o", `remount,size=${size}k`, dir]),
    free: () => {
      const s = statfsSync(dir);
      return s.bavail * s.bsize;
    },
  };
}
