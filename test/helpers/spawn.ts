/** Running wharf (and the test workers) as real child processes on the project's Node. */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const WHARF_MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
export const STORE_WORKER = fileURLToPath(new URL("./store-worker.ts", import.meta.url));

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /** Written to the child's stdin, which is then closed (default: no stdin). */
  input?: string | Buffer;
}

/** Any command, its output collected; `done` rejects only if it cannot start. */
export function startCommand(
  cmd: string,
  args: string[],
  options: StartOptions = {},
): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(cmd, args, {
    stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    ...(options.env ? { env: options.env } : {}),
  });
  if (options.input !== undefined) child.stdin?.end(options.input);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const done = new Promise<Finished>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** A Node script under this Node. */
export function start(
  script: string,
  args: string[],
  options: StartOptions = {},
): { child: ChildProcess; done: Promise<Finished> } {
  return startCommand(process.execPath, [script, ...args], options);
}

/** Resolves when the child has printed `line` on stdout. */
export function waitForLine(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve) => {
    let seen = "";
    const onData = (d: Buffer) => {
      seen += d;
      if (seen.split("\n").includes(line)) {
        child.stdout?.off("data", onData);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.once("close", () => resolve());
  });
}

export function run(script: string, args: string[], options: StartOptions = {}): Promise<Finished> {
  return start(script, args, options).done;
}

export function wharf(args: string[], options: StartOptions = {}): Promise<Finished> {
  return run(WHARF_MAIN, args, options);
}
