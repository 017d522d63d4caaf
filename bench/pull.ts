/**
 * Pull benchmark: `wharf pull` of a realistic large image (the nodeapp fixture: ~115 MB gzip, 3 layers,
 * ~20k files) from a local distribution registry, side by side with skopeo, podman and dockerd.
 *
 *   node bench/pull.ts [--runs N] [--cache DIR] [--dir DIR] [--cli auto|dist|src] [--no-setup]
 *
 * - The image is built once with ../shared/fixtures/make-nodeapp.sh and cached outside the repository
 *   (default ~/.cache/wharf-bench/nodeapp, or --cache DIR); bench/setup-peers.sh installs the Debian
 *   packages first (skipped with --no-setup; it does nothing when all are installed).
 * - A docker-registry of the bench's own (request logging off, as PEERS.md says for benchmarks) runs on
 *   a free 127.0.0.1 port; the image goes in with `skopeo copy oci:... docker://...`.
 * - Each run times, one after another (interleaved, so that drift affects all of them alike) and each
 *   into an empty destination: `wharf pull` into a fresh --root; `skopeo copy` registry -> a fresh OCI
 *   dir; `podman pull` (overlay, own --root/--runroot, `podman rmi -a -f` after each run); `docker pull`
 *   through a dockerd the bench starts (overlay2, own data-root, `docker rmi` after each run).
 * - Peak RSS of wharf, skopeo and podman: `/usr/bin/time -f %M` (else VmHWM polled from /proc); for
 *   docker the work happens in dockerd, so its VmHWM (over the whole bench) is shown instead.
 * A peer that cannot start here is reported as "unavailable: <reason>" and the others go on.
 * Everything started is stopped and every temporary store deleted, also on error or Ctrl-C; the
 * image cache stays. "MB" below is 2^20 bytes.
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
import { parseArgs } from "node:util";

const BENCH_DIR = import.meta.dirname;
const REPO = resolve(BENCH_DIR, "..");
const MAKE_NODEAPP = resolve(BENCH_DIR, "../../shared/fixtures/make-nodeapp.sh");
const TIME = "/usr/bin/time";

interface RunResult {
  seconds: number;
  /** Peak RSS in KiB, when measured. */
  rssKiB: number | undefined;
}

interface ExecOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Measure the peak RSS of the command (with /usr/bin/time, else by polling /proc). */
  measureRss?: boolean;
  /** Print the command's output as it comes (for the long one-time steps). */
  inherit?: boolean;
}

class CommandError extends Error {}

const haveTime = existsSync(TIME);

/** The commands running now (stopped first on a signal), and whether a signal came. */
const running = new Set<ChildProcess>();
let interrupted = false;

function vmHwmKiB(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs a command to its end; rejects with its last output when it fails. */
function exec(cmd: string, args: string[], options: ExecOptions = {}): Promise<RunResult> {
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
    let output = "";
    const keep = (d: Buffer) => {
      output = (output + d.toString("utf8")).slice(-4000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    let polled: number | undefined;
    const poll =
      options.measureRss && !haveTime
        ? setInterval(() => {
            const hwm = child.pid === undefined ? undefined : vmHwmKiB(child.pid);
            if (hwm !== undefined) polled = Math.max(polled ?? 0, hwm);
          }, 10)
        : undefined;
    child.on("error", (err) => {
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
      } else resolvePromise({ seconds, rssKiB });
    });
  });
}

function commandExists(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Unmounts whatever is mounted at or below `dir` (deepest first): overlay stores leave bind mounts. */
function unmountUnder(dir: string): void {
  let mountinfo: string;
  try {
    mountinfo = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return;
  }
  const points = mountinfo
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\040/g, " "))
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const p of points) spawnSync("umount", ["-l", p], { stdio: "ignore" });
}

function removeTree(dir: string): void {
  unmountUnder(dir);
  rmSync(dir, { recursive: true, force: true });
}

