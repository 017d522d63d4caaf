/**
 * The peers `wharf build` is compared with, started once per test file: a distribution registry
 * holding the busybox fixture as HOST/busybox:latest (the build fixtures' base), a dockerd of the
 * file's own with that registry insecure (BuildKit 0.8 through Debian's docker 20.10 client, and the
 * legacy builder), and buildah with a containers store of its own (skipped with a reason when
 * buildah is not installed). Each build returns the image as comparable data (image-contents.ts)
 * and its wall time. The command lines are plain functions, so that bench/build.ts runs the same
 * builds outside the test runner. See ../shared/PEERS.md and ../shared/fixtures/build/README.md.
 */
import { chmodSync, cpSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES_DIR } from "../corpus.ts";
import { type Distribution, pushFixtures, startDistribution } from "./distribution.ts";
import { type Dockerd, runCommand, runOk, startDockerd } from "./dockerd.ts";
import { type ImageContents, readDockerArchive, readOciLayout } from "./image-contents.ts";
import { startPodman } from "./podman.ts";
import { tempDir } from "./tmp.ts";

export const BUILD_FIXTURES_DIR = join(FIXTURES_DIR, "build");

/** Debian's docker 20.10 client: the one that drives dockerd 20.10's embedded BuildKit (the 28.x CLI has no buildx). */
export const DOCKER_20_CLIENT = "/usr/bin/docker";

export type BuildFixture = "small" | "nodeapp";

export interface BuildOptions {
  /** NAME[:TAG] for the image (default: a name of the build's own). */
  tag?: string;
  /** --build-arg K=V; REGISTRY defaults to the peers' registry. */
  buildArgs?: Record<string, string>;
  noCache?: boolean;
  /** -f FILE (default: CONTEXT/Dockerfile). */
  dockerfile?: string;
}

export interface PeerBuild {
  contents: ImageContents;
  /** Wall time of the build command alone (not the export). */
  seconds: number;
  /** The builder's progress output (stderr, then stdout). */
  output: string;
  tag: string;
}

export interface BuildPeers {
  registry: Distribution;
  /** The registry's 127.0.0.1:PORT: `--build-arg REGISTRY=` of the fixtures. */
  readonly host: string;
  dockerd: Dockerd;
  buildWithBuildKit(contextDir: string, options?: BuildOptions): Promise<PeerBuild>;
  buildWithLegacy(contextDir: string, options?: BuildOptions): Promise<PeerBuild>;
  /** Why buildah cannot build here (not installed, its store cannot start); undefined when it can. */
  readonly buildahUnavailable: string | undefined;
  /** Rejects with `buildahUnavailable` when it is set. */
  buildWithBuildah(contextDir: string, options?: BuildOptions): Promise<PeerBuild>;
}

/** `--build-arg K=V ...` with the fixtures' REGISTRY set to `registryHost` unless given. */
export function buildArgFlags(registryHost: string, buildArgs: Record<string, string> = {}): string[] {
  const all = { REGISTRY: registryHost, ...buildArgs };
  return Object.entries(all).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]);
}

/** `docker build` (both builders; DOCKER_BUILDKIT picks one): no network, as dockerd runs without a bridge here. */
export function dockerBuildArgs(
  contextDir: string,
  tag: string,
  registryHost: string,
  options: BuildOptions = {},
): string[] {
  return [
    "build",
    "--network",
    "none",
    "-t",
    tag,
    ...buildArgFlags(registryHost, options.buildArgs),
    ...(options.noCache ? ["--no-cache"] : []),
    ...(options.dockerfile === undefined ? [] : ["-f", options.dockerfile]),
    contextDir,
  ];
}

/** `buildah bud` as PEERS.md runs it: runc under OCI isolation, no network, a layer per step (cached). */
export function buildahBudArgs(
  contextDir: string,
  tag: string,
  registryHost: string,
  options: BuildOptions = {},
): string[] {
  return [
    "bud",
    "--isolation",
    "oci",
    "--runtime",
    "runc",
    "--network",
    "none",
    "--layers",
    "-t",
    tag,
    ...buildArgFlags(registryHost, options.buildArgs),
    ...(options.noCache ? ["--no-cache"] : []),
    ...(options.dockerfile === undefined ? [] : ["-f", options.dockerfile]),
    contextDir,
  ];
}

/** Adds the owner's write bit below `dir`: the shared fixtures are read-only, a git checkout is not. */
function makeOwnerWritable(dir: string): void {
  chmodSync(dir, statSync(dir).mode | 0o200);
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isSymbolicLink()) continue;
    const p = join(e.parentPath, e.name);
    chmodSync(p, statSync(p).mode | 0o200);
  }
}

/**
 * Copies a build fixture into `dir` (modes as a git checkout gives them: owner-writable); nodeapp's
 * generated sources and big.bin are written by its make-context.sh.
 */
