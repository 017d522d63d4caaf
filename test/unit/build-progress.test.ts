import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { BuildEvent } from "../../src/build/engine/request.ts";
import { type FrameJob, renderFrame } from "../../src/cli/commands/build-progress-frame.ts";
import { TtyBuildProgress } from "../../src/cli/commands/build-progress-tty.ts";

const INTERVAL = 5;

/** A terminal stand-in that records every write, and a clock the test moves by hand. */
function terminal(columns: number, rows?: number) {
  const writes: string[] = [];
  const clock = { ms: 0 };
  const out = { columns, ...(rows ? { rows } : {}), write: (s: string) => writes.push(s) };
  return { out, writes, clock, now: () => clock.ms };
}

/** Waits for the ticker's next redraw and returns that frame's lines, cursor and clear codes removed. */
async function nextFrame(writes: string[]): Promise<string[]> {
  const before = writes.length;
  for (let i = 0; i < 200 && writes.length === before; i++) await sleep(2);
  assert.ok(writes.length > before, "the ticker redrew");
  return frameLines(writes.at(-1) ?? "");
}

function frameLines(write: string): string[] {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the frame's escape codes are removed
  const text = write.replace(/\x1b\[\?25[lh]|\x1b\[\d+A\r|\x1b\[[KJ]/g, "");
  return text.split("\n").slice(0, -1);
}

function plain(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: colours are removed
  return text.replace(/\x1b\[\d+m/g, "");
}

/** A job line as BuildKit lays it out: the time's last character one column short of the edge. */
function row(width: number, left: string, time: string): string {
  return `${left.padEnd(width - 1 - time.length)}${time}`;
}

const log = (id: number, text: string): BuildEvent => ({
  type: "log",
  id,
  stream: "stdout",
  data: new TextEncoder().encode(text),
});

test("a running build: header counts, done, cached and running lines, the log tail under the running step", async () => {
  const { out, writes, clock, now } = terminal(60);
  const progress = new TtyBuildProgress(out, { now, interval: INTERVAL, color: false });
  try {
    progress.handle({ type: "vertex", id: 1, name: "[internal] load build definition from Dockerfile" });
    clock.ms = 20;
    progress.handle({ type: "done", id: 1, seconds: 0.02 });
    progress.handle({ type: "vertex", id: 2, name: "[1/3] FROM docker.io/library/busybox" });
    progress.handle({ type: "cached", id: 2 });
    clock.ms = 100;
    progress.handle({ type: "vertex", id: 3, name: "[2/3] RUN echo hi" });
    for (let n = 1; n <= 8; n++) progress.handle(log(3, `line ${n}\n`));
    progress.handle(log(3, "partial"));
    clock.ms = 1350;
    assert.deepEqual(await nextFrame(writes), [
      "[+] Building 1.4s (2/3)",
      row(60, " => [internal] load build definition from Dockerfile", "0.0s"),
      row(60, " => CACHED [1/3] FROM docker.io/library/busybox", "0.0s"),
      row(60, " => [2/3] RUN echo hi", "1.3s"),
      " => => # line 4",
      " => => # line 5",
      " => => # line 6",
      " => => # line 7",
      " => => # line 8",
      " => => # partial",
    ]);
    for (const line of (await nextFrame(writes)).slice(1, 4)) assert.equal(line.length, 59, line);
  } finally {
    progress.finish();
  }
});

test("a redraw moves up over the last frame, clears each line, and clears what a shorter frame leaves", async () => {
  const { out, writes, clock, now } = terminal(50);
  const progress = new TtyBuildProgress(out, { now, interval: INTERVAL, color: false });
  try {
    progress.handle({ type: "vertex", id: 1, name: "[1/2] RUN sleep 1" });
    progress.handle(log(1, "a\nb\n"));
    await nextFrame(writes);
    assert.ok(!writes[0]?.includes("\x1b[1A"), "the first frame draws where the cursor is");
    assert.ok(
      writes[0]?.startsWith("\x1b[?25l[+] Building 0.0s (0/1)\x1b[K\n"),
      "cursor hidden, lines cleared",
    );
    clock.ms = 500;
    progress.handle({ type: "done", id: 1, seconds: 0.5 });
    await nextFrame(writes);
    const last = writes.at(-1) ?? "";
    assert.ok(last.startsWith("\x1b[?25l\x1b[4A\r"), "up over the 4 lines drawn before");
    assert.ok(last.endsWith(`0.5s\x1b[K\n\x1b[J\x1b[?25h`), "the logs' old lines are cleared");
    const written = writes.length;
    await sleep(INTERVAL * 6);
    assert.equal(writes.length, written, "nothing running and nothing new: no redraw");
  } finally {
    progress.finish();
  }
});

test("an error line in red, and finish(): the final frame with no logs, the failed step's output", async () => {
  const { out, writes, clock, now } = terminal(60);
  const progress = new TtyBuildProgress(out, { now, interval: INTERVAL, color: true });
  try {
    progress.handle({ type: "vertex", id: 1, name: "[1/2] FROM docker.io/library/busybox" });
    progress.handle({ type: "done", id: 1, seconds: 0.1 });
    progress.handle({ type: "vertex", id: 2, name: "[2/2] RUN echo boom; false" });
    clock.ms = 250;
    progress.handle(log(2, "boom\nmore"));
    const running = await nextFrame(writes);
    assert.equal(running[1], `\x1b[34m${row(60, " => [1/2] FROM docker.io/library/busybox", "0.1s")}\x1b[0m`);
    assert.equal(running[3], "\x1b[2m => => # boom\x1b[0m", "logs dimmed");
    assert.equal(running[4], "\x1b[2m => => # more\x1b[0m");
    clock.ms = 600;
    progress.handle({ type: "error", id: 2, seconds: 0.6, message: "exit code: 1" });
    progress.finish();
    const [frame, report] = writes.slice(-2);
    assert.deepEqual(frameLines(frame ?? ""), [
      "[+] Building 0.6s (2/2) FINISHED",
      `\x1b[34m${row(60, " => [1/2] FROM docker.io/library/busybox", "0.1s")}\x1b[0m`,
      `\x1b[31m${row(60, " => ERROR [2/2] RUN echo boom; false", "0.6s")}\x1b[0m`,
    ]);
    assert.equal(report, "------\n > [2/2] RUN echo boom; false:\n0.250 boom\n0.250 more\n------\n");
  } finally {
    progress.finish();
  }
});

test("after finish() nothing more is written, even for a step left running", async () => {
  const { out, writes, now } = terminal(60);
  const progress = new TtyBuildProgress(out, { now, interval: INTERVAL, color: false });
  progress.handle({ type: "vertex", id: 1, name: "[1/1] RUN sleep 100" });
  progress.handle({ type: "warning", message: "a warning" });
  progress.handle(log(1, "waiting\n"));
  await nextFrame(writes);
  progress.finish();
  const written = writes.length;
  assert.deepEqual(frameLines(writes.at(-2) ?? ""), [
    "[+] Building 0.0s (0/1)",
    row(60, " => [1/1] RUN sleep 100", "0.0s"),
  ]);
  assert.equal(writes.at(-1), "WARNING: a warning\n");
  progress.handle({ type: "done", id: 1, seconds: 1 });
  progress.line(2, "exporting to image");
  progress.finish();
  await sleep(INTERVAL * 6);
  assert.equal(writes.length, written);
});

test("names are cut with ... to the terminal's width, the time right-aligned; logs cut too", async () => {
  const { out, writes, now } = terminal(40);
  const progress = new TtyBuildProgress(out, { now, interval: INTERVAL, color: false });
  try {
    progress.handle({ type: "vertex", id: 1, name: "[2/2] RUN apt-get update && apt-get install -y curl" });
    progress.handle(log(1, `${"x".repeat(50)}\n\t-\r+\n`));
    const lines = await nextFrame(writes);
    assert.deepEqual(lines, [
      "[+] Building 0.0s (0/1)",
      " => [2/2] RUN apt-get update &...  0.0s",
      ` => => # ${"x".repeat(30)}`,
      ` => => # +${" ".repeat(7)}-`,
    ]);
    assert.equal(lines[1]?.length, 39);
  } finally {
    progress.finish();
  }
});

test("the CLI's exporting vertex: its statuses under it, each `... done` completing one", async () => {
  const { out, writes, clock, now } = terminal(70);
  const progress = new TtyBuildProgress(out, { now, interval: INTERVAL, color: false });
  progress.handle({ type: "vertex", id: 1, name: "[1/1] FROM docker.io/library/busybox" });
  progress.handle({ type: "cached", id: 1 });
  progress.line(2, "exporting to image");
  progress.line(2, "exporting layers done");
  clock.ms = 100;
  progress.line(2, "writing image sha256:0123456789abcdef done");
  progress.line(2, "naming to docker.io/library/demo:latest");
  clock.ms = 300;
  assert.deepEqual((await nextFrame(writes)).slice(4), [
    row(70, " => => writing image sha256:0123456789abcdef", "0.0s"),
    row(70, " => => naming to docker.io/library/demo:latest", "0.2s"),
  ]);
  progress.line(2, "naming to docker.io/library/demo:latest done");
  progress.line(2, "DONE 0.3s");
  progress.finish();
  assert.deepEqual(frameLines(writes.at(-1) ?? ""), [
    "[+] Building 0.3s (2/2) FINISHED",
    row(70, " => CACHED [1/1] FROM docker.io/library/busybox", "0.0s"),
    row(70, " => exporting to image", "0.3s"),
    row(70, " => => exporting layers", "0.0s"),
    row(70, " => => writing image sha256:0123456789abcdef", "0.0s"),
    row(70, " => => naming to docker.io/library/demo:latest", "0.2s"),
  ]);
});

test("a short terminal keeps the last jobs, running ones that scrolled off taking done ones' places", () => {
  const job = (name: string, completed: boolean, logs: string[] = []): FrameJob => ({
    name,
    seconds: 1,
    completed,
    error: false,
    logs,
    logBytes: logs.join("").length,
  });
  const jobs = [job("slow", false), ...Array.from({ length: 8 }, (_, i) => job(`done ${i}`, true))];
  const view = { seconds: 2, completed: 8, total: 9, jobs };
  const lines = renderFrame(view, { width: 30, height: 6, final: false, color: false }).map(plain);
  assert.deepEqual(
    lines.map((l) => l.trimEnd()),
    [
      "[+] Building 2.0s (8/9)",
      " => slow                 1.0s",
      " => done 5               1.0s",
      " => done 6               1.0s",
      " => done 7               1.0s",
    ],
  );
  const final = renderFrame(view, { width: 30, height: 6, final: true, color: false });
  assert.equal(final.length, 10, "the final frame has every job");
  const logged = [job("busy", false, ["out"]), job("done", true)];
  const short = renderFrame({ ...view, jobs: logged }, { width: 30, height: 8, final: false, color: false });
  assert.ok(!short.some((l) => l.includes("# out")), "no room for logs on 8 rows");
  const tall = renderFrame({ ...view, jobs: logged }, { width: 30, height: 20, final: false, color: false });
  assert.ok(tall.some((l) => l.includes(" => => # out")));
  assert.equal(renderFrame({ ...view, jobs: logged }, { width: 20, final: false, color: false }).length, 1);
});

test("the ticker does not keep the process alive", () => {
  const module = fileURLToPath(new URL("../../src/cli/commands/build-progress-tty.ts", import.meta.url));
  const script = `import { TtyBuildProgress } from ${JSON.stringify(module)};
    const p = new TtyBuildProgress({ write: () => true, columns: 80 });
    p.handle({ type: "vertex", id: 1, name: "x" });`;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { timeout: 5000 });
  assert.equal(run.status, 0, run.stderr.toString());
});

test("output split inside a character, and a progress line rewritten after carriage returns", async () => {
  const { out, writes, now } = terminal(60);
  const progress = new TtyBuildProgress(out, { now, interval: INTERVAL, color: false });
  try {
    progress.handle({ type: "vertex", id: 1, name: "[1/1] RUN fetch" });
    const bytes = new TextEncoder().encode("héllo\n");
    for (const part of [bytes.subarray(0, 2), bytes.subarray(2)]) {
      progress.handle({ type: "log", id: 1, stream: "stderr", data: part });
    }
    progress.handle(log(1, "10%\r"));
    progress.handle(log(1, "55%\r"));
    progress.handle(log(1, "9"));
    assert.deepEqual((await nextFrame(writes)).slice(2), [" => => # héllo", " => => # 95%"]);
  } finally {
    progress.finish();
  }
});
