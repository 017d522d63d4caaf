/**
 * `wharf system service` as a real process for the Engine API tests, and the docker CLI pointed at
 * it. Every service started is killed (SIGKILL) when the test file ends, however the test went.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { after } from "node:test";
import { type Finished, startCommand, WHARF_MAIN } from "./spawn.ts";

/** The docker CLI 28 of the machine (Debian's 20.10 client is /usr/bin/docker). */
export const DOCKER = "/usr/local/bin/docker";

export interface EngineService {
  child: ChildProcess;
  /** What it printed on stderr so far. */
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: ChildProcess[] = [];
// Registered at module scope: an after() registered inside a hook would run after that hook only.
after(() => {
  for (const child of started)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

/**
 * `wharf --root ROOT system service ARGS`, resolved once it has printed its address and the
 * DOCKER_HOST hint (or has exited: `exited` tells).
 */
export async function startEngineService(
  root: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<EngineService> {
  const child = spawn(process.execPath, [WHARF_MAIN, "--root", root, "system", "service", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env,
  });
  started.push(child);
  let stderr = "";
  child.stdout?.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve) => {
    child.stderr?.on("data", (d) => {
      stderr += d;
      if (/\nexport DOCKER_HOST=.*\n/.test(stderr)) resolve();
    });
    void exited.then(() => resolve());
  });
  return {
    child,
    stderr: () => stderr,
    exited,
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/** The docker CLI with DOCKER_HOST at `socket` and a config dir of the test's own. */
export function dockerAt(
  socket: string,
  dockerConfig: string,
): (args: string[], env?: NodeJS.ProcessEnv, input?: string | Buffer) => Promise<Finished> {
  return (args, env = {}, input) =>
    startCommand(DOCKER, args, {
      env: { PATH: process.env.PATH, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: dockerConfig, ...env },
      ...(input === undefined ? {} : { input }),
    }).done;
}
