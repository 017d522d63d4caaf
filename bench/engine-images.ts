/**
 * Engine API benchmark (issue 14): the real docker CLI listing N images through wharf's Engine API
 * socket (`wharf system service`) against a dockerd of the bench's own holding the same images.
 *
 *   node bench/engine-images.ts [--images N] [--runs N] [--cli auto|dist|src] [--dir DIR] [--profile DIR]
 *
 * - The images (default 1,000): the busybox fixture's three layers, shared by N configs that differ
 *   by one label, tagged bench/img-NNNN:latest, written here as ONE docker-archive (docker save's ≤24
 *   layout: manifest.json, <config-hex>.json, <diff-id-hex>/layer.tar), loaded with `docker load -i`
 *   into the dockerd (overlay2, own data-root and socket) and `wharf load -i` into a fresh store that
 *   `wharf system service --host unix://SOCK` then serves.
 * - Timed, each --runs times (default 10), interleaved (the side that goes first alternates): `docker
 *   images`, `docker images -q`, `docker inspect` and `docker history` of the middle image, by the same
 *   client (/usr/local/bin/docker) at each socket; and raw GETs over each socket with node:http
 *   (/images/json and the middle image's json and history: the server's own time, without the CLI's).
 *   An untimed first round warms both servers, prints each output's first line, and fails loudly
 *   unless both list all N images (the same IDs).
 * - --profile DIR: the service runs with NODE_OPTIONS=--cpu-prof, its profile written to DIR on exit.
 * Medians, ratios wharf/dockerd and the goal (ratio <= 1 for the docker commands) are printed.
 * Everything started is stopped and every temp dir removed, also on error or Ctrl-C.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { pack } from "tar-stream";
import { digestBytes } from "../src/oci/digest.ts";
import * as lib from "./lib.ts";

/** The docker CLI 28 both sides are timed with (Debian's 20.10 client is /usr/bin/docker). */
const DOCKER = "/usr/local/bin/docker";
const FIXTURE = resolve(lib.REPO, "../shared/fixtures/oci/busybox");

const tagOf = (n: number) => `bench/img-${String(n).padStart(4, "0")}:latest`;

/** One server under test: its socket, and the docker CLI's environment pointed at it. */
interface Side {
  name: "dockerd" | "wharf";
  socket: string;
  env: NodeJS.ProcessEnv;
}

/** A timed operation, run against each side; `rows` counts what a listing listed. */
interface Probe {
  label: string;
  run(side: Side): Promise<{ seconds: number; output: string }>;
  rows?(output: string): number;
  minRows?: number;
  /** Whether issue 14's goal is about it (the docker CLI's commands; the raw GETs show the server's part). */
  goal: boolean;
  /** Both sides must print the same lines in some order (`images -q`: the same image IDs). */
  sameLines?: boolean;
  times: Record<Side["name"], number[]>;
  failed?: string;
}

/** Writes the N images as one docker-archive (the fixture's layers gunzipped, once, shared by all). */
async function writeArchive(file: string, count: number): Promise<void> {
  const blob = (digest: string) =>
    readFileSync(join(FIXTURE, "blobs/sha256", digest.slice("sha256:".length)));
  const index = JSON.parse(readFileSync(join(FIXTURE, "index.json"), "utf8"));
  const manifest = JSON.parse(blob(index.manifests[0].digest).toString("utf8"));
  const config = JSON.parse(blob(manifest.config.digest).toString("utf8"));
  const tar = pack();
  const written = new Promise<void>((done, fail) => {
    const out = createWriteStream(file);
    out.once("close", done).once("error", fail);
    tar.once("error", fail);
    tar.pipe(out);
  });
  const layerPaths: string[] = [];
  for (const [i, layer] of (manifest.layers as { digest: string }[]).entries()) {
    const tarBytes = gunzipSync(blob(layer.digest));
    const diffId = config.rootfs.diff_ids[i] as string;
    if (digestBytes(tarBytes) !== diffId) throw new Error(`fixture layer ${i}: not diff ID ${diffId}`);
    const path = `${diffId.slice("sha256:".length)}/layer.tar`;
    tar.entry({ name: path, size: tarBytes.length }, tarBytes);
    layerPaths.push(path);
  }
  const entries: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
  for (let n = 0; n < count; n++) {
    const labels = { ...config.config.Labels, "bench.index": String(n) };
    const bytes = Buffer.from(JSON.stringify({ ...config, config: { ...config.config, Labels: labels } }));
    const name = `${digestBytes(bytes).slice("sha256:".length)}.json`;
    tar.entry({ name, size: bytes.length }, bytes);
    entries.push({ Config: name, RepoTags: [tagOf(n)], Layers: layerPaths });
  }
  const manifestJson = Buffer.from(JSON.stringify(entries));
  tar.entry({ name: "manifest.json", size: manifestJson.length }, manifestJson);
  tar.finalize();
  await written;
}

