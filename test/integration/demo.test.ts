/**
 * scripts/demo.sh as a user runs it (README's first command): every step's output, and nothing it
 * started (docker-registry, `wharf serve`) outlives it, whether it ends normally, at a failed step, or
 * on SIGINT / SIGTERM / Ctrl-C; its work directory is removed each time.
 *
 * Each run gets a TMPDIR of its own (a unique marker): the demo's work directory is made under it, so
 * the command line of every server it starts names it, and every process it starts inherits it in its
 * environment. Only processes carrying the marker count, so other tests' own `wharf serve` and
 * docker-registry processes running in parallel are never mistaken for the demo's.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { dirname } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { tempDir } from "../helpers/tmp.ts";

const DEMO = fileURLToPath(new URL("../../scripts/demo.sh", import.meta.url));
/** Left in TMPDIR by wharf's `enableCompileCache()` (Node's own cache, shared by every run). */
const NODE_COMPILE_CACHE = "node-compile-cache";

interface Proc {
  pid: number;
  cmdline: string;
}

/** Every live process whose command line or environment carries `marker`. */
function markedProcesses(marker: string): Proc[] {
  const found: Proc[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
      const environ = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      if (cmdline.includes(marker) || environ.includes(`TMPDIR=${marker}`)) found.push({ pid, cmdline });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Listening TCP sockets (IPv4 and IPv6): socket inode -> port. */
function listeningSockets(): Map<string, number> {
  const sockets = new Map<string, number>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      if (f.length < 10 || f[3] !== "0A") continue;
      const port = Number.parseInt(f[1]?.split(":").pop() ?? "", 16);
      sockets.set(f[9] as string, port);
    }
  }
  return sockets;
}

function listeningPorts(): Set<number> {
  return new Set(listeningSockets().values());
}

/** The ports `pid` is listening on. */
function portsOf(pid: number, sockets: Map<string, number>): number[] {
  const ports: number[] = [];
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        const port = inode === undefined ? undefined : sockets.get(inode);
        if (port !== undefined) ports.push(port);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // gone meanwhile
  }
  return ports;
}

interface Run {
  child: ChildProcess;
  marker: string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  /** Every marked process seen while the demo ran (command lines) and the ports they listened on. */
  seen: Map<number, string>;
  ports: Set<number>;
  /** The demo's `wharf serve` once seen listening. */
  serving: Promise<Proc>;
}

/** Starts the demo in a session (and process group) of its own, watching what it starts. */
function startDemo(args: string[] = []): Run {
  const marker = tempDir("wharf-demo-test-");
  const child = spawn("bash", [DEMO, ...args], {
    env: { ...process.env, TMPDIR: marker },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const seen = new Map<number, string>();
  const ports = new Set<number>();
  let running = true;
  let resolveServing: (p: Proc) => void = () => {};
  const serving = new Promise<Proc>((resolve) => {
    resolveServing = resolve;
  });
  const done = new Promise<Awaited<Run["done"]>>((resolve, reject) => {
    child.once("error", reject);
    let finished = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (finished) return;
      finished = true;
      running = false;
      resolve({ code, signal, stdout, stderr });
    };
    child.once("close", finish);
    // A process left holding its stdout/stderr would keep "close" from coming: do not wait for it.
    child.once("exit", (code, signal) => {
      setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish(code, signal);
      }, 2000).unref();
    });
  });
  void (async () => {
    while (running) {
      const sockets = listeningSockets();
      for (const p of markedProcesses(marker)) {
        seen.set(p.pid, p.cmdline);
        const listening = portsOf(p.pid, sockets);
        for (const port of listening) ports.add(port);
        if (listening.length > 0 && /wharf\.js .*\bserve\b/.test(p.cmdline)) resolveServing(p);
      }
      await sleep(25);
    }
  })();
  return { child, marker, done, seen, ports, serving };
}

/**
 * What the run left behind: marked processes (each then SIGKILLed, so that a failing test does not
 * leave them either), listeners on the ports its processes used, and files in its TMPDIR other than
 * Node's compile cache (the demo's work directory).
 */
function leftovers(run: Run): { processes: string[]; listening: number[]; files: string[] } {
  // A process exiting on its own after the demo returned would be a race, not a clean stop: look once.
  const procs = markedProcesses(run.marker);
  const open = listeningPorts();
  const listening = [...run.ports].filter((p) => open.has(p));
  for (const p of procs) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  const files = readdirSync(run.marker).filter((f) => f !== NODE_COMPILE_CACHE);
  return { processes: procs.map((p) => `${p.pid} ${p.cmdline}`), listening, files };
}

function assertSawServers(run: Run, out: string): void {
  const cmdlines = [...run.seen.values()];
  assert.ok(
    cmdlines.some((c) => /^docker-registry serve /.test(c) && c.includes(run.marker)),
    `the demo's docker-registry was never seen (seen: ${JSON.stringify(cmdlines)})\n${out}`,
  );
}

