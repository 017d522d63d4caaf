/**
 * Build benchmark: `wharf build` of ../shared/fixtures/build/{small,nodeapp} side by side with
 * dockerd 20.10's BuildKit (0.8, through Debian's docker 20.10 client), its legacy builder, buildah
 * 1.28 (`bud --isolation oci --runtime runc`) and podman 4.3 `build` (runc).
 *
 *   node bench/build.ts [--runs N] [--contexts small,nodeapp] [--builders wharf,docker] [--cache DIR] [--dir DIR]
 *                       [--cli auto|dist|src] [--no-setup] [--no-sync]
 *
 * - A docker-registry of the bench's own holds the bases: HOST/busybox:latest (the busybox fixture)
 *   and HOST/nodeapp:latest (the nodeapp image, built once into --cache by make-nodeapp.sh); every
 *   builder pulls both before the runs, so that "cold" finds the base present, as the README measured.
 * - Each run, builder after builder (interleaved, so that drift affects all alike), three timed builds
 *   of a context: cold (the build cache emptied and the built image removed, untimed: docker
 *   `builder prune -af` + `rmi`, buildah/podman `rmi` + `rmi --prune`, wharf `builder prune -af` +
 *   `rmi`, or a fresh WHARF_ROOT with the base pulled into it while wharf has no `builder prune`),
 *   cached (the same build again) and edited (one line appended to a.txt, or to src/mod00/file000.js).
 * - Before each timed build, untimed, `sync` and 2 s of quiet: the dirty pages of the build before it
 *   (another builder's or the same one's) are written back, so that no figure includes another
 *   build's writeback (measured here: 3.5 GB written before an edited nodeapp build made it 1.07 -> 1.7 s).
 *   `--no-sync` leaves them, as the figures before 2026-12-04 were taken.
 * - A cold build that reports cache hits is flagged: its figure would not be a cold one.
 * - wharf failing (e.g. before `wharf build` exists) prints "wharf: failed: <first line>" and the peers
 *   go on. Medians of the runs; ratios wharf/peer; the goal line is the README's BuildKit figures.
 * Everything started is stopped and every temporary store deleted, also on error or Ctrl-C.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, relative } from "node:path";
import {
  type BuildFixture,
  buildahBudArgs,
  copyContextInto,
  DOCKER_20_CLIENT,
  dockerBuildArgs,
} from "../test/helpers/build-peers.ts";
import { pushFixtures } from "../test/helpers/distribution.ts";
import * as lib from "./lib.ts";

const PHASES = ["cold", "cached", "edited"] as const;
type Phase = (typeof PHASES)[number];

/** The file whose one appended line makes the "edited" build (a COPY source of each context). */
const EDITED_FILE: Record<BuildFixture, string> = { small: "a.txt", nodeapp: "src/mod00/file000.js" };

/** fixtures/build/README.md's BuildKit figures: the goal. */
const GOAL: Record<BuildFixture, Record<Phase, number>> = {
  small: { cold: 0.95, cached: 0.17, edited: 0.3 },
  nodeapp: { cold: 4.31, cached: 0.3, edited: 2.62 },
};

/** Output that shows a build reused its cache: BuildKit's CACHED steps, the others' "Using cache". */
const CACHE_HIT = /^#\d+ CACHED$|Using cache|---> Using cache/m;

interface Builder {
  name: string;
  /** Why it does not run (any more), once known. */
  unavailable?: string;
  /** Medians are taken over these, by context and phase. */
  times: Map<string, number[]>;
  /** Untimed, once: the bases pulled into the builder's store. */
  prepare(): Promise<void>;
  /** Untimed: the built image and the build cache gone, the bases kept. */
  reset(context: BuildFixture): Promise<void>;
  /** One timed build; its output (stdout, or stderr progress) for the cold check. */
  build(context: BuildFixture, dir: string): Promise<{ seconds: number; output: string }>;
}

const tagOf = (context: BuildFixture) => `wharf-bench-build-${context}:latest`;

/**
 * `sync`, then a pause: right after a sync the journal commit (and the discards of what the previous
 * build deleted: / is mounted with discard here) still slowed the next build's file operations (a
 * COPY of 2,000 small files 55 -> 200-470 ms), which 2 s of quiet avoided.
 */
async function settle(): Promise<void> {
  await lib.exec("sync", []);
  await new Promise((resolve) => setTimeout(resolve, 2000));
}

