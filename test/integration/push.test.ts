/**
 * `wharf push` end to end against distribution 2.8 and wharf serve (no auth, htpasswd, token auth),
 * read back by skopeo, podman and docker; docker push's output for the fixtures
 * (../shared/docker-reference 29, 30); an upload cut off by a fault proxy; an unauthorized push;
 * --all-tags.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, type TestContext, test } from "node:test";
import {
  BUSYBOX_LAYOUT,
  pushFixtures,
  startDistribution,
  startTokenIssuer,
} from "../helpers/distribution.ts";
import { dockerReference } from "../helpers/docker-reference.ts";
import { type Dockerd, startDockerd } from "../helpers/dockerd.ts";
import { startFaultProxy } from "../helpers/fault-proxy.ts";
import { type Podman, startPodman } from "../helpers/podman.ts";
import { wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";
import { tool } from "../helpers/tools.ts";
import { startWharfServe } from "../helpers/wharf-serve.ts";

const index = JSON.parse(readFileSync(join(BUSYBOX_LAYOUT, "index.json"), "utf8"));
/** The fixture's OCI manifest: what wharf pushes (docker's reference digest is of its v2s2 conversion). */
const DIGEST: string = index.manifests[0].digest;
const SIZE: number = index.manifests[0].size;
const MANIFEST = readFileSync(join(BUSYBOX_LAYOUT, "blobs", "sha256", DIGEST.slice(7)));
const CONFIG_DIGEST: string = JSON.parse(MANIFEST.toString()).config.digest;

const USER = "alice";
const PASS = "secret";
const dir = tempDir("wharf-push-");
const htpasswd = join(dir, "htpasswd");
writeFileSync(htpasswd, (await tool("htpasswd", ["-Bbn", USER, PASS])).stdout);
const tokenConfig = join(dir, "token.yml");
writeFileSync(tokenConfig, `auth:\n  htpasswd:\n    path: ${htpasswd}\n  token:\n    service: wharf-test\n`);
const issuer = await startTokenIssuer({ users: { [USER]: PASS } });

const [plain, basicReg, tokenReg, served, servedToken] = await Promise.all([
  startDistribution(),
  startDistribution({ kind: "htpasswd", users: { [USER]: PASS } }),
  startDistribution({ kind: "token", issuer }),
  startWharfServe(),
  startWharfServe(["--config", tokenConfig]),
]);
const everyHost = [plain, basicReg, tokenReg, served, servedToken].map((r) => r.host);
const [dockerdStart, podmanStart, fixtures] = await Promise.allSettled([
  startDockerd({ insecureRegistries: everyHost }),
  startPodman({ insecureRegistries: everyHost }),
  Promise.all([pushFixtures(plain.host), pushFixtures(served.host)]),
]);
if (fixtures.status === "rejected") throw fixtures.reason;
const dockerd: Dockerd | string =
  dockerdStart.status === "fulfilled"
    ? dockerdStart.value
    : `dockerd cannot start here: ${dockerdStart.reason}`;
const podman: Podman | string =
  podmanStart.status === "fulfilled" ? podmanStart.value : `podman cannot run here: ${podmanStart.reason}`;

function need<T>(t: TestContext, client: T | string): T | undefined {
  if (typeof client === "string") {
    t.skip(client);
    return undefined;
  }
  return client;
}

/** A DOCKER_CONFIG dir: no credentials, or the given ones for `host`. */
function dockerConfig(host?: string): string {
  const d = tempDir("wharf-push-docker-config-");
  const auths =
    host === undefined ? {} : { [host]: { auth: Buffer.from(`${USER}:${PASS}`).toString("base64") } };
  writeFileSync(join(d, "config.json"), JSON.stringify({ auths }));
  return d;
}

/** wharf with its own store and docker config. */
function wharfIn(root: string, config = dockerConfig()) {
  return async (...args: string[]) =>
    wharf(["--root", root, ...args], { env: { ...process.env, DOCKER_CONFIG: config } });
}

async function ok(run: Promise<{ code: number | null; stdout: string; stderr: string }>) {
  const r = await run;
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return r;
}

