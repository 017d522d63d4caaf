/**
 * One Dockerfile RUN step, as BuildKit's runc executor runs it: the layers are stacked with
 * overlayfs (changes go to `upperDir`), the user is looked up in the rootfs, a missing working
 * directory is created as that user, runc runs the process in a bundle written here, and afterwards
 * the mount stubs runc left are removed again. Whatever happens (exit, failure, abort, exception),
 * the container is gone, nothing stays mounted and the bundle and state dirs are removed.
 */
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { lstat, rm } from "node:fs/promises";
import { join, posix } from "node:path";
import { WharfError } from "../../errors.ts";
import { resolveInRoot } from "../root-path.ts";
import { DEFAULT_HOSTNAME, type ExtraHost, hostsFile, resolvConf } from "./etc-files.ts";
import { collectStubCandidates, removeStubs } from "./mount-stubs.ts";
import { mountOverlay, type OverlayMount } from "./overlay-mount.ts";
import { type ExecUser, resolveUser } from "./passwd.ts";
import { prepareRunMounts, type RunMount } from "./run-mounts.ts";
import { findRunc, runcDelete, runcError, runcRun } from "./runc.ts";
import { type NetworkMode, type Rlimit, runcSpec, specMounts } from "./runc-spec.ts";

export interface RunStepOptions {
  /** Top first; at least one (a `FROM scratch` stage gives one empty dir). */
  lowerDirs: readonly string[];
  /** An empty dir that receives the changes. */
  upperDir: string;
  /** A private temp dir (on upperDir's file system) for the overlay, the runc bundle and its state. */
  scratchDir: string;
  args: string[];
  /** "K=V" */
  env: string[];
  /** Absolute in the container; created (as the user) if missing. */
  cwd: string;
  /** "" (root), "name", "uid", "name:group", "uid:gid", resolved in the rootfs. */
  user: string;
  /** default: the host's network namespace; none: one of its own with only loopback; host: the host's. */
  network: NetworkMode;
  /** Default "buildkitsandbox". */
  hostname?: string;
  /** --add-host, written into the container's /etc/hosts. */
  extraHosts?: ExtraHost[];
  /** RUN --mount. */
  mounts?: RunMount[];
  stdout: (chunk: Buffer) => void;
  stderr: (chunk: Buffer) => void;
  /** Abort = SIGKILL the container, clean up, reject with an AbortError. */
  signal?: AbortSignal;
  /** Called after the process exits (and the stubs are removed), while the overlay is still mounted. */
  beforeUnmount?: (mergedDir: string, exitCode: number) => Promise<void>;
  /** Where secret copies go (a tmpfs the caller mounted); default /dev/shm. */
  secretsDir?: string;
}

export interface RunStepResult {
  exitCode: number;
  /** Paths (relative, no leading slash) runc created as empty mount stubs, removed from the upper dir
   *  again, deepest first. */
  removedStubs: string[];
}

export async function runStep(opts: RunStepOptions): Promise<RunStepResult> {
  throwIfAborted(opts.signal);
  const runc = findRunc();
  const held: Held = { releases: [] };
  let result: RunStepResult;
  try {
    result = await execute(opts, runc, held);
  } catch (error) {
    // The cause is what the caller needs; a clean-up failure after it would only hide it.
    await release(held);
    throw error;
  }
  // A failed clean-up (something still mounted) must not go unnoticed.
  const releaseError = await release(held);
  if (releaseError) throw releaseError.error;
  return result;
}

/** What a step holds, released by `release`. */
interface Held {
  /** Removes the container, if runc left it; first, since it may still use the mounts. */
  container?: () => Promise<void>;
  /** The rest (overlay, secrets' copies, bundle), independent of each other. */
  releases: (() => Promise<void>)[];
}

/** Releases everything, each even if another failed; the first failure. */
async function release(held: Held): Promise<{ error: unknown } | undefined> {
  const outcomes: PromiseSettledResult<void>[] = [];
  if (held.container) outcomes.push(...(await Promise.allSettled([held.container()])));
  outcomes.push(...(await Promise.allSettled(held.releases.map((r) => r()))));
  const failed = outcomes.find((o) => o.status === "rejected");
  return failed ? { error: failed.reason } : undefined;
}

