import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { unmountUnder } from "../test/helpers/mounts.ts";
import * as lib from "./lib.ts";

const BENCH_DIR = import.meta.dirname;

function removeTree(dir: string): void {
  unmountUnder(dir);
  rmSync(dir, { recursive: true, force: true });
}

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
  const { values, runs } = lib.parseBenchArgs(5, {
    cache: { type: "string", default: join(homedir(), ".cache", "wharf-bench") },
  });
  const benchStart = performance.now();

  const { cleanups, cleanup } = lib.cleanupOnExit();

  try {
    // 0. Packages.
    if (!values["no-setup"]) {
      await lib.exec("bash", [join(BENCH_DIR, "setup-peers.sh")], { inherit: true });
    }

    // 1. The image, cached outside the repository.
    const { layout, bytes: imageBytes } = await lib.nodeappLayout(resolve(values.cache));
    console.log(`image: ${layout} (${(imageBytes / 1e6).toFixed(1)} MB of blobs)`);

    const work = mkdtempSync(join(values.dir ? resolve(values.dir) : tmpdir(), "wharf-bench-pull-"));
    cleanups.push(() => removeTree(work));

    // The registry.
    const port = await lib.freePort();
    const host = `127.0.0.1:${port}`;
    const regConfig = join(work, "registry.yml");
    writeFileSync(regConfig, lib.distributionConfig(join(work, "registry"), host));
    await lib.startRegistry(
      "docker-registry",
      "docker-registry",
      ["serve", regConfig],
      host,
      process.env,
      cleanups,
    );
    const image = `${host}/nodeapp:latest`;
    const push = await lib.exec("skopeo", [
      "copy",
      "--quiet",
      "--dest-tls-verify=false",
      `oci:${layout}:latest`,
      `docker://${image}`,
    ]);
    console.log(`registry: docker-registry on ${host}, pushed in ${push.seconds.toFixed(2)} s`);

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
    const daemon = await lib.startBenchDockerd(join(work, "docker"), cleanups, [host]);
    const dockerd = daemon.child;
    const H = daemon.H;
    if (daemon.unavailable) docker.unavailable = daemon.unavailable;
    else {
      docker.pull = () => lib.exec("docker", [...H, "pull", image]);
      docker.reset = async () => {
        await lib.exec("docker", [...H, "rmi", "-f", image]);
        await lib.exec("docker", [...H, "image", "prune", "-a", "-f"]);
      };
    }

    for (const p of peers) if (p.unavailable) console.log(`${p.name}: unavailable: ${p.unavailable}`);

    // 3. The runs, interleaved.
    for (let i = 0; i < runs; i++) {
      const line: string[] = [];
      for (const p of peers) {
        if (lib.interrupted) return;
        if (p.unavailable) continue;
        try {
          const r = await p.pull(i);
          p.times.push(r.seconds);
          if (r.rssKiB !== undefined) p.rss.push(r.rssKiB);
          line.push(`${p.name} ${r.seconds.toFixed(2)}s`);
        } catch (err) {
          if (lib.interrupted) return;
          const msg = (err as Error).message;
          console.log(`${p.name} failed in run ${i + 1}:\n${msg}`);
          p.unavailable = `failed in run ${i + 1}: ${msg.split("\n").slice(-3).join(" | ").slice(0, 600)}`;
          line.push(`${p.name} FAILED`);
        }
        try {
          await p.reset(i);
        } catch (err) {
          p.unavailable ??= `could not empty its store: ${(err as Error).message.slice(0, 300)}`;
        }
      }
      console.log(`run ${i + 1}/${runs}: ${line.join(", ")}`);
    }
    if (dockerd?.pid !== undefined) {
      const hwm = lib.vmHwmKiB(dockerd.pid);
      if (hwm !== undefined) docker.rssNote = `dockerd ${(hwm / 1024).toFixed(1)}`;
    }

    // 4. The table and the ratios.
    const mb = (kib: number) => (kib / 1024).toFixed(1);
    console.log("");
    console.log(
      `${"tool".padEnd(14)} ${"median s".padStart(9)} ${"min s".padStart(7)} ${"max s".padStart(7)}  ${"peak RSS MB".padStart(11)}`,
    );
    const medians = new Map<string, number>();
    for (const p of peers) {
      if (p.times.length === 0 || (p.unavailable && p.times.length < runs)) {
        console.log(`${p.name.padEnd(14)} unavailable: ${p.unavailable ?? "no runs"}`);
        continue;
      }
      const med = lib.median(p.times);
      medians.set(p.name, med);
      const rss = p.rss.length > 0 ? mb(Math.max(...p.rss)) : (p.rssNote ?? "n/a");
      console.log(
        `${p.name.padEnd(14)} ${med.toFixed(3).padStart(9)} ${Math.min(...p.times)
          .toFixed(3)
          .padStart(7)} ${Math.max(...p.times)
          .toFixed(3)
          .padStart(7)}  ${rss.padStart(11)}`,
      );
    }
    console.log("");
    const w = medians.get("wharf pull");
    const ratio = (peer: string, label: string, goal: string) => {
      const o = medians.get(peer);
      const value = w === undefined || o === undefined ? "n/a" : (w / o).toFixed(2);
      console.log(`wharf/${label} time: ${value}${goal}`);
    };
    ratio("skopeo copy", "skopeo", " (goal <= 2.0)");
    ratio("podman pull", "podman", " (goal <= 0.25)");
    ratio("docker pull", "docker", "");
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