/** GET `path` over a unix socket on a new connection: the response's time and body (200 only). */
function getOverSocket(
  socketPath: string,
  path: string,
  method = "GET",
  status = 200,
): Promise<{ seconds: number; output: string }> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const req = request({ socketPath, path, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.once("error", fail);
      res.once("end", () => {
        const output = Buffer.concat(chunks).toString("utf8");
        if (res.statusCode === status) done({ seconds: (performance.now() - t0) / 1000, output });
        else fail(new Error(`${method} ${path} at ${socketPath}: ${res.statusCode} ${output.slice(0, 300)}`));
      });
    });
    req.once("error", fail);
    req.end();
  });
}

/** Starts `wharf system service` on `root` at `socket` (stopped by `cleanups`); resolves once it answers. */
async function startService(
  script: string,
  root: string,
  socket: string,
  profileDir: string | undefined,
  cleanups: lib.Cleanups,
): Promise<ChildProcess> {
  const c = lib.wharfCommand(script, ["--root", root, "system", "service", "--host", `unix://${socket}`]);
  const env = profileDir
    ? { ...c.env, NODE_OPTIONS: `${c.env.NODE_OPTIONS ?? ""} --cpu-prof --cpu-prof-dir=${profileDir}`.trim() }
    : c.env;
  const child = spawn(c.cmd, c.args, { env, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr?.on("data", (d) => {
    log = (log + d).slice(-4000);
  });
  cleanups.push(() => lib.stopChild(child));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`wharf system service exited with ${child.exitCode ?? child.signalCode}: ${log}`);
    }
    const answered = await getOverSocket(socket, "/_ping").catch(() => undefined);
    if (answered) return child;
    if (Date.now() > deadline) throw new Error(`wharf system service did not answer at ${socket}: ${log}`);
    await lib.sleep(50);
  }
}

/** The probes: the docker CLI's commands at a side, and the raw listing over its socket. */
function probes(count: number): Probe[] {
  const middle = tagOf(Math.floor(count / 2));
  const lines = (output: string) => output.trimEnd().split("\n").length;
  const cli = (args: string[], minRows?: number): Probe => ({
    label: `docker ${args.join(" ")}`,
    run: (side) =>
      lib.exec(DOCKER, args, { env: side.env }).then((r) => ({ seconds: r.seconds, output: r.stdout })),
    ...(minRows === undefined ? {} : { rows: lines, minRows }),
    goal: true,
    times: { dockerd: [], wharf: [] },
  });
  const raw = (path: string, minRows?: number, method = "GET", status = 200): Probe => ({
    label: `${method} ${path} (node:http)`,
    run: (side) => getOverSocket(side.socket, path, method, status),
    ...(minRows === undefined ? {} : { rows: (output) => (JSON.parse(output) as unknown[]).length, minRows }),
    goal: false,
    times: { dockerd: [], wharf: [] },
  });
  return [
    cli(["images"], count + 1),
    { ...cli(["images", "-q"], count), sameLines: true },
    cli(["inspect", middle]),
    cli(["history", middle]),
    raw("/images/json", count),
    // The one-image endpoints raw too: what of the CLI's time is the server's.
    raw(`/images/${middle}/json`),
    raw(`/images/${middle}/history`),
    // What the CLI asks before: the ping, and (inspect) the container of that name, a 404.
    raw("/_ping", undefined, "HEAD"),
    raw(`/containers/${middle}/json`, undefined, "GET", 404),
  ];
}

/** The untimed first round: both servers warmed, each output's first line shown, the listings checked. */
async function warmUp(list: Probe[], sides: Side[]): Promise<void> {
  for (const probe of list) {
    let firstLines: string | undefined;
    for (const side of sides) {
      let output: string;
      try {
        output = (await probe.run(side)).output;
      } catch (err) {
        probe.failed = `${side.name}: ${(err as Error).message.split("\n").slice(0, 3).join(" | ")}`;
        console.log(`${probe.label} @ ${side.name}: FAILED ${probe.failed}`);
        continue;
      }
      const rows = probe.rows?.(output);
      const first = output.split("\n", 1)[0]!.slice(0, 100);
      console.log(
        `${`${probe.label} @ ${side.name}`.padEnd(58)} ${rows === undefined ? "" : `${rows} rows: `}${first}`,
      );
      if (rows !== undefined && probe.minRows !== undefined && rows < probe.minRows) {
        throw new Error(`${probe.label} at ${side.name} listed ${rows} rows, want at least ${probe.minRows}`);
      }
      const sorted = output.trimEnd().split("\n").sort().join("\n");
      if (probe.sameLines && firstLines !== undefined && sorted !== firstLines) {
        throw new Error(`${probe.label}: ${sides[0]!.name} and ${side.name} do not list the same images`);
      }
      firstLines ??= sorted;
    }
  }
}

