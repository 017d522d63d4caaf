/**
 * Pull benchmark: `wharf pull` of a realistic large image (the nodeapp fixture: ~115 MB gzip, 3 layers,
 * ~20k files) from a local distribution registry, side by side with skopeo, podman and dockerd.
 *
 *   node bench/pull.ts [--runs N] [--cache DIR] [--dir DIR] [--cli auto|dist|src] [--no-setup]
 *
 * - The image is built once with ../shared/fixtures/make-nodeapp.sh and cached outside the repository
 *   (default ~/.cache/wharf-bench/nodeapp, or --cache DIR); bench/setup-peers.sh installs the Debian
 *   packages first (skipped with --no-setup; it does nothing when all are installed).
 * - A docker-registry of the bench's own (request logging off, as PEERS.md says for benchmarks) runs on
 *   a free 127.0.0.1 port; the image goes in with `skopeo copy oci:... docker://...`.
 * - Each run times, one after another (interleaved, so that drift affects all of them alike) and each
 *   into an empty destination: `wharf pull` into a fresh --root; `skopeo copy` registry -> a fresh OCI
 *   dir; `podman pull` (overlay, own --root/--runroot, `podman rmi -a -f` after each run); `docker pull`
 *   through a dockerd the bench starts (overlay2, own data-root, `docker rmi` after each run).
 * - Peak RSS of wharf, skopeo and podman: `/usr/bin/time -f %M` (else VmHWM polled from /proc); for
 *   docker the work happens in dockerd, so its VmHWM (over the whole bench) is shown instead.
 * A peer that cannot start here is reported as "unavailable: <reason>" and the others go on.
 * Everything started is stopped and every temporary store deleted, also on error or Ctrl-C; the
 * image cache stays. "MB" below is 2^20 bytes.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import * as lib from "./lib.ts";

const _BENCH_DIR = import.meta.dirname;
const removeTree = lib.removeTree;

interface Peer {
  name: string;
  /** Why it cannot run, once it is known. */
  unavailable?: string;
  times: number[];
  rss: number[];
  /** Extra text for the RSS column (e.g. the daemon's figure). */
  rssNote?: string;
  /** One timed pull into an empty destination. */
  pull(run: number): Promise<lib.ExecResult>;
  /** Untimed: empty the destination again. */
  reset(run: number): Promise<void>;
}

