/**
 * What `pull`, `login` / `logout` and `manifest inspect` print when things go wrong (and the few
 * lines around a success that differ by case), compared with Docker itself: a dockerd 20.10 with the
 * docker CLI 28 this file starts, and wharf, run side by side against the same real registries
 * (distribution 2.8 without auth, with htpasswd, with token auth) and a port nobody listens on.
 * Each case expects the same exit code, stdout and stderr from both, byte for byte (config paths
 * aside); a few also pin docker's line itself, so that a change on docker's side shows here.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { pushFixtures, startDistribution, startTokenIssuer } from "../helpers/distribution.ts";
import { startDockerd } from "../helpers/dockerd.ts";
import { wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";

const USER = "alice";
const PASSWORD = "wonderland";

const issuer = await startTokenIssuer({ users: { [USER]: PASSWORD } });
const plain = await startDistribution();
const basic = await startDistribution({ kind: "htpasswd", users: { [USER]: PASSWORD } });
const token = await startDistribution({ kind: "token", issuer });
await pushFixtures(plain.host);
const dockerd = await startDockerd({ insecureRegistries: [plain.host, basic.host, token.host] });
const NOBODY = "127.0.0.1:1";

/** One DOCKER_CONFIG per tool (login state carries over from case to case, as a user's would). */
const dockerConfig = dockerd.newConfigDir();
const wharfConfig = tempDir("wharf-errors-config-");
const wharfRoot = tempDir("wharf-errors-root-");

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The config directory's path is each tool's own: the rest of each line must be equal. */
function normalised(r: Outcome, configDir: string): Outcome {
  const strip = (s: string) => s.replaceAll(configDir, "CONFIG");
  return { code: r.code, stdout: strip(r.stdout), stderr: strip(r.stderr) };
}

interface Configs {
  docker: string;
  wharf: string;
}

async function both(
  args: string[],
  input?: string,
  configs: Configs = { docker: dockerConfig, wharf: wharfConfig },
): Promise<{ docker: Outcome; wharf: Outcome }> {
  const opts = input === undefined ? {} : { input };
  const d = await dockerd.docker(args, { ...opts, config: configs.docker });
  const w = await wharf(["--root", wharfRoot, ...args], {
    ...opts,
    env: { ...process.env, DOCKER_CONFIG: configs.wharf },
  });
  return { docker: normalised(d, configs.docker), wharf: normalised(w, configs.wharf) };
}

/** Runs both and asserts the same outcome; returns docker's. */
async function same(args: string[], input?: string, configs?: Configs): Promise<Outcome> {
  const r = await both(args, input, configs);
  assert.deepEqual(
    r.wharf,
    r.docker,
    `${args.join(" ")}\n--- wharf:\n${r.wharf.stderr}--- docker:\n${r.docker.stderr}`,
  );
  return r.docker;
}

const DOWNLOAD_LINE = /: (Pulling fs layer|Waiting|Verifying Checksum|Download complete)$/;

/**
 * A pull's stdout: layers download in parallel, so when each finishes varies from run to run (for
 * docker too); the other lines are in a fixed order.
 */
async function samePull(args: string[]): Promise<Outcome> {
  const r = await both(args);
  const what = `${args.join(" ")}\n--- wharf:\n${r.wharf.stdout}--- docker:\n${r.docker.stdout}`;
  assert.deepEqual([r.wharf.code, r.wharf.stderr], [r.docker.code, r.docker.stderr], what);
  const lines = (s: string) => s.split("\n").filter((l) => !DOWNLOAD_LINE.test(l));
  assert.deepEqual(lines(r.wharf.stdout), lines(r.docker.stdout), what);
  return r.docker;
}

