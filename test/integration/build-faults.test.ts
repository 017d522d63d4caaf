/**
 * wharf build under faults, met as an operator meets them: the store on a small tmpfs that a RUN, a
 * big layer or a COPY fills (one ERROR line, nothing tagged, nothing mounted or left in build/tmp,
 * `system check` clean, the same build succeeding once the file system grows), and a SIGKILLed build,
 * whose overlay mount, runc container and scratch dir stay until cleanStaleScratch takes them (the
 * store's records untouched). Also cleanStaleScratch's own rules: owner files, age, symbolic links.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, type TestContext, test } from "node:test";
import {
  cleanStaleScratch,
  SCRATCH_OWNER_FILE,
  UNOWNED_SCRATCH_MAX_AGE_MS,
} from "../../src/build/engine/stale-scratch.ts";
import { currentOwner, formatOwner, isOwnerAlive, parseOwner } from "../../src/store/owner.ts";
import { entries, ok } from "../helpers/build-cli.ts";
import { pushFixtures, startDistribution } from "../helpers/distribution.ts";
import { mountsUnder, unmountUnder } from "../helpers/mounts.ts";
import { type Finished, WHARF_MAIN, wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";
import { smallFs } from "../helpers/tmpfs.ts";

const registry = await startDistribution();
await pushFixtures(registry.host);
const BASE = `${registry.host}/busybox:latest`;
const DOCKER_CONFIG = tempDir("wharf-faults-docker-config-");
const ENV = { ...process.env, DOCKER_CONFIG };
const SMALL_KIB = 24 * 1024;
const ROOMY_KIB = 160 * 1024;

const wharfAt = (root: string, args: string[]) => wharf(["--root", root, ...args], { env: ENV });
const build = (root: string, dir: string, tag: string) =>
  wharfAt(root, ["build", "--progress", "plain", "-t", tag, dir]);

const imageList = async (root: string) =>
  (await ok(wharfAt(root, ["images", "-a", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"])))
    .stdout;

async function assertCheckClean(root: string): Promise<void> {
  const check = await wharfAt(root, ["system", "check"]);
  assert.equal(check.code, 0, `system check:\n${check.stdout}${check.stderr}`);
}

/** A context directory with these files; `bigFiles` are made of random bytes (no compression helps). */
function context(files: Record<string, string>, bigFiles: Record<string, number> = {}): string {
  const dir = tempDir("wharf-faults-ctx-");
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  for (const [name, size] of Object.entries(bigFiles)) {
    const r = spawnSync("sh", ["-c", `head -c ${size} /dev/urandom > '${join(dir, name)}'`]);
    assert.equal(r.status, 0, String(r.stderr));
  }
  return dir;
}

const errorLines = (stderr: string) => stderr.split("\n").filter((l) => /^ERROR[: ]/.test(l));
const lastLine = (text: string) => text.trimEnd().split("\n").at(-1) ?? "";

/** What wharf printed at the end (for the report), as test diagnostics. */
function show(t: TestContext, what: string, r: Finished): void {
  const tail = r.stderr.trimEnd().split("\n").slice(-12);
  t.diagnostic(`${what}: exit ${r.code}; stderr ends:`);
  for (const line of tail) t.diagnostic(`  ${line}`);
}

/**
 * A build that failed on the full disk: exit 1, one ERROR line, last, saying so, no stack trace;
 * nothing tagged, nothing mounted under the store, nothing left in build/tmp.
 */
function assertFullDiskFailure(r: Finished, root: string, errorLine: RegExp): void {
  assert.equal(r.code, 1, `exit ${r.code}\n${r.stderr}`);
  assert.equal(r.stdout, "");
  const errors = errorLines(r.stderr);
  assert.equal(errors.length, 1, `one ERROR line expected:\n${r.stderr}`);
  assert.equal(lastLine(r.stderr), errors[0], "the ERROR line is the last");
  assert.match(errors[0]!, errorLine, r.stderr);
  assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
  assert.deepEqual(mountsUnder(root), [], "no mount left under the store");
  assert.deepEqual(entries(join(root, "build", "tmp")), [], "nothing left in build/tmp");
}

