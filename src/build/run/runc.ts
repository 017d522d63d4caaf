/**
 * The runc command line: `runc --root STATE run --bundle BUNDLE ID` with the process's output on
 * pipes, `kill` and `delete` for clean-up. runc's own failures (an executable that is not there, a
 * mount that fails) are told apart from the process's exit status through runc's JSON log: a
 * process can exit 1 by itself, runc logs an error only when it failed.
 */
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { readFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { WharfError } from "../../errors.ts";
import { runCommand, signalNumber } from "./command.ts";

/** Where Debian and others install runc, for a PATH without the sbin directories. */
const FALLBACK_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

let cachedRunc: string | undefined;

/** The runc executable; RUNTIME_MISSING when there is none. */
export function findRunc(): string {
  if (cachedRunc !== undefined) return cachedRunc;
  const dirs = [...(process.env.PATH ?? "").split(delimiter).filter((d) => d !== ""), ...FALLBACK_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, "runc");
    try {
      accessSync(candidate, constants.X_OK);
      cachedRunc = candidate;
      return candidate;
    } catch {
      // Not here.
    }
  }
  throw runtimeMissing();
}

function runtimeMissing(cause?: unknown): WharfError {
  return new WharfError(
    "RUNTIME_MISSING",
    "runc not found: install the Debian package runc (apt-get install runc)",
    {},
    cause === undefined ? undefined : { cause },
  );
}

export interface RuncRun {
  /** The exit status: the process's, or 128 + the signal that ended it. */
  exited: Promise<number>;
  /** SIGKILLs the container (repeatedly until runc has made it, should it not exist yet). */
  kill(): Promise<void>;
}

export interface RuncRunOptions {
  runc: string;
  stateDir: string;
  bundle: string;
  id: string;
  logFile: string;
  stdout: (chunk: Buffer) => void;
  stderr: (chunk: Buffer) => void;
}

export function runcRun(opts: RuncRunOptions): RuncRun {
  const args = [
    "--root",
    opts.stateDir,
    "--log",
    opts.logFile,
    "--log-format",
    "json",
    "run",
    "--bundle",
    opts.bundle,
    opts.id,
  ];
  const child = spawn(opts.runc, args, { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", opts.stdout);
  child.stderr.on("data", opts.stderr);
  let running = true;
  const exited = new Promise<number>((resolve, reject) => {
    child.once("error", (err) => {
      running = false;
      reject((err as NodeJS.ErrnoException).code === "ENOENT" ? runtimeMissing(err) : err);
    });
    // "close": the output has been delivered too.
    child.once("close", (code, signal) => {
      running = false;
      resolve(code ?? 128 + signalNumber(signal));
    });
  });
  // The caller may only look at `exited` later (after a kill): no unhandled rejection meanwhile.
  exited.catch(() => {});
  const kill = async () => {
    while (running) {
      const result = await runCommand(opts.runc, ["--root", opts.stateDir, "kill", opts.id, "KILL"]);
      if (result.code === 0 || !running) return;
      // Not created yet (or already gone): try again shortly while runc is still at work.
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { exited, kill };
}

/** runc's error from its JSON log, if it logged one (it then failed, not the process). */
export async function runcError(logFile: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(logFile, "utf8");
  } catch {
    return undefined;
  }
  let message: string | undefined;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if ((entry.level === "error" || entry.level === "fatal") && entry.msg) message = entry.msg;
    } catch {
      // Not JSON: ignore.
    }
  }
  return message;
}

/** Removes a container runc left in its state dir (after a kill, or when runc itself was killed). */
export async function runcDelete(runc: string, stateDir: string, id: string): Promise<void> {
  await runCommand(runc, ["--root", stateDir, "delete", "--force", id]);
}
