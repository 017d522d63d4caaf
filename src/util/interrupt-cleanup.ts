/**
 * Temporary files and directories that must not outlive an interrupted command (Ctrl-C during
 * `save`, a SIGTERM during `load`): removed synchronously when the process gets SIGINT, SIGTERM or
 * SIGHUP, after which the signal takes its default course (exit 130, 143, 129). The handlers are
 * installed only once something is registered, so a process that owns none (`wharf serve`, with its
 * own graceful stop) keeps its signal handling untouched.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
const owned = new Set<string>();
let installed = false;

function onSignal(signal: NodeJS.Signals): void {
  for (const path of owned) rmSync(path, { recursive: true, force: true });
  owned.clear();
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  installed = false;
  process.kill(process.pid, signal);
}

/** Removes `path` if the process is interrupted; call the returned function once it is dealt with. */
export function removeOnInterrupt(path: string): () => void {
  owned.add(path);
  if (!installed) {
    installed = true;
    for (const s of SIGNALS) process.on(s, onSignal);
  }
  return () => {
    owned.delete(path);
  };
}

/**
 * A new private directory under the system's temp directory, removed if the process is interrupted
 * while it exists. Registered before it is created, and created synchronously (a signal's handler
 * runs only between JavaScript tasks): there is no moment at which the directory exists and an
 * interrupt would leave it (mkdtemp's completion and the registration after it were such a moment).
 */
export function interruptSafeTempDir(prefix: string): { dir: string; remove: () => Promise<void> } {
  for (;;) {
    const dir = join(tmpdir(), `${prefix}${randomBytes(6).toString("base64url")}`);
    const forget = removeOnInterrupt(dir);
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      forget();
      if ((err as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw err;
    }
    return {
      dir,
      remove: async () => {
        await rm(dir, { recursive: true, force: true });
        forget();
      },
    };
  }
}