describe("a store on a full disk", () => {
  /** Fills, fails, checks, grows, succeeds. */
  async function fullThenRoomy(
    t: TestContext,
    dir: string,
    tag: string,
    errorLine: RegExp,
    processOutput?: RegExp,
  ): Promise<void> {
    const fs = smallFs(SMALL_KIB);
    const root = join(fs.dir, "store");
    const failed = await build(root, dir, tag);
    show(t, "on the full disk", failed);
    assertFullDiskFailure(failed, root, errorLine);
    if (processOutput) assert.match(failed.stderr, processOutput, "the step's own output says why");
    const images = await imageList(root);
    assert.doesNotMatch(images, new RegExp(`${tag.split(":")[0]}`), "nothing tagged");
    await assertCheckClean(root);

    fs.resize(ROOMY_KIB);
    await ok(build(root, dir, tag));
    assert.match(await imageList(root), new RegExp(` ${tag}\n`), "tagged after the retry");
    assert.deepEqual(mountsUnder(root), []);
    assert.deepEqual(entries(join(root, "build", "tmp")), []);
    await assertCheckClean(root);
  }

  // BuildKit's words: the process failed; its own output says why (busybox's head words a failed
  // write "I/O error"). A failed RUN writes no layer, so no ENOSPC of a layer write hides that.
  test("a RUN that fills the disk itself (40 MB into the upper dir)", { timeout: 120_000 }, async (t) => {
    const dir = context({ Dockerfile: `FROM ${BASE}\nRUN head -c 40000000 /dev/zero > /big\n` });
    await fullThenRoomy(
      t,
      dir,
      "faults/run-fills:1",
      /^ERROR: failed to solve: process "\/bin\/sh -c head -c 40000000 \/dev\/zero > \/big" did not complete successfully: exit code: 1$/,
      /^#\d+ [\d.]+ head: standard output: I\/O error$/m,
    );
  });

  test("a RUN that fits, whose layer does not (14 MB upper, 14 MB layer blob)", {
    timeout: 120_000,
  }, async (t) => {
    const dir = context({ Dockerfile: `FROM ${BASE}\nRUN head -c 14000000 /dev/urandom > /big\n` });
    await fullThenRoomy(t, dir, "faults/big-layer:1", /^ERROR: .*no space left on device/);
  });

  test("COPY of a 30 MB context file", { timeout: 120_000 }, async (t) => {
    const dir = context({ Dockerfile: `FROM ${BASE}\nCOPY big.bin /\n` }, { "big.bin": 30_000_000 });
    await fullThenRoomy(t, dir, "faults/copy-big:1", /^ERROR: .*no space left on device/);
  });
});

/** The runc containers whose state is in `stateDir` (runc's root: one dir per container). */
function containersIn(stateDir: string): string[] {
  return entries(stateDir).filter((id) => existsSync(join(stateDir, id, "state.json")));
}

/** The host pid of a container's init, from runc's state. */
function containerPid(stateDir: string, id: string): number {
  const r = spawnSync("runc", ["--root", stateDir, "state", id], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { pid: number }).pid;
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(status(pid));
function status(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return "";
  }
}

/**
 * A store for the SIGKILL test, cleaned up in one hook even when the test failed before its own
 * clean-up: containers left in scratch state dirs deleted, then mounts, then the files (node:test
 * runs no later hook once one throws, so this one does not throw).
 */
function killableStore(): string {
  const root = mkdtempSync(join(tmpdir(), "wharf-faults-kill-store-"));
  after(() => {
    const tmp = join(root, "build", "tmp");
    for (const name of entries(tmp)) {
      const stateDir = join(tmp, name, "state");
      for (const id of containersIn(stateDir)) {
        spawnSync("runc", ["--root", stateDir, "delete", "--force", id], { stdio: "ignore" });
      }
    }
    unmountUnder(root);
    try {
      rmSync(root, { recursive: true, force: true });
    } catch {
      // Still mounted: left rather than removed through the mount.
    }
  });
  return root;
}

