/** `wharf serve` as the tests run it: a real process on a free port, stopped when the file ends. */
import { spawn } from "node:child_process";
import { after } from "node:test";
import { freePort, waitForRegistry } from "./distribution.ts";
import { WHARF_MAIN } from "./spawn.ts";
import { tempDir } from "./tmp.ts";

export interface WharfServe {
  /** 127.0.0.1:PORT */
  readonly host: string;
  readonly storage: string;
  /** Everything the server wrote to stdout and stderr (its JSON log lines). */
  log(): string;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startWharfServe(
  args: string[] = [],
  options: { storage?: string; env?: NodeJS.ProcessEnv } = {},
  scheme: "http" | "https" = "http",
): Promise<WharfServe> {
  const storage = options.storage ?? tempDir("wharf-serve-");
  const host = `127.0.0.1:${await freePort()}`;
  const child = spawn(
    process.execPath,
    [WHARF_MAIN, "serve", "--addr", host, "--storage", storage, "--log-level", "warn", ...args],
    { stdio: ["ignore", "pipe", "pipe"], env: options.env ?? process.env },
  );
  let output = "";
  child.stdout?.on("data", (d) => {
    output += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  after(() => stop());
  await waitForRegistry(host, child, () => output, scheme);
  return { host, storage, log: () => output, stop };
}
