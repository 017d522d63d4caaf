/**
 * Helpers shared by the benchmarks (bench/pull.ts, bench/push.ts, bench/serve.ts): running and
 * stopping commands, cleaning up on exit or Ctrl-C, choosing and starting the wharf CLI, the nodeapp
 * image, a dockerd of the bench's own, and small figures.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { delimiter, dirname, join, relative, resolve } from "node:path";
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import { unmountUnder } from "../test/helpers/mounts.ts";
import { ensureNodeapp as ensureNodeappLayout } from "../test/helpers/nodeapp.ts";

/** The repository root: where dist/ and src/ are found and `npm run build` runs. */
export const REPO = resolve(import.meta.dirname, "..");

const TIME = "/usr/bin/time";

/** Whether /usr/bin/time is here: peak RSS by `time -f %M` rather than by polling /proc (benches say which). */
export const haveTime = existsSync(TIME);

/** A command that ran and failed: its message carries the command line, the exit and the last output. */
export class CommandError extends Error {}

/** The commands running now (stopped first on a signal). */
export const running = new Set<ChildProcess>();

/** Whether a signal came: the benches stop starting new work once it has (a live binding). */
export let interrupted = false;

/** The peak RSS (VmHWM) of a process in KiB, while it runs: for daemons and as time(1)'s fallback. */
export function vmHwmKiB(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface ExecOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Measure the peak RSS of the command (with /usr/bin/time, else by polling /proc). */
  measureRss?: boolean;
  /** Print the command's output as it comes (for the long one-time steps). */
  inherit?: boolean;
}

export interface ExecResult {
  /** All of its stdout (empty with `inherit`). */
  stdout: string;
  /** Wall time from start to exit. */
  seconds: number;
  /** Peak RSS in KiB, when measured. */
  rssKiB: number | undefined;
}

/**
 * Runs a command to its end, in its own process group (so that a signal stops it and what it started),
 * timed and optionally with its peak RSS; rejects with a CommandError carrying its last output when it
 * fails. The one way the benches run a command they wait for.
 */
export function exec(cmd: string, args: string[], options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolvePromise, reject) => {
    let rssFile: string | undefined;
    let file = cmd;
    let argv = args;
    if (options.measureRss && haveTime) {
      rssFile = join(mkdtempSync(join(tmpdir(), "wharf-bench-time-")), "rss");
      file = TIME;
      argv = ["-f", "%M", "-o", rssFile, cmd, ...args];
    }
    const t0 = performance.now();
    const child = spawn(file, argv, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      // Its own process group, so that a signal stops the command and what it started (time(1) -> tool).
      detached: true,
      stdio: options.inherit ? ["ignore", "inherit", "inherit"] : ["ignore", "pipe", "pipe"],
    });
    running.add(child);
    let stdout = "";
    let output = "";
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString("utf8");
      output = (output + d.toString("utf8")).slice(-4000);
    });
    child.stderr?.on("data", (d: Buffer) => {
      output = (output + d.toString("utf8")).slice(-4000);
    });
    let polled: number | undefined;
    const poll =
      options.measureRss && !haveTime
        ? setInterval(() => {
            const hwm = child.pid === undefined ? undefined : vmHwmKiB(child.pid);
            if (hwm !== undefined) polled = Math.max(polled ?? 0, hwm);
          }, 10)
        : undefined;
    child.on("error", (err) => {
      running.delete(child);
      if (poll) clearInterval(poll);
      reject(err);
    });
    child.on("close", (code, signal) => {
      running.delete(child);
      const seconds = (performance.now() - t0) / 1000;
      if (poll) clearInterval(poll);
      let rssKiB = polled;
      if (rssFile) {
        try {
          // time(1) writes "Command exited with non-zero status N" before the figure on failure.
          const lines = readFileSync(rssFile, "utf8").trim().split("\n");
          const n = Number(lines.at(-1));
          rssKiB = Number.isFinite(n) ? n : undefined;
        } catch {
          rssKiB = undefined;
        }
        rmSync(dirname(rssFile), { recursive: true, force: true });
      }
      if (code !== 0) {
        reject(
          new CommandError(
            `${cmd} ${args.join(" ")} exited with ${code ?? signal}${output ? `:\n${output.trimEnd()}` : ""}`,
          ),
        );
      } else resolvePromise({ stdout, seconds, rssKiB });
    });
  });
}

