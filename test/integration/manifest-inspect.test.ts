/**
 * `wharf manifest inspect` against distribution 2.8 holding the fixtures, compared byte for byte with
 * what `docker manifest inspect` printed for the same images (../shared/docker-reference 22, 23).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { pushFixtures, startDistribution } from "../helpers/distribution.ts";
import { dockerReference } from "../helpers/docker-reference.ts";
import { wharf } from "../helpers/spawn.ts";

const { host } = await startDistribution();
await pushFixtures(host);

async function sameAsDocker(file: string) {
  const ref = dockerReference(file, host);
  const args = ref.command.replace(/^docker /, "").split(" ");
  const r = await wharf(args);
  assert.equal(r.stdout + r.stderr, ref.output, ref.command);
  assert.equal(r.code, ref.exitCode);
}

test("22: a multi-platform index, as docker's manifest list", () => sameAsDocker("22-manifest-inspect.txt"));
test("23: -v of a platform manifest: Ref, Descriptor, Raw, OCIManifest", () =>
  sameAsDocker("23-manifest-inspect-v.txt"));

test("a manifest without -v is its own bytes, indented; -v of an index lists each platform", async () => {
  const plain = await wharf(["manifest", "inspect", "--insecure", `${host}/busybox:v2s2`]);
  assert.equal(plain.code, 0, plain.stderr);
  const parsed = JSON.parse(plain.stdout) as { mediaType: string };
  assert.equal(parsed.mediaType, "application/vnd.docker.distribution.manifest.v2+json");
  assert.match(plain.stdout, /^\{\n\t"schemaVersion": 2,/);
  const verbose = await wharf(["manifest", "inspect", "-v", "--insecure", `${host}/busybox:multi`]);
  assert.equal(verbose.code, 0, verbose.stderr);
  const list = JSON.parse(verbose.stdout) as {
    Descriptor: { platform: { architecture: string } };
    Raw: string;
  }[];
  assert.deepEqual(
    list.map((m) => m.Descriptor.platform.architecture),
    ["amd64", "arm64"],
  );
  for (const m of list) {
    const raw = Buffer.from(m.Raw, "base64");
    assert.match((m as unknown as { Descriptor: { digest: string } }).Descriptor.digest, /^sha256:/);
    assert.equal(
      `sha256:${createHash("sha256").update(raw).digest("hex")}`,
      (m as unknown as { Descriptor: { digest: string } }).Descriptor.digest,
    );
  }
  const missing = await wharf(["manifest", "inspect", "--insecure", `${host}/busybox:nosuchtag`]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, `no such manifest: ${host}/busybox:nosuchtag\n`);
});