function assertNothingLeft(left: ReturnType<typeof leftovers>, out: string): void {
  assert.deepEqual(left.processes, [], `processes the demo started are still running\n${out}`);
  assert.deepEqual(left.listening, [], `ports the demo used are still listened on\n${out}`);
  assert.deepEqual(left.files, [], `the demo's work directory is still there\n${out}`);
}

test("demo.sh runs every step and leaves nothing running", { timeout: 180_000 }, async () => {
  const run = startDemo();
  const r = await run.done;
  const out = `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
  const left = leftovers(run);
  assert.equal(r.code, 0, out);
  // The registry's port and the wharf serve's, as the output names them.
  const registryPort = /^Status: Downloaded newer image for 127\.0\.0\.1:(\d+)\/busybox:latest$/m.exec(
    r.stdout,
  )?.[1];
  const servePort = /^The push refers to repository \[127\.0\.0\.1:(\d+)\/demo\/busybox\]$/m.exec(
    r.stdout,
  )?.[1];
  assert.ok(registryPort && servePort, out);
  run.ports.add(Number(registryPort)).add(Number(servePort));
  // Each step's output: pull, push, save/rmi/load, copy --all, images --digests, system check.
  assert.match(r.stdout, /^latest: Pulling from busybox$/m, out);
  assert.match(r.stdout, /^Digest: sha256:[0-9a-f]{64}$/m, out);
  const pushed = /^v1: digest: (sha256:[0-9a-f]{64}) size: \d+$/m.exec(r.stdout)?.[1];
  assert.ok(pushed, out);
  assert.match(r.stdout, new RegExp(`^Untagged: 127\\.0\\.0\\.1:${registryPort}/busybox:latest$`, "m"), out);
  assert.match(
    r.stdout,
    new RegExp(`^Loaded image: 127\\.0\\.0\\.1:${registryPort}/busybox:latest$`, "m"),
    out,
  );
  assert.match(r.stdout, /^Writing manifest list to image destination$/m, out);
  assert.match(r.stdout, /^REPOSITORY +TAG +DIGEST +IMAGE ID +CREATED +SIZE$/m, out);
  assert.match(
    r.stdout,
    new RegExp(`^127\\.0\\.0\\.1:${servePort}/demo/busybox +v1 +${pushed} +[0-9a-f]{12} `, "m"),
    out,
  );
  assert.match(r.stdout, /^checked \d+ blobs and \d+ images: no problems$/m, out);
  // The watch saw both servers (so "nothing left" below is not vacuous) ...
  assertSawServers(run, out);
  assert.ok(
    [...run.seen.values()].some((c) => /wharf\.js .*\bserve\b/.test(c) && c.includes(run.marker)),
    `the demo's wharf serve was never seen\n${out}`,
  );
  // ... and neither is left.
  assertNothingLeft(left, out);
});

for (const { name, signal, to, code } of [
  { name: "SIGINT to the script", signal: "SIGINT", to: "script", code: 130 },
  { name: "SIGTERM to the script", signal: "SIGTERM", to: "script", code: 143 },
  { name: "Ctrl-C (SIGINT to its process group)", signal: "SIGINT", to: "group", code: 130 },
] as const) {
  test(`demo.sh stopped by ${name} stops what it started and exits ${code}`, {
    timeout: 180_000,
  }, async () => {
    const run = startDemo();
    const serving = await Promise.race([run.serving, run.done.then(() => undefined)]);
    if (!serving) {
      const r = await run.done;
      leftovers(run);
      assert.fail(
        `the demo ended before its wharf serve listened\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`,
      );
    }
    const work = dirname(/--root (\S+)/.exec(serving.cmdline)?.[1] ?? "");
    assert.ok(work.startsWith(run.marker), serving.cmdline);
    assert.ok(existsSync(work), work);
    const pid = run.child.pid as number;
    process.kill(to === "group" ? -pid : pid, signal);
    const r = await run.done;
    const out = `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
    const left = leftovers(run);
    assertSawServers(run, out);
    assert.ok(run.ports.size >= 2, `ports seen: ${[...run.ports]}\n${out}`);
    assertNothingLeft(left, out);
    assert.equal(existsSync(work), false, work);
    // Cleaned up, then the exit status of a shell stopped by that signal.
    assert.equal(r.signal, null, out);
    assert.equal(r.code, code, out);
  });
}

test("demo.sh failing at a step (a tag the registry lacks) stops what it started", {
  timeout: 180_000,
}, async () => {
  const run = startDemo(["no-such-tag"]);
  const r = await run.done;
  const out = `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
  const left = leftovers(run);
  assert.equal(r.signal, null, out);
  assert.notEqual(r.code, 0, out);
  assert.match(r.stderr, /busybox:no-such-tag not found: manifest unknown/, out);
  // It stopped at the pull: no push, no images table.
  assert.doesNotMatch(r.stdout, /The push refers to repository|^REPOSITORY/m, out);
  assertSawServers(run, out);
  assert.ok(run.ports.size >= 1, `ports seen: ${[...run.ports]}\n${out}`);
  assertNothingLeft(left, out);
});