/** Whether a command is on PATH: a peer or tool that is missing is reported, not crashed on. */
export function commandExists(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

/** A free TCP port on 127.0.0.1, for the registries the benches start. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** Waits `ms` milliseconds (polling loops). */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Stops a child by its PID: SIGTERM, then SIGKILL after `graceMs` (for the servers and daemons). */
export async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Stops a command started by exec and everything in its process group. */
export async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("close", () => r()));
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // already gone
    }
  };
  kill("SIGTERM");
  const timer = setTimeout(() => kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

/** The cleanup steps of a bench, run last pushed first. */
export type Cleanups = (() => Promise<void> | void)[];

/**
 * The cleanup of a bench: a stack of steps (push what undoes each thing started), run once by
 * `cleanup()` on success or error, or on SIGINT/SIGTERM/SIGHUP, which first stops the commands running
 * (`interrupted` turns true), then cleans up and exits with 130.
 */
export function cleanupOnExit(): { cleanups: Cleanups; cleanup: () => Promise<void> } {
  const cleanups: Cleanups = [];
  let cleaning: Promise<void> | undefined;
  const cleanup = () => {
    cleaning ??= (async () => {
      while (cleanups.length > 0) {
        const step = cleanups.pop()!;
        try {
          await step();
        } catch (err) {
          console.error(`cleanup: ${(err as Error).message}`);
        }
      }
    })();
    return cleaning;
  };
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      interrupted = true;
      console.error(`\n${sig}: stopping what the bench started`);
      const inFlight = [...running].map((c) => stopGroup(c));
      void Promise.all(inFlight)
        .then(cleanup)
        .then(() => process.exit(130));
    });
  }
  return { cleanups, cleanup };
}

/**
 * The command line of a bench: its own `options` and the common ones (--runs, default `defaultRuns`;
 * --dir; --cli auto|dist|src; --no-setup); no positionals; --runs checked.
 */
export function parseBenchArgs<const T extends ParseArgsOptionsConfig>(defaultRuns: number, options: T) {
  const { values, positionals } = parseArgs({
    allowPositionals: false,
    options: {
      ...options,
      runs: { type: "string", default: String(defaultRuns) },
      dir: { type: "string" },
      cli: { type: "string", default: "auto" },
      "no-setup": { type: "boolean", default: false },
    } as const,
  });
  if (positionals.length > 0) throw new Error(`unexpected arguments: ${positionals.join(" ")}`);
  const runs = Number((values as { runs: string }).runs);
  if (!Number.isSafeInteger(runs) || runs <= 0) throw new Error("--runs must be a positive integer");
  return { values, runs };
}

/** The median, which the bench tables show (robust to one slow run). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Whether dist/ can be benchmarked as it is: every source has its tsc output, and the CLI bundle is
 * newer than every source.
 */
export function distIsFresh(): boolean {
  const src = join(REPO, "src");
  const bundle = join(REPO, "dist", "bin", "wharf.js");
  if (!existsSync(bundle)) return false;
  for (const entry of readdirSync(src, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".ts") || entry.name.endsWith(".d.ts")) continue;
    const ts = join(entry.parentPath, entry.name);
    const js = join(REPO, "dist", relative(src, ts)).replace(/\.ts$/, ".js");
    const built = Math.min(existsSync(js) ? statSync(js).mtimeMs : 0, statSync(bundle).mtimeMs);
    if (built < statSync(ts).mtimeMs) return false;
  }
  return true;
}

/**
 * The wharf CLI a bench runs (`--cli auto|dist|src`): the built bundle, rebuilt with `npm run build`
 * when older than src/; with auto, the TypeScript source when the build fails.
 */
