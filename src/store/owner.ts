/**
 * Who holds a lease or an ingest: the process, identified so that a dead owner is recognised at once
 * (a SIGKILLed wharf must not block the store until some timeout). On Linux the identity is the boot
 * id, the pid and the process start time, which together survive pid reuse and reboots.
 */
import { readFileSync } from "node:fs";

function readBootId(): string {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return "unknown-boot";
  }
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot), or undefined when unreadable. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: fields resume after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19];
  } catch {
    return undefined;
  }
}

const BOOT_ID = readBootId();

export interface Owner {
  bootId: string;
  pid: number;
  startTime: string;
}

let self: Owner | undefined;
export function currentOwner(): Owner {
  self ??= { bootId: BOOT_ID, pid: process.pid, startTime: processStartTime(process.pid) ?? "0" };
  return self;
}

export function formatOwner(owner: Owner): string {
  return `${owner.bootId}/${owner.pid}/${owner.startTime}`;
}

export function parseOwner(text: string): Owner | undefined {
  const [bootId, pid, startTime] = text.split("/");
  if (!bootId || !pid || !startTime) return undefined;
  return { bootId, pid: Number(pid), startTime };
}

export function isOwnerAlive(owner: Owner): boolean {
  if (owner.bootId !== BOOT_ID) return false;
  const start = processStartTime(owner.pid);
  if (start !== undefined) return start === owner.startTime;
  // No /proc (not Linux): fall back to signalling the pid.
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