async function rawManifest(ref: string, creds?: string): Promise<Buffer> {
  const auth = creds === undefined ? [] : ["--creds", creds];
  const { stdout } = await tool("skopeo", [
    "inspect",
    "--raw",
    "--tls-verify=false",
    ...auth,
    `docker://${ref}`,
  ]);
  return Buffer.from(stdout);
}

async function repoDigests(run: ReturnType<typeof wharfIn>, ref: string): Promise<string[]> {
  return JSON.parse((await ok(run("inspect", "--format", "{{json .RepoDigests}}", ref))).stdout);
}

/**
 * Output against docker's: the same lines, with the OCI manifest's digest and size in place of
 * docker's v2s2 conversion's; the lines of finished layers compared as a set (their order is the
 * order the transfers end in).
 */
function assertDockerOutput(actual: string, file: string, host: string): void {
  const expected = dockerReference(file, host)
    .output.replace(/sha256:7e77ec41447ce246dd19acf633505fff9d34991b8e3f79ad75d264d89fcf788c/, DIGEST)
    .replace(/size: 943$/m, `size: ${SIZE}`);
  const split = (text: string) => {
    const lines = text.trimEnd().split("\n");
    const head = lines.filter((l) => !/: (Mounted from|Layer already exists|Pushed)/.test(l));
    const done = lines.filter((l) => /: (Mounted from|Layer already exists|Pushed)/.test(l)).sort();
    return { head, done };
  };
  assert.deepEqual(split(actual), split(expected), actual);
}

