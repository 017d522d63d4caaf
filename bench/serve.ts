/**
 * Serve benchmark: `wharf serve` and Debian's distribution registry (docker-registry 2.8) side by side,
 * in the same run, on the same machine, with the same content; it prints wharf/distribution ratios.
 *
 *   node bench/serve.ts [--duration S] [--runs N] [--dir DIR] [--cli auto|dist|src] [--no-setup]
 *
 * - bench/setup-peers.sh installs the Debian packages first (docker-registry, skopeo, wrk, apache2-utils;
 *   skipped with --no-setup; it does nothing when all are installed). dist/ is rebuilt when older than
 *   src/; should the bundle not start (--cli auto), src/cli/main.ts runs instead, under this Node with
 *   the V8 flags of its shebang, and the bench says so.
 * - Both registries run on free 127.0.0.1 ports with request logging off (it halves distribution's
 *   throughput): wharf as an installed wharf runs, the CLI bundle through its shebang with this Node
 *   first on PATH (`--log-level error --no-access-log`); distribution with a config of the bench's own
 *   (log level error, access log disabled, filesystem storage, delete enabled). Each has its own
 *   storage directory under a temporary work directory.
 * - Content: the busybox fixture (../shared/fixtures/oci/busybox, an OCI image manifest with three
 *   layers) goes into both as bench:latest with `skopeo copy`; a file of 1 GiB of random bytes is
 *   generated once (its sha256 computed as it is written).
 * - Requests per second, 32 keep-alive connections for --duration seconds, each scenario after an untimed
 *   2 s warm-up of the same load (the JIT of one, the page cache of both):
 *     GET /v2/bench/manifests/latest  (Accept: the OCI image manifest type; 200, 659 bytes), with
 *                                      `wrk -t2 -c32 -d<duration>s` and its "Requests/sec";
 *     HEAD /v2/bench/blobs/<layer>     (the 1 MB busybox layer; 200, no body), with
 *                                      `ab -i -k -c32 -t<duration>` and its "Requests per second":
 *                                      wrk (4.1) cannot do HEAD, its parser then waits for the
 *                                      Content-Length bytes of a body that never comes (0 requests).
 *   Any answer other than 2xx (or a socket error, a failed request, no request at all) fails the bench.
 * - Throughput of 1 GiB, with curl (else node:http) as the client, timed to the last byte:
 *     PUT: a monolithic upload, POST /v2/bench-put-<run>/blobs/uploads/ then one PUT of the whole
 *          file to the Location with ?digest= (201). A fresh repository per run: the registry receives,
 *          digests and fsyncs every byte each time, and the content is stored once.
 *     GET: /v2/bench-put-0/blobs/<digest> read to the end and discarded (200, all 2^30 bytes).
 * - Every measurement runs `--runs` times (default 3), wharf then distribution, alternating, so that
 *   drift of the machine affects both alike; the table shows medians.
 * - Peak RSS of each server: VmHWM from /proc/PID/status at the end (the whole bench).
 * Everything started is stopped and the work directory deleted, also on error or Ctrl-C.
 * "MB" below is 2^20 bytes and "GB" 2^30 bytes.
 */
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as lib from "./lib.ts";

const BENCH_DIR = import.meta.dirname;
const FIXTURE = resolve(BENCH_DIR, "../../shared/fixtures/oci/busybox");
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const BIG = 1 << 30;
const CHUNK = 16 << 20;
const WRK_THREADS = 2;
const CONNECTIONS = 32;
const WARMUP_S = 2;

/** A registry under test: its process, its base URL, and the figures measured against it. */
interface Server extends lib.Registry {
  manifestRps: number[];
  headRps: number[];
  putSeconds: number[];
  getSeconds: number[];
}

/** A registry with no figures yet. */
const withFigures = (registry: lib.Registry): Server => ({
  ...registry,
  manifestRps: [],
  headRps: [],
  putSeconds: [],
  getSeconds: [],
});

interface LoadResult {
  rps: number;
  /** Mean time per request (as the tool reports it). */
  latency: string;
}