/** A command that exits 0 or not at all matters not: set-back steps that may find nothing to remove. */
const quietly = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    () => undefined,
  );

/** A builder's timed build: the command's wall time and all of its output. */
async function timedBuild(cmd: string, args: string[], env: NodeJS.ProcessEnv) {
  const r = await lib.exec("sh", ["-c", '"$0" "$@" 2>&1', cmd, ...args], { env });
  return { seconds: r.seconds, output: r.stdout };
}

/**
 * A containers/storage store for buildah or podman (PEERS.md): ulimits root can raise here, runc,
 * the bench's registry insecure, overlay, and nothing of the machine's own configuration.
 */
function containersStore(dir: string, registry: string): { env: NodeJS.ProcessEnv; base: string[] } {
  const tmp = join(dir, "tmp");
  mkdirSync(tmp, { recursive: true });
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const env = {
    ...process.env,
    CONTAINERS_CONF: file(
      "containers.conf",
      `[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n` +
        `[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n` +
        `events_logfile_path = "${join(dir, "events.log")}"\ntmp_dir = "${tmp}"\n`,
    ),
    CONTAINERS_REGISTRIES_CONF: file(
      "registries.conf",
      `[[registry]]\nlocation = "${registry}"\ninsecure = true\n`,
    ),
    XDG_CONFIG_HOME: join(dir, "config"),
    TMPDIR: tmp,
  };
  return {
    env,
    base: ["--root", join(dir, "root"), "--runroot", join(dir, "runroot"), "--storage-driver", "overlay"],
  };
}