/** The step; every resource it takes is entered in `held` as soon as it exists. */
async function execute(opts: RunStepOptions, runc: string, held: Held): Promise<RunStepResult> {
  const id = `wharf-build-${randomBytes(8).toString("hex")}`;
  const bundle = join(opts.scratchDir, "bundle");
  const stateDir = join(opts.scratchDir, "state");
  mkdirSync(bundle, { recursive: true });
  held.releases.push(() => rm(bundle, { recursive: true, force: true }));
  const overlay: OverlayMount = await mountOverlay({
    lowerDirs: opts.lowerDirs,
    upperDir: opts.upperDir,
    scratchDir: opts.scratchDir,
  });
  held.releases.push(() => overlay.unmount());
  const rootfs = overlay.merged;

  // Synchronous from here to the run: small files and metadata, faster without the thread pool.
  const user = resolveUser(rootfs, opts.user);
  ensureWorkingDir(rootfs, opts.cwd, user);
  const prepared = await prepareRunMounts(opts.mounts ?? [], opts.scratchDir, opts.secretsDir);
  held.releases.push(() => prepared.cleanup());

  const hostname = opts.hostname ?? DEFAULT_HOSTNAME;
  const hostsPath = join(bundle, "hosts");
  const resolvConfPath = join(bundle, "resolv.conf");
  writeFileSync(hostsPath, hostsFile(hostname, opts.extraHosts ?? []), { mode: 0o644 });
  writeFileSync(resolvConfPath, resolvConf(opts.network === "none"), { mode: 0o644 });
  const input = {
    rootfs,
    args: opts.args,
    env: opts.env,
    cwd: opts.cwd,
    user,
    network: opts.network,
    hostname,
    hostsPath,
    resolvConfPath,
    mounts: prepared.mounts,
    rlimits: currentRlimits(),
  };
  writeFileSync(join(bundle, "config.json"), JSON.stringify(runcSpec(input)));
  const stubs = collectStubCandidates(
    rootfs,
    specMounts(input).map((m) => m.destination),
  );

  throwIfAborted(opts.signal);
  held.container = () => removeContainer(runc, stateDir, id);
  const logFile = join(bundle, "runc.log");
  const run = runcRun({ runc, stateDir, bundle, id, logFile, stdout: opts.stdout, stderr: opts.stderr });
  const onAbort = () => void run.kill();
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  let exitCode: number;
  try {
    exitCode = await run.exited;
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
  }
  throwIfAborted(opts.signal);
  if (exitCode !== 0) {
    const message = await runcError(logFile);
    if (message !== undefined) {
      throw new WharfError("RUNTIME_FAILED", message, { exitCode, id });
    }
  }

  const removedStubs = await removeStubs(rootfs, stubs);
  await opts.beforeUnmount?.(rootfs, exitCode);
  return { exitCode, removedStubs };
}

/** `runc run` deletes its container when the process exits; after a kill or a crash of runc it may
 *  still be there. Then the state dir goes. */
async function removeContainer(runc: string, stateDir: string, id: string): Promise<void> {
  if (await lstat(join(stateDir, id)).catch(() => undefined)) await runcDelete(runc, stateDir, id);
  await rm(stateDir, { recursive: true, force: true });
}

/** BuildKit creates a missing working directory (mkdir -p, 0755, new dirs owned by the user). */
function ensureWorkingDir(rootfs: string, cwd: string, user: ExecUser): void {
  const path = resolveInRoot(rootfs, cwd);
  if (existsSync(path)) return;
  const first = mkdirSync(path, { recursive: true, mode: 0o755 });
  if (first === undefined) return;
  // chown what mkdir created: from the first new directory down to the working dir.
  const relative = posix.relative(first, path);
  let dir = first;
  chownSync(dir, user.uid, user.gid);
  for (const part of relative === "" ? [] : relative.split("/")) {
    dir = posix.join(dir, part);
    chownSync(dir, user.uid, user.gid);
  }
}

let cachedRlimits: Rlimit[] | undefined;

/**
 * The open-files limit of this process, passed on. Docker gives containers 1048576, but root may
 * not be allowed to raise RLIMIT_NOFILE that far (runc would fail); the current limit always works.
 */
function currentRlimits(): Rlimit[] {
  if (cachedRlimits) return cachedRlimits;
  let text = "";
  try {
    text = readFileSync("/proc/self/limits", "utf8");
  } catch {
    return [];
  }
  const m = /^Max open files\s+(\d+)\s+(\d+)/m.exec(text);
  cachedRlimits = m ? [{ type: "RLIMIT_NOFILE", soft: Number(m[1]), hard: Number(m[2]) }] : [];
  return cachedRlimits;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/** Node's AbortError (name "AbortError", code "ABORT_ERR"), with the signal's reason as cause. */
function abortError(signal: AbortSignal): Error {
  const err = new Error("The operation was aborted", { cause: signal.reason });
  return Object.assign(err, { name: "AbortError", code: "ABORT_ERR" });
}
