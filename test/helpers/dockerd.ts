/**
 * A dockerd of the test's own (Debian's docker.io 20.10, with the containerd it starts itself), driven
 * by the docker CLI over a unix socket: no service manager, no iptables, no bridge, its own data-root,
 * exec-root and pidfile, and the test's registries as insecure-registries (see ../shared/PEERS.md).
 * Started once per test file; stopped in `after` by PID (SIGTERM, then SIGKILL if it does not exit),
 * its mounts undone and its directories removed. Also the small process helpers the podman helper uses.
 */
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after } from "node:test";
import { unmountUnder } from "./mounts.ts";
import { startCommand } from "./spawn.ts";

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Written to the command's stdin (which is closed afterwards). */
  input?: string;
  /** Killed (SIGKILL) after this long; default 90 s, so that a stuck client cannot hang the file. */
  timeoutMs?: number;
}

/** Runs a command to its end and reports its exit code and output; rejects only if it cannot start. */
export async function runCommand(cmd: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 90_000;
  const { child, done } = startCommand(cmd, args, {
    env: options.env ?? process.env,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  try {
    const r = await done;
    return {
      code: r.code,
      stdout: r.stdout,
      stderr: killed ? `${r.stderr}\n[killed after ${timeoutMs} ms]` : r.stderr,
    };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw e.code === "ENOENT" ? new Error(`${cmd} is not installed: run scripts/install-test-deps.sh`) : e;
  } finally {
    clearTimeout(timer);
  }
}

/** Like runCommand, but rejects with the command line and its output when the exit code is not 0. */
export async function runOk(cmd: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const r = await runCommand(cmd, args, options);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited with ${r.code}:\n${(r.stderr || r.stdout).trim()}`);
  }
  return r;
}

/** Unmounts whatever is below `dir`, then removes it. */
export function removeTree(dir: string): void {
  unmountUnder(dir);
  rmSync(dir, { recursive: true, force: true });
}

/** A short directory in /tmp: exec-root holds unix sockets, whose paths must stay under 108 bytes. */
export function shortTempDir(prefix: string): string {
  return mkdtempSync(join("/tmp", prefix));
}

export interface Dockerd {
  /** unix:///.../docker.sock */
  readonly host: string;
  readonly pid: number;
  /** The storage driver it runs with (overlay2, or vfs when overlay2 cannot start here). */
  readonly storageDriver: string;
  /** The daemon's log file (stdout and stderr). */
  readonly logFile: string;
  log(): string;
  /**
   * Runs `docker -H HOST ARGS` with DOCKER_CONFIG set to `config` (default: a config dir of this
   * daemon's own, so that the machine's ~/.docker is never read or written). Never rejects on a failed
   * command: see `code`.
   */
  docker(args: string[], options?: RunOptions & { config?: string }): Promise<RunResult>;
  /** Like docker(), but rejects when the command fails. */
  dockerOk(args: string[], options?: RunOptions & { config?: string }): Promise<RunResult>;
  /** A fresh DOCKER_CONFIG directory (removed with the daemon's files). */
  newConfigDir(): string;
  stop(): Promise<void>;
}

function ping(sock: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: sock, path: "/_ping", timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once("error", () => resolve(false));
    req.once("timeout", () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

function tail(text: string, lines = 6): string {
  return text.trim().split("\n").slice(-lines).join("\n");
}

async function startWith(
  driver: string,
  insecureRegistries: string[],
): Promise<{ ok: Dockerd } | { failed: string }> {
  const dir = shortTempDir("wdk-");
  const sock = join(dir, "docker.sock");
  const logFile = join(dir, "dockerd.log");
  const config = join(dir, "daemon.json");
  writeFileSync(
    config,
    JSON.stringify(
      {
        "storage-driver": driver,
        iptables: false,
        "ip-masq": false,
        bridge: "none",
        "insecure-registries": insecureRegistries,
        "data-root": join(dir, "data"),
        "exec-root": join(dir, "x"),
        pidfile: join(dir, "docker.pid"),
        hosts: [`unix://${sock}`],
      },
      null,
      2,
    ),
  );
  const configDirs = join(dir, "clients");
  mkdirSync(configDirs);
  const defaultConfig = mkdtempSync(join(configDirs, "c-"));
  const fd = openSync(logFile, "a");
  const child = spawn("dockerd", ["--config-file", config], { stdio: ["ignore", fd, fd] });
  closeSync(fd);
  const readLog = () => {
    try {
      return readFileSync(logFile, "utf8");
    } catch {
      return "";
    }
  };
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const spawnError = await new Promise<Error | undefined>((resolve) => {
    child.once("spawn", () => resolve(undefined));
    child.once("error", (err: NodeJS.ErrnoException) =>
      resolve(
        err.code === "ENOENT" ? new Error("dockerd is not installed (apt-get install docker.io)") : err,
      ),
    );
  });
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        process.kill(child.pid, "SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
        await exited;
        clearTimeout(timer);
      }
      removeTree(dir);
    })();
    return stopped;
  };
  if (spawnError !== undefined) {
    removeTree(dir);
    return { failed: spawnError.message };
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const why = `dockerd (${driver}) exited with ${child.exitCode ?? child.signalCode}:\n${tail(readLog())}`;
      await stop();
      return { failed: why };
    }
    if (await ping(sock)) break;
    if (Date.now() > deadline) {
      const why = `dockerd (${driver}) did not answer on ${sock} in 60 s:\n${tail(readLog())}`;
      await stop();
      return { failed: why };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  after(stop);
  const host = `unix://${sock}`;
  const docker: Dockerd["docker"] = (args, options = {}) =>
    runCommand("docker", ["-H", host, ...args], {
      ...options,
      env: { ...(options.env ?? process.env), DOCKER_CONFIG: options.config ?? defaultConfig },
    });
  const dockerd: Dockerd = {
    host,
    pid: child.pid!,
    storageDriver: driver,
    logFile,
    log: readLog,
    docker,
    dockerOk: async (args, options) => {
      const r = await docker(args, options);
      if (r.code !== 0) {
        throw new Error(`docker ${args.join(" ")} exited with ${r.code}:\n${(r.stderr || r.stdout).trim()}`);
      }
      return r;
    },
    newConfigDir: () => mkdtempSync(join(configDirs, "c-")),
    stop,
  };
  // The daemon answers; make sure it really runs with the driver asked for.
  const info = await dockerd.docker(["info", "--format", "{{.Driver}}"]);
  if (info.code !== 0 || info.stdout.trim() !== driver) {
    const why = `dockerd (${driver}) runs, but docker info says: ${(info.stdout + info.stderr).trim()}`;
    await stop();
    return { failed: why };
  }
  return { ok: dockerd };
}

/**
 * Starts dockerd with overlay2, and with vfs if overlay2 cannot start here. Rejects with every
 * attempt's reason (the end of the daemon's log) when neither can: callers skip with that message.
 */
export async function startDockerd(options: { insecureRegistries: string[] }): Promise<Dockerd> {
  const reasons: string[] = [];
  for (const driver of ["overlay2", "vfs"]) {
    const r = await startWith(driver, options.insecureRegistries);
    if ("ok" in r) return r.ok;
    reasons.push(r.failed);
    if (r.failed.includes("not installed")) break;
  }
  throw new Error(reasons.join("\n"));
}