describe("pull: errors as dockerd returns them (Error response from daemon: ...)", () => {
  test("a repository the token server gives no access to: the hint to log in", async () => {
    const d = await same(["pull", `${token.host}/private:latest`]);
    assert.equal(
      d.stderr,
      `Error response from daemon: pull access denied for ${token.host}/private, repository does not exist ` +
        "or may require 'docker login': denied: requested access to the resource is denied\n",
    );
    assert.equal(d.code, 1);
  });

  test("a Basic-auth registry and no login: no basic auth credentials, named by the HEAD of the tag", async () => {
    const d = await same(["pull", `${basic.host}/busybox:latest`]);
    assert.equal(
      d.stderr,
      `Error response from daemon: Head "http://${basic.host}/v2/busybox/manifests/latest": no basic auth credentials\n`,
    );
  });

  test("an unknown repository and an unknown tag: manifest ... not found", async () => {
    const d = await same(["pull", `${plain.host}/nope:latest`]);
    assert.match(d.stderr, /^Error response from daemon: manifest for .* not found: manifest unknown/);
    await same(["pull", `${plain.host}/busybox:nope`]);
  });

  test("nothing listening: dial tcp ADDR: connect: connection refused", async () => {
    const d = await same(["pull", `${NOBODY}/x:latest`]);
    assert.equal(
      d.stderr,
      `Error response from daemon: Get "http://${NOBODY}/v2/": dial tcp ${NOBODY}: connect: connection refused\n`,
    );
  });

  test("after the first progress line, an error comes in the stream: no prefix", async () => {
    const r = await both(["pull", "--platform", "linux/s390x", `${plain.host}/busybox:multi`]);
    assert.deepEqual([r.wharf.code, r.wharf.stdout], [r.docker.code, r.docker.stdout]);
    assert.equal(r.docker.stdout, "multi: Pulling from busybox\n");
    const message = "no matching manifest for linux/s390x in the manifest list entries";
    assert.equal(r.docker.stderr, `${message}\n`);
    // wharf adds the platforms the index has (src/transport/platform-choice.ts); dockerd 20.10 does not.
    assert.ok(r.wharf.stderr.startsWith(`${message} (available: `), r.wharf.stderr);
  });

  test("client-side checks have no daemon prefix: -a with a tag, a bad name", async () => {
    const d = await same(["pull", "-a", `${plain.host}/busybox:latest`]);
    assert.deepEqual(d, { code: 1, stdout: "", stderr: "tag can't be used with --all-tags/-a\n" });
    await same(["pull", `${plain.host}/Busybox:latest`]);
  });
});

describe("push: errors as dockerd returns them", () => {
  test("a Basic-auth registry and no login: the layers prepared, then no basic auth credentials", async () => {
    const image = `${basic.host}/pushed/busybox:latest`;
    await same(["pull", "-q", `${plain.host}/busybox:latest`]);
    await same(["tag", `${plain.host}/busybox:latest`, image]);
    const d = await same(["push", image]);
    assert.equal(d.stderr, "no basic auth credentials\n");
    assert.equal(d.code, 1);
  });
});

describe("a wrong password in config.json (pull and manifest inspect)", () => {
  const wrong = (): Configs => {
    const configs = { docker: dockerd.newConfigDir(), wharf: tempDir("wharf-errors-wrong-") };
    const auth = Buffer.from(`${USER}:wrong`).toString("base64");
    const json = JSON.stringify({ auths: { [basic.host]: { auth }, [token.host]: { auth } } });
    for (const dir of [configs.docker, configs.wharf]) writeFileSync(join(dir, "config.json"), json);
    return configs;
  };

  test("Basic: the registry's 401", async () => {
    const configs = wrong();
    const d = await same(["pull", `${basic.host}/busybox:latest`], undefined, configs);
    assert.equal(d.stderr, "Error response from daemon: unauthorized: authentication required\n");
    await same(["manifest", "inspect", "--insecure", `${basic.host}/busybox:latest`], undefined, configs);
  });

  test("token: the token server's refusal, as the error of the request it was for", async () => {
    const configs = wrong();
    const d = await same(["pull", `${token.host}/private:latest`], undefined, configs);
    assert.equal(
      d.stderr,
      `Error response from daemon: Head "http://${token.host}/v2/private/manifests/latest": ` +
        "unauthorized: incorrect username or password\n",
    );
    const m = await same(
      ["manifest", "inspect", "--insecure", `${token.host}/private:latest`],
      undefined,
      configs,
    );
    assert.match(m.stderr, /^Get "http:\/\/.*\/v2\/private\/manifests\/latest": unauthorized: /);
  });
});

describe("pull: the lines around a success", () => {
  test("-a: every tag's progress, then one Status line and the repository's name", async () => {
    const first = await samePull(["pull", "-a", `${plain.host}/busybox`]);
    assert.equal(first.stdout.match(/^Status: /gm)?.length, 1, first.stdout);
    assert.match(
      first.stdout,
      new RegExp(`Status: Downloaded newer image for ${plain.host}/busybox\n${plain.host}/busybox\n$`),
    );
    const again = await samePull(["pull", "-a", `${plain.host}/busybox`]);
    assert.match(again.stdout, /Status: Image is up to date for /);
  });

  test("--platform that the single-platform image does not have: docker's WARNING after Status", async () => {
    for (const tag of ["latest", "v2s2"]) {
      const d = await samePull(["pull", "--platform", "linux/arm64", `${plain.host}/busybox:${tag}`]);
      assert.match(
        d.stdout,
        new RegExp(
          `\nWARNING: image with reference ${plain.host}/busybox was found but does not match the specified ` +
            `platform: wanted linux/arm64, actual: linux/amd64\n${plain.host}/busybox:${tag}\n$`,
        ),
      );
    }
    // dockerd checks NAME:latest, not what it pulled: the arm64 image of an index warns about busybox:latest.
    const multi = await samePull(["pull", "--platform", "linux/arm64", `${plain.host}/busybox:multi`]);
    assert.match(multi.stdout, /\nWARNING: image with reference .* actual: linux\/amd64\n/);
    const matching = await samePull(["pull", "--platform", "linux/amd64", `${plain.host}/busybox:latest`]);
    assert.doesNotMatch(matching.stdout, /WARNING/);
  });
});