for (const [name, reg] of [
  ["distribution", plain],
  ["wharf serve", served],
] as const) {
  const host = reg.host;
  describe(`wharf push to ${name}`, () => {
    const root = tempDir("wharf-push-store-");
    const run = wharfIn(root);

    test("docker's lines: Mounted from busybox, then Layer already exists; the OCI digest kept", async () => {
      await ok(run("pull", `${host}/busybox:latest`));
      await ok(run("tag", `${host}/busybox:latest`, `${host}/team/app:v1`));
      const before = await repoDigests(run, `${host}/team/app:v1`);
      const first = await ok(run("push", `${host}/team/app:v1`));
      assertDockerOutput(first.stdout, "29-push-mounted.txt", host);
      const again = await ok(run("push", `${host}/team/app:v1`));
      assertDockerOutput(again.stdout, "30-push-again.txt", host);
      assert.deepEqual(await rawManifest(`${host}/team/app:v1`), MANIFEST);
      assert.deepEqual(
        await repoDigests(run, `${host}/team/app:v1`),
        [...before, `${host}/team/app@${DIGEST}`].sort(),
      );
    });

    test("to a registry that has none of it: Pushed; podman and docker pull it back", async (t) => {
      // Pulled from the other registry: no mount candidate here, every layer is uploaded.
      const other = host === plain.host ? served.host : plain.host;
      const store = wharfIn(tempDir("wharf-push-store-"));
      await ok(store("pull", `${other}/busybox:latest`));
      await ok(store("tag", `${other}/busybox:latest`, `${host}/fresh/app:v1`));
      const pushed = await ok(store("push", `${host}/fresh/app:v1`));
      const lines = pushed.stdout.split("\n");
      assert.equal(lines.filter((l) => l.endsWith(": Pushed")).length, 3, pushed.stdout);
      assert.ok(lines.includes(`v1: digest: ${DIGEST} size: ${SIZE}`), pushed.stdout);
      assert.deepEqual(await rawManifest(`${host}/fresh/app:v1`), MANIFEST);

      const p = need(t, podman);
      if (p) {
        await p.podmanOk(["pull", "--tls-verify=false", `${host}/fresh/app:v1`]);
        const id = (await p.podmanOk(["image", "inspect", "-f", "{{.Id}}", `${host}/fresh/app:v1`])).stdout;
        assert.equal(`sha256:${id.trim()}`, CONFIG_DIGEST);
      }
      const d = need(t, dockerd);
      if (d) {
        await d.dockerOk(["pull", `${host}/fresh/app:v1`]);
        const id = (await d.dockerOk(["image", "inspect", "-f", "{{.Id}}", `${host}/fresh/app:v1`])).stdout;
        assert.equal(id.trim(), CONFIG_DIGEST);
        const digests = (
          await d.dockerOk(["image", "inspect", "-f", "{{json .RepoDigests}}", `${host}/fresh/app:v1`])
        ).stdout;
        assert.ok(digests.includes(`${host}/fresh/app@${DIGEST}`), digests);
      }
    });

    test("the other way round: docker push and podman push, then wharf pull gets the same digest and ID", async (t) => {
      for (const [client, pushTo] of [
        ["docker", `${host}/by-docker/app:v1`],
        ["podman", `${host}/by-podman/app:v1`],
      ] as const) {
        let pushedDigest: string | undefined;
        if (client === "docker") {
          const d = need(t, dockerd);
          if (!d) continue;
          await d.dockerOk(["pull", `${host}/busybox:v2s2`]);
          await d.dockerOk(["tag", `${host}/busybox:v2s2`, pushTo]);
          pushedDigest = /digest: (sha256:[0-9a-f]{64})/.exec(
            (await d.dockerOk(["push", pushTo])).stdout,
          )?.[1];
        } else {
          const p = need(t, podman);
          if (!p) continue;
          await p.podmanOk(["pull", "--tls-verify=false", `${host}/busybox:v2s2`]);
          await p.podmanOk(["tag", `${host}/busybox:v2s2`, pushTo]);
          const digestFile = join(tempDir("wharf-podman-digest-"), "digest");
          await p.podmanOk(["push", "--tls-verify=false", "--digestfile", digestFile, pushTo]);
          pushedDigest = readFileSync(digestFile, "utf8").trim();
        }
        assert.match(pushedDigest ?? "", /^sha256:[0-9a-f]{64}$/, `${client} printed no digest`);
        const store = wharfIn(tempDir("wharf-pull-back-"));
        const pulled = await ok(store("pull", pushTo));
        assert.match(pulled.stdout, new RegExp(`^Digest: ${pushedDigest}$`, "m"), client);
        const id = await ok(store("inspect", "-f", "{{.Id}}", pushTo));
        assert.equal(id.stdout.trim(), CONFIG_DIGEST, client);
        assert.deepEqual(await repoDigests(store, pushTo), [`${pushTo.replace(/:v1$/, "")}@${pushedDigest}`]);
      }
    });

    test("-a pushes every tag of the repository; a tag with -a is refused", async () => {
      await ok(run("pull", `${host}/busybox:latest`));
      await ok(run("tag", `${host}/busybox:latest`, `${host}/team/all:one`));
      await ok(run("tag", `${host}/busybox:latest`, `${host}/team/all:two`));
      const r = await ok(run("push", "-a", `${host}/team/all`));
      assert.doesNotMatch(r.stdout, /Using default tag/);
      assert.match(r.stdout, new RegExp(`^one: digest: ${DIGEST} size: ${SIZE}$`, "m"));
      assert.match(r.stdout, new RegExp(`^two: digest: ${DIGEST} size: ${SIZE}$`, "m"));
      const { stdout } = await tool("skopeo", [
        "list-tags",
        "--tls-verify=false",
        `docker://${host}/team/all`,
      ]);
      assert.deepEqual(JSON.parse(stdout).Tags.sort(), ["one", "two"]);
      const refused = await run("push", "-a", `${host}/team/all:one`);
      assert.equal(refused.code, 1);
      assert.equal(refused.stderr, "tag can't be used with --all-tags/-a\n");
    });
  });
}

describe("wharf push: names, defaults, quiet", () => {
  const host = plain.host;
  const run = wharfIn(tempDir("wharf-push-store-"));

  test("no tag: Using default tag: latest; -q prints the reference only; unknown names", async () => {
    await ok(run("pull", `${host}/busybox:latest`));
    await ok(run("tag", `${host}/busybox:latest`, `${host}/dflt/app`));
    const r = await ok(run("push", `${host}/dflt/app`));
    assert.match(r.stdout, /^Using default tag: latest\nThe push refers to repository \[/);
    assert.match(r.stdout, new RegExp(`^latest: digest: ${DIGEST} size: ${SIZE}$`, "m"));
    const q = await ok(run("push", "-q", `${host}/dflt/app`));
    assert.equal(q.stdout, `${host}/dflt/app:latest\n`);
    const missingTag = await run("push", `${host}/dflt/app:nope`);
    assert.equal(missingTag.code, 1);
    assert.equal(missingTag.stderr, `tag does not exist: ${host}/dflt/app:nope\n`);
    const missing = await run("push", `${host}/nothing/here`);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, `An image does not exist locally with the tag: ${host}/nothing/here\n`);
    const platform = await run("push", "--platform", "linux/arm64", `${host}/dflt/app`);
    assert.equal(platform.code, 1);
    assert.match(
      platform.stderr,
      /does not match the specified platform: wanted linux\/arm64, actual: linux\/amd64\n$/,
    );
  });
});