/** One wrk run; fails on non-2xx/3xx answers or socket errors, which would make the figure meaningless. */
async function wrk(url: string, script: string, seconds: number): Promise<LoadResult> {
  const { stdout: out } = await lib.exec("wrk", [
    `-t${WRK_THREADS}`,
    `-c${CONNECTIONS}`,
    `-d${seconds}s`,
    "-s",
    script,
    url,
  ]);
  const bad = /Non-2xx or 3xx responses:\s*(\d+)/.exec(out);
  if (bad) throw new Error(`wrk ${url}: ${bad[1]} non-2xx/3xx responses:\n${out}`);
  const sock = /Socket errors:.*/.exec(out);
  if (sock) throw new Error(`wrk ${url}: ${sock[0]}:\n${out}`);
  const rps = /Requests\/sec:\s*([\d.]+)/.exec(out);
  if (!rps || !(Number(rps[1]) > 0)) throw new Error(`wrk ${url}: no requests answered:\n${out}`);
  const latency = /^\s*Latency\s+(\S+)/m.exec(out)?.[1] ?? "?";
  return { rps: Number(rps[1]), latency };
}

/**
 * HEAD for `seconds` with ab (keep-alive, HTTP/1.0 with Connection: Keep-Alive); fails on any failed
 * request or non-2xx answer. `-n` bounds the run too (ab keeps a record per request): 100k/s at most.
 */
async function abHead(url: string, seconds: number): Promise<LoadResult> {
  const { stdout: out } = await lib.exec("ab", [
    "-q",
    "-i",
    "-k",
    "-c",
    String(CONNECTIONS),
    "-t",
    String(seconds),
    "-n",
    String(100_000 * seconds),
    url,
  ]);
  const complete = Number(/^Complete requests:\s*(\d+)/m.exec(out)?.[1] ?? 0);
  const failed = Number(/^Failed requests:\s*(\d+)/m.exec(out)?.[1] ?? Number.NaN);
  const non2xx = /^Non-2xx responses:\s*(\d+)/m.exec(out);
  const rps = Number(/^Requests per second:\s*([\d.]+)/m.exec(out)?.[1] ?? 0);
  if (non2xx) throw new Error(`ab -i ${url}: ${non2xx[1]} non-2xx responses:\n${out}`);
  if (failed !== 0) throw new Error(`ab -i ${url}: ${failed} failed requests:\n${out}`);
  if (complete === 0 || !(rps > 0)) throw new Error(`ab -i ${url}: no requests answered:\n${out}`);
  const latency = /^Time per request:\s*([\d.]+) \[ms\] \(mean\)$/m.exec(out)?.[1];
  return { rps, latency: latency ? `${latency}ms` : "?" };
}

/** 1 GiB of random bytes into `file`; returns its sha256 digest. */
async function makeBigFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  const handle = await open(file, "w");
  try {
    for (let written = 0; written < BIG; written += CHUNK) {
      const chunk = randomBytes(CHUNK);
      hash.update(chunk);
      await handle.write(chunk);
    }
  } finally {
    await handle.close();
  }
  return `sha256:${hash.digest("hex")}`;
}

interface Transfer {
  status: number;
  bytes: number;
  seconds: number;
}

const haveCurl = lib.commandExists("curl");

/** One curl transfer, body discarded: its status, the bytes sent or received (`size`), and its time. */
async function curl(size: "size_upload" | "size_download", args: string[]): Promise<Transfer> {
  const { stdout } = await lib.exec("curl", [
    "-sS",
    "-o",
    "/dev/null",
    "-w",
    `%{http_code} %{${size}} %{time_total}`,
    ...args,
  ]);
  const [status, bytes, seconds] = stdout.trim().split(" ").map(Number);
  return { status: status!, bytes: bytes!, seconds: seconds! };
}

/** PUT of the whole file as one body, timed to the answer. */
async function putFile(url: string, file: string): Promise<Transfer> {
  if (haveCurl) {
    return curl("size_upload", [
      "-T",
      file,
      "-H",
      "Content-Type: application/octet-stream",
      // No "Expect: 100-continue" round trip (curl adds one to large bodies).
      "-H",
      "Expect:",
      url,
    ]);
  }
  const size = statSync(file).size;
  const t0 = performance.now();
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(url, {
      method: "PUT",
      headers: { "content-type": "application/octet-stream", "content-length": size },
    });
    req.on("error", reject);
    req.on("response", (res) => {
      res.resume();
      res.on("end", () =>
        resolvePromise({
          status: res.statusCode ?? 0,
          bytes: size,
          seconds: (performance.now() - t0) / 1000,
        }),
      );
    });
    createReadStream(file, { highWaterMark: 1 << 20 })
      .on("error", reject)
      .pipe(req);
  });
}

