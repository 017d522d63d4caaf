/**
 * Running a host tool (mount, umount, runc kill/delete) to completion. Node has no mount(2) or
 * umount(2), so these are spawned; the result carries the tool's stderr for error messages.
 */
import { spawn } from "node:child_process";
import { constants } from "node:os";

export interface CommandResult {
  /** The exit status; 128 + the signal's number if a signal ended it. */
  code: number;
  stderr: string;
}

/** Runs `cmd`; rejects only if it cannot be started (ENOENT and the like). */
export function runCommand(cmd: string, args: readonly string[], cwd?: string): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"], ...(cwd ? { cwd } : {}) });
    const chunks: Buffer[] = [];
    child.stderr.on("data", (d: Buffer) => chunks.push(d));
    child.once("error", reject);
    child.once("close", (code, signal) => {
      resolve({ code: code ?? 128 + signalNumber(signal), stderr: Buffer.concat(chunks).toString().trim() });
    });
  });
}

/** The number of a signal by name (0 if unknown), for the shell's 128+N convention. */
export function signalNumber(signal: NodeJS.Signals | null): number {
  if (signal === null) return 0;
  return (constants.signals as Partial<Record<string, number>>)[signal] ?? 0;
}