describe("wharf copy to docker://", () => {
  test("wharf:NAME -> docker://HOST/REPO:TAG puts the stored manifest, and the process ends", async () => {
    const run = wharfIn(tempDir("wharf-push-store-"));
    await ok(run("pull", `${served.host}/busybox:latest`));
    const r = await ok(
      run("copy", `wharf:${served.host}/busybox:latest`, `docker://${plain.host}/viacopy/app:c1`),
    );
    assert.match(r.stdout, /Writing manifest to image destination\n$/);
    assert.deepEqual(await rawManifest(`${plain.host}/viacopy/app:c1`), MANIFEST);
  });
});

describe("wharf push with authentication", () => {
  for (const [name, reg, anonymous] of [
    ["distribution, htpasswd", basicReg, /^no basic auth credentials\n$/],
    ["distribution, token", tokenReg, /^(unauthorized|denied): /],
    ["wharf serve, token", servedToken, /^(unauthorized|denied): /],
  ] as const) {
    test(`${name}: without credentials one line and exit 1, image unchanged; with them, pushed`, async () => {
      const host = reg.host;
      const root = tempDir("wharf-push-store-");
      await ok(wharfIn(root)("pull", `${plain.host}/busybox:latest`));
      const anon = wharfIn(root);
      await ok(anon("tag", `${plain.host}/busybox:latest`, `${host}/team/app:v1`));
      const before = await repoDigests(anon, `${host}/team/app:v1`);
      const refused = await anon("push", `${host}/team/app:v1`);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, anonymous);
      // docker's bare line for a Basic registry; wharf's hint to log in for a token server's refusal.
      if (name !== "distribution, htpasswd") {
        assert.match(refused.stderr, new RegExp(` \\(run 'wharf login ${host}' to log in\\)\\n$`));
      }
      assert.equal(refused.stderr.split("\n").length, 2, refused.stderr);
      assert.deepEqual(await repoDigests(anon, `${host}/team/app:v1`), before);

      const authed = wharfIn(root, dockerConfig(host));
      const pushed = await ok(authed("push", `${host}/team/app:v1`));
      assert.match(pushed.stdout, new RegExp(`^v1: digest: ${DIGEST} size: ${SIZE}$`, "m"));
      assert.deepEqual(await rawManifest(`${host}/team/app:v1`, `${USER}:${PASS}`), MANIFEST);
    });
  }
});

describe("wharf push through a connection that drops", () => {
  test("the first upload is cut off: a new session, and the image arrives whole", async () => {
    const proxy = await startFaultProxy(plain.host, { upload: true, afterBytes: 50_000 });
    const run = wharfIn(tempDir("wharf-push-store-"));
    await ok(run("pull", `${served.host}/busybox:latest`));
    await ok(run("tag", `${served.host}/busybox:latest`, `${proxy.host}/cut/app:v1`));
    const r = await ok(run("push", `${proxy.host}/cut/app:v1`));
    assert.equal(proxy.cut(), true);
    assert.match(r.stdout, new RegExp(`^v1: digest: ${DIGEST} size: ${SIZE}$`, "m"));
    assert.deepEqual(await rawManifest(`${plain.host}/cut/app:v1`), MANIFEST);
    await tool("skopeo", [
      "copy",
      "--quiet",
      "--src-tls-verify=false",
      `docker://${plain.host}/cut/app:v1`,
      `oci:${tempDir("wharf-push-oci-")}:x`,
    ]);
  });
});
