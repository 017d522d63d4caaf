/**
 * Readers of the store against writers of it, as separate wharf processes: in every round `image
 * prune -f`, `image prune -a -f --filter label=...` and `images --filter label=...` (which read
 * every image's config), `images`, `system df`, `system check`, `inspect`,
 * `history`, `save -o` and `push` (to a real distribution registry) of images that stay run at the
 * same time as `rmi` of other images (whose garbage collection removes their configs and layers),
 * `tag`, and `pull` / `load` that bring the removed images back. Every command must exit 0: a
 * reader that lists records and then reads blobs must never fail because another process removed
 * an image meanwhile. At the end `wharf system check` is clean.
 *
 * The images are distinct (each its own config and layer), so an rmi really makes GC sweep blobs.
 * Each comes back by pull or load with layer sizes the store does not know yet, so the next readers
 * read its layer between reading the records and reading configs: the window in which they met
 * a config removed under them.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { startDistribution } from "../helpers/distribution.ts";
import { writeRandomLayout } from "../helpers/random-image.ts";
import { type Finished, wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";
import { tool } from "../helpers/tools.ts";

const CHURN = 6;
const STABLE = 3;
const ROUNDS = Number(process.env.WHARF_RACE_ROUNDS ?? 15);
const LAYER_MIB = 6;

/** A layout of one image: one plain-tar layer of random bytes and a config of its own. */
async function writeLayout(dir: string, name: string, labels: Record<string, string>): Promise<void> {
  await writeRandomLayout(dir, [LAYER_MIB * 1024], {
    gzip: false,
    labels: { ...labels, "wharf.test.name": name },
  });
}

test("readers never fail while other processes remove, tag, pull and load images", {
  timeout: 240_000,
}, async () => {
  const dir = tempDir("wharf-readers-race-");
  const root = join(dir, "store");
  const env = { ...process.env, WHARF_ROOT: root, DOCKER_CONFIG: join(dir, "docker") };
  const registry = await startDistribution();
  const host = registry.host;
  const churn = (i: number) => `${host}/churn:${i}`;
  const stable = (j: number) => `${host}/stable:${j}`;
  const archive = (i: number) => join(dir, `churn-${i}.tar`);

  const failures: string[] = [];
  let round = -1;
  const cli = async (args: string[], label = args.join(" ")): Promise<Finished> => {
    const done = await wharf(args, { env });
    if (done.code !== 0)
      failures.push(`round ${round}: ${label}: exit ${done.code}\n${done.stdout}${done.stderr}`);
    return done;
  };
  const must = async (args: string[]) => {
    const done = await wharf(args, { env });
    assert.equal(done.code, 0, `wharf ${args.join(" ")}: ${done.stderr}`);
  };

  // The images, in the registry (skopeo) and then in the store (pull); the churned ones also saved.
  const layouts: Promise<void>[] = [];
  for (let i = 0; i < CHURN; i++)
    layouts.push(writeLayout(join(dir, `churn-${i}`), `churn-${i}`, { role: "churn" }));
  for (let j = 0; j < STABLE; j++)
    layouts.push(writeLayout(join(dir, `stable-${j}`), `stable-${j}`, { role: "stable" }));
  await Promise.all(layouts);
  const copy = (layout: string, to: string) =>
    tool("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", `oci:${layout}:latest`, `docker://${to}`]);
  for (let i = 0; i < CHURN; i++) await copy(join(dir, `churn-${i}`), churn(i));
  for (let j = 0; j < STABLE; j++) await copy(join(dir, `stable-${j}`), stable(j));
  for (let i = 0; i < CHURN; i++) await must(["pull", "-q", churn(i)]);
  for (let j = 0; j < STABLE; j++) await must(["pull", "-q", stable(j)]);
  for (let i = 0; i < CHURN; i++) await must(["save", "-o", archive(i), churn(i)]);

  // Round r removes pair r (of CHURN / 2 pairs) and brings back pair r - 1, one by pull, one by load.
  const pairs = CHURN / 2;
  const pair = (r: number) => [(2 * r) % CHURN, (2 * r + 1) % CHURN] as const;
  await must(["rmi", churn(pair(-1 + pairs)[0]), churn(pair(-1 + pairs)[1])]);
  for (let r = 0; r < ROUNDS; r++) {
    round = r;
    const [a, b] = pair(r);
    const [c, d] = pair(r - 1 + pairs);
    const out = join(dir, `saved-${r}.tar`);
    await Promise.all([
      cli(["rmi", churn(a)]),
      cli(["rmi", churn(b)]),
      cli(["pull", "-q", churn(c)]),
      cli(["load", "-q", "-i", archive(d)]),
      cli(["tag", stable(r % STABLE), `${host}/stable:alias`]),
      cli(["image", "prune", "-f"]),
      // Every image a candidate, so every config read (none matches: nothing is pruned).
      cli(["image", "prune", "-a", "-f", "--filter", "label=role=none"]),
      cli(["images"]),
      cli(["images", "--filter", "label=role=stable"]),
      cli(["inspect", "--format", '{{.Id}} {{index .Config.Labels "role"}}', stable(0)]),
      cli(["history", stable(1)]),
      cli(["save", "-o", out, stable(2), stable((r + 1) % STABLE)]),
      cli(["push", "-q", stable(r % STABLE)]),
      cli(["system", "df"]),
      // Reads every record and hashes every blob while they go: reports only real damage.
      cli(["system", "check"]),
    ]);
  }
  assert.deepEqual(failures, [], failures.join("\n"));

  // What must be there is there: every stable image, and every churned one but the last pair.
  const listed = await wharf(["images", "--format", "{{.Repository}}:{{.Tag}}"], { env });
  assert.equal(listed.code, 0, listed.stderr);
  const names = new Set(listed.stdout.trim().split("\n"));
  const [x, y] = pair(ROUNDS - 1);
  for (let i = 0; i < CHURN; i++) assert.equal(names.has(churn(i)), i !== x && i !== y, churn(i));
  for (let j = 0; j < STABLE; j++) assert.ok(names.has(stable(j)), stable(j));
  const check = await wharf(["system", "check"], { env });
  assert.equal(check.code, 0, check.stdout + check.stderr);
});
