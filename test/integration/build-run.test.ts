/**
 * RUN steps for real: the busybox fixture's layers unpacked into lower dirs, overlayfs mounts and
 * runc. Every test checks that nothing stays mounted and no container is left behind.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { mountOverlay, type RunStepOptions, type RunStepResult, runStep } from "../../src/build/run/index.ts";
import { isWharfError } from "../../src/errors.ts";
import { mountsUnder, unmountUnder } from "../helpers/mounts.ts";

const FIXTURE = "/work/shared/fixtures/oci/busybox";
const root = mkdtempSync(join(tmpdir(), "wharf-build-run-"));
/** The fixture's layers, top first. */
let busybox: string[] = [];

before(() => {
  const index = JSON.parse(readFileSync(join(FIXTURE, "index.json"), "utf8"));
  const manifest = JSON.parse(readFileSync(blobPath(index.manifests[0].digest), "utf8"));
  const layers: string[] = [];
  for (const [i, layer] of (manifest.layers as { digest: string }[]).entries()) {
    const dir = join(root, `layer${i}`);
    mkdirSync(dir);
    execFileSync("tar", ["-xzf", blobPath(layer.digest), "-C", dir, "--numeric-owner"]);
    layers.unshift(dir);
  }
  busybox = layers;
});

after(() => {
  unmountUnder(root);
  rmSync(root, { recursive: true, force: true });
});

function blobPath(digest: string): string {
  return join(FIXTURE, "blobs", ...digest.split(":"));
}

let counter = 0;
/** A fresh upper and scratch dir for one step. */
function stepDirs(): { upperDir: string; scratchDir: string } {
  const base = join(root, `step${++counter}`);
  mkdirSync(join(base, "upper"), { recursive: true });
  mkdirSync(join(base, "scratch"));
  return { upperDir: join(base, "upper"), scratchDir: join(base, "scratch") };
}

function runcContainers(stateDir: string): string {
  const r = spawnSync("runc", ["--root", stateDir, "list", "-q"], { encoding: "utf8" });
  return r.stdout.trim();
}

interface Ran extends RunStepResult {
  stdout: string;
  stderr: string;
  upperDir: string;
  scratchDir: string;
}

/** Runs `script` with /bin/sh -c and checks the clean-up afterwards. */
async function run(script: string, options: Partial<RunStepOptions> = {}): Promise<Ran> {
  const dirs = stepDirs();
  let stdout = "";
  let stderr = "";
  try {
    const result = await runStep({
      lowerDirs: busybox,
      ...dirs,
      args: ["/bin/sh", "-c", script],
      env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
      cwd: "/",
      user: "",
      network: "default",
      stdout: (c) => {
        stdout += c;
      },
      stderr: (c) => {
        stderr += c;
      },
      ...options,
    });
    return { ...result, stdout, stderr, ...dirs };
  } finally {
    assertCleanedUp(dirs.scratchDir);
  }
}

function assertCleanedUp(scratchDir: string): void {
  assert.deepEqual(mountsUnder(root), [], "nothing stays mounted");
  assert.deepEqual(readdirSync(scratchDir), [], "bundle, state and overlay dirs are removed");
  // (runc list makes its root dir: asked after the check above, and removed again.)
  const stateDir = join(scratchDir, "state");
  assert.equal(runcContainers(stateDir), "", "no container is left");
  rmSync(stateDir, { recursive: true, force: true });
}

