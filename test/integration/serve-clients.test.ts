/**
 * `wharf serve` with the real container engines as clients: podman (its own store) and docker (a
 * dockerd the file starts), pulling, pushing, pulling back, choosing a platform from a manifest list,
 * and logging in to basic auth. Every scenario runs against wharf serve and against Debian's
 * distribution 2.8 side by side, so that any difference between the two is visible here. Both give
 * these clients the same answers (the same requests succeed, the same refusals read the same), so
 * every assertion holds for both; where a client reacts to state of its own (dockerd's record of
 * where a layer came from), the tests start from an empty image store.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, type TestContext, test } from "node:test";
import { pushFixtures, startDistribution } from "../helpers/distribution.ts";
import { type Dockerd, startDockerd } from "../helpers/dockerd.ts";
import { type Podman, startPodman } from "../helpers/podman.ts";
import { wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";
import { tool } from "../helpers/tools.ts";
import { startWharfServe } from "../helpers/wharf-serve.ts";

const USER = "user";
const PASS = "pass";
const DOCKER_V2S2 = "application/vnd.docker.distribution.manifest.v2+json";
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

const sha256 = (data: string) => `sha256:${createHash("sha256").update(data).digest("hex")}`;

// The registries, started once for the file (`after` hooks stop them): each one without auth, and
// each one with htpasswd basic auth for USER.
const dir = tempDir("wharf-serve-clients-");
const htpasswd = join(dir, "htpasswd");
writeFileSync(htpasswd, (await tool("htpasswd", ["-Bbn", USER, PASS])).stdout);
const authConfig = join(dir, "auth.yml");
writeFileSync(authConfig, `auth:\n  htpasswd:\n    realm: test\n    path: ${htpasswd}\n`);

const [served, servedAuth, distribution, distributionAuth] = await Promise.all([
  startWharfServe(),
  startWharfServe(["--config", authConfig]),
  startDistribution(),
  startDistribution({ kind: "htpasswd", users: { [USER]: PASS } }),
]);
const targets = [
  { name: "wharf serve", host: served.host, authHost: servedAuth.host },
  { name: "distribution 2.8", host: distribution.host, authHost: distributionAuth.host },
];
const everyHost = targets.flatMap((t) => [t.host, t.authHost]);

// The clients: one dockerd and one podman store for the file, started while skopeo pushes the
// fixtures. Either client may fail to start on a machine that cannot run it: then its tests skip with
// the reason. The fixtures must be there whatever the clients do.
const [dockerdStart, podmanStart, fixtures] = await Promise.allSettled([
  startDockerd({ insecureRegistries: everyHost }),
  startPodman({ insecureRegistries: everyHost }),
  Promise.all(targets.map((t) => pushFixtures(t.host))),
]);
if (fixtures.status === "rejected") throw fixtures.reason;
const dockerd: Dockerd | string =
  dockerdStart.status === "fulfilled"
    ? dockerdStart.value
    : `dockerd cannot start here: ${(dockerdStart.reason as Error).message}`;
const podman: Podman | string =
  podmanStart.status === "fulfilled"
    ? podmanStart.value
    : `podman cannot run here: ${(podmanStart.reason as Error).message}`;

/** The client, or undefined after skipping the test with the reason it cannot run. */
function need<T>(t: TestContext, client: T | string): T | undefined {
  if (typeof client === "string") {
    t.skip(client);
    return undefined;
  }
  return client;
}

/**
 * Removes every image from dockerd, so that a test starts from nothing whatever ran before: a layer
 * still held by another image would be reported "Already exists" on pull, and its origin in the new
 * registry never recorded (then docker push uploads it again instead of mounting it).
 */
async function emptyDockerd(d: Dockerd): Promise<void> {
  const ids = [...new Set((await d.dockerOk(["images", "-aq"])).stdout.split("\n").filter((l) => l !== ""))];
  if (ids.length > 0) await d.dockerOk(["rmi", "-f", ...ids]);
}

/** Removes every image from the podman store (see emptyDockerd). */
async function emptyPodman(p: Podman): Promise<void> {
  await p.podmanOk(["rmi", "-a", "-f"]);
}

async function headStatus(url: string, accept?: string): Promise<Response> {
  const res = await fetch(url, { method: "HEAD", headers: accept ? { accept } : {} });
  await res.body?.cancel();
  return res;
}

function basic(): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${USER}:${PASS}`).toString("base64")}` };
}

