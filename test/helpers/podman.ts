/**
 * podman (Debian's 4.3) with a store of the test's own: root, runroot and tmp_dir in one directory,
 * a containers.conf that works for root here (ulimits root cannot raise, runc instead of crun, no
 * journald, no systemd cgroups) and a registries.conf naming the test's registries as insecure (see
 * ../shared/PEERS.md). No daemon: every call is one podman process. The store is unmounted and removed
 * in `after`. One thing stays shared with the machine: containers/image's blob info cache
 * (/var/lib/containers/cache), which --root does not move in podman 4.3; its entries are keyed by
 * registry host and port, and every test registry has a port of its own.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after } from "node:test";
import { type RunOptions, type RunResult, removeTree, runCommand, shortTempDir } from "./dockerd.ts";

export interface Podman {
  readonly dir: string;
  /** The storage driver it runs with (overlay, or vfs when overlay cannot work here). */
  readonly storageDriver: string;
  /** Runs `podman --root ... ARGS`; never rejects on a failed command: see `code`. */
  podman(args: string[], options?: RunOptions): Promise<RunResult>;
  /** Like podman(), but rejects when the command fails. */
  podmanOk(args: string[], options?: RunOptions): Promise<RunResult>;
  /** A fresh, empty --authfile (podman 4.3 refuses one that does not exist; podman login writes it). */
  newAuthFile(): string;
}

async function tryDriver(driver: string, registries: string[]): Promise<{ ok: Podman } | { failed: string }> {
  const dir = shortTempDir("wpm-");
  const tmp = join(dir, "tmp");
  mkdirSync(tmp);
  mkdirSync(join(dir, "auth"));
  writeFileSync(join(dir, "auth", "default.json"), '{"auths":{}}\n');
  writeFileSync(
    join(dir, "containers.conf"),
    '[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n' +
      '[engine]\nruntime = "runc"\nevents_logger = "file"\ncgroup_manager = "cgroupfs"\n' +
      `tmp_dir = "${tmp}"\nevents_logfile_path = "${join(dir, "events.log")}"\n`,
  );
  writeFileSync(
    join(dir, "registries.conf"),
    registries.map((r) => `[[registry]]\nlocation = "${r}"\ninsecure = true\n`).join("\n"),
  );
  writeFileSync(
    join(dir, "storage.conf"),
    `[storage]\ndriver = "${driver}"\nrunroot = "${join(dir, "runroot")}"\ngraphroot = "${join(dir, "root")}"\n`,
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CONTAINERS_CONF: join(dir, "containers.conf"),
    CONTAINERS_REGISTRIES_CONF: join(dir, "registries.conf"),
    CONTAINERS_STORAGE_CONF: join(dir, "storage.conf"),
    // The machine's ~/.config/containers (auth.json, per-user configs) stays out of it.
    XDG_CONFIG_HOME: join(dir, "config"),
    // No stray credentials: only the --authfile a test names (or this empty default) is read.
    REGISTRY_AUTH_FILE: join(dir, "auth", "default.json"),
    DOCKER_CONFIG: join(dir, "auth"),
    TMPDIR: tmp,
  };
  const base = ["--root", join(dir, "root"), "--runroot", join(dir, "runroot"), "--storage-driver", driver];
  const podman: Podman["podman"] = (args, options = {}) =>
    runCommand("podman", [...base, ...args], { ...options, env: { ...env, ...options.env } });
  const info = await podman(["info", "--format", "{{.Store.GraphDriverName}}"]).catch((err: Error) => ({
    code: -1,
    stdout: "",
    stderr: err.message,
  }));
  if (info.code !== 0 || info.stdout.trim() !== driver) {
    removeTree(dir);
    return {
      failed: `podman (${driver}): ${(info.stderr || info.stdout).trim().split("\n").slice(-4).join("\n")}`,
    };
  }
  after(() => removeTree(dir));
  return {
    ok: {
      dir,
      storageDriver: driver,
      podman,
      podmanOk: async (args, options) => {
        const r = await podman(args, options);
        if (r.code !== 0) {
          throw new Error(
            `podman ${args.join(" ")} exited with ${r.code}:\n${(r.stderr || r.stdout).trim()}`,
          );
        }
        return r;
      },
      newAuthFile: () => {
        const file = join(mkdtempSync(join(dir, "auth", "a-")), "auth.json");
        writeFileSync(file, '{"auths":{}}\n');
        return file;
      },
    },
  };
}

/**
 * A podman store for this file, with overlay (vfs if overlay cannot work here). Rejects with each
 * attempt's reason when podman cannot run at all: callers skip with that message.
 */
export async function startPodman(options: { insecureRegistries: string[] }): Promise<Podman> {
  const reasons: string[] = [];
  for (const driver of ["overlay", "vfs"]) {
    const r = await tryDriver(driver, options.insecureRegistries);
    if ("ok" in r) return r.ok;
    reasons.push(r.failed);
  }
  throw new Error(reasons.join("\n"));
}
