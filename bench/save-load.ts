/**
 * Save/load benchmark: the nodeapp image (~115 MB gzip, 3 layers) saved to a docker-archive and
 * loaded back, by wharf, docker (a dockerd of the bench's own, overlay2) and skopeo.
 *
 *   node bench/save-load.ts [--runs N] [--cache DIR] [--dir DIR] [--cli auto|dist|src] [--no-setup]
 *
 * - wharf: `wharf save -o FILE nodeapp:latest` from a store holding the image; `wharf load -i FILE`
 *   (the archive wharf saved) into an empty store.
 * - docker: `docker save -o FILE`; `docker load -i FILE` after `docker rmi` + prune (untimed).
 * - skopeo (no local store; its nearest equivalents): `skopeo copy oci:LAYOUT docker-archive:FILE` as
 *   its save, `skopeo copy docker-archive:FILE oci:DIR` as its load.
 * Runs are interleaved (drift affects all alike); medians of --runs (default 5) and ratios printed.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import * as lib from "./lib.ts";

interface Step {
  tool: string;
  op: "save" | "load";
  times: number[];
  rss: number[];
  unavailable?: string;
  run(i: number): Promise<lib.ExecResult>;
  /** Untimed, after each run. */
  reset(i: number): Promise<void>;
}

async function main(): Promise<void> {
  const { values, runs } = lib.parseNodeappBenchArgs();
  const { cleanups, cleanup } = lib.cleanupOnExit();
  try {
    const { layout, work } = await lib.prepareNodeappBench(values, cleanups, "wharf-bench-save-");
    const cli = await lib.chooseCli(values.cli);
    console.log(`wharf: ${relative(lib.REPO, cli.script)} [${cli.label}], node ${process.version}`);
    const wharf = (args: string[]) => {
      const c = lib.wharfCommand(cli.script, args);
      return lib.exec(c.cmd, c.args, { env: c.env, measureRss: true });
    };
    const image = "nodeapp:latest";
    const steps: Step[] = [];

    // wharf: a store with the image, untimed.
    const source = join(work, "wharf-src");
    await wharf(["--root", source, "copy", "-q", `oci:${layout}:latest`, image]);
    const wharfArchive = join(work, "wharf.tar");
    // Once untimed: docker is prepared from it, and the first load step reads it.
    await wharf(["--root", source, "save", "-o", wharfArchive, image]);
    steps.push({
      tool: "wharf",
      op: "save",
      times: [],
      rss: [],
      run: () => wharf(["--root", source, "save", "-o", wharfArchive, image]),
      reset: async () => undefined,
    });
    const wharfLoadRoot = (i: number) => join(work, `wharf-load-${i}`);
    steps.push({
      tool: "wharf",
      op: "load",
      times: [],
      rss: [],
      run: (i) => wharf(["--root", wharfLoadRoot(i), "load", "-i", wharfArchive]),
      reset: async (i) => lib.removeTree(wharfLoadRoot(i)),
    });

    // docker
    const daemon = await lib.startBenchDockerd(work, [], cleanups);
    const docker = (args: string[]) => lib.exec("docker", [...daemon.H, ...args]);
    const dockerArchive = join(work, "docker.tar");
    const dockerSteps: Step[] = [
      {
        tool: "docker",
        op: "save",
        times: [],
        rss: [],
        run: () => docker(["save", "-o", dockerArchive, image]),
        reset: async () => undefined,
      },
      {
        tool: "docker",
        op: "load",
        times: [],
        rss: [],
        run: () => docker(["load", "-i", dockerArchive]),
        reset: async () => undefined,
      },
    ];
    if (daemon.unavailable) for (const s of dockerSteps) s.unavailable = daemon.unavailable;
    else
      await docker(["load", "-i", wharfArchive]).catch((err: Error) => {
        for (const s of dockerSteps) s.unavailable = `docker load of wharf's archive failed: ${err.message}`;
      });
    steps.push(...dockerSteps);

    // skopeo
    const skopeoArchive = join(work, "skopeo.tar");
    const skopeoOut = (i: number) => join(work, `skopeo-load-${i}`);
    steps.push(
      {
        tool: "skopeo",
        op: "save",
        times: [],
        rss: [],
        run: () =>
          lib.exec(
            "skopeo",
            ["copy", "-q", `oci:${layout}:latest`, `docker-archive:${skopeoArchive}:${image}`],
            {
              measureRss: true,
            },
          ),
        reset: async () => rmSync(skopeoArchive, { force: true }),
      },
      {
        tool: "skopeo",
        op: "load",
        times: [],
        rss: [],
        run: async (i) => {
          if (!lib.commandExists("skopeo")) throw new Error("skopeo is not installed");
          // Its archive from a save outside the timing.
          await lib.exec("skopeo", [
            "copy",
            "-q",
            `oci:${layout}:latest`,
            `docker-archive:${skopeoArchive}:${image}`,
          ]);
          mkdirSync(skopeoOut(i), { recursive: true });
          return lib.exec(
            "skopeo",
            ["copy", "-q", `docker-archive:${skopeoArchive}`, `oci:${skopeoOut(i)}:latest`],
            {
              measureRss: true,
            },
          );
        },
        reset: async (i) => {
          lib.removeTree(skopeoOut(i));
          rmSync(skopeoArchive, { force: true });
        },
      },
    );

    const finished = await lib.runInterleaved(steps, runs, {
      label: (s) => `${s.tool} ${s.op}`,
      run: (s, i) => s.run(i),
      reset: async (s, i) => {
        // docker: the image goes again before each load (untimed).
        if (s.tool === "docker" && s.op === "save" && !s.unavailable) {
          await docker(["rmi", "-f", image]);
          await docker(["image", "prune", "-a", "-f"]);
        }
        await s.reset(i);
      },
    });
    if (!finished) return;

    console.log("");
    console.log(
      `${"step".padEnd(14)} ${"median s".padStart(9)} ${"min s".padStart(7)} ${"max s".padStart(7)}  peak RSS MB`,
    );
    const medians = new Map<string, number>();
    for (const s of steps) {
      const name = `${s.tool} ${s.op}`;
      if (s.times.length < runs) {
        console.log(`${name.padEnd(14)} unavailable: ${s.unavailable ?? "no runs"}`);
        continue;
      }
      const med = lib.median(s.times);
      medians.set(name, med);
      const rss = s.rss.length > 0 ? (Math.max(...s.rss) / 1024).toFixed(1) : "n/a (daemon)";
      console.log(
        `${name.padEnd(14)} ${med.toFixed(3).padStart(9)} ${Math.min(...s.times)
          .toFixed(3)
          .padStart(7)} ${Math.max(...s.times)
          .toFixed(3)
          .padStart(7)}  ${rss}`,
      );
    }
    console.log("");
    for (const op of ["save", "load"]) {
      const w = medians.get(`wharf ${op}`);
      for (const peer of ["docker", "skopeo"]) {
        const o = medians.get(`${peer} ${op}`);
        console.log(
          `wharf/${peer} ${op} time: ${w === undefined || o === undefined ? "n/a" : (w / o).toFixed(2)}`,
        );
      }
    }
    console.log(`runs: ${runs}; wharf CLI: ${cli.label}`);
  } finally {
    await cleanup();
  }
}

await main();