export async function chooseCli(mode: string): Promise<{ script: string; label: string }> {
  const dist = join(REPO, "dist", "bin", "wharf.js");
  const src = { script: join(REPO, "src", "cli", "main.ts"), label: "src/cli/main.ts (type stripping)" };
  if (mode === "src") return src;
  if (mode !== "dist" && mode !== "auto") throw new Error("--cli must be auto, dist or src");
  if (existsSync(dist) && distIsFresh()) return { script: dist, label: "dist/bin/wharf.js (built, fresh)" };
  console.log("dist/ is missing or older than src/: npm run build");
  try {
    await exec("npm", ["run", "build"], { cwd: REPO });
    return { script: dist, label: "dist/bin/wharf.js (rebuilt by the bench)" };
  } catch (err) {
    if (mode === "dist") throw err;
    const msg = (err as Error).message;
    const why = msg.split("\n").find((l) => l.includes("error TS")) ?? msg.split("\n")[0];
    console.log(`  build failed, using src/ instead: ${why}`);
    return src;
  }
}

/**
 * The V8 flags of the CLI's shebang (`#!/usr/bin/env -S node --flag ...`): the source does not run
 * through its shebang, yet the figures (peak RSS above all) depend on those flags.
 */
export function shebangFlags(script: string): string[] {
  const first = readFileSync(script, "utf8").split("\n", 1)[0] ?? "";
  const m = /^#!.*\bnode((?:\s+--\S+)*)\s*$/.exec(first);
  return m?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
}

/**
 * How to run the wharf CLI as an installed `wharf` runs: the built bundle through its shebang (which
 * carries V8 flags) with this Node first on PATH; the TypeScript source under this Node with the flags
 * of its shebang.
 */
export function wharfCommand(
  script: string,
  args: string[],
): { cmd: string; args: string[]; env: NodeJS.ProcessEnv } {
  const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}` };
  return script.endsWith(".js")
    ? { cmd: script, args, env }
    : { cmd: process.execPath, args: [...shebangFlags(script), script, ...args], env };
}

/**
 * The config of a distribution registry (docker-registry) for benchmarking: logging at error and the
 * access log off (it halves distribution's throughput), filesystem storage under `root`, delete on.
 */
export function distributionConfig(root: string, host: string): string {
  return (
    "version: 0.1\n" +
    "log:\n  level: error\n  accesslog:\n    disabled: true\n" +
    `storage:\n  filesystem:\n    rootdirectory: ${root}\n  delete:\n    enabled: true\n` +
    `http:\n  addr: ${host}\n`
  );
}

/** A registry process the bench started and saw answer. */
export interface Registry {
  name: string;
  child: ChildProcess;
  base: string;
  /** The last lines of its stderr (for errors). */
  log(): string;
}

/**
 * Starts a registry server (wharf serve, docker-registry) on `host`, stopped by `cleanups`, and waits
 * until GET /v2/ answers 200: the benches measure it only once it serves.
 */
export async function startRegistry(
  name: string,
  cmd: string,
  args: string[],
  host: string,
  env: NodeJS.ProcessEnv,
  cleanups: Cleanups,
): Promise<Registry> {
  const child = spawn(cmd, args, { env, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr?.on("data", (d) => {
    log = (log + d).slice(-4000);
  });
  await new Promise<void>((r, j) => {
    child.once("spawn", r);
    child.once("error", j);
  });
  cleanups.push(() => stopChild(child));
  const base = `http://${host}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited with ${child.exitCode ?? child.signalCode}: ${log}`);
    }
    try {
      const res = await fetch(`${base}/v2/`);
      await res.body?.cancel();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} did not answer on ${host}: ${log}`);
    await sleep(50);
  }
  return { name, child, base, log: () => log };
}

/** Removes a bench directory, unmounting what a container engine left mounted under it first. */
export function removeTree(dir: string): void {
  unmountUnder(dir);
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The nodeapp image (../shared/fixtures/make-nodeapp.sh) as an OCI layout under `cache`, built once
 * (about two minutes) and kept outside the repository (test/helpers/nodeapp.ts, which the tests share).
 */
export async function ensureNodeapp(cache: string): Promise<{ layout: string; imageBytes: number }> {
  const t0 = performance.now();
  const { layout, imageBytes, built } = ensureNodeappLayout(cache);
  if (built)
    console.log(
      `built the nodeapp image into ${layout} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  return { layout, imageBytes };
}

/**
 * A dockerd of the bench's own (overlay2, own data-root and socket, `insecureRegistries` allowed),
 * stopped and removed by `cleanups`. `H` is the docker CLI's host flag for it; `unavailable` says why
 * it cannot run here.
 */
