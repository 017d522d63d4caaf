/**
 * wharf build's fallback where kernel overlayfs cannot be mounted: fuse-overlayfs (chosen here with
 * WHARF_BUILD_OVERLAY=fuse). The same Dockerfile built both ways gives the same layers, entry by
 * entry, and the same config: the upper dir fuse-overlayfs leaves is read by the same differ.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { after, test } from "node:test";
import { copyContext } from "../helpers/build-peers.ts";
import { pushFixtures, startDistribution } from "../helpers/distribution.ts";
import { diffLayers, normaliseConfig, readDockerArchive } from "../helpers/image-contents.ts";
import { unmountUnder } from "../helpers/mounts.ts";
import { wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";

const registry = await startDistribution();
await pushFixtures(registry.host);
const context = await copyContext("small");
const kernelRoot = tempDir("wharf-build-kernel-");
const fuseRoot = tempDir("wharf-build-fuse-");
after(() => [kernelRoot, fuseRoot].forEach(unmountUnder));

let fuseMissing: string | false = false;
try {
  execFileSync("fuse-overlayfs", ["--version"], { stdio: "ignore" });
} catch {
  fuseMissing = "fuse-overlayfs is not installed (scripts/install-test-deps.sh installs it)";
}

async function buildAndSave(root: string, env: NodeJS.ProcessEnv) {
  const built = await wharf(
    [
      "--root",
      root,
      "build",
      "--progress",
      "plain",
      "--build-arg",
      `REGISTRY=${registry.host}`,
      "-t",
      "app:1",
      context,
    ],
    { env: { ...process.env, ...env } },
  );
  assert.equal(built.code, 0, built.stderr);
  const file = join(root, "app.tar");
  const saved = await wharf(["--root", root, "save", "-o", file, "app:1"]);
  assert.equal(saved.code, 0, saved.stderr);
  return readDockerArchive(file);
}

test("fuse-overlayfs and kernel overlayfs make the same image of fixtures/build/small", {
  skip: fuseMissing,
}, async () => {
  const kernel = await buildAndSave(kernelRoot, {});
  const fuse = await buildAndSave(fuseRoot, { WHARF_BUILD_OVERLAY: "fuse" });
  assert.equal(fuse.layers.length, 3 + 8);
  assert.deepEqual(diffLayers(kernel.layers, fuse.layers), []);
  assert.deepEqual(normaliseConfig(fuse.config), normaliseConfig(kernel.config));
  const mounts = execFileSync("cat", ["/proc/self/mountinfo"], { encoding: "utf8" });
  assert.ok(!mounts.includes(fuseRoot), "nothing of the fuse build stays mounted");
});