async function main(): Promise<void> {
  const { values, runs } = lib.parseBenchArgs(5, {
    contexts: { type: "string", default: "small,nodeapp" },
    builders: { type: "string", default: "" },
    cache: { type: "string", default: join(homedir(), ".cache", "wharf-bench") },
    "no-sync": { type: "boolean", default: false },
  });
  const contexts = values.contexts.split(",").map((c) => c.trim()) as BuildFixture[];
  for (const c of contexts)
    if (!(c in EDITED_FILE)) throw new Error(`--contexts: no context ${c} (small, nodeapp)`);
  const benchStart = performance.now();
  const { cleanups, cleanup } = lib.cleanupOnExit();

  try {
    // 1. The packages, the nodeapp image, a work directory, the registry with both bases.
    const { layout, work } = await lib.prepareNodeappBench(values, cleanups, "wharf-bench-build-");
    const { host, seconds } = await lib.startNodeappRegistry(work, layout, cleanups);
    await pushFixtures(host);
    console.log(
      `registry: docker-registry on ${host} (nodeapp pushed in ${seconds.toFixed(2)} s, busybox too)`,
    );
    const bases = [
      `${host}/busybox:latest`,
      ...(contexts.includes("nodeapp") ? [`${host}/nodeapp:latest`] : []),
    ];

    // 2. The contexts: writable copies (nodeapp's sources and big.bin generated once).
    const dirs = new Map<BuildFixture, string>();
    const originals = new Map<BuildFixture, string>();
    for (const c of contexts) {
      const dir = join(work, `context-${c}`);
      await copyContextInto(c, dir);
      dirs.set(c, dir);
      originals.set(c, readFileSync(join(dir, EDITED_FILE[c]), "utf8"));
    }
    /** The edited file back as the fixture has it (before every cold build). */
    const restore = (c: BuildFixture) => writeFileSync(join(dirs.get(c)!, EDITED_FILE[c]), originals.get(c)!);

    // 3. The builders.
    const builders: Builder[] = [];
    const newBuilder = (name: string, b: Omit<Builder, "name" | "times">): Builder => {
      const builder = { name, times: new Map<string, number[]>(), ...b };
      builders.push(builder);
      return builder;
    };

    // (a) wharf
    const cli = await lib.chooseCli(values.cli);
    console.log(`wharf: ${relative(lib.REPO, cli.script)} [${cli.label}], node ${process.version}`);
    let wharfRoot = join(work, "wharf-0");
    let roots = 0;
    const wharf = (args: string[]) => {
      const w = lib.wharfCommand(cli.script, args);
      return { ...w, env: { ...w.env, WHARF_ROOT: wharfRoot } };
    };
    const wharfRun = (args: string[]) => {
      const w = wharf(args);
      return lib.exec(w.cmd, w.args, { env: w.env });
    };
    const pullIntoFreshRoot = async () => {
      lib.removeTree(wharfRoot);
      wharfRoot = join(work, `wharf-${++roots}`);
      for (const image of bases) await wharfRun(["pull", "-q", image]);
    };
    cleanups.push(() => lib.removeTree(wharfRoot));
    newBuilder("wharf", {
      prepare: pullIntoFreshRoot,
      async reset(c) {
        try {
          await wharfRun(["builder", "prune", "-af"]);
          await quietly(wharfRun(["rmi", "-f", tagOf(c)]));
        } catch {
          // No `wharf builder prune` yet: an empty store with the bases pulled is the same start.
          await pullIntoFreshRoot();
        }
      },
      build(c, dir) {
        const w = wharf(["build", "--build-arg", `REGISTRY=${host}`, "-t", tagOf(c), dir]);
        return timedBuild(w.cmd, w.args, w.env);
      },
    });

    // (b, c) docker: BuildKit and the legacy builder, one dockerd of the bench's own.
    const daemon = await lib.startBenchDockerd(work, [host], cleanups);
    const dockerEnv = { ...process.env, DOCKER_CONFIG: join(work, "docker-config") };
    const docker = (args: string[]) => lib.exec(DOCKER_20_CLIENT, [...daemon.H, ...args], { env: dockerEnv });
    for (const [name, buildkit] of [
      ["docker BuildKit", "1"],
      ["docker legacy", "0"],
    ] as const) {
      newBuilder(name, {
        ...(daemon.unavailable === undefined ? {} : { unavailable: daemon.unavailable }),
        async prepare() {
          // One image store for both builders: the legacy one finds the bases BuildKit's pull left.
          if (buildkit === "1") for (const image of bases) await docker(["pull", "-q", image]);
        },
        async reset(c) {
          await quietly(docker(["rmi", "-f", tagOf(c)]));
          await docker(["builder", "prune", "-af"]);
          await docker(["image", "prune", "-f"]);
        },
        build: (c, dir) =>
          timedBuild(DOCKER_20_CLIENT, [...daemon.H, ...dockerBuildArgs(dir, tagOf(c), host)], {
            ...dockerEnv,
            DOCKER_BUILDKIT: buildkit,
          }),
      });
    }

    // (d, e) buildah and podman build, each with a store of its own (they share their caches otherwise).
    for (const [name, tool] of [
      ["buildah", "buildah"],
      ["podman build", "podman"],
    ] as const) {
      const dir = join(work, tool);
      const { env, base } = containersStore(dir, host);
      const run = (args: string[]) => lib.exec(tool, [...base, ...args], { env });
      cleanups.push(async () => {
        await quietly(run(tool === "podman" ? ["system", "reset", "-f"] : ["rm", "-a"]));
        lib.removeTree(dir);
      });
      newBuilder(name, {
        ...(lib.commandExists(tool)
          ? {}
          : { unavailable: `${tool} is not installed (bench/setup-peers.sh)` }),
        async prepare() {
          for (const image of bases) await run(["pull", "-q", image]);
        },
        async reset(c) {
          await quietly(run(["rmi", "-f", tagOf(c)]));
          // The layer cache is the untagged intermediate images, which these remove.
          await run(tool === "podman" ? ["image", "prune", "-f"] : ["rmi", "--prune", "-f"]);
        },
        build(c, dir) {
          const args = buildahBudArgs(dir, tagOf(c), host);
          // podman build is buildah's bud under another name; podman caches layers by default.
          return timedBuild(
            tool,
            [...base, ...(tool === "podman" ? ["build", ...args.slice(1)] : args)],
            env,
          );
        },
      });
    }

    // 4. The bases pulled into every builder's store (untimed).
    // --builders wharf,buildkit: only those (names as printed, matched by prefix, any case).
    const only = values.builders
      .split(",")
      .map((n) => n.trim().toLowerCase())
      .filter((n) => n);
    if (only.length > 0) {
      for (const b of builders) {
        if (!only.some((n) => b.name.toLowerCase().startsWith(n))) b.unavailable = "not chosen (--builders)";
      }
    }
    for (const b of builders) {
      if (b.unavailable) continue;
      try {
        await b.prepare();
      } catch (err) {
        b.unavailable = `cannot pull the bases: ${failure(err, "last")}`;
      }
    }
    for (const b of builders) if (b.unavailable) console.log(`${b.name}: unavailable: ${b.unavailable}`);

    // 5. The runs.
    for (let i = 0; i < runs && !lib.interrupted; i++) {
      for (const c of contexts) {
        const line: string[] = [];
        for (const b of builders) {
          if (b.unavailable || lib.interrupted) continue;
          try {
            restore(c);
            await b.reset(c);
            const figures: string[] = [];
            for (const phase of PHASES) {
              if (phase === "edited") appendFileSync(join(dirs.get(c)!, EDITED_FILE[c]), `// edit ${i}\n`);
              // Untimed: the previous build's dirty pages (this builder's or another's) written back
              // and the disk left to settle, so that no build pays for another's I/O.
              if (!values["no-sync"]) await settle();
              const r = await b.build(c, dirs.get(c)!);
              if (phase === "cold" && CACHE_HIT.test(r.output)) {
                console.log(`  warning: ${b.name}'s cold build of ${c} reused its cache`);
              }
              const key = `${c} ${phase}`;
              b.times.set(key, [...(b.times.get(key) ?? []), r.seconds]);
              figures.push(r.seconds.toFixed(2));
            }
            line.push(`${b.name} ${figures.join("/")}s`);
          } catch (err) {
            if (lib.interrupted) break;
            // wharf's first line is its error; a peer's last line is (its own first are progress).
            b.unavailable = `failed: ${failure(err, b.name === "wharf" ? "first" : "last")}`;
            console.log(`${b.name}: ${b.unavailable}`);
            line.push(`${b.name} FAILED`);
          }
        }
        console.log(`run ${i + 1}/${runs} ${c} (cold/cached/edited): ${line.join(", ")}`);
      }
    }
    if (lib.interrupted) return;

    // 6. The table, the ratios, the goal.
    printTable(builders, contexts);
    const goal = (c: BuildFixture) => PHASES.map((p) => GOAL[c][p].toFixed(2)).join("/");
    console.log(
      `goal: wharf at or below docker BuildKit: fixtures/build/README.md has BuildKit ` +
        `${goal("small")} s (small) and ${goal("nodeapp")} s (nodeapp), cold/cached/edited`,
    );
    console.log(
      `runs: ${runs} (medians); ${values["no-sync"] ? "no sync" : "sync and 2 s"} before each build; wharf CLI: ${cli.label}; whole bench ` +
        `${((performance.now() - benchStart) / 1000).toFixed(0)} s`,
    );
  } finally {
    await cleanup();
  }
}