describe("login and logout", () => {
  test("logout of a registry one is not logged in to: Removing login credentials", async () => {
    const d = await same(["logout", plain.host]);
    assert.equal(d.stdout, `Removing login credentials for ${plain.host}\n`);
  });

  test("an empty --password-stdin is not a login: it would need a prompt", async () => {
    const d = await same(["login", basic.host, "-u", USER, "--password-stdin"], "");
    assert.equal(d.stderr, "Error: Cannot perform an interactive login from a non TTY device\n");
  });

  test("a wrong password: Basic and token registries", async () => {
    const b = await same(["login", basic.host, "-u", USER, "--password-stdin"], "wrong\n");
    assert.equal(
      b.stderr,
      `Error response from daemon: login attempt to http://${basic.host}/v2/ failed with status: 401 Unauthorized\n`,
    );
    const t = await same(["login", token.host, "-u", USER, "--password-stdin"], "wrong\n");
    assert.match(t.stderr, /^Error response from daemon: Get "http:\/\/.*\/v2\/": unauthorized: /);
  });

  test("nothing listening", async () => {
    await same(["login", NOBODY, "-u", USER, "--password-stdin"], `${PASSWORD}\n`);
  });

  test("the unencrypted-credentials warning: when a password is written, not when nothing changed", async () => {
    const first = await same(["login", basic.host, "-u", USER, "--password-stdin"], `${PASSWORD}\n`);
    assert.match(first.stderr, /WARNING! Your credentials are stored unencrypted in 'CONFIG\/config.json'/);
    const again = await same(["login", basic.host, "-u", USER, "--password-stdin"], `${PASSWORD}\n`);
    assert.deepEqual(again, { code: 0, stdout: "Login Succeeded\n", stderr: "" });
    await same(["logout", basic.host]);
    await same(["logout", basic.host]);
  });
});

describe("manifest inspect: the CLI's own registry client (no daemon prefix)", () => {
  test("a plain-HTTP registry without --insecure: no such manifest", async () => {
    const d = await same(["manifest", "inspect", `${plain.host}/busybox:latest`]);
    assert.equal(d.stderr, `no such manifest: ${plain.host}/busybox:latest\n`);
    const ok = await same(["manifest", "inspect", "--insecure", `${plain.host}/busybox:latest`]);
    assert.equal(ok.code, 0);
  });

  test("manifest create of a plain-HTTP registry's image without --insecure: no such manifest", async () => {
    const d = await same([
      "manifest",
      "create",
      `${plain.host}/probe/list:v1`,
      `${plain.host}/busybox:latest`,
    ]);
    assert.equal(d.stderr, `no such manifest: ${plain.host}/busybox:latest\n`);
    assert.equal(d.code, 1);
  });

  test("an unknown tag or repository: no such manifest", async () => {
    const d = await same(["manifest", "inspect", "--insecure", `${plain.host}/busybox:nope`]);
    assert.deepEqual(d, { code: 1, stdout: "", stderr: `no such manifest: ${plain.host}/busybox:nope\n` });
    await same(["manifest", "inspect", "--insecure", `${plain.host}/nope:latest`]);
  });

  test("no credentials for a Basic registry; a denied token (both of the registry's errors)", async () => {
    const b = await same(["manifest", "inspect", "--insecure", `${basic.host}/busybox:latest`]);
    assert.equal(
      b.stderr,
      `Get "http://${basic.host}/v2/busybox/manifests/latest": no basic auth credentials\n`,
    );
    const t = await same(["manifest", "inspect", "--insecure", `${token.host}/private:latest`]);
    assert.match(t.stderr, /^errors:\ndenied: requested access to the resource is denied\nunauthorized: /);
  });

  test("nothing listening: the ping of the HTTPS endpoint failed", async () => {
    const d = await same(["manifest", "inspect", "--insecure", `${NOBODY}/x:latest`]);
    assert.equal(
      d.stderr,
      `failed to configure transport: error pinging v2 registry: Get "https://${NOBODY}/v2/": ` +
        `dial tcp ${NOBODY}: connect: connection refused\n`,
    );
  });
});