export async function copyContextInto(fixture: BuildFixture, dir: string): Promise<void> {
  const from = join(BUILD_FIXTURES_DIR, fixture);
  cpSync(from, dir, { recursive: true });
  makeOwnerWritable(dir);
  if (fixture === "nodeapp")
    await runOk("bash", [join(from, "make-context.sh"), dir], { timeoutMs: 300_000 });
}

/** A writable copy of a build fixture in a temp dir removed after the test file. */
export async function copyContext(fixture: BuildFixture): Promise<string> {
  const dir = join(tempDir(`wharf-build-${fixture}-`), "context");
  await copyContextInto(fixture, dir);
  return dir;
}

const BUILD_TIMEOUT_MS = 600_000;

async function timed(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ seconds: number; output: string }> {
  const t0 = performance.now();
  const r = await runCommand(cmd, args, { env, timeoutMs: BUILD_TIMEOUT_MS });
  const seconds = (performance.now() - t0) / 1000;
  const output = `${r.stderr}${r.stdout}`;
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${r.code}:\n${output.trim()}`);
  return { seconds, output };
}

/**
 * Starts the registry (with the busybox fixture), the dockerd and buildah's store; all stopped and
 * removed in `after`. Rejects when the registry or dockerd cannot start (callers skip with the reason).
 */
export async function startBuildPeers(): Promise<BuildPeers> {
  const registry = await startDistribution();
  await pushFixtures(registry.host);
  const host = registry.host;
  const dockerd = await startDockerd({ insecureRegistries: [host] });
  const work = tempDir("wharf-build-peers-");
  let builds = 0;
  const nameOf = (options: BuildOptions) => options.tag ?? `wharf-peer-build-${++builds}:latest`;

  const dockerBuild = async (buildkit: boolean, contextDir: string, options: BuildOptions = {}) => {
    const tag = nameOf(options);
    const env = {
      ...process.env,
      DOCKER_BUILDKIT: buildkit ? "1" : "0",
      // Plain `#N ...` progress, as wharf build prints it.
      BUILDKIT_PROGRESS: "plain",
      DOCKER_CONFIG: dockerd.newConfigDir(),
    };
    const args = ["-H", dockerd.host, ...dockerBuildArgs(contextDir, tag, host, options)];
    const { seconds, output } = await timed(DOCKER_20_CLIENT, args, env);
    const archive = join(work, `save-${++builds}.tar`);
    await dockerd.dockerOk(["save", "-o", archive, tag], { timeoutMs: BUILD_TIMEOUT_MS });
    return { contents: await readDockerArchive(archive), seconds, output, tag };
  };

  let buildahUnavailable: string | undefined;
  let buildah: ((args: string[]) => Promise<{ seconds: number; output: string }>) | undefined;
  const probe = await runCommand("buildah", ["--version"]).catch((err: Error) => err);
  if (probe instanceof Error)
    buildahUnavailable = "buildah is not installed (run scripts/install-test-deps.sh)";
  else if (probe.code !== 0) buildahUnavailable = `buildah --version failed: ${probe.stderr.trim()}`;
  else {
    try {
      // podman's test store (configs, root, runroot) is a containers/storage store buildah uses as well.
      const store = await startPodman({ insecureRegistries: [host] });
      const d = store.dir;
      const env = {
        ...process.env,
        CONTAINERS_CONF: join(d, "containers.conf"),
        CONTAINERS_REGISTRIES_CONF: join(d, "registries.conf"),
        CONTAINERS_STORAGE_CONF: join(d, "storage.conf"),
        XDG_CONFIG_HOME: join(d, "config"),
        REGISTRY_AUTH_FILE: join(d, "auth", "default.json"),
        TMPDIR: join(d, "tmp"),
      };
      const base = ["--root", join(d, "root"), "--runroot", join(d, "runroot")];
      buildah = (args) => timed("buildah", [...base, "--storage-driver", store.storageDriver, ...args], env);
    } catch (err) {
      buildahUnavailable = `buildah's store cannot start: ${(err as Error).message}`;
    }
  }

  return {
    registry,
    host,
    dockerd,
    buildWithBuildKit: (contextDir, options) => dockerBuild(true, contextDir, options),
    buildWithLegacy: (contextDir, options) => dockerBuild(false, contextDir, options),
    buildahUnavailable,
    async buildWithBuildah(contextDir, options = {}) {
      if (buildah === undefined) throw new Error(buildahUnavailable);
      const tag = nameOf(options);
      const { seconds, output } = await buildah(buildahBudArgs(contextDir, tag, host, options));
      const layout = join(work, `oci-${++builds}`);
      await buildah(["push", "--quiet", tag, `oci:${layout}:latest`]);
      return { contents: await readOciLayout(layout, "latest"), seconds, output, tag };
    },
  };
}
