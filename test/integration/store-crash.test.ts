/**
 * A wharf process ingesting a large blob and writing image records is SIGKILLed at a random moment,
 * 50 times over. After every kill `wharf system check` must pass and the interrupted work must then
 * complete; no partial blob may ever be visible.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Store } from "../../src/store/index.ts";
import { run, STORE_WORKER, start, waitForLine, wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";

const KILLS = 50;

test(`store survives ${KILLS} SIGKILLs at random moments`, { timeout: 600_000 }, async () => {
  const root = tempDir();
  // Calibrate: how long the work of one uninterrupted run takes here, from the store being open. The
  // shortest of three: one slow run (a busy machine) would put most kills after the work is done.
  let workMs = Number.POSITIVE_INFINITY;
  for (const seed of [-2, -1, 0]) {
    const calibration = start(STORE_WORKER, ["crash", root, String(seed)]);
    await waitForLine(calibration.child, "opened");
    const t0 = performance.now();
    const first = await calibration.done;
    assert.equal(first.code, 0, first.stderr);
    workMs = Math.min(workMs, performance.now() - t0);
  }

  let killedMidway = 0;
  let partials = 0;
  let resumed = 0;
  for (let seed = 1; seed <= KILLS; seed += 1) {
    const { child, done } = start(STORE_WORKER, ["crash", root, String(seed)]);
    await waitForLine(child, "opened");
    // Within the first 70% of the work: runs vary in length, and a kill after the end tests nothing.
    await sleep(Math.random() * workMs * 0.7);
    child.kill("SIGKILL");
    const killed = await done;
    if (killed.signal === "SIGKILL") killedMidway += 1;
    else assert.equal(killed.code, 0, killed.stderr);

    const check = await wharf(["system", "check", "--root", root]);
    assert.equal(check.code, 0, `after kill ${seed}: ${check.stdout}${check.stderr}`);
    assert.match(check.stdout, /no problems/);
    if (readdirSync(join(root, "ingest")).length > 0) partials += 1;

    const rerun = await run(STORE_WORKER, ["crash", root, String(seed)]);
    assert.equal(rerun.code, 0, `rerun ${seed}: ${rerun.stderr}`);
    if (/"resumedFrom":[1-9]/.test(rerun.stdout)) resumed += 1;
  }
  const final = await wharf(["system", "check", "--root", root]);
  assert.equal(final.code, 0, final.stdout);
  const store = await Store.open({ root });
  const latest = store.read((r) => r.byTag("docker.io/library/crash:latest"));
  assert.ok(latest?.tags.some((t) => t.name === `docker.io/library/crash:${KILLS}`));
  store.close();
  // The kills must really have landed mid-run for the test to mean anything.
  assert.ok(killedMidway >= KILLS * 0.6, `only ${killedMidway} of ${KILLS} kills interrupted the worker`);
  // Some kills must land inside the blob ingest, and those must resume rather than start over.
  assert.ok(partials > 0 && resumed > 0, `partial ingests ${partials}, resumed ${resumed}`);
  process.stdout.write(
    `# killed mid-run ${killedMidway}/${KILLS}; partial ingests ${partials}; resumed ${resumed}\n`,
  );
});