describe("runStep", () => {
  test("a file written by the step lands in the upper dir, the stubs do not", async () => {
    const r = await run("echo hi > /hi.txt");
    assert.equal(r.exitCode, 0);
    assert.equal(readFileSync(join(r.upperDir, "hi.txt"), "utf8"), "hi\n");
    // busybox has no dev, proc, sys, etc/hosts or etc/resolv.conf: runc's stubs are removed again.
    for (const stub of ["dev", "proc", "sys", "etc/hosts", "etc/resolv.conf"]) {
      assert.ok(r.removedStubs.includes(stub), `${stub} reported`);
      assert.ok(!existsSync(join(r.upperDir, stub)), `${stub} not in upper`);
    }
    assert.deepEqual(readdirSync(r.upperDir).sort(), ["etc", "hi.txt"]);
    // /etc was copied up for the stubs; with them gone it is the lower's again, to the nanosecond.
    assert.deepEqual(readdirSync(join(r.upperDir, "etc")), []);
    const lowerEtc = busybox.map((d) => join(d, "etc")).find((p) => existsSync(p))!;
    assert.equal(
      statSync(join(r.upperDir, "etc"), { bigint: true }).mtimeNs,
      statSync(lowerEtc, { bigint: true }).mtimeNs,
    );
  });

  test("the upper dir's root keeps its mtime when only stubs were made in it", async () => {
    const dirs = stepDirs();
    const before = statSync(dirs.upperDir, { bigint: true }).mtimeNs;
    const r = await runStep({
      lowerDirs: busybox,
      ...dirs,
      args: ["/bin/sh", "-c", "cat /etc/passwd > /dev/null"],
      env: [],
      cwd: "/",
      user: "",
      network: "default",
      stdout: () => {},
      stderr: () => {},
    });
    assertCleanedUp(dirs.scratchDir);
    assert.equal(r.exitCode, 0);
    assert.ok(r.removedStubs.includes("proc"));
    const after = statSync(dirs.upperDir, { bigint: true }).mtimeNs;
    // utimes takes a double: within a microsecond.
    assert.ok(after - before < 1000n && before - after < 1000n, `${before} vs ${after}`);
  });

  test("removing a lower file leaves a whiteout in the upper dir", async () => {
    const r = await run("rm /app/hello.sh");
    assert.equal(r.exitCode, 0);
    const st = lstatSync(join(r.upperDir, "app", "hello.sh"));
    assert.ok(st.isCharacterDevice());
    assert.equal(st.rdev, 0);
  });

  test("the exit code, stdout and stderr are the process's", async () => {
    const r = await run("echo out; echo err >&2; exit 3");
    assert.equal(r.exitCode, 3);
    assert.equal(r.stdout, "out\n");
    assert.equal(r.stderr, "err\n");
  });

  test("a process killed by a signal exits 128+N", async () => {
    // PID 1 of a namespace takes no signal without a handler from inside it; SIGKILL from the host works.
    const marker = String(20000 + Math.floor(Math.random() * 9999));
    const pending = run(`exec sleep ${marker}`);
    const pid = await waitForProcess(["sleep", marker]);
    process.kill(pid, "SIGKILL");
    const r = await pending;
    assert.equal(r.exitCode, 128 + 9);
  });

  test("env and a missing working dir, created for the user", async () => {
    const extra = join(root, "users");
    mkdirSync(join(extra, "etc"), { recursive: true });
    writeFileSync(
      join(extra, "etc", "passwd"),
      "root:x:0:0:root:/root:/bin/sh\nbuilder:x:1000:1000:Builder:/home/builder:/bin/sh\n",
    );
    writeFileSync(join(extra, "etc", "group"), "root:x:0:\nbuilder:x:1000:\nstaff:x:50:builder,other\n");
    const r = await run('id -u; id -g; id -G; pwd; echo "$FOO"; touch mine', {
      lowerDirs: [extra, ...busybox],
      user: "builder",
      cwd: "/work/dir",
      env: ["PATH=/bin", "FOO=bar baz"],
    });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, "1000\n1000\n1000 50\n/work/dir\nbar baz\n");
    for (const p of ["work", "work/dir", "work/dir/mine"]) {
      const st = statSync(join(r.upperDir, p));
      assert.deepEqual([st.uid, st.gid], [1000, 1000], p);
    }

    const named = await run("id -u; id -g; id -G", { lowerDirs: [extra, ...busybox], user: "builder:staff" });
    assert.equal(named.stdout, "1000\n50\n50\n");
  });

  test("numeric uid:gid needs no passwd entry", async () => {
    const r = await run("id -u; id -g; pwd", { user: "1234:5678", cwd: "/tmp" });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, "1234\n5678\n/tmp\n");
    const uidOnly = await run("id -u; id -g", { user: "4321" });
    assert.equal(uidOnly.stdout, "4321\n0\n");
  });

  test("an unknown user fails with BuildKit's message, and nothing is left", async () => {
    const dirs = stepDirs();
    await assert.rejects(
      runStep({
        lowerDirs: busybox,
        ...dirs,
        args: ["/bin/true"],
        env: [],
        cwd: "/",
        user: "nosuchuser",
        network: "default",
        stdout: () => {},
        stderr: () => {},
      }),
      (err) => {
        assert.ok(isWharfError(err, "RUN_USER_UNKNOWN"));
        assert.equal(err.message, "unable to find user nosuchuser: no matching entries in passwd file");
        return true;
      },
    );
    assertCleanedUp(dirs.scratchDir);
    assert.deepEqual(readdirSync(dirs.upperDir), []);
  });

  test("an executable that is not there is runc's failure, not an exit code", async () => {
    const dirs = stepDirs();
    await assert.rejects(
      runStep({
        lowerDirs: busybox,
        ...dirs,
        args: ["/no/such/program"],
        env: [],
        cwd: "/",
        user: "",
        network: "default",
        stdout: () => {},
        stderr: () => {},
      }),
      (err) => {
        assert.ok(isWharfError(err, "RUNTIME_FAILED"));
        assert.match(err.message, /no such file or directory/);
        return true;
      },
    );
    assertCleanedUp(dirs.scratchDir);
  });

  test("network none: only a loopback interface, and it is up", async () => {
    const r = await run("cat /proc/net/dev; cat /sys/class/net/lo/flags", { network: "none" });
    assert.equal(r.exitCode, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    const flags = Number(lines.pop());
    assert.deepEqual(interfaces(lines.join("\n")), ["lo"]);
    assert.equal(flags & 1, 1, "IFF_UP");
  });

  test("network host and default: the host's interfaces", async () => {
    const host = interfaces(readFileSync("/proc/net/dev", "utf8"));
    for (const network of ["host", "default"] as const) {
      const r = await run("cat /proc/net/dev", { network });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.deepEqual(interfaces(r.stdout), host, network);
    }
  });

  test("hostname, /etc/hosts with --add-host, and the host's resolv.conf", async () => {
    const r = await run("hostname; cat /etc/hosts; echo ---; cat /etc/resolv.conf", {
      hostname: "myhost",
      extraHosts: [{ host: "registry.local", ip: "10.1.2.3" }],
    });
    assert.equal(r.exitCode, 0, r.stderr);
    const [name, hosts, resolv] = splitOnce(r.stdout);
    assert.equal(name, "myhost");
    assert.equal(
      hosts,
      "127.0.0.1\tlocalhost myhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.1.2.3\tregistry.local\n",
    );
    assert.equal(resolv, readFileSync("/etc/resolv.conf", "utf8"));

    const plain = await run("hostname");
    assert.equal(plain.stdout, "buildkitsandbox\n");
  });

  test("a read-only bind mount, a secret, a tmpfs and a cache; their stubs are removed", async () => {
    const context = join(root, "context");
    mkdirSync(context);
    writeFileSync(join(context, "file.txt"), "from the context\n");
    const secret = join(root, "token");
    writeFileSync(secret, "s3cret");
    chmodSync(secret, 0o644);
    const cache = join(root, "cache");
    const script = [
      "cat /mnt/ctx/file.txt",
      "touch /mnt/ctx/new 2>/dev/null && echo writable || echo read-only",
      "cat /run/secrets/token; echo",
      "stat -c '%a %u' /run/secrets/token",
      "echo scratch > /scratch/x && cat /scratch/x",
      "echo cached > /var/cache/x",
    ].join("; ");
    const r = await run(script, {
      mounts: [
        { type: "bind", source: context, target: "/mnt/ctx" },
        { type: "secret", source: secret, target: "/run/secrets/token" },
        { type: "tmpfs", target: "/scratch" },
        { type: "cache", source: cache, target: "/var/cache" },
      ],
    });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, "from the context\nread-only\ns3cret\n400 0\nscratch\n");
    assert.ok(!existsSync(join(context, "new")));
    assert.equal(statSync(secret).mode & 0o777, 0o644, "the host's secret file is not changed");
    assert.equal(readFileSync(join(cache, "x"), "utf8"), "cached\n");
    for (const stub of [
      "mnt/ctx",
      "mnt",
      "run/secrets/token",
      "run/secrets",
      "run",
      "scratch",
      "var/cache",
      "var",
    ]) {
      assert.ok(r.removedStubs.includes(stub), `${stub} reported`);
    }
    assert.deepEqual(readdirSync(r.upperDir).sort(), ["etc"]);
    assert.deepEqual(
      readdirSync("/dev/shm").filter((n) => n.startsWith("wharf-secrets-")),
      [],
      "the secret's copy is gone",
    );
  });

  test("a stub that the step filled is kept", async () => {
    const r = await run("echo x > /scratch/kept", {
      mounts: [{ type: "tmpfs", target: "/scratch/tmp" }],
    });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(readFileSync(join(r.upperDir, "scratch", "kept"), "utf8"), "x\n");
    assert.ok(r.removedStubs.includes("scratch/tmp"));
    assert.ok(!r.removedStubs.includes("scratch"));
  });

  test("an abort kills the container and cleans up", async () => {
    const dirs = stepDirs();
    const controller = new AbortController();
    const started = Date.now();
    const promise = runStep({
      lowerDirs: busybox,
      ...dirs,
      args: ["/bin/sh", "-c", "echo started; sleep 30"],
      env: ["PATH=/bin"],
      cwd: "/",
      user: "",
      network: "default",
      stdout: (c) => {
        if (String(c).includes("started")) controller.abort();
      },
      stderr: () => {},
      signal: controller.signal,
    });
    await assert.rejects(promise, (err: Error) => {
      assert.equal(err.name, "AbortError");
      return true;
    });
    assert.ok(Date.now() - started < 10_000, "the sleep did not run out");
    assertCleanedUp(dirs.scratchDir);
  });

  test("an abort before the start runs nothing", async () => {
    const dirs = stepDirs();
    await assert.rejects(
      runStep({
        lowerDirs: busybox,
        ...dirs,
        args: ["/bin/true"],
        env: [],
        cwd: "/",
        user: "",
        network: "default",
        stdout: () => {},
        stderr: () => {},
        signal: AbortSignal.abort(),
      }),
      { name: "AbortError" },
    );
    assertCleanedUp(dirs.scratchDir);
  });

  test("beforeUnmount sees the merged view without the stubs", async () => {
    let seen: string[] = [];
    const r = await run("echo hi > /hi.txt", {
      beforeUnmount: async (merged) => {
        seen = readdirSync(merged).sort();
      },
    });
    assert.equal(r.exitCode, 0);
    assert.deepEqual(seen, ["app", "bin", "etc", "hi.txt", "linuxrc", "root", "sbin", "tmp", "usr"]);
  });

  test("60 lower dirs with long paths", async () => {
    const many: string[] = [];
    const long = "x".repeat(100);
    for (let i = 0; i < 60; i++) {
      const dir = join(root, "many", `${long}-${i}`);
      mkdirSync(join(dir, "layers"), { recursive: true });
      writeFileSync(join(dir, "layers", `f${i}`), String(i));
      many.push(dir);
    }
    // Absolute paths alone would overflow the kernel's one-page limit for mount options.
    assert.ok(many.join(":").length > 4096);
    const r = await run("ls /layers | wc -l; cat /layers/f0 /layers/f56", {
      lowerDirs: [...many.slice(0, 57), ...busybox],
    });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout.trim(), "57\n056");
  });

  test("mountOverlay: 60 lower dirs, read-write and read-only, and a single read-only lower", async () => {
    const many = readdirSync(join(root, "many"))
      .map((n) => join(root, "many", n))
      .slice(0, 60);
    assert.equal(many.length, 60);
    const { upperDir, scratchDir } = stepDirs();
    const rw = await mountOverlay({ lowerDirs: many, upperDir, scratchDir });
    try {
      assert.equal(readdirSync(join(rw.merged, "layers")).length, 60);
      writeFileSync(join(rw.merged, "new"), "n");
    } finally {
      await rw.unmount();
    }
    assert.equal(readFileSync(join(upperDir, "new"), "utf8"), "n");

    const ro = await mountOverlay({ lowerDirs: many, scratchDir });
    try {
      assert.equal(readdirSync(join(ro.merged, "layers")).length, 60);
      assert.throws(() => writeFileSync(join(ro.merged, "new"), "n"), { code: "EROFS" });
    } finally {
      await ro.unmount();
    }

    const single = await mountOverlay({ lowerDirs: [busybox.at(-1)!], scratchDir });
    try {
      assert.ok(existsSync(join(single.merged, "bin", "busybox")));
      assert.throws(() => writeFileSync(join(single.merged, "new"), "n"), { code: "EROFS" });
    } finally {
      await single.unmount();
      await single.unmount(); // a second call is harmless
    }
    assert.deepEqual(mountsUnder(root), []);
    assert.deepEqual(readdirSync(scratchDir), []);
  });

  test("a true step is fast", async () => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const dirs = stepDirs();
      const t0 = performance.now();
      const r = await runStep({
        lowerDirs: busybox,
        ...dirs,
        args: ["/bin/true"],
        env: [],
        cwd: "/",
        user: "",
        network: "default",
        stdout: () => {},
        stderr: () => {},
      });
      times.push(performance.now() - t0);
      assert.equal(r.exitCode, 0);
    }
    times.sort((a, b) => a - b);
    const median = times[2]!;
    // Generous for a loaded machine; on an idle one it is about 50 ms.
    assert.ok(median < 250, `median ${median.toFixed(1)} ms`);
  });
});

/** The host PID of the process whose command line is `argv`, once it runs. */
async function waitForProcess(argv: string[]): Promise<number> {
  const wanted = `${argv.join("\0")}\0`;
  for (let i = 0; i < 500; i++) {
    for (const name of readdirSync("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      try {
        if (readFileSync(`/proc/${name}/cmdline`, "utf8") === wanted) return Number(name);
      } catch {
        // Gone meanwhile.
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no process ${argv.join(" ")}`);
}

/** Interface names in /proc/net/dev's table. */
function interfaces(procNetDev: string): string[] {
  return procNetDev
    .split("\n")
    .slice(2)
    .map((line) => line.split(":")[0]!.trim())
    .filter((n) => n !== "")
    .sort();
}

/** "NAME\nHOSTS---\nRESOLV" -> [NAME, HOSTS, RESOLV] */
function splitOnce(out: string): [string, string, string] {
  const newline = out.indexOf("\n");
  const sep = out.indexOf("---\n");
  return [out.slice(0, newline), out.slice(newline + 1, sep), out.slice(sep + 4)];
}