/** The blobs a pushed manifest names are in its repository: HEAD of the config and each layer is 200. */
async function assertBlobsExist(
  host: string,
  repo: string,
  manifest: { config: { digest: string }; layers: { digest: string; size: number }[] },
  headers: Record<string, string> = {},
): Promise<void> {
  for (const blob of [manifest.config, ...manifest.layers]) {
    const res = await fetch(`http://${host}/v2/${repo}/blobs/${blob.digest}`, { method: "HEAD", headers });
    await res.body?.cancel();
    assert.equal(res.status, 200, `HEAD ${repo}@${blob.digest}`);
  }
}

// How each client reports a registry's 401 (the same words for wharf serve and for distribution):
// dockerd, asked to push with no credentials for a Basic challenge, says "no basic auth credentials";
// its login reports the 401 of GET /v2/; podman (containers/image) passes on the registry's error
// ("unauthorized: authentication required", the UNAUTHORIZED code's message) and says
// "invalid username/password" for a failed login.
const DOCKER_NO_CREDENTIALS = /no basic auth credentials/;
const DOCKER_LOGIN_REFUSED = /failed with status: 401 Unauthorized/;
const PODMAN_NO_CREDENTIALS = /unauthorized: authentication required/;
const PODMAN_LOGIN_REFUSED = /invalid username\/password/;