test("SIGKILL during a RUN: the leftovers stay; cleanStaleScratch takes them; the store is intact", {
  timeout: 120_000,
}, async (t) => {
  const root = killableStore();
  const tmp = join(root, "build", "tmp");
  await ok(
    build(
      root,
      context({ Dockerfile: `FROM ${BASE}\nRUN echo before-the-kill > /before\n` }),
      "faults/before:1",
    ),
  );
  const imagesBefore = await imageList(root);
  assert.match(imagesBefore, / faults\/before:1\n/);

  const dir = context({ Dockerfile: `FROM ${BASE}\nRUN echo start-sleeping-faults && sleep 30\n` });
  const child = spawn(
    process.execPath,
    [WHARF_MAIN, "--root", root, "build", "--progress", "plain", "-t", "faults/killed:1", dir],
    { stdio: ["ignore", "pipe", "pipe"], env: ENV },
  );
  let stderr = "";
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("close", (_, s) => resolve(s)));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stderr.on("data", (d) => {
        stderr += d;
        if (/ start-sleeping-faults$/m.test(stderr)) resolve();
      });
      child.once("close", () => reject(new Error(`the build ended first:\n${stderr}`)));
    });
  } finally {
    child.kill("SIGKILL");
  }
  assert.equal(await exited, "SIGKILL");
  const pid = child.pid!;

  // What a SIGKILLed wharf leaves: its step's scratch dir, the overlay mounted in it, the container.
  const scratch = entries(tmp);
  assert.equal(scratch.length, 1, `one scratch dir: ${scratch.join(", ")}`);
  const stepDir = join(tmp, scratch[0]!);
  assert.ok(mountsUnder(tmp).length > 0, "the step's overlay is still mounted");
  const stateDir = join(stepDir, "state");
  const containers = containersIn(stateDir);
  assert.equal(containers.length, 1, "the RUN's container is still there");
  const sleeper = containerPid(stateDir, containers[0]!);
  assert.ok(alive(sleeper), "and its process runs");

  // While its owner is unknown or alive, it is not stale: a fresh dir without an owner file stays.
  const ownerFile = join(stepDir, SCRATCH_OWNER_FILE);
  if (existsSync(ownerFile)) {
    const owner = parseOwner(readFileSync(ownerFile, "utf8").trim());
    assert.equal(owner?.pid, pid, "the owner file names the killed wharf");
    assert.equal(isOwnerAlive(owner!), false);
  } else {
    // The builder does not write owner files yet: then only the age tells.
    t.diagnostic(`no ${SCRATCH_OWNER_FILE} in the scratch dir: the builder does not write it yet`);
    assert.deepEqual((await cleanStaleScratch(tmp)).removed, [], "a fresh unowned dir is kept");
    assert.ok(alive(sleeper) && existsSync(stepDir));
    const old = (Date.now() - UNOWNED_SCRATCH_MAX_AGE_MS - 60_000) / 1000;
    utimesSync(stepDir, old, old);
  }

  const cleaned = await cleanStaleScratch(tmp);
  assert.deepEqual(cleaned, { removed: [stepDir], failed: [] });
  assert.deepEqual(mountsUnder(root), [], "no mount left");
  assert.ok(!alive(sleeper), "the container's process is gone");
  assert.deepEqual(entries(tmp), [], "no scratch dir left");
  const runcList = spawnSync("runc", ["list", "-q"], { encoding: "utf8" }).stdout;
  assert.doesNotMatch(runcList, new RegExp(containers[0]!), "not in runc's default root either");

  // The store's records are as before, and whole.
  assert.equal(await imageList(root), imagesBefore);
  await assertCheckClean(root);
  assert.deepEqual((await cleanStaleScratch(tmp)).removed, [], "a second clean-up has nothing to do");

  // A new build works (the killed step's base snapshot is reused).
  await ok(
    build(
      root,
      context({ Dockerfile: `FROM ${BASE}\nRUN echo after-the-kill > /after\n` }),
      "faults/after:1",
    ),
  );
  assert.match(await imageList(root), / faults\/after:1\n/);
  assert.deepEqual(mountsUnder(root), []);
  assert.deepEqual(entries(tmp), []);
  await assertCheckClean(root);
});

