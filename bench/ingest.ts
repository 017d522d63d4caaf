/**
 * Ingest throughput benchmark: how close does a verified wharf ingest (hash every byte, write it to a
 * new file, fsync, rename into blobs/) come to the machine's plain hashing speed (`sha256sum`)?
 *
 *   node bench/ingest.ts [--size-mib N] [--runs N] [--dir DIR]
 *
 * One data file (default 1 GiB) is generated once under DIR (default os.tmpdir()) and read once so that
 * every tool runs from the page cache. Then, for each run, the tools are timed one after another
 * (interleaved, so that drift affects all of them alike) and medians are reported. Each wharf ingest
 * runs in a child process (this script with --child-ingest) into a fresh, empty store on the same
 * filesystem, so that its peak RSS is its own; the child times only `store.ingest`.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomFillSync } from "node:crypto";
import {
  closeSync,
  createReadStream,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type Digest, parseDigest } from "../src/oci/digest.ts";
import { fileSource, Store } from "../src/store/index.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const BLOCK = 4 * MiB;

interface ChildResult {
  seconds: number;
  openSeconds: number;
  /** process.resourceUsage().maxRSS: Linux carries the parent's peak over exec, so it may overstate. */
  maxRssKiB: number;
  /** VmHWM from /proc/self/status: the peak of this process's own memory map (Linux only). */
  hwmKiB: number | undefined;
  size: number;
}