/** Stops a child by its PID: SIGTERM, then SIGKILL after `graceMs`. */
async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Stops a command started by exec and everything in its process group. */
async function stopGroup(child: ChildProcess): Promise<void> {
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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** dist is fresh when every src/X.ts has a dist/X.js at least as new. */
/** Every source has its tsc output, and the CLI bundle is newer than every source. */
function distIsFresh(): boolean {
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
 * The built CLI runs as an installed `wharf` does, through its shebang (which carries V8 flags), with
 * this Node first on PATH; the TypeScript source runs under this Node.
 */
function wharfCommand(script: string, args: string[]): [string, string[]] {
  return script.endsWith(".js") ? [script, args] : [process.execPath, [script, ...args]];
}

async function chooseCli(mode: string): Promise<{ script: string; label: string }> {
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

/** PATH without node_modules/.bin: the fixture copies the machine's node + npm, as PEERS.md measured. */
function systemPath(): string {
  return (process.env.PATH ?? "")
    .split(delimiter)
    .filter((p) => !p.includes(`node_modules${"/"}.bin`))
    .join(delimiter);
}

interface Peer {
  name: string;
  /** Why it cannot run, once it is known. */
  unavailable?: string;
  times: number[];
  rss: number[];
  /** Extra text for the RSS column (e.g. the daemon's figure). */
  rssNote?: string;
  /** One timed pull into an empty destination. */
  pull(run: number): Promise<RunResult>;
  /** Untimed: empty the destination again. */
  reset(run: number): Promise<void>;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: false,
    options: {
      runs: { type: "string", default: "5" },
      cache: { type: "string", default: join(homedir(), ".cache", "wharf-bench") },
      dir: { type: "string" },
      cli: { type: "string", default: "auto" },
      "no-setup": { type: "boolean", default: false },
    },
  });
  if (positionals.length > 0) throw new Error(`unexpected arguments: ${positionals.join(" ")}`);
  const runs = Number(values.runs);
  if (!Number.isSafeInteger(runs) || runs <= 0) throw new Error("--runs must be a positive integer");
  const benchStart = performance.now();

  // Cleanup: a stack of steps, run once, on success, error, or signal.
  const cleanups: (() => Promise<void> | void)[] = [];
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

  try {
    // 0. Packages.
    if (!values["no-setup"]) {
      await exec("bash", [join(BENCH_DIR, "setup-peers.sh")], { inherit: true });
    }

    // 1. The image, cached outside the repository.
    const cache = resolve(values.cache);
    mkdirSync(cache, { recursive: true });
    const layout = join(cache, "nodeapp");
    if (!existsSync(join(layout, "index.json"))) {
      console.log(`building the nodeapp image into ${layout} (once; about two minutes)`);
      const t0 = performance.now();
      await exec("bash", [MAKE_NODEAPP, cache], {
        env: { ...process.env, PATH: systemPath() },
        inherit: true,
      });
      console.log(`built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const blobsDir = join(layout, "blobs", "sha256");
    let imageBytes = 0;
    for (const b of readdirSync(blobsDir)) imageBytes += statSync(join(blobsDir, b)).size;
    console.log(`image: ${layout} (${(imageBytes / 1e6).toFixed(1)} MB of blobs)`);

    const work = mkdtempSync(join(values.dir ? resolve(values.dir) : tmpdir(), "wharf-bench-pull-"));
    cleanups.push(() => removeTree(work));

    // The registry.
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const regConfig = join(work, "registry.yml");
    writeFileSync(
      regConfig,
      "version: 0.1\n" +
        "log:\n  level: error\n  accesslog:\n    disabled: true\n" +
        `storage:\n  filesystem:\n    rootdirectory: ${join(work, "registry")}\n  delete:\n    enabled: true\n` +
        `http:\n  addr: ${host}\n`,
    );
    const registry = spawn("docker-registry", ["serve", regConfig], { stdio: ["ignore", "ignore", "pipe"] });
    let regLog = "";
    registry.stderr.on("data", (d) => {
      regLog = (regLog + d).slice(-4000);
    });
    await new Promise<void>((r, j) => {
      registry.once("spawn", r);
      registry.once("error", j);
    });
    cleanups.push(() => stopChild(registry));
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (registry.exitCode !== null) throw new Error(`docker-registry exited: ${regLog}`);
      try {
        const res = await fetch(`http://${host}/v2/`);
        await res.body?.cancel();
        if (res.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`docker-registry did not answer on ${host}: ${regLog}`);
      await sleep(50);
    }
    const image = `${host}/nodeapp:latest`;
    const push = await exec("skopeo", [
      "copy",
      "--quiet",
      "--dest-tls-verify=false",
      `oci:${layout}:latest`,
      `docker://${image}`,
    ]);
    console.log(`registry: docker-registry on ${host}, pushed in ${push.seconds.toFixed(2)} s`);

    // 2. The peers.
    const cli = await chooseCli(values.cli);
    console.log(`wharf: ${relative(REPO, cli.script)} [${cli.label}], node ${process.version}`);
    const peers: Peer[] = [];

    // (a) wharf
    const wharfRoot = (run: number) => join(work, `wharf-${run}`);
    peers.push({
      name: "wharf pull",
      times: [],
      rss: [],
      pull: (run) =>
        exec(...wharfCommand(cli.script, ["--root", wharfRoot(run), "pull", image]), {
          measureRss: true,
          env: { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}` },
        }),
      reset: async (run) => removeTree(wharfRoot(run)),
    });

    // (b) skopeo
    const skopeoDir = (run: number) => join(work, `skopeo-${run}`);
    peers.push({
      name: "skopeo copy",
      times: [],
      rss: [],
      pull: (run) =>
        exec(
          "skopeo",
          ["copy", "--src-tls-verify=false", `docker://${image}`, `oci:${skopeoDir(run)}:latest`],
          { measureRss: true },
        ),
      reset: async (run) => removeTree(skopeoDir(run)),
    });

    // (c) podman: one store, emptied with `podman rmi -a -f` after each run.
    const podman: Peer = {
      name: "podman pull",
      times: [],
      rss: [],
      pull: async () => ({ seconds: 0, rssKiB: 0 }),
      reset: async () => {},
    };
    peers.push(podman);
    if (!commandExists("podman")) podman.unavailable = "podman is not installed";
    else {
      const pdir = join(work, "podman");
      mkdirSync(pdir, { recursive: true });
      writeFileSync(
        join(pdir, "containers.conf"),
        '[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n' +
          `[engine]\nruntime = "runc"\nevents_logger = "file"\ncgroup_manager = "cgroupfs"\n` +
          `tmp_dir = "${join(pdir, "tmp")}"\nevents_logfile_path = "${join(pdir, "events.log")}"\n`,
      );
      writeFileSync(join(pdir, "registries.conf"), `[[registry]]\nlocation = "${host}"\ninsecure = true\n`);
      const env = {
        ...process.env,
        CONTAINERS_CONF: join(pdir, "containers.conf"),
        CONTAINERS_REGISTRIES_CONF: join(pdir, "registries.conf"),
        TMPDIR: join(pdir, "tmp"),
      };
      mkdirSync(join(pdir, "tmp"), { recursive: true });
      const base = [
        "--root",
        join(pdir, "root"),
        "--runroot",
        join(pdir, "runroot"),
        "--storage-driver",
        "overlay",
      ];
      podman.pull = () => exec("podman", [...base, "pull", image], { env, measureRss: true });
      podman.reset = async () => {
        await exec("podman", [...base, "rmi", "-a", "-f"], { env });
      };
      cleanups.push(async () => {
        await exec("podman", [...base, "system", "reset", "-f"], { env }).catch(() => {});
        removeTree(pdir);
      });
      try {
        await exec("podman", [...base, "info"], { env });
      } catch (err) {
        podman.unavailable = (err as Error).message.split("\n").slice(-3).join(" ").slice(0, 300);
      }
    }

    // (d) docker: a dockerd of the bench's own.
    const docker: Peer = {
      name: "docker pull",
      times: [],
      rss: [],
      pull: async () => ({ seconds: 0, rssKiB: 0 }),
      reset: async () => {},
    };
    peers.push(docker);
    let dockerd: ChildProcess | undefined;
    if (!commandExists("dockerd")) docker.unavailable = "dockerd is not installed (docker.io)";
    else if (!commandExists("docker")) docker.unavailable = "the docker CLI is not installed";
    else {
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
            "insecure-registries": [host],
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
      dockerd = d;
      let dLog = "";
      d.stderr.on("data", (chunk) => {
        dLog = (dLog + chunk).slice(-4000);
      });
      await new Promise<void>((r) => {
        d.once("spawn", r);
        d.once("error", (err) => {
          docker.unavailable = `dockerd: ${err.message}`;
          r();
        });
      });
      cleanups.push(async () => {
        await stopChild(d, 20_000);
        removeTree(ddir);
      });
      const until = Date.now() + 60_000;
      while (docker.unavailable === undefined) {
        if (d.exitCode !== null || d.signalCode !== null) {
          const lines = dLog.trim().split("\n").slice(-3).join(" | ");
          docker.unavailable = `dockerd exited with ${d.exitCode ?? d.signalCode}: ${lines.slice(0, 400)}`;
          break;
        }
        if (spawnSync("docker", [...H, "version"], { stdio: "ignore" }).status === 0) break;
        if (Date.now() > until) {
          docker.unavailable = `dockerd did not answer in 60 s: ${dLog.trim().split("\n").at(-1)}`;
          break;
        }
        await sleep(200);
      }
      docker.pull = () => exec("docker", [...H, "pull", image]);
      docker.reset = async () => {
        await exec("docker", [...H, "rmi", "-f", image]);
        await exec("docker", [...H, "image", "prune", "-a", "-f"]);
      };
    }

    for (const p of peers) if (p.unavailable) console.log(`${p.name}: unavailable: ${p.unavailable}`);

    // 3. The runs, interleaved.
    for (let i = 0; i < runs; i++) {
      const line: string[] = [];
      for (const p of peers) {
        if (interrupted) return;
        if (p.unavailable) continue;
        try {
          const r = await p.pull(i);
          p.times.push(r.seconds);
          if (r.rssKiB !== undefined) p.rss.push(r.rssKiB);
          line.push(`${p.name} ${r.seconds.toFixed(2)}s`);
        } catch (err) {
          if (interrupted) return;
          const msg = (err as Error).message;
          console.log(`${p.name} failed in run ${i + 1}:\n${msg}`);
          p.unavailable = `failed in run ${i + 1}: ${msg.split("\n").slice(-3).join(" | ").slice(0, 600)}`;
          line.push(`${p.name} FAILED`);
        }
        try {
          await p.reset(i);
        } catch (err) {
          p.unavailable ??= `could not empty its store: ${(err as Error).message.slice(0, 300)}`;
        }
      }
      console.log(`run ${i + 1}/${runs}: ${line.join(", ")}`);
    }
    if (dockerd?.pid !== undefined) {
      const hwm = vmHwmKiB(dockerd.pid);
      if (hwm !== undefined) docker.rssNote = `dockerd ${(hwm / 1024).toFixed(1)}`;
    }

    // 4. The table and the ratios.
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
      console.log(
        `${p.name.padEnd(14)} ${med.toFixed(3).padStart(9)} ${Math.min(...p.times)
          .toFixed(3)
          .padStart(7)} ${Math.max(...p.times)
          .toFixed(3)
          .padStart(7)}  ${rss.padStart(11)}`,
      );
    }
    console.log("");
    const w = medians.get("wharf pull");
    const ratio = (peer: string, label: string, goal: string) => {
      const o = medians.get(peer);
      const value = w === undefined || o === undefined ? "n/a" : (w / o).toFixed(2);
      console.log(`wharf/${label} time: ${value}${goal}`);
    };
    ratio("skopeo copy", "skopeo", " (goal <= 2.0)");
    ratio("podman pull", "podman", " (goal <= 0.25)");
    ratio("docker pull", "docker", "");
    const wharfPeer = peers[0]!;
    const wharfRss = wharfPeer.rss.length > 0 ? `${mb(Math.max(...wharfPeer.rss))} MB` : "n/a";
    console.log(`wharf peak RSS: ${wharfRss} (goal < 150 MB)`);
    console.log(
      `runs: ${runs}; RSS by ${haveTime ? "/usr/bin/time -f %M" : "VmHWM polled from /proc"} (max over runs); ` +
        `wharf CLI: ${cli.label}; whole bench ${((performance.now() - benchStart) / 1000).toFixed(0)} s`,
    );
  } finally {
    await cleanup();
  }
}

await main();
