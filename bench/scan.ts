/**
 * Scan benchmark: `wharf scan` of the nodeapp image (../shared/fixtures/make-nodeapp.sh: Debian
 * packages, node and npm, an app with ~11k files of node_modules) in a store of its own, against the
 * OSV records of ../shared/fixtures/osv.
 *
 *   node bench/scan.ts [--runs N] [--cache DIR] [--dir DIR] [--cli auto|dist|src]
 *
 * - cold: the layer cache emptied before each run (every layer read and catalogued);
 *   warm: the same scan again (the inventory from the layer cache, only the match runs).
 * - No peer: none of trivy, grype, syft or osv-scanner is packaged in Debian 12 (PEERS.md), so the
 *   figures are printed beside the goals (cold under 2 s, warm under 0.3 s), with what the
 *   scan found (packages per cataloger, findings) so that a fast scan that finds nothing shows.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import * as lib from "./lib.ts";

const GOAL = { cold: 2, warm: 0.3 };

const { values, runs } = lib.parseBenchArgs(5, {
  cache: { type: "string", default: join(homedir(), ".cache", "wharf-bench") },
});
const { cleanups, cleanup } = lib.cleanupOnExit();

try {
  const { layout } = await lib.ensureNodeapp(values.cache);
  const cli = await lib.chooseCli(values.cli);
  const dir = values.dir ?? mkdtempSync(join(tmpdir(), "wharf-bench-scan-"));
  if (!values.dir) cleanups.push(() => lib.removeTree(dir));
  const root = join(dir, "root");
  const wharf = (args: string[]) => {
    const c = lib.wharfCommand(cli.script, ["--root", root, ...args]);
    return lib.exec(c.cmd, c.args, { env: c.env });
  };
  await wharf(["copy", "-q", `oci:${layout}:latest`, "wharf:nodeapp:latest"]);
  await wharf(["scan", "db", "import", join(lib.REPO, "../shared/fixtures/osv/osv-scanner")]);
  const times = { cold: [] as number[], warm: [] as number[] };
  let report = "";
  for (let i = 0; i < runs; i++) {
    rmSync(join(root, "scan", "layers"), { recursive: true, force: true });
    for (const phase of ["cold", "warm"] as const) {
      const t0 = performance.now();
      const r = await wharf(["scan", "--format", "json", "nodeapp:latest"]);
      times[phase].push((performance.now() - t0) / 1000);
      report = r.stdout;
    }
    console.log(
      `run ${i + 1}/${runs}: cold ${times.cold.at(-1)!.toFixed(2)} s, warm ${times.warm.at(-1)!.toFixed(2)} s`,
    );
  }
  const results = JSON.parse(report).Results as { Target: string; Vulnerabilities?: unknown[] }[];
  console.log("\nwhat the scan found (targets with their findings):");
  for (const r of results) console.log(`  ${r.Target}: ${r.Vulnerabilities?.length ?? 0} findings`);
  const cold = lib.median(times.cold);
  const warm = lib.median(times.warm);
  console.log(`\nmedian s      cold     warm`);
  console.log(`wharf scan   ${cold.toFixed(3).padStart(6)}   ${warm.toFixed(3).padStart(6)}`);
  console.log(`goal         ${GOAL.cold.toFixed(3).padStart(6)}   ${GOAL.warm.toFixed(3).padStart(6)}`);
  console.log(
    `wharf/goal   ${(cold / GOAL.cold).toFixed(2).padStart(6)}   ${(warm / GOAL.warm).toFixed(2).padStart(6)}`,
  );
  console.log(`runs: ${runs} (medians); wharf CLI: ${cli.label}`);
} finally {
  await cleanup();
}
