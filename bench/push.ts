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
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import * as lib from "./lib.ts";

const BENCH_DIR = import.meta.dirname;

interface Peer {
  name: string;
  unavailable?: string;
  times: number[];
  rss: number[];
  /** Untimed: whatever must happen before a push to the fresh registry at `target`. */
  prepare(): Promise<void>;
  /** One timed push to `target`. */
  push(): Promise<lib.ExecResult>;
}

async function main(): Promise<void> {
  const { values, runs } = lib.parseBenchArgs(5, {
    cache: { type: "string", default: join(homedir(), ".cache", "wharf-bench") },
  });
  const benchStart = performance.now();
  const { cleanups, cleanup } = lib.cleanupOnExit();
  try {
    if (!values["no-setup"]) {
      await lib.exec("bash", [join(BENCH_DIR, "setup-peers.sh")], { inherit: true });
    }
    const { layout, imageBytes } = await lib.ensureNodeapp(resolve(values.cache));
    console.log(`image: ${layout} (${(imageBytes / 1e6).toFixed(1)} MB of blobs)`);
    const work = mkdtempSync(join(values.dir ? resolve(values.dir) : tmpdir(), "wharf-bench-push-"));
    cleanups.push(() => lib.removeTree(work));

    // The seed registry: where wharf and dockerd get the image from.
    const seed = `127.0.0.1:${await lib.freePort()}`;
    writeFileSync(join(work, "seed.yml"), lib.distributionConfig(join(work, "seed"), seed));
    await lib.startRegistry(
      "docker-registry",
      "docker-registry",
      ["serve", join(work, "seed.yml")],
      seed,
      process.env,
      cleanups,
    );
    await lib.exec("skopeo", [
      "copy",
      "--quiet",
      "--dest-tls-verify=false",
      `oci:${layout}:latest`,
      `docker://${seed}/nodeapp:latest`,
    ]);
    const source = `${seed}/nodeapp:latest`;
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
    for (let i = 0; i < runs; i++) {
      const line: string[] = [];
      for (const p of peers) {
        if (lib.interrupted) return;
        if (p.unavailable) continue;
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
          const r = await p.push();
          p.times.push(r.seconds);
          if (r.rssKiB !== undefined) p.rss.push(r.rssKiB);
          line.push(`${p.name} ${r.seconds.toFixed(2)}s`);
        } catch (err) {
          if (lib.interrupted) return;
          const msg = (err as Error).message;
          p.unavailable = `failed in run ${i + 1}: ${msg.split("\n").slice(-3).join(" | ").slice(0, 600)}`;
          line.push(`${p.name} FAILED`);
        } finally {
          await lib.stopChild(registry.child);
          lib.removeTree(storage);
        }
      }
      console.log(`run ${i + 1}/${runs}: ${line.join(", ")}`);
    }

    const mb = (kib: number) => (kib / 1024).toFixed(1);
    console.log("");
    console.log(
      `${"tool".padEnd(12)} ${"median s".padStart(9)} ${"min s".padStart(7)} ${"max s".padStart(7)}  ${"peak RSS MB".padStart(11)}`,
    );
    const medians = new Map<string, number>();
    for (const p of peers) {
      if (p.times.length < runs) {
        console.log(`${p.name.padEnd(12)} unavailable: ${p.unavailable ?? "no runs"}`);
        continue;
      }
      const med = lib.median(p.times);
      medians.set(p.name, med);
      const rss = p.rss.length > 0 ? mb(Math.max(...p.rss)) : "n/a (daemon)";
      console.log(
        `${p.name.padEnd(12)} ${med.toFixed(3).padStart(9)} ${Math.min(...p.times)
          .toFixed(3)
          .padStart(7)} ${Math.max(...p.times)
          .toFixed(3)
          .padStart(7)}  ${rss.padStart(11)}`,
      );
    }
    console.log("");
    const w = medians.get("wharf push");
    for (const [peer, label, goal] of [
      ["skopeo copy", "skopeo", " (goal <= 1.0)"],
      ["docker push", "docker", ""],
    ] as const) {
      const o = medians.get(peer);
      console.log(
        `wharf/${label} time: ${w === undefined || o === undefined ? "n/a" : (w / o).toFixed(2)}${goal}`,
      );
    }
    console.log(
      `runs: ${runs}; wharf CLI: ${cli.label}; whole bench ${((performance.now() - benchStart) / 1000).toFixed(0)} s`,
    );
  } finally {
    await cleanup();
  }
}

await main();