function vmHwmKiB(): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function childIngest(file: string, digest: Digest, size: number, root: string): Promise<void> {
  const t0 = performance.now();
  const store = await Store.open({ root });
  const t1 = performance.now();
  const lease = store.lease();
  const result = await store.ingest({ digest, size, source: fileSource(file), lease });
  const t2 = performance.now();
  if (result.existed || result.size !== size)
    throw new Error(`unexpected ingest result ${JSON.stringify(result)}`);
  if (statSync(store.blobs.path(digest)).size !== size) throw new Error("blob has the wrong size");
  await lease.release();
  store.close();
  const out: ChildResult = {
    seconds: (t2 - t1) / 1000,
    openSeconds: (t1 - t0) / 1000,
    maxRssKiB: process.resourceUsage().maxRSS,
    hwmKiB: vmHwmKiB(),
    size: result.size,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** Writes `size` bytes of random data (fresh random bytes per 4 MiB block) and returns its digest. */
function generate(path: string, size: number): Digest {
  const buf = Buffer.allocUnsafe(BLOCK);
  const hash = createHash("sha256");
  const fd = openSync(path, "w");
  try {
    for (let pos = 0; pos < size; pos += BLOCK) {
      const block = buf.subarray(0, Math.min(BLOCK, size - pos));
      randomFillSync(block);
      hash.update(block);
      let done = 0;
      while (done < block.length) done += writeSync(fd, block, done, block.length - done, pos + done);
    }
  } finally {
    closeSync(fd);
  }
  return `sha256:${hash.digest("hex")}` as Digest;
}

function run(cmd: string, args: string[]): Promise<{ seconds: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      stdout += s;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const seconds = (performance.now() - t0) / 1000;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(" ")} exited with ${code ?? signal}`));
      else resolve({ seconds, stdout });
    });
  });
}

function hexOf(stdout: string): string {
  return stdout.trim().split(/\s+/)[0] ?? "";
}

async function nodeHash(file: string): Promise<{ seconds: number; hex: string }> {
  const t0 = performance.now();
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: MiB })) hash.update(chunk as Buffer);
  const hex = hash.digest("hex");
  return { seconds: (performance.now() - t0) / 1000, hex };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function hasCommand(cmd: string, arg = "version"): boolean {
  return spawnSync(cmd, [arg], { stdio: "ignore" }).status === 0;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      "size-mib": { type: "string", default: "1024" },
      runs: { type: "string", default: "5" },
      dir: { type: "string" },
      "child-ingest": { type: "boolean", default: false },
    },
  });
  if (values["child-ingest"]) {
    const [file, digest, size, root] = positionals;
    if (!file || !digest || !size || !root) throw new Error("--child-ingest FILE DIGEST SIZE ROOT");
    await childIngest(file, parseDigest(digest), Number(size), root);
    return;
  }

  if (positionals.length > 0) throw new Error(`unexpected arguments: ${positionals.join(" ")}`);
  const size = Number(values["size-mib"]) * MiB;
  const runs = Number(values.runs);
  if (!Number.isSafeInteger(size) || size <= 0) throw new Error("--size-mib must be a positive integer");
  if (!Number.isSafeInteger(runs) || runs <= 0) throw new Error("--runs must be a positive integer");
  const work = mkdtempSync(join(values.dir ?? tmpdir(), "wharf-bench-"));
  const cleanup = () => rmSync(work, { recursive: true, force: true });
  process.once("SIGINT", () => {
    cleanup();
    process.exit(130);
  });

  try {
    const file = join(work, "data");
    let t0 = performance.now();
    const digest = generate(file, size);
    console.log(
      `data: ${file}, ${size} bytes (${(size / GiB).toFixed(2)} GiB), generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    console.log(`digest: ${digest}`);
    const hex = digest.slice("sha256:".length);

    // Warm the page cache (and check the digest with an independent tool).
    t0 = performance.now();
    const warm = await run("sha256sum", [file]);
    if (hexOf(warm.stdout) !== hex) throw new Error("sha256sum disagrees with the generated digest");
    console.log(`warm-up read (sha256sum): ${warm.seconds.toFixed(2)} s`);

    const withOpenssl = hasCommand("openssl");
    const withDd = hasCommand("dd", "--version");
    const times: Record<string, number[]> = {
      sha256sum: [],
      "wharf ingest": [],
      ...(withOpenssl ? { "openssl dgst": [] } : {}),
      "node crypto stream": [],
      ...(withDd ? { "dd conv=fsync": [] } : {}),
    };
    let maxRssKiB = 0;
    let hwmKiB: number | undefined;
    let openSeconds = 0;

    for (let i = 0; i < runs; i++) {
      const s = await run("sha256sum", [file]);
      if (hexOf(s.stdout) !== hex) throw new Error("sha256sum: wrong digest");
      times.sha256sum!.push(s.seconds);

      const root = mkdtempSync(join(work, "store-"));
      try {
        const script = import.meta.filename;
        const r = await run(process.execPath, [script, "--child-ingest", file, digest, String(size), root]);
        const res = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as ChildResult;
        times["wharf ingest"]!.push(res.seconds);
        maxRssKiB = Math.max(maxRssKiB, res.maxRssKiB);
        if (res.hwmKiB !== undefined) hwmKiB = Math.max(hwmKiB ?? 0, res.hwmKiB);
        openSeconds = Math.max(openSeconds, res.openSeconds);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }

      if (withOpenssl) {
        const o = await run("openssl", ["dgst", "-sha256", "-r", file]);
        if (hexOf(o.stdout) !== hex) throw new Error("openssl: wrong digest");
        times["openssl dgst"]!.push(o.seconds);
      }

      const n = await nodeHash(file);
      if (n.hex !== hex) throw new Error("node crypto: wrong digest");
      times["node crypto stream"]!.push(n.seconds);

      if (withDd) {
        // The storage floor: copy the file to a new file and fsync it, no hashing.
        const copy = join(work, "copy");
        try {
          const d = await run("dd", [`if=${file}`, `of=${copy}`, "bs=4M", "conv=fsync", "status=none"]);
          times["dd conv=fsync"]!.push(d.seconds);
        } finally {
          rmSync(copy, { force: true });
        }
      }

      const line = Object.entries(times)
        .map(([tool, ts]) => `${tool} ${ts.at(-1)!.toFixed(3)}s`)
        .join(", ");
      console.log(`run ${i + 1}/${runs}: ${line}`);
    }

    const rows = Object.entries(times).map(([tool, ts]) => {
      const med = median(ts);
      return {
        tool,
        median: med,
        min: Math.min(...ts),
        max: Math.max(...ts),
        mbps: size / med / 1e6,
        gibps: size / med / GiB,
      };
    });
    console.log("");
    console.log(
      `${"tool".padEnd(20)} ${"median s".padStart(9)} ${"min s".padStart(7)} ${"max s".padStart(7)} ${"MB/s".padStart(8)} ${"GiB/s".padStart(6)}`,
    );
    for (const r of rows) {
      console.log(
        `${r.tool.padEnd(20)} ${r.median.toFixed(3).padStart(9)} ${r.min.toFixed(3).padStart(7)} ${r.max.toFixed(3).padStart(7)} ${r.mbps.toFixed(0).padStart(8)} ${r.gibps.toFixed(2).padStart(6)}`,
      );
    }
    const ingest = rows.find((r) => r.tool === "wharf ingest")!;
    const baseline = rows.find((r) => r.tool === "sha256sum")!;
    console.log("");
    console.log(`ratio ingest/sha256sum: ${(ingest.mbps / baseline.mbps).toFixed(2)} (goal >= 0.90)`);
    for (const tool of ["openssl dgst", "node crypto stream", "dd conv=fsync"]) {
      const other = rows.find((r) => r.tool === tool);
      if (other) console.log(`  for context, ingest/${tool}: ${(ingest.mbps / other.mbps).toFixed(2)}`);
    }
    const hwm = hwmKiB === undefined ? "n/a" : `${(hwmKiB / 1024).toFixed(1)} MiB`;
    console.log(
      `wharf ingest peak RSS (child process): maxRSS ${(maxRssKiB / 1024).toFixed(1)} MiB, VmHWM ${hwm}; bench parent maxRSS ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MiB`,
    );
    console.log(`Store.open (not timed): <= ${openSeconds.toFixed(3)} s`);
    console.log(`runs: ${runs}, size: ${size} bytes, dir: ${work}`);
  } finally {
    cleanup();
  }
}

await main();