/** GET read to the end and discarded, timed to the last byte. */
async function getDiscard(url: string): Promise<Transfer> {
  if (haveCurl) return curl("size_download", [url]);
  const t0 = performance.now();
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(url, (res) => {
      let bytes = 0;
      res.on("data", (d: Buffer) => {
        bytes += d.length;
      });
      res.on("error", reject);
      res.on("end", () =>
        resolvePromise({ status: res.statusCode ?? 0, bytes, seconds: (performance.now() - t0) / 1000 }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

/** A monolithic upload: POST for an upload, then the whole file in one PUT ?digest=. */
async function monolithicPut(server: Server, repository: string, file: string, digest: string) {
  const res = await fetch(`${server.base}/v2/${repository}/blobs/uploads/`, { method: "POST" });
  await res.body?.cancel();
  const location = res.headers.get("location");
  if (res.status !== 202 || !location) {
    throw new Error(`${server.name}: POST uploads answered ${res.status} (Location ${location})`);
  }
  const url = new URL(location, server.base);
  url.searchParams.set("digest", digest);
  const t = await putFile(url.href, file);
  if (t.status !== 201 || t.bytes !== BIG) {
    throw new Error(`${server.name}: PUT of the upload answered ${t.status} after ${t.bytes} bytes`);
  }
  return t.seconds;
}

async function main(): Promise<void> {
  const { values, runs } = lib.parseBenchArgs(3, { duration: { type: "string", default: "10" } });
  const duration = Number(values.duration);
  if (!Number.isSafeInteger(duration) || duration <= 0) {
    throw new Error("--duration must be a positive integer (seconds)");
  }
  const benchStart = performance.now();

  const { cleanups, cleanup } = lib.cleanupOnExit();

  try {
    // 0. Packages and the CLI.
    if (!values["no-setup"]) await lib.exec("bash", [join(BENCH_DIR, "setup-peers.sh")], { inherit: true });
    for (const cmd of ["docker-registry", "skopeo", "wrk", "ab"]) {
      if (!lib.commandExists(cmd)) throw new Error(`${cmd} is not installed (bash bench/setup-peers.sh)`);
    }
    const cli = await lib.chooseCli(values.cli);
    if (lib.interrupted) return;

    const work = mkdtempSync(join(values.dir ? resolve(values.dir) : tmpdir(), "wharf-bench-serve-"));
    cleanups.push(() => rmSync(work, { recursive: true, force: true }));

    // 1. The servers.
    const wharfHost = `127.0.0.1:${await lib.freePort()}`;
    const wharfArgs = [
      "serve",
      "--addr",
      wharfHost,
      "--storage",
      join(work, "wharf"),
      "--log-level",
      "error",
      "--no-access-log",
    ];
    const startWharf = () => {
      const w = lib.wharfCommand(cli.script, wharfArgs);
      return lib.startRegistry("wharf", w.cmd, w.args, wharfHost, w.env, cleanups).then(withFigures);
    };
    let wharf: Server;
    try {
      wharf = await startWharf();
    } catch (err) {
      if (values.cli !== "auto" || !cli.script.endsWith(".js") || lib.interrupted) throw err;
      const why = (err as Error).message.split("\n")[0];
      cli.script = join(lib.REPO, "src", "cli", "main.ts");
      cli.label = `src/cli/main.ts (type stripping), because THE BUNDLE DID NOT START: ${why}`;
      console.log(`wharf: dist/bin/wharf.js did not start (${why}); running src/cli/main.ts instead`);
      rmSync(join(work, "wharf"), { recursive: true, force: true });
      wharf = await startWharf();
    }
    const distHost = `127.0.0.1:${await lib.freePort()}`;
    const distConfig = join(work, "distribution.yml");
    writeFileSync(distConfig, lib.distributionConfig(join(work, "distribution"), distHost));
    const dist = withFigures(
      await lib.startRegistry(
        "distribution",
        "docker-registry",
        ["serve", distConfig],
        distHost,
        process.env,
        cleanups,
      ),
    );
    const servers = [wharf, dist];
    const version = spawnSync("docker-registry", ["--version"], { encoding: "utf8" }).stdout.trim();
    const flags = cli.script.endsWith(".js") ? "" : ` ${lib.shebangFlags(cli.script).join(" ")}`;
    const git = (...args: string[]) =>
      spawnSync("git", args, { cwd: lib.REPO, encoding: "utf8" }).stdout.trim();
    const dirty = git("status", "--porcelain", "--", "src").split("\n").filter(Boolean).length;
    console.log(
      `wharf: ${cli.label}, node ${process.version}${flags}, on ${wharfHost}; ` +
        `commit ${git("rev-parse", "--short", "HEAD") || "?"}${dirty ? ` + ${dirty} uncommitted file(s) in src/` : ""}`,
    );
    console.log(`distribution: ${version || "docker-registry"}, on ${distHost}`);

    // 2. The content: busybox as bench:latest, and the 1 GiB file.
    const index = JSON.parse(readFileSync(join(FIXTURE, "index.json"), "utf8"));
    const manifestDigest: string = index.manifests[0].digest;
    const manifest = JSON.parse(readFileSync(join(FIXTURE, "blobs", ...manifestDigest.split(":")), "utf8"));
    const layer: { digest: string; size: number } = manifest.layers[0];
    for (const s of servers) {
      if (lib.interrupted) return;
      const t0 = performance.now();
      await lib.exec("skopeo", [
        "copy",
        "--quiet",
        "--dest-tls-verify=false",
        `oci:${FIXTURE}:latest`,
        `docker://${s.base.slice("http://".length)}/bench:latest`,
      ]);
      const res = await fetch(`${s.base}/v2/bench/manifests/latest`, { headers: { accept: OCI_MANIFEST } });
      await res.body?.cancel();
      const got = res.headers.get("docker-content-digest");
      if (res.status !== 200 || got !== manifestDigest) {
        throw new Error(
          `${s.name}: GET manifest answered ${res.status}, digest ${got}, not ${manifestDigest}`,
        );
      }
      const head = await fetch(`${s.base}/v2/bench/blobs/${layer.digest}`, { method: "HEAD" });
      if (head.status !== 200 || head.headers.get("content-length") !== String(layer.size)) {
        throw new Error(
          `${s.name}: HEAD blob answered ${head.status}, ${head.headers.get("content-length")}`,
        );
      }
      console.log(`${s.name}: busybox pushed in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
    }
    const bigFile = join(work, "big.bin");
    const t0 = performance.now();
    const bigDigest = await makeBigFile(bigFile);
    console.log(
      `1 GB of random bytes: ${bigDigest.slice(0, 19)}… in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
        `client: ${haveCurl ? "curl" : "node:http (no curl)"}`,
    );

    const manifestLua = join(work, "manifest.lua");
    writeFileSync(manifestLua, `wrk.headers["Accept"] = "${OCI_MANIFEST}"\n`);
    const scenarios = [
      {
        key: "manifestRps",
        label: "GET manifest",
        path: "/v2/bench/manifests/latest",
        load: (url: string, seconds: number) => wrk(url, manifestLua, seconds),
      },
      {
        key: "headRps",
        label: "HEAD blob",
        path: `/v2/bench/blobs/${layer.digest}`,
        load: (url: string, seconds: number) => abHead(url, seconds),
      },
    ] as const;

    // 3. Requests per second: warm-up, then the runs, interleaved.
    for (const sc of scenarios) {
      for (const s of servers) {
        if (lib.interrupted) return;
        await sc.load(s.base + sc.path, WARMUP_S);
      }
      for (let i = 0; i < runs; i++) {
        const line: string[] = [];
        for (const s of servers) {
          if (lib.interrupted) return;
          const r = await sc.load(s.base + sc.path, duration);
          s[sc.key].push(r.rps);
          line.push(`${s.name} ${r.rps.toFixed(0)} req/s (avg latency ${r.latency})`);
        }
        console.log(`${sc.label} run ${i + 1}/${runs}: ${line.join(", ")}`);
      }
    }

    // 4. 1 GiB: monolithic PUTs (a fresh repository each run), then GETs, interleaved.
    for (let i = 0; i < runs; i++) {
      const line: string[] = [];
      for (const s of servers) {
        if (lib.interrupted) return;
        const seconds = await monolithicPut(s, `bench-put-${i}`, bigFile, bigDigest);
        s.putSeconds.push(seconds);
        line.push(`${s.name} ${seconds.toFixed(2)} s`);
      }
      console.log(`PUT 1 GB run ${i + 1}/${runs}: ${line.join(", ")}`);
    }
    for (let i = 0; i < runs; i++) {
      const line: string[] = [];
      for (const s of servers) {
        if (lib.interrupted) return;
        const t = await getDiscard(`${s.base}/v2/bench-put-0/blobs/${bigDigest}`);
        if (t.status !== 200 || t.bytes !== BIG) {
          throw new Error(`${s.name}: GET of the 1 GB blob answered ${t.status} after ${t.bytes} bytes`);
        }
        s.getSeconds.push(t.seconds);
        line.push(`${s.name} ${t.seconds.toFixed(2)} s`);
      }
      console.log(`GET 1 GB run ${i + 1}/${runs}: ${line.join(", ")}`);
    }

    const rss = servers.map((s) => (s.child.pid === undefined ? undefined : lib.vmHwmKiB(s.child.pid)));
    for (const s of servers) {
      if (s.child.exitCode !== null || s.child.signalCode !== null) {
        throw new Error(`${s.name} exited during the bench: ${s.log()}`);
      }
    }

    // 5. The table.
    const rows: { label: string; goal: number; w: number; d: number; fmt(x: number): string }[] = [];
    const rpsFmt = (x: number) => `${x.toFixed(0)} req/s`;
    const gbFmt = (x: number) => `${x.toFixed(2)} GB/s = ${(x * 1024).toFixed(0)} MB/s`;
    const gbps = (secs: number[]) => BIG / 2 ** 30 / lib.median(secs);
    rows.push({
      label: "GET manifest by tag",
      goal: 3,
      w: lib.median(wharf.manifestRps),
      d: lib.median(dist.manifestRps),
      fmt: rpsFmt,
    });
    rows.push({
      label: "HEAD blob",
      goal: 3,
      w: lib.median(wharf.headRps),
      d: lib.median(dist.headRps),
      fmt: rpsFmt,
    });
    rows.push({
      label: "GET 1 GB blob",
      goal: 1,
      w: gbps(wharf.getSeconds),
      d: gbps(dist.getSeconds),
      fmt: gbFmt,
    });
    rows.push({
      label: "PUT 1 GB monolithic",
      goal: 1,
      w: gbps(wharf.putSeconds),
      d: gbps(dist.putSeconds),
      fmt: gbFmt,
    });
    const widths = [20, 30, 30, 8, 7, 6];
    const row = (cells: string[]) =>
      console.log(cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  "));
    console.log("");
    row(["scenario (median)", "wharf", "distribution", "w/d", "goal", ""]);
    let missed = 0;
    for (const r of rows) {
      const ratio = r.w / r.d;
      const met = ratio >= r.goal;
      if (!met) missed++;
      row([r.label, r.fmt(r.w), r.fmt(r.d), ratio.toFixed(2), `>= ${r.goal}`, met ? "met" : "missed"]);
    }
    const mb = (kib: number | undefined) => (kib === undefined ? "n/a" : `${(kib / 1024).toFixed(1)} MB`);
    console.log("");
    console.log(`peak RSS (VmHWM over the bench): wharf ${mb(rss[0])}, distribution ${mb(rss[1])}`);
    console.log(
      `goals: ${rows.length - missed} of ${rows.length} met; runs: ${runs}; GET manifest: wrk -t${WRK_THREADS} ` +
        `-c${CONNECTIONS} -d${duration}s, HEAD blob: ab -i -k -c${CONNECTIONS} -t${duration}, ` +
        `each after a ${WARMUP_S} s warm-up; 1 GB by ` +
        `${haveCurl ? "curl" : "node:http"}; whole bench ${((performance.now() - benchStart) / 1000).toFixed(0)} s`,
    );
  } finally {
    await cleanup();
  }
}

await main();
