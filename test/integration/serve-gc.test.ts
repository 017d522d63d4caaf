/**
 * `wharf serve gc` against the storage of a running `wharf serve`: unreferenced blobs go (after the
 * grace period), everything a kept manifest needs stays pullable; --delete-untagged removes what no
 * tag reaches; --dry-run changes nothing.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { BUSYBOX_LAYOUT, BUSYBOX_MULTI_LAYOUT } from "../helpers/distribution.ts";
import { wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";
import { tool } from "../helpers/tools.ts";
import { startWharfServe } from "../helpers/wharf-serve.ts";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const served = await startWharfServe();
const base = `http://${served.host}/v2`;
const gc = (...args: string[]) => wharf(["serve", "gc", "--storage", served.storage, ...args]);
/** The running server trusts its lookups for 2 s (docs/SERVE.md): then what gc deleted shows. */
const afterCaches = () => sleep(2100);
const status = async (url: string, init: RequestInit = {}) => {
  const res = await fetch(url, init);
  await res.body?.cancel();
  return res.status;
};

async function push(layout: string, ref: string, all = false) {
  await tool("skopeo", [
    "copy",
    "--quiet",
    ...(all ? ["--all"] : []),
    "--dest-tls-verify=false",
    `oci:${layout}:latest`,
    `docker://${served.host}/${ref}`,
  ]);
}

test("gc: dry run, grace period, sweep, and --delete-untagged", async () => {
  await push(BUSYBOX_LAYOUT, "solo:latest");
  await push(BUSYBOX_MULTI_LAYOUT, "multi:latest", true);
  const stray = Buffer.from("a blob no manifest names");
  const strayDigest = `sha256:${createHash("sha256").update(stray).digest("hex")}`;
  assert.equal(
    await status(`${base}/solo/blobs/uploads/?digest=${strayDigest}`, { method: "POST", body: stray }),
    201,
  );

  const dry = await gc("--dry-run", "--grace", "0s");
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, new RegExp(`blob eligible for deletion: ${strayDigest}`));
  assert.match(dry.stdout, /would delete 0 manifests, 1 blobs/);
  assert.equal(
    await status(`${base}/solo/blobs/${strayDigest}`, { method: "HEAD" }),
    200,
    "a dry run deletes nothing",
  );

  const young = await gc();
  assert.match(
    young.stdout,
    /deleted 0 manifests, 0 blobs .* 1 unreferenced blobs kept for the grace period/,
  );
  assert.equal(await status(`${base}/solo/blobs/${strayDigest}`, { method: "HEAD" }), 200);

  const swept = await gc("--grace", "0s");
  assert.match(swept.stdout, /deleted 0 manifests, 1 blobs/);
  await afterCaches();
  assert.equal(await status(`${base}/solo/blobs/${strayDigest}`, { method: "HEAD" }), 404);
  const root = tempDir("wharf-gc-pull-");
  for (const ref of ["solo:latest", "multi:latest"]) {
    const pulled = await wharf(["--root", root, "pull", `${served.host}/${ref}`]);
    assert.equal(pulled.code, 0, pulled.stdout + pulled.stderr);
  }

  // Untag solo: its manifest and config go; the layers it shares with multi's amd64 image stay.
  const manifest = await fetch(`${base}/solo/manifests/latest`, { headers: { accept: OCI_MANIFEST } });
  const soloDigest = manifest.headers.get("docker-content-digest")!;
  const config = ((await manifest.json()) as { config: { digest: string } }).config.digest;
  assert.equal(await status(`${base}/solo/manifests/latest`, { method: "DELETE" }), 202);
  const untagged = await gc("--delete-untagged", "--grace", "0s");
  assert.equal(untagged.code, 0, untagged.stderr);
  assert.match(untagged.stdout, new RegExp(`manifest eligible for deletion: solo@${soloDigest}`));
  await afterCaches();
  assert.equal(await status(`${base}/solo/manifests/${soloDigest}`), 404);
  assert.equal(
    await status(`${base}/multi/blobs/${config}`, { method: "HEAD" }),
    200,
    "multi's amd64 config is the same blob",
  );
  const again = await wharf(["--root", tempDir("wharf-gc-pull2-"), "pull", `${served.host}/multi:latest`]);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  const check = await wharf(["--root", root, "system", "check"]);
  assert.equal(check.code, 0);
});

test("gc: a bad --grace is a usage error", async () => {
  const r = await gc("--grace", "soon");
  assert.equal(r.code, 125);
  assert.match(r.stderr, /invalid duration "soon"/);
});
