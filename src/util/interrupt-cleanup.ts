/**
 * Temporary files and directories that must not outlive an interrupted command (Ctrl-C during
 * `save`, a SIGTERM during `load`): removed synchronously when the process gets SIGINT, SIGTERM or
 * SIGHUP, after which the signal takes its default course (exit 130, 143, 129). The handlers are
 * installed only once something is registered, so a process that owns none (`wharf serve`, with its
 * own graceful stop) keeps its signal handling untouched.
 */
import { rmSync } from "node:fs";

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