/** A failure in one line: the first or last line of the command's output, else the message's first line. */
function failure(err: unknown, which: "first" | "last"): string {
  const [head = "", ...rest] = (err as Error).message.split("\n");
  const output = rest.filter((l) => l.trim() !== "");
  const line = err instanceof lib.CommandError ? (which === "first" ? output[0] : output.at(-1)) : undefined;
  return (line ?? head).trim().slice(0, 300);
}

/** Medians per builder and figure, then wharf's ratio to each peer per figure. */
function printTable(builders: readonly Builder[], contexts: readonly BuildFixture[]): void {
  const keys = contexts.flatMap((c) => PHASES.map((p) => `${c} ${p}`));
  const label = 22;
  const cell = (s: string) => s.padStart(16);
  const med = (b: Builder, k: string) => {
    const t = b.times.get(k);
    return t === undefined || t.length === 0 ? undefined : lib.median(t);
  };
  console.log("");
  console.log(`${"median s".padEnd(label)}${keys.map(cell).join("")}`);
  for (const b of builders) {
    const row = keys.map((k) => cell(med(b, k)?.toFixed(3) ?? "-")).join("");
    console.log(`${b.name.padEnd(label)}${row}${b.unavailable ? `  (${b.unavailable})` : ""}`);
  }
  const wharf = builders.find((b) => b.name === "wharf");
  console.log("");
  for (const b of builders) {
    if (b === wharf || wharf === undefined) continue;
    const row = keys.map((k) => {
      const w = med(wharf, k);
      const o = med(b, k);
      return cell(w === undefined || o === undefined ? "n/a" : (w / o).toFixed(2));
    });
    console.log(`${`wharf/${b.name}`.padEnd(label)}${row.join("")}`);
  }
  console.log("");
}

await main();