for (const target of targets) {
  const { host, authHost } = target;

  describe(`real clients against ${target.name}`, () => {
    test("podman: pull, tag, push; the pushed manifest names blobs that exist", async (t) => {
      const p = need(t, podman);
      if (!p) return;
      await emptyPodman(p);
      await p.podmanOk(["pull", "--tls-verify=false", `${host}/busybox:latest`]);
      await p.podmanOk(["tag", `${host}/busybox:latest`, `${host}/podman/busybox:copy`]);
      await p.podmanOk(["push", "--tls-verify=false", `${host}/podman/busybox:copy`]);
      const raw = await tool("skopeo", [
        "inspect",
        "--raw",
        "--tls-verify=false",
        `docker://${host}/podman/busybox:copy`,
      ]);
      const manifest = JSON.parse(raw.stdout) as {
        schemaVersion: number;
        mediaType?: string;
        config: { digest: string };
        layers: { digest: string; size: number }[];
      };
      assert.equal(manifest.schemaVersion, 2);
      assert.equal(manifest.layers.length, 3);
      await assertBlobsExist(host, "podman/busybox", manifest);
      // The registry serves the manifest podman put, byte for byte, under its digest.
      const head = await headStatus(
        `http://${host}/v2/podman/busybox/manifests/copy`,
        manifest.mediaType ?? OCI_MANIFEST,
      );
      assert.equal(head.status, 200);
      assert.equal(head.headers.get("docker-content-digest"), sha256(raw.stdout));
      // And podman reads back what it pushed: the same image ID (its config digest).
      const id = (await p.podmanOk(["image", "inspect", "-f", "{{.Id}}", `${host}/busybox:latest`])).stdout;
      // Remove the image with all its tags (other tests tag it too), so that the pull back fetches it.
      await p.podmanOk(["rmi", "-f", id.trim()]);
      await p.podmanOk(["pull", "--tls-verify=false", `${host}/podman/busybox:copy`]);
      const back = await p.podmanOk(["image", "inspect", "-f", "{{.Id}}", `${host}/podman/busybox:copy`]);
      assert.equal(back.stdout.trim(), id.trim());
      assert.equal(`sha256:${id.trim()}`, manifest.config.digest);
    });

    test("docker: pull, tag, push, rmi, pull back: the same image ID", async (t) => {
      const d = need(t, dockerd);
      if (!d) return;
      await emptyDockerd(d);
      const source = `${host}/busybox:v2s2`;
      const copy = `${host}/docker/busybox:copy`;
      await d.dockerOk(["pull", source]);
      const id = (await d.dockerOk(["image", "inspect", "-f", "{{.Id}}", source])).stdout.trim();
      // A Docker schema 2 image's ID is its config digest, as the registry serves it.
      const pulledManifest = (await (
        await fetch(`http://${host}/v2/busybox/manifests/v2s2`, { headers: { accept: DOCKER_V2S2 } })
      ).json()) as { config: { digest: string } };
      assert.equal(id, pulledManifest.config.digest);
      await d.dockerOk(["tag", source, copy]);
      const push = await d.dockerOk(["push", copy]);
      // dockerd knows where it pulled each layer from and mounts it (POST ?mount=&from=busybox, 201).
      assert.equal(push.stdout.match(/: Mounted from busybox$/gm)?.length, 3, push.stdout);
      // "copy: digest: sha256:... size: N": the registry must know the manifest by that digest.
      const pushed = /digest: (sha256:[0-9a-f]{64}) size: (\d+)/.exec(push.stdout);
      assert.ok(pushed, push.stdout);
      const head = await headStatus(`http://${host}/v2/docker/busybox/manifests/copy`, DOCKER_V2S2);
      assert.equal(head.status, 200);
      assert.equal(head.headers.get("docker-content-digest"), pushed[1]);
      assert.equal(head.headers.get("content-length"), pushed[2]);
      assert.equal(head.headers.get("content-type"), DOCKER_V2S2);
      // Remove the image with all its tags (other tests tag it too), so that the pull back fetches it.
      await d.dockerOk(["rmi", "-f", id]);
      const gone = await d.docker(["image", "inspect", id]);
      assert.notEqual(gone.code, 0, "the image is gone from dockerd");
      await d.dockerOk(["pull", copy]);
      const back = (await d.dockerOk(["image", "inspect", "-f", "{{.Id}}", copy])).stdout.trim();
      assert.equal(back, id);
      const digests = (await d.dockerOk(["image", "inspect", "-f", "{{json .RepoDigests}}", copy])).stdout;
      assert.deepEqual(JSON.parse(digests), [`${host}/docker/busybox@${pushed[1]}`]);
    });

    test("docker: pull --platform linux/arm64 of a manifest list picks the arm64 image", async (t) => {
      const d = need(t, dockerd);
      if (!d) return;
      await emptyDockerd(d);
      // busybox:list is the Docker manifest list the brief is about; busybox:multi, the same two
      // platforms as an OCI image index (dockerd 20.10 reads those too).
      for (const tag of ["list", "multi"]) {
        const ref = `${host}/busybox:${tag}`;
        await d.dockerOk(["pull", "--platform", "linux/arm64", ref]);
        const platform = "{{.Os}}/{{.Architecture}}/{{.Variant}}";
        const arch = await d.dockerOk(["image", "inspect", "-f", platform, ref]);
        assert.equal(arch.stdout.trim(), "linux/arm64/v8", tag);
        await d.dockerOk(["rmi", ref]);
      }
    });

    test("docker with basic auth: refused without login, login (wrong and right password), push", async (t) => {
      const d = need(t, dockerd);
      if (!d) return;
      await emptyDockerd(d);
      const config = d.newConfigDir();
      const source = `${host}/busybox:v2s2`;
      const ref = `${authHost}/docker/auth:1`;
      await d.dockerOk(["pull", source]);
      await d.dockerOk(["tag", source, ref]);
      const refused = await d.docker(["push", ref], { config });
      assert.notEqual(refused.code, 0, "push without login must fail");
      assert.match(refused.stderr, DOCKER_NO_CREDENTIALS);
      t.diagnostic(`push without login: ${refused.stderr.trim().split("\n").at(-1)}`);
      const wrong = await d.docker(["login", authHost, "-u", USER, "--password-stdin"], {
        config,
        input: "not-the-password\n",
      });
      assert.notEqual(wrong.code, 0, "login with a wrong password must fail");
      assert.match(wrong.stderr, DOCKER_LOGIN_REFUSED);
      t.diagnostic(`login with a wrong password: ${wrong.stderr.trim().split("\n").at(-1)}`);
      const login = await d.dockerOk(["login", authHost, "-u", USER, "--password-stdin"], {
        config,
        input: `${PASS}\n`,
      });
      assert.match(login.stdout, /Login Succeeded/);
      const push = await d.dockerOk(["push", ref], { config });
      const pushed = /digest: (sha256:[0-9a-f]{64})/.exec(push.stdout);
      assert.ok(pushed, push.stdout);
      const head = await fetch(`http://${authHost}/v2/docker/auth/manifests/1`, {
        method: "HEAD",
        headers: { ...basic(), accept: DOCKER_V2S2 },
      });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get("docker-content-digest"), pushed[1]);
      const anonymous = await headStatus(`http://${authHost}/v2/docker/auth/manifests/1`, DOCKER_V2S2);
      assert.equal(anonymous.status, 401);
      // Pulled back with the login, from nothing: every blob comes through the authenticated registry.
      const id = (await d.dockerOk(["image", "inspect", "-f", "{{.Id}}", ref])).stdout.trim();
      await d.dockerOk(["rmi", "-f", id]);
      await d.dockerOk(["pull", ref], { config });
      assert.equal((await d.dockerOk(["image", "inspect", "-f", "{{.Id}}", ref])).stdout.trim(), id);
      await d.dockerOk(["logout", authHost], { config });
    });

    test("docker login and wharf login: each uses the other's login from one config.json", async (t) => {
      const d = need(t, dockerd);
      if (!d) return;
      const config = d.newConfigDir();
      const env = { ...process.env, DOCKER_CONFIG: config };
      const root = tempDir();
      const ref = `${authHost}/cross/login:1`;
      assert.equal((await wharf(["--root", root, "pull", "-q", `${host}/busybox:latest`])).code, 0);
      assert.equal((await wharf(["--root", root, "tag", `${host}/busybox:latest`, ref])).code, 0);
      // docker's login, used by wharf push.
      await d.dockerOk(["login", authHost, "-u", USER, "--password-stdin"], { config, input: `${PASS}\n` });
      const pushed = await wharf(["--root", root, "push", ref], { env });
      assert.equal(pushed.code, 0, pushed.stderr);
      // wharf's logout removes docker's login: docker is refused now.
      assert.equal((await wharf(["logout", authHost], { env })).code, 0);
      await emptyDockerd(d);
      const refused = await d.docker(["pull", ref], { config });
      assert.notEqual(refused.code, 0, "docker pull after wharf logout must fail");
      // wharf's login, used by docker pull.
      const login = await wharf(["login", authHost, "-u", USER, "--password-stdin"], {
        env,
        input: `${PASS}\n`,
      });
      assert.equal(login.code, 0, login.stderr);
      assert.match(login.stdout, /Login Succeeded/);
      await d.dockerOk(["pull", ref], { config });
      const id = (await d.dockerOk(["image", "inspect", "-f", "{{.Id}}", ref])).stdout.trim();
      assert.equal(id, "sha256:1c03f4e795fd19db4fa0c25496cd2f696994f6798cbf12e04ae981d4143ae7a5");
      await d.dockerOk(["logout", authHost], { config });
    });

    test("podman with basic auth: refused without login, login, push", async (t) => {
      const p = need(t, podman);
      if (!p) return;
      await emptyPodman(p);
      const authfile = p.newAuthFile();
      const source = `${host}/busybox:latest`;
      const ref = `${authHost}/podman/auth:1`;
      await p.podmanOk(["pull", "--tls-verify=false", source]);
      await p.podmanOk(["tag", source, ref]);
      const refused = await p.podman(["push", "--tls-verify=false", "--authfile", authfile, ref]);
      assert.notEqual(refused.code, 0, "push without login must fail");
      assert.match(refused.stderr, PODMAN_NO_CREDENTIALS);
      t.diagnostic(`push without login: ${refused.stderr.trim().split("\n").at(-1)}`);
      const wrong = await p.podman(
        ["login", "--tls-verify=false", "--authfile", authfile, "-u", USER, "--password-stdin", authHost],
        { input: "not-the-password\n" },
      );
      assert.notEqual(wrong.code, 0, "login with a wrong password must fail");
      assert.match(wrong.stderr, PODMAN_LOGIN_REFUSED);
      t.diagnostic(`login with a wrong password: ${wrong.stderr.trim().split("\n").at(-1)}`);
      const login = await p.podmanOk(
        ["login", "--tls-verify=false", "--authfile", authfile, "-u", USER, "--password-stdin", authHost],
        { input: `${PASS}\n` },
      );
      assert.match(login.stdout, /Login Succeeded/);
      await p.podmanOk(["push", "--tls-verify=false", "--authfile", authfile, ref]);
      const raw = await tool("skopeo", [
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--creds",
        `${USER}:${PASS}`,
        `docker://${ref}`,
      ]);
      const manifest = JSON.parse(raw.stdout) as {
        mediaType?: string;
        config: { digest: string };
        layers: { digest: string; size: number }[];
      };
      assert.ok(manifest.mediaType === undefined || [OCI_MANIFEST, DOCKER_V2S2].includes(manifest.mediaType));
      await assertBlobsExist(authHost, "podman/auth", manifest, basic());
      // Pulled back with the login, from nothing: every blob comes through the authenticated registry.
      const id = (await p.podmanOk(["image", "inspect", "-f", "{{.Id}}", ref])).stdout.trim();
      await p.podmanOk(["rmi", "-f", id]);
      await p.podmanOk(["pull", "--tls-verify=false", "--authfile", authfile, ref]);
      assert.equal((await p.podmanOk(["image", "inspect", "-f", "{{.Id}}", ref])).stdout.trim(), id);
    });
  });
}

// Clients retry some failures quietly (dockerd retries a failed layer upload), so a 5xx could pass
// unseen: wharf logs each one at error level ("request failed"), and there must be none.
test("wharf serve logged no error while the clients ran", () => {
  for (const server of [served, servedAuth]) {
    const errors = server
      .log()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((entry) => entry.level >= 50);
    assert.deepEqual(errors, [], server.log());
  }
});