/** The medians side by side, the ratio, and whether the goal is met. */
function printTable(list: Probe[]): void {
  const ms = (xs: number[]) => lib.median(xs) * 1000;
  console.log(
    `\n${"command".padEnd(50)} ${"dockerd ms".padStart(10)} ${"wharf ms".padStart(10)} ${"wharf/dockerd".padStart(14)}`,
  );
  const missed: string[] = [];
  for (const p of list) {
    if (p.failed || p.times.wharf.length === 0 || p.times.dockerd.length === 0) {
      console.log(`${p.label.padEnd(50)} failed: ${p.failed ?? "no runs"}`);
      if (p.goal) missed.push(p.label);
      continue;
    }
    const [d, w] = [ms(p.times.dockerd), ms(p.times.wharf)];
    if (p.goal && w / d > 1) missed.push(p.label);
    console.log(
      `${p.label.padEnd(50)} ${d.toFixed(1).padStart(10)} ${w.toFixed(1).padStart(10)} ${(w / d).toFixed(2).padStart(14)}`,
    );
  }
  console.log(
    `\ngoal (issue 14): wharf/dockerd <= 1 for every docker command: ${missed.length === 0 ? "met" : `missed (${missed.join(", ")})`}`,
  );
}

async function main(): Promise<void> {
  const { values, runs } = lib.parseBenchArgs(10, {
    images: { type: "string", default: "1000" },
    profile: { type: "string" },
  });
  const count = Number(values.images);
  if (!Number.isSafeInteger(count) || count <= 0) throw new Error("--images must be a positive integer");
  const profileDir = values.profile ? resolve(values.profile) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const { cleanups, cleanup } = lib.cleanupOnExit();
  try {
    const cli = await lib.chooseCli(values.cli);
    console.log(`wharf: ${relative(lib.REPO, cli.script)} [${cli.label}], node ${process.version}`);
    const work = mkdtempSync(join(values.dir ? resolve(values.dir) : tmpdir(), "wharf-bench-engine-"));
    cleanups.push(() => lib.removeTree(work));
    // A unix socket path holds 108 bytes at most: the service's lives under /tmp, not under --dir.
    const sockDir = mkdtempSync(join("/tmp", "wb-ws-"));
    cleanups.push(() => lib.removeTree(sockDir));

    const archive = join(work, "all.tar");
    let t0 = performance.now();
    await writeArchive(archive, count);
    console.log(
      `archive: ${count} images in one docker-archive in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    const daemon = await lib.startBenchDockerd(work, [], cleanups);
    if (daemon.unavailable) throw new Error(`no dockerd to compare with: ${daemon.unavailable}`);
    const clientEnv = (socket: string): NodeJS.ProcessEnv => {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        DOCKER_HOST: `unix://${socket}`,
        DOCKER_CONFIG: join(work, "docker-config"),
      };
      for (const k of ["DOCKER_CONTEXT", "DOCKER_API_VERSION", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"])
        delete env[k];
      return env;
    };
    const dockerSocket = daemon.H[1]!.slice("unix://".length);
    const dockerd: Side = { name: "dockerd", socket: dockerSocket, env: clientEnv(dockerSocket) };
    const loaded = await lib.exec(DOCKER, ["load", "-i", archive], { env: dockerd.env });
    console.log(`docker load -i: ${loaded.seconds.toFixed(1)} s`);

    const root = join(work, "wharf-root");
    const load = lib.wharfCommand(cli.script, ["--root", root, "load", "-i", archive]);
    const wharfLoaded = await lib.exec(load.cmd, load.args, { env: load.env });
    console.log(`wharf load -i: ${wharfLoaded.seconds.toFixed(1)} s`);
    const socket = join(sockDir, "wharf.sock");
    t0 = performance.now();
    const service = await startService(cli.script, root, socket, profileDir, cleanups);
    console.log(`wharf system service answering in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
    const wharf: Side = { name: "wharf", socket, env: clientEnv(socket) };

    const list = probes(count);
    await warmUp(list, [dockerd, wharf]);
    for (let i = 0; i < runs && !lib.interrupted; i++) {
      const order = i % 2 === 0 ? [dockerd, wharf] : [wharf, dockerd];
      for (const probe of list) {
        try {
          for (const side of order)
            if (!probe.failed) probe.times[side.name].push((await probe.run(side)).seconds);
        } catch (err) {
          if (lib.interrupted) return;
          probe.failed = `run ${i + 1}: ${(err as Error).message.split("\n").slice(0, 3).join(" | ")}`;
        }
      }
      console.log(`run ${i + 1}/${runs} done`);
    }
    if (lib.interrupted) return;
    printTable(list);
    const rss = (pid: number | undefined) => {
      const kib = pid === undefined ? undefined : lib.vmHwmKiB(pid);
      return kib === undefined ? "n/a" : `${(kib / 1024).toFixed(0)} MB`;
    };
    console.log(`peak RSS: dockerd ${rss(daemon.child?.pid)}, wharf system service ${rss(service.pid)}`);
    if (profileDir) console.log(`the service's CPU profile goes to ${profileDir} when it stops`);
  } finally {
    await cleanup();
  }
}

await main();