async function main(): Promise<void> {
  const { values, runs } = lib.parseNodeappBenchArgs();
  const benchStart = performance.now();

  const { cleanups, cleanup } = lib.cleanupOnExit();

  try {
    // The packages, the image (cached outside the repository), a work directory.
    const { layout, work } = await lib.prepareNodeappBench(values, cleanups, "wharf-bench-pull-");

    // The registry.
    const { host, image, seconds } = await lib.startNodeappRegistry(work, layout, cleanups);
    console.log(`registry: docker-registry on ${host}, pushed in ${seconds.toFixed(2)} s`);

    // 2. The peers.
    const cli = await lib.chooseCli(values.cli);
    console.log(`wharf: ${relative(lib.REPO, cli.script)} [${cli.label}], node ${process.version}`);
    const peers: Peer[] = [];

    // (a) wharf
    const wharfRoot = (run: number) => join(work, `wharf-${run}`);
    peers.push({
      name: "wharf pull",
      times: [],
      rss: [],
      pull: (run) => {
        const wharf = lib.wharfCommand(cli.script, ["--root", wharfRoot(run), "pull", image]);
        return lib.exec(wharf.cmd, wharf.args, { measureRss: true, env: wharf.env });
      },
      reset: async (run) => removeTree(wharfRoot(run)),
    });

    // (b) skopeo
    const skopeoDir = (run: number) => join(work, `skopeo-${run}`);
    peers.push({
      name: "skopeo copy",
      times: [],
      rss: [],
      pull: (run) =>
        lib.exec(
          "skopeo",
          ["copy", "--src-tls-verify=false", `docker://${image}`, `oci:${skopeoDir(run)}:latest`],
          { measureRss: true },
        ),
      reset: async (run) => removeTree(skopeoDir(run)),
    });

    // (c) podman: one store, emptied with `podman rmi -a -f` after each run.
    const podman: Peer = {
      name: "podman pull",
      times: [],
      rss: [],
      pull: async () => ({ stdout: "", seconds: 0, rssKiB: 0 }),
      reset: async () => {},
    };
    peers.push(podman);
    if (!lib.commandExists("podman")) podman.unavailable = "podman is not installed";
    else {
      const pdir = join(work, "podman");
      mkdirSync(pdir, { recursive: true });
      writeFileSync(
        join(pdir, "containers.conf"),
        '[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n' +
          `[engine]\nruntime = "runc"\nevents_logger = "file"\ncgroup_manager = "cgroupfs"\n` +
          `tmp_dir = "${join(pdir, "tmp")}"\nevents_logfile_path = "${join(pdir, "events.log")}"\n`,
      );
      writeFileSync(join(pdir, "registries.conf"), `[[registry]]\nlocation = "${host}"\ninsecure = true\n`);
      const env = {
        ...process.env,
        CONTAINERS_CONF: join(pdir, "containers.conf"),
        CONTAINERS_REGISTRIES_CONF: join(pdir, "registries.conf"),
        TMPDIR: join(pdir, "tmp"),
      };
      mkdirSync(join(pdir, "tmp"), { recursive: true });
      const base = [
        "--root",
        join(pdir, "root"),
        "--runroot",
        join(pdir, "runroot"),
        "--storage-driver",
        "overlay",
      ];
      podman.pull = () => lib.exec("podman", [...base, "pull", image], { env, measureRss: true });
      podman.reset = async () => {
        await lib.exec("podman", [...base, "rmi", "-a", "-f"], { env });
      };
      cleanups.push(async () => {
        await lib.exec("podman", [...base, "system", "reset", "-f"], { env }).catch(() => {});
        removeTree(pdir);
      });
      try {
        await lib.exec("podman", [...base, "info"], { env });
      } catch (err) {
        podman.unavailable = (err as Error).message.split("\n").slice(-3).join(" ").slice(0, 300);
      }
    }

    // (d) docker: a dockerd of the bench's own.
    const docker: Peer = {
      name: "docker pull",
      times: [],
      rss: [],
      pull: async () => ({ stdout: "", seconds: 0, rssKiB: 0 }),
      reset: async () => {},
    };
    peers.push(docker);
    const daemon = await lib.startBenchDockerd(work, [host], cleanups);
    const dockerd = daemon.child;
    if (daemon.unavailable !== undefined) docker.unavailable = daemon.unavailable;
    else {
      const H = daemon.H;
      docker.pull = () => lib.exec("docker", [...H, "pull", image]);
      docker.reset = async () => {
        await lib.exec("docker", [...H, "rmi", "-f", image]);
        await lib.exec("docker", [...H, "image", "prune", "-a", "-f"]);
      };
    }

    for (const p of peers) if (p.unavailable) console.log(`${p.name}: unavailable: ${p.unavailable}`);

    // 3. The runs, interleaved.
    const finished = await lib.runInterleaved(peers, runs, {
      label: (p) => p.name,
      run: (p, i) => p.pull(i),
      reset: (p, i) => p.reset(i),
    });
    if (!finished) return;
    if (dockerd?.pid !== undefined) {
      const hwm = lib.vmHwmKiB(dockerd.pid);
      if (hwm !== undefined) docker.rssNote = `dockerd ${(hwm / 1024).toFixed(1)}`;
    }

    // 4. The table and the ratios.
    const mb = (kib: number) => (kib / 1024).toFixed(1);
    const medians = lib.printResultsTable(peers, runs);
    lib.printRatios(medians, "wharf pull", [
      ["skopeo copy", "skopeo", " (goal <= 2.0)"],
      ["podman pull", "podman", " (goal <= 0.25)"],
      ["docker pull", "docker", ""],
    ]);
    const wharfPeer = peers[0]!;
    const wharfRss = wharfPeer.rss.length > 0 ? `${mb(Math.max(...wharfPeer.rss))} MB` : "n/a";
    console.log(`wharf peak RSS: ${wharfRss} (goal < 150 MB)`);
    console.log(
      `runs: ${runs}; RSS by ${lib.haveTime ? "/usr/bin/time -f %M" : "VmHWM polled from /proc"} (max over runs); ` +
        `wharf CLI: ${cli.label}; whole bench ${((performance.now() - benchStart) / 1000).toFixed(0)} s`,
    );
  } finally {
    await cleanup();
  }
}

await main();