export async function startBenchDockerd(
  work: string,
  insecureRegistries: string[],
  cleanups: Cleanups,
): Promise<{ H: string[]; child?: ChildProcess; unavailable?: string }> {
  if (!commandExists("dockerd")) return { H: [], unavailable: "dockerd is not installed (docker.io)" };
  if (!commandExists("docker")) return { H: [], unavailable: "the docker CLI is not installed" };
  const ddir = join(work, "docker");
  mkdirSync(ddir, { recursive: true });
  // exec-root holds a unix socket path: keep it short (108 bytes at most).
  const execRoot = mkdtempSync(join("/tmp", "wb-dx-"));
  cleanups.push(() => removeTree(execRoot));
  const sock = join(execRoot, "docker.sock");
  writeFileSync(
    join(ddir, "daemon.json"),
    JSON.stringify(
      {
        "storage-driver": "overlay2",
        iptables: false,
        "ip-masq": false,
        bridge: "none",
        "insecure-registries": insecureRegistries,
        "data-root": join(ddir, "data"),
        "exec-root": execRoot,
        pidfile: join(ddir, "docker.pid"),
        hosts: [`unix://${sock}`],
      },
      null,
      2,
    ),
  );
  const H = ["-H", `unix://${sock}`];
  const d = spawn("dockerd", ["--config-file", join(ddir, "daemon.json")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let dLog = "";
  d.stderr.on("data", (chunk) => {
    dLog = (dLog + chunk).slice(-4000);
  });
  let unavailable: string | undefined;
  await new Promise<void>((r) => {
    d.once("spawn", r);
    d.once("error", (err) => {
      unavailable = `dockerd: ${err.message}`;
      r();
    });
  });
  cleanups.push(async () => {
    await stopChild(d, 20_000);
    removeTree(ddir);
  });
  const until = Date.now() + 60_000;
  while (unavailable === undefined) {
    if (d.exitCode !== null || d.signalCode !== null) {
      const lines = dLog.trim().split("\n").slice(-3).join(" | ");
      unavailable = `dockerd exited with ${d.exitCode ?? d.signalCode}: ${lines.slice(0, 400)}`;
      break;
    }
    if (spawnSync("docker", [...H, "version"], { stdio: "ignore" }).status === 0) break;
    if (Date.now() > until) {
      unavailable = `dockerd did not answer in 60 s: ${dLog.trim().split("\n").at(-1)}`;
      break;
    }
    await sleep(200);
  }
  return unavailable === undefined ? { H, child: d } : { H, child: d, unavailable };
}

/** A tool's figures over the runs, as the results table reads them. */
export interface PeerFigures {
  name: string;
  /** Why it did not run (all runs), if so. */
  unavailable?: string;
  times: number[];
  rss: number[];
  /** Shown in the RSS column when the tool itself has no figure (a daemon's). */
  rssNote?: string;
}

/** How each tool of an interleaved bench runs once, and is set back afterwards (untimed). */
export interface InterleavedSteps<P> {
  label(peer: P): string;
  run(peer: P, run: number): Promise<ExecResult>;
  reset?(peer: P, run: number): Promise<void>;
}

/**
 * Runs every tool once per round, round after round (interleaved, so that drift affects all alike),
 * recording times and peak RSS; a tool that fails is marked unavailable and skipped from then on.
 * Returns false when the bench was interrupted.
 */
export async function runInterleaved<P extends Omit<PeerFigures, "name">>(
  peers: readonly P[],
  runs: number,
  steps: InterleavedSteps<P>,
): Promise<boolean> {
  for (let i = 0; i < runs; i++) {
    const line: string[] = [];
    for (const p of peers) {
      if (interrupted) return false;
      if (p.unavailable) continue;
      try {
        const r = await steps.run(p, i);
        p.times.push(r.seconds);
        if (r.rssKiB !== undefined) p.rss.push(r.rssKiB);
        line.push(`${steps.label(p)} ${r.seconds.toFixed(2)}s`);
      } catch (err) {
        if (interrupted) return false;
        const msg = (err as Error).message;
        console.log(`${steps.label(p)} failed in run ${i + 1}:\n${msg}`);
        p.unavailable = `failed in run ${i + 1}: ${msg.split("\n").slice(-3).join(" | ").slice(0, 600)}`;
        line.push(`${steps.label(p)} FAILED`);
      }
      try {
        await steps.reset?.(p, i);
      } catch (err) {
        p.unavailable ??= `could not be set back: ${(err as Error).message.slice(0, 300)}`;
      }
    }
    console.log(`run ${i + 1}/${runs}: ${line.join(", ")}`);
  }
  return true;
}

/** Prints the results table (median, min, max, peak RSS) and returns the medians by tool name. */
export function printResultsTable(peers: readonly PeerFigures[], runs: number): Map<string, number> {
  const mb = (kib: number) => (kib / 1024).toFixed(1);
  console.log("");
  console.log(
    `${"tool".padEnd(14)} ${"median s".padStart(9)} ${"min s".padStart(7)} ${"max s".padStart(7)}  ${"peak RSS MB".padStart(11)}`,
  );
  const medians = new Map<string, number>();
  for (const p of peers) {
    if (p.times.length === 0 || (p.unavailable && p.times.length < runs)) {
      console.log(`${p.name.padEnd(14)} unavailable: ${p.unavailable ?? "no runs"}`);
      continue;
    }
    const med = median(p.times);
    medians.set(p.name, med);
    const rss = p.rss.length > 0 ? mb(Math.max(...p.rss)) : (p.rssNote ?? "n/a");
    const fixed = (x: number, width: number) => x.toFixed(3).padStart(width);
    console.log(
      `${p.name.padEnd(14)} ${fixed(med, 9)} ${fixed(Math.min(...p.times), 7)} ${fixed(Math.max(...p.times), 7)}  ${rss.padStart(11)}`,
    );
  }
  console.log("");
  return medians;
}

/** "wharf/LABEL time: R" for each peer, R = wharf's median over the peer's. */
export function printRatios(
  medians: Map<string, number>,
  wharf: string,
  peers: readonly (readonly [peer: string, label: string, goal: string])[],
): void {
  const w = medians.get(wharf);
  for (const [peer, label, goal] of peers) {
    const o = medians.get(peer);
    const value = w === undefined || o === undefined ? "n/a" : (w / o).toFixed(2);
    console.log(`wharf/${label} time: ${value}${goal}`);
  }
}

/**
 * The common start of the nodeapp benches (pull, push): the peers' packages (unless --no-setup), the
 * image, and a work directory (under --dir or the system's temp dir) removed by `cleanups`.
 */
export async function prepareNodeappBench(
  values: { "no-setup"?: boolean; cache: string; dir?: string },
  cleanups: Cleanups,
  prefix: string,
): Promise<{ layout: string; work: string }> {
  if (!values["no-setup"]) {
    await exec("bash", [join(REPO, "bench", "setup-peers.sh")], { inherit: true });
  }
  const { layout, imageBytes } = await ensureNodeapp(resolve(values.cache));
  console.log(`image: ${layout} (${(imageBytes / 1e6).toFixed(1)} MB of blobs)`);
  const work = mkdtempSync(join(values.dir ? resolve(values.dir) : tmpdir(), prefix));
  cleanups.push(() => removeTree(work));
  return { layout, work };
}

/** The options every nodeapp bench takes: --runs, --cache (where the image is built once), and lib's. */
export function parseNodeappBenchArgs() {
  return parseBenchArgs(5, {
    cache: { type: "string", default: join(homedir(), ".cache", "wharf-bench") },
  });
}

/**
 * A docker-registry of the bench's own holding the nodeapp image as `HOST/nodeapp:latest` (pushed
 * with skopeo from the OCI layout); stopped by `cleanups`. Returns the host and the push's seconds.
 */
export async function startNodeappRegistry(
  work: string,
  layout: string,
  cleanups: Cleanups,
): Promise<{ host: string; image: string; seconds: number }> {
  const host = `127.0.0.1:${await freePort()}`;
  const config = join(work, "registry.yml");
  writeFileSync(config, distributionConfig(join(work, "registry"), host));
  await startRegistry("docker-registry", "docker-registry", ["serve", config], host, process.env, cleanups);
  const image = `${host}/nodeapp:latest`;
  const push = await exec("skopeo", [
    "copy",
    "--quiet",
    "--dest-tls-verify=false",
    `oci:${layout}:latest`,
    `docker://${image}`,
  ]);
  return { host, image, seconds: push.seconds };
}