describe("cleanStaleScratch's rules", () => {
  /** A build tmp dir of the test's own, with an outside dir next to it that must stay untouched. */
  function layout(): { tmp: string; outside: string } {
    const base = mkdtempSync(join(tmpdir(), "wharf-stale-"));
    after(() => {
      unmountUnder(base);
      try {
        rmSync(base, { recursive: true, force: true });
      } catch {
        // Still mounted: left rather than removed through the mount.
      }
    });
    const tmp = join(base, "build", "tmp");
    const outside = join(base, "outside");
    mkdirSync(tmp, { recursive: true });
    mkdirSync(join(outside, "sub"), { recursive: true });
    writeFileSync(join(outside, "keep"), "keep");
    writeFileSync(join(outside, "sub", "keep"), "keep");
    return { tmp, outside };
  }

  function assertOutsideIntact(outside: string): void {
    assert.equal(readFileSync(join(outside, "keep"), "utf8"), "keep");
    assert.equal(readFileSync(join(outside, "sub", "keep"), "utf8"), "keep");
  }

  function makeOld(path: string): void {
    const old = (Date.now() - UNOWNED_SCRATCH_MAX_AGE_MS - 60_000) / 1000;
    utimesSync(path, old, old);
  }

  /** The owner text of a process that has exited. */
  async function deadOwner(): Promise<string> {
    const child = spawn("sleep", ["10"], { stdio: "ignore" });
    await new Promise((r) => child.once("spawn", r));
    const stat = readFileSync(`/proc/${child.pid}/stat`, "utf8");
    const startTime = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!;
    const closed = new Promise((r) => child.once("close", r));
    child.kill("SIGKILL");
    await closed;
    return formatOwner({ bootId: currentOwner().bootId, pid: child.pid!, startTime });
  }

  function scratchDir(tmp: string, name: string, owner?: string): string {
    const dir = join(tmp, name);
    mkdirSync(join(dir, "upper"), { recursive: true });
    writeFileSync(join(dir, "upper", "file"), "x");
    if (owner !== undefined) writeFileSync(join(dir, SCRATCH_OWNER_FILE), owner);
    return dir;
  }

  test("a live owner keeps its dir however old; a dead owner's goes however new", async () => {
    const { tmp } = layout();
    const live = scratchDir(tmp, "step-live", formatOwner(currentOwner()));
    makeOld(live);
    const dead = scratchDir(tmp, "step-dead", await deadOwner());
    assert.deepEqual(await cleanStaleScratch(tmp), { removed: [dead], failed: [] });
    assert.deepEqual(entries(tmp), ["step-live"]);
  });

  test("without an owner file: kept while fresh, removed when older than ten minutes", async () => {
    const { tmp } = layout();
    const fresh = scratchDir(tmp, "step-fresh");
    const old = scratchDir(tmp, "step-old");
    const oldSecrets = scratchDir(tmp, "secrets-old");
    makeOld(old);
    makeOld(oldSecrets);
    const { removed } = await cleanStaleScratch(tmp);
    assert.deepEqual(removed.sort(), [oldSecrets, old].sort());
    assert.ok(existsSync(fresh));
    // An owner file that does not parse counts as none.
    writeFileSync(join(fresh, SCRATCH_OWNER_FILE), "garbage");
    makeOld(fresh);
    assert.deepEqual((await cleanStaleScratch(tmp)).removed, [fresh]);
  });

  test("symbolic links are never followed", async () => {
    const { tmp, outside } = layout();
    // A link in buildTmpDir to an old dir outside with a dead owner: neither it nor its target goes.
    writeFileSync(join(outside, SCRATCH_OWNER_FILE), await deadOwner());
    makeOld(outside);
    symlinkSync(outside, join(tmp, "step-link"));
    // A stale dir with links inside (to the outside dir, and as its state dir): only the links go.
    const stale = scratchDir(tmp, "step-stale", await deadOwner());
    symlinkSync(outside, join(stale, "upper", "escape"));
    symlinkSync(join(outside, "sub"), join(stale, "state"));
    // An owner file that is a link to a live owner's file is no owner file: the dir goes by age.
    writeFileSync(join(outside, "live-owner"), formatOwner(currentOwner()));
    const linkedOwner = scratchDir(tmp, "step-linked-owner");
    symlinkSync(join(outside, "live-owner"), join(linkedOwner, SCRATCH_OWNER_FILE));
    makeOld(linkedOwner);

    const { removed } = await cleanStaleScratch(tmp);
    assert.deepEqual(removed.sort(), [linkedOwner, stale].sort());
    assert.ok(lstatSync(join(tmp, "step-link")).isSymbolicLink(), "the link in buildTmpDir stays");
    assertOutsideIntact(outside);
    assert.ok(existsSync(join(outside, SCRATCH_OWNER_FILE)));
    assert.ok(existsSync(join(outside, "live-owner")));
  });

  test("a mount in a stale dir is unmounted before anything is removed; a busy one lazily", async () => {
    const { tmp, outside } = layout();
    const stale = scratchDir(tmp, "step-mounted", await deadOwner());
    // The outside dir bound into the stale dir: removing through the mount would delete its files.
    const bound = join(stale, "ovl-x", "m");
    mkdirSync(bound, { recursive: true });
    spawnSync("mount", ["--bind", outside, bound]);
    const nested = join(bound, "sub");
    spawnSync("mount", ["-t", "tmpfs", "tmpfs", nested]);
    // A process with its working directory in the nested mount keeps it busy.
    const busy = spawn("sleep", ["30"], { cwd: nested, stdio: "ignore" });
    after(() => busy.kill("SIGKILL"));
    await new Promise((r) => busy.once("spawn", r));
    assert.equal(mountsUnder(stale).length, 2);

    assert.deepEqual(await cleanStaleScratch(tmp), { removed: [stale], failed: [] });
    assert.deepEqual(mountsUnder(stale), []);
    assert.deepEqual(entries(tmp), []);
    assertOutsideIntact(outside);
  });

  test("a missing buildTmpDir is nothing to do", async () => {
    const { tmp } = layout();
    assert.deepEqual(await cleanStaleScratch(join(tmp, "nope")), { removed: [], failed: [] });
  });
});
