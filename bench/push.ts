/**
 * Push benchmark: the nodeapp image (~115 MB gzip, 3 layers) pushed to an EMPTY local distribution
 * registry by `wharf push` (from its store), `skopeo copy` (from the OCI layout) and `docker push`
 * (from a dockerd of the bench's own), side by side.
 *
 *   node bench/push.ts [--runs N] [--cache DIR] [--dir DIR] [--cli auto|dist|src] [--no-setup]
 *
 * - The image is built once (../shared/fixtures/make-nodeapp.sh, cached in ~/.cache/wharf-bench) and
 *   put on a seed registry, from which wharf and dockerd pull it (untimed) into their stores.
 * - Every timed push goes to a fresh docker-registry (new storage, the same port, logging off),
 *   started before and stopped after it: no blob is there, nothing can be skipped or mounted. wharf's
 *   blob info cache is emptied before each of its runs, so it tries no stale mounts either.
 * - Runs are interleaved (wharf, skopeo, docker, wharf, ...); medians, min, max, peak RSS of wharf and
 *   skopeo (/usr/bin/time -f %M), and the ratios. "MB" is 2^20 bytes.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import * as lib from "./lib.ts";

const _BENCH_DIR = import.meta.dirname;

interface Peer extends lib.PeerFigures {
  /** Untimed: whatever must happen before a push to the fresh registry at `target`. */
  prepare(): Promise<void>;
  /** One timed push to `target`. */
  push(): Promise<lib.ExecResult>;
}

async function main(): Promise<void> {
  const { values, runs } = lib.parseNodeappBenchArgs();
  const benchStart = performance.now();
  const { cleanups, cleanup } = lib.cleanupOnExit();
  try {
    const { layout, work } = await lib.prepareNodeappBench(values, cleanups, "wharf-bench-push-");

    // The seed registry: where wharf and dockerd get the image from.
    const { host: seed, image: source } = await lib.startNodeappRegistry(work, layout, cleanups);
    const target = `127.0.0.1:${await lib.freePort()}`;
    const pushed = `${target}/nodeapp:latest`;
    console.log(`seed registry ${seed}; each push goes to a fresh registry on ${target}`);

    const cli = await lib.chooseCli(values.cli);
    console.log(`wharf: ${relative(lib.REPO, cli.script)} [${cli.label}], node ${process.version}`);
    const wharfRoot = join(work, "wharf");
    const wharf = (...args: string[]) => {
      const c = lib.wharfCommand(cli.script, ["--root", wharfRoot, ...args]);
      return { cmd: c.cmd, args: c.args, env: c.env };
    };
    const pull = wharf("pull", "-q", source);
    await lib.exec(pull.cmd, pull.args, { env: pull.env });

    const peers: Peer[] = [
      {
        name: "wharf push",
        times: [],
        rss: [],
        prepare: async () => {
          for (const f of ["blob-info.db", "blob-info.db-wal", "blob-info.db-shm"])
            rmSync(join(wharfRoot, f), { force: true });
          const tag = wharf("tag", source, pushed);
          await lib.exec(tag.cmd, tag.args, { env: tag.env });
        },
        push: () => {
          const c = wharf("push", pushed);
          return lib.exec(c.cmd, c.args, { env: c.env, measureRss: true });
        },
      },
      {
        name: "skopeo copy",
        times: [],
        rss: [],
        prepare: async () => {},
        push: () =>
          lib.exec(
            "skopeo",
            ["copy", "--quiet", "--dest-tls-verify=false", `oci:${layout}:latest`, `docker://${pushed}`],
            { measureRss: true },
          ),
      },
    ];
    const docker: Peer = {
      name: "docker push",
      times: [],
      rss: [],
      prepare: async () => {},
      push: async () => ({ stdout: "", seconds: 0, rssKiB: 0 }),
      rssNote: "n/a (daemon)",
    };
    peers.push(docker);
    const daemon = await lib.startBenchDockerd(work, [seed, target], cleanups);
    if (daemon.unavailable !== undefined) docker.unavailable = daemon.unavailable;
    else {
      await lib.exec("docker", [...daemon.H, "pull", "-q", source]);
      docker.prepare = async () => {
        await lib.exec("docker", [...daemon.H, "tag", source, pushed]);
      };
      docker.push = () => lib.exec("docker", [...daemon.H, "push", "-q", pushed]);
    }
    for (const p of peers) if (p.unavailable) console.log(`${p.name}: unavailable: ${p.unavailable}`);

    // The runs: each push into a registry started empty for it.
    const finished = await lib.runInterleaved(peers, runs, {
      label: (p) => p.name,
      run: async (p, i) => {
        const storage = join(work, `target-${i}-${p.name.replace(/\W/g, "")}`);
        const config = `${storage}.yml`;
        writeFileSync(config, lib.distributionConfig(storage, target));
        const registry = await lib.startRegistry(
          "docker-registry",
          "docker-registry",
          ["serve", config],
          target,
          process.env,
          cleanups,
        );
        try {
          await p.prepare();
          return await p.push();
        } finally {
          await lib.stopChild(registry.child);
          lib.removeTree(storage);
        }
      },
    });
    if (!finished) return;

    const medians = lib.printResultsTable(peers, runs);
    lib.printRatios(medians, "wharf push", [
      ["skopeo copy", "skopeo", " (goal <= 1.0)"],
      ["docker push", "docker", ""],
    ]);
    console.log(
      `runs: ${runs}; wharf CLI: ${cli.label}; whole bench ${((performance.now() - benchStart) / 1000).toFixed(0)} s`,
    );
  } finally {
    await cleanup();
  }
}

await main();
