/**
 * `wharf pin` against distribution 2.8 holding the busybox fixtures: the single-platform image and
 * the multi-platform index (whose pin must be the index digest, as skopeo reads it), --check's exit
 * codes, --dry-run, --update after another image is pushed to the same tag, tags and repositories
 * that do not exist (the file untouched), a registry needing credentials from docker's config.json,
 * and --image.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  BUSYBOX_LAYOUT,
  BUSYBOX_MULTI_LAYOUT,
  pushFixtures,
  startDistribution,
} from "../helpers/distribution.ts";
import { wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";
import { tool } from "../helpers/tools.ts";

const dir = tempDir("wharf-pin-");
const configDir = tempDir("wharf-pin-docker-config-");
writeFileSync(join(configDir, "config.json"), "{}\n");
const env = { ...process.env, DOCKER_CONFIG: configDir };

const { host } = await startDistribution();
await pushFixtures(host);

async function copy(layout: string, ref: string, all = false): Promise<void> {
  const flags = all ? ["--all"] : [];
  await tool("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", ...flags, `oci:${layout}:latest`, ref]);
}

/** The digest of the manifest or index the registry serves for `ref`, from its bytes (skopeo). */
async function servedDigest(ref: string): Promise<{ digest: string; mediaType: string }> {
  const { stdout } = await tool("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${ref}`]);
  const mediaType = (JSON.parse(stdout) as { mediaType: string }).mediaType;
  return { digest: `sha256:${createHash("sha256").update(stdout).digest("hex")}`, mediaType };
}

const users = { pinner: "s3cret" };
const authRegistry = await startDistribution({ kind: "htpasswd", users });
await pushFixtures(authRegistry.host, "pinner:s3cret");
const authConfig = tempDir("wharf-pin-auth-config-");
writeFileSync(
  join(authConfig, "config.json"),
  JSON.stringify({
    auths: { [authRegistry.host]: { auth: Buffer.from("pinner:s3cret").toString("base64") } },
  }),
);

const latest = await servedDigest(`${host}/busybox:latest`);
const multi = await servedDigest(`${host}/busybox:multi`);

function dockerfile(name: string, text: string, mode = 0o644): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

const pin = (args: string[]) => wharf(["pin", ...args], { env });

describe("pinning a Dockerfile", () => {
  test("a tag and a multi-platform index pin to what the registry serves, the rest byte for byte", async () => {
    assert.equal(multi.mediaType, "application/vnd.oci.image.index.v1+json");
    const text =
      "# syntax=docker/dockerfile:1\n" +
      `ARG BASE=${host}/busybox:multi\n` +
      `FROM ${host}/busybox AS single\n` +
      "RUN <<EOF\necho FROM busybox\nEOF\n" +
      `FROM --platform=linux/arm64 \\\n  # arm\n  ${host}/busybox:multi as multi\n` +
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile's ARG reference
      "FROM single\nFROM scratch\nFROM ${BASE}\n";
    const path = dockerfile("Dockerfile.both", text, 0o600);
    const r = await pin(["-f", path]);
    assert.equal(r.code, 0, r.stderr);
    const pinned = text
      .replace(`${host}/busybox AS`, `${host}/busybox:latest@${latest.digest} AS`)
      .replace(`${host}/busybox:multi as`, `${host}/busybox:multi@${multi.digest} as`);
    assert.equal(readFileSync(path, "utf8"), pinned);
    assert.equal(statSync(path).mode & 0o777, 0o600, "the file keeps its mode");
    assert.equal(
      r.stdout,
      `${path}:3: ${host}/busybox -> ${host}/busybox:latest@${latest.digest}\n` +
        `${path}:9: ${host}/busybox:multi -> ${host}/busybox:multi@${multi.digest}\n`,
    );
    assert.equal(
      r.stderr,
      `${path}:10: FROM single: the build stage "single", not an image\n` +
        `${path}:11: FROM scratch: no base image\n` +
        `${path}:12: \${BASE}: left as is: expands to ${host}/busybox:multi, now ` +
        `${host}/busybox:multi@${multi.digest}; pin the ARG's default to pin it\n`,
    );

    const again = await pin(["-f", path]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(readFileSync(path, "utf8"), pinned);
    assert.ok(again.stderr.includes(`${path}:3: ${host}/busybox:latest@${latest.digest}: already pinned\n`));
    assert.ok(again.stderr.endsWith(`${path}: nothing to change\n`), again.stderr);
  });

  test("--check exits 1 listing what is unpinned, 0 once everything is", async () => {
    const path = dockerfile(
      "Dockerfile.check",
      `FROM ${host}/busybox:latest AS a\nFROM a\nFROM ${host}/busybox:v2s2\n`,
    );
    const before = await pin(["--check", "-f", path]);
    assert.equal(before.code, 1);
    assert.equal(
      before.stdout,
      `${path}:1: ${host}/busybox:latest is not pinned\n${path}:3: ${host}/busybox:v2s2 is not pinned\n`,
    );
    assert.equal(
      readFileSync(path, "utf8"),
      `FROM ${host}/busybox:latest AS a\nFROM a\nFROM ${host}/busybox:v2s2\n`,
    );
    assert.equal((await pin(["-f", path])).code, 0);
    const after = await pin(["--check", "-f", path]);
    assert.equal(after.code, 0, after.stdout);
    assert.equal(after.stdout, "");
    assert.equal(after.stderr, `${path}: every base image is pinned\n`);
  });

  test("--dry-run prints the diff and writes nothing", async () => {
    const text = `FROM ${host}/busybox:multi\nRUN true\n`;
    const path = dockerfile("Dockerfile.dry", text);
    const r = await pin(["--dry-run", "-f", path]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      `--- ${path}\n+++ ${path}\n@@ -1 +1 @@\n-FROM ${host}/busybox:multi\n+FROM ${host}/busybox:multi@${multi.digest}\n`,
    );
    assert.equal(readFileSync(path, "utf8"), text);
  });

  test("--update rewrites a pinned tag that moved, and says from what to what", async () => {
    await copy(BUSYBOX_LAYOUT, `docker://${host}/busybox:moving`);
    const path = dockerfile(
      "Dockerfile.moving",
      `FROM ${host}/busybox:moving\nFROM ${host}/busybox:latest\n`,
    );
    assert.equal((await pin(["-f", path])).code, 0);
    const first = readFileSync(path, "utf8");
    assert.equal(
      first,
      `FROM ${host}/busybox:moving@${latest.digest}\nFROM ${host}/busybox:latest@${latest.digest}\n`,
    );

    await copy(BUSYBOX_MULTI_LAYOUT, `docker://${host}/busybox:moving`, true);
    const plain = await pin(["-f", path]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(readFileSync(path, "utf8"), first, "without --update a pinned tag stays");

    const update = await pin(["--update", "-f", path]);
    assert.equal(update.code, 0, update.stderr);
    assert.equal(
      update.stdout,
      `${path}:1: ${host}/busybox:moving moved: ${latest.digest} -> ${multi.digest}\n`,
    );
    assert.equal(update.stderr, `${path}:2: ${host}/busybox:latest@${latest.digest}: up to date\n`);
    assert.equal(
      readFileSync(path, "utf8"),
      `FROM ${host}/busybox:moving@${multi.digest}\nFROM ${host}/busybox:latest@${latest.digest}\n`,
    );
  });

  test("a tag that does not exist: one clear line, exit 1, the file unchanged", async () => {
    const text = `FROM ${host}/busybox:latest\nFROM ${host}/busybox:nosuchtag\n`;
    const path = dockerfile("Dockerfile.missing", text);
    const r = await pin(["-f", path]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.equal(
      r.stderr,
      `${path}:2: cannot pin ${host}/busybox:nosuchtag: tag nosuchtag not found in ${host}/busybox (manifest unknown)\n`,
    );
    assert.equal(readFileSync(path, "utf8"), text);
  });

  test("several failures: a line each, then the count; the file unchanged", async () => {
    const text = `FROM ${host}/nothere:1\nFROM ${host}/busybox:latest\nFROM ${host}/busybox:gone\n`;
    const path = dockerfile("Dockerfile.failures", text);
    const r = await pin(["-f", path]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `${path}:1: cannot pin ${host}/nothere:1: repository ${host}/nothere not found on ${host} (name unknown)\n` +
        `${path}:3: cannot pin ${host}/busybox:gone: tag gone not found in ${host}/busybox (manifest unknown)\n` +
        `${path}: 2 base images could not be resolved; file left unchanged\n`,
    );
    assert.equal(readFileSync(path, "utf8"), text);
  });

  test("--check and --update together are a usage error", async () => {
    const r = await pin(["--check", "--update", "-f", join(dir, "Dockerfile.check")]);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /^--check and --update cannot be used together\n/);
  });
});

describe("a registry that needs credentials", () => {
  test("unauthorized without credentials; pinned with them in docker's config.json", async () => {
    const registry = authRegistry;
    const text = `FROM ${registry.host}/busybox:multi\n`;
    const path = dockerfile("Dockerfile.auth", text);
    const denied = await pin(["-f", path]);
    assert.equal(denied.code, 1);
    assert.equal(
      denied.stderr,
      `${path}:1: cannot pin ${registry.host}/busybox:multi: unauthorized: authentication required ` +
        `(log in with wharf login ${registry.host}, or the repository does not exist)\n`,
    );
    assert.equal(readFileSync(path, "utf8"), text);

    const r = await wharf(["pin", "-f", path], { env: { ...process.env, DOCKER_CONFIG: authConfig } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(path, "utf8"), `FROM ${registry.host}/busybox:multi@${multi.digest}\n`);
  });
});

describe("--image", () => {
  test("prints one reference pinned, as it was written", async () => {
    const tagged = await pin(["--image", `${host}/busybox:multi`]);
    assert.equal(tagged.code, 0, tagged.stderr);
    assert.equal(tagged.stdout, `${host}/busybox:multi@${multi.digest}\n`);
    const bare = await pin(["--image", `${host}/busybox`]);
    assert.equal(bare.stdout, `${host}/busybox:latest@${latest.digest}\n`);
    const pinned = `${host}/busybox:v2s2@${latest.digest}`;
    assert.equal((await pin(["--image", pinned])).stdout, `${pinned}\n`, "already pinned: as given");
    const missing = await pin(["--image", `${host}/busybox:nosuchtag`]);
    assert.equal(missing.code, 1);
    assert.equal(
      missing.stderr,
      `cannot pin ${host}/busybox:nosuchtag: tag nosuchtag not found in ${host}/busybox (manifest unknown)\n`,
    );
  });
});
