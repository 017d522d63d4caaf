/**
 * `wharf login` / `wharf logout` against wharf serve (htpasswd and token auth) and distribution 2.8
 * (htpasswd): credentials are checked before they are stored where docker keeps them; skopeo reads
 * the same file; a credential helper is used for store and get; wrong input is one line, exit 1.
 * Token servers that give refresh tokens (wharf serve's /token, a distribution token issuer) get
 * docker's offline_token=true&client_id=docker; the refresh token is stored as docker's
 * `identitytoken` instead of the password, and pulls trade it for access tokens (OAuth2 POST).
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { installCredentialHelper } from "../helpers/credential-helper.ts";
import { BUSYBOX_LAYOUT, startDistribution, startTokenIssuer } from "../helpers/distribution.ts";
import { wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";
import { tool } from "../helpers/tools.ts";
import { startWharfServe } from "../helpers/wharf-serve.ts";

const USER = "alice";
const PASSWORD = "wonderland";
const dir = tempDir("wharf-login-");
const htpasswd = join(dir, "htpasswd");
writeFileSync(htpasswd, (await tool("htpasswd", ["-Bbn", USER, PASSWORD])).stdout);
const basicYml = join(dir, "basic.yml");
writeFileSync(basicYml, `auth:\n  htpasswd:\n    path: ${htpasswd}\n`);
const tokenYml = join(dir, "token.yml");
writeFileSync(tokenYml, `auth:\n  htpasswd:\n    path: ${htpasswd}\n  token:\n    service: login-test\n`);

const issuer = await startTokenIssuer({
  users: { [USER]: PASSWORD },
  identityTokens: { [USER]: "idt-alice-from-issuer" },
});
/** `identity`: the registry's token server issues refresh tokens, so login stores one. */
const registries = [
  {
    name: "wharf serve, htpasswd",
    host: (await startWharfServe(["--config", basicYml])).host,
    identity: false,
  },
  {
    name: "wharf serve, token auth",
    host: (await startWharfServe(["--config", tokenYml])).host,
    identity: true,
  },
  {
    name: "distribution 2.8, htpasswd",
    host: (await startDistribution({ kind: "htpasswd", users: { [USER]: PASSWORD } })).host,
    identity: false,
  },
  {
    name: "distribution 2.8, token auth",
    host: (await startDistribution({ kind: "token", issuer })).host,
    identity: true,
  },
];
for (const r of registries) {
  await tool("skopeo", [
    "copy",
    "--quiet",
    "--dest-tls-verify=false",
    "--dest-creds",
    `${USER}:${PASSWORD}`,
    `oci:${BUSYBOX_LAYOUT}:latest`,
    `docker://${r.host}/private:latest`,
  ]);
}

function dockerEnv(extra: NodeJS.ProcessEnv = process.env): { env: NodeJS.ProcessEnv; config: string } {
  const configDir = tempDir("wharf-docker-config-");
  return { env: { ...extra, DOCKER_CONFIG: configDir }, config: join(configDir, "config.json") };
}

for (const registry of registries) {
  describe(`wharf login: ${registry.name}`, () => {
    test("checked, stored as docker stores it, used by wharf pull and by skopeo; logout removes it", async () => {
      const { env, config } = dockerEnv();
      const login = await wharf(["login", registry.host, "-u", USER, "--password-stdin"], {
        env,
        input: `${PASSWORD}\n`,
      });
      assert.equal(login.code, 0, login.stderr);
      assert.equal(login.stdout, "Login Succeeded\n");
      // docker 28 warns when it writes a password to config.json, not an identity token.
      if (registry.identity) assert.equal(login.stderr, "");
      else {
        assert.match(
          login.stderr,
          new RegExp(`^\\nWARNING! Your credentials are stored unencrypted in '${config}'\\.\\n`),
        );
      }
      const stored = JSON.parse(readFileSync(config, "utf8"));
      if (registry.identity) {
        // docker's form: the password dropped, the refresh token kept as the identity token.
        assert.deepEqual(Object.keys(stored.auths[registry.host]).sort(), ["auth", "identitytoken"]);
        assert.equal(stored.auths[registry.host].auth, Buffer.from(`${USER}:`).toString("base64"));
        assert.ok(stored.auths[registry.host].identitytoken.length > 10);
      } else {
        assert.deepEqual(stored.auths[registry.host], {
          auth: Buffer.from(`${USER}:${PASSWORD}`).toString("base64"),
        });
      }
      const pulled = await wharf(
        ["--root", tempDir("wharf-login-pull-"), "pull", `${registry.host}/private:latest`],
        {
          env,
        },
      );
      assert.equal(pulled.code, 0, pulled.stderr);
      const inspected = await tool("skopeo", [
        "inspect",
        "--tls-verify=false",
        "--authfile",
        config,
        `docker://${registry.host}/private:latest`,
      ]);
      assert.match(inspected.stdout, /"Architecture": "amd64"/);
      const logout = await wharf(["logout", registry.host], { env });
      assert.equal(logout.stdout, `Removing login credentials for ${registry.host}\n`);
      assert.equal(JSON.parse(readFileSync(config, "utf8")).auths[registry.host], undefined);
      const again = await wharf(["logout", registry.host], { env });
      assert.equal(again.stdout, `Removing login credentials for ${registry.host}\n`);
      assert.equal(again.code, 0);
    });

    test("a wrong password is refused by the registry and nothing is stored", async () => {
      const { env, config } = dockerEnv();
      const r = await wharf(["login", registry.host, "-u", USER, "--password-stdin"], {
        env,
        input: "nope\n",
      });
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(
        r.stderr,
        /^Error response from daemon: (login attempt to http:\/\/.*\/v2\/ failed with status: 401 Unauthorized|Get "http:\/\/.*\/v2\/": unauthorized: .*)\n$/,
      );
      assert.equal(existsSync(config), false);
    });
  });
}

describe("wharf login: input and helpers", () => {
  const host = registries[0]!.host;

  test("-p works with docker's warning; bad combinations and no terminal are one line, exit 1", async () => {
    const { env } = dockerEnv();
    const withP = await wharf(["login", host, "-u", USER, "-p", PASSWORD], { env });
    assert.equal(withP.code, 0, withP.stderr);
    assert.match(
      withP.stderr,
      /^WARNING! Using --password via the CLI is insecure\. Use --password-stdin\.\n/,
    );
    const cases: [string[], RegExp][] = [
      [["--password-stdin"], /^the --password-stdin option requires --username to be set\n$/],
      [
        ["-u", USER, "-p", "x", "--password-stdin"],
        /^conflicting options: cannot specify both --password and --password-stdin\n$/,
      ],
      [["-u", USER], /^Error: Cannot perform an interactive login from a non TTY device\n$/],
    ];
    for (const [args, message] of cases) {
      const r = await wharf(["login", host, ...args], { env, input: "" });
      assert.equal(r.code, 1, args.join(" "));
      assert.match(r.stderr, message);
    }
  });

  test("with credsStore: stored through the helper (no warning), an empty auths entry, used for pulls", async () => {
    const helper = installCredentialHelper();
    const { env, config } = dockerEnv(helper.env);
    writeFileSync(config, JSON.stringify({ credsStore: "wharftest" }));
    const login = await wharf(["login", host, "-u", USER, "--password-stdin"], { env, input: PASSWORD });
    assert.equal(login.code, 0, login.stderr);
    assert.equal(login.stderr, "");
    assert.deepEqual(JSON.parse(readFileSync(config, "utf8")).auths[host], {});
    assert.ok(helper.log().some((l) => l.startsWith("store ") && l.includes(`"ServerURL":"${host}"`)));
    const pulled = await wharf(
      ["--root", tempDir("wharf-login-helper-pull-"), "pull", `${host}/private:latest`],
      { env },
    );
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.ok(helper.log().some((l) => l === `get ${host}`));
    const logout = await wharf(["logout", host], { env });
    assert.equal(logout.code, 0);
    assert.ok(helper.log().some((l) => l === `erase ${host}`));
  });
});

describe("wharf login: identity tokens", () => {
  const wharfToken = registries.find((r) => r.name === "wharf serve, token auth")!.host;
  const distToken = registries.find((r) => r.name === "distribution 2.8, token auth")!.host;

  test("docker's offline request at login; pulls trade the identity token by POST, never the password", async () => {
    const { env, config } = dockerEnv();
    const before = issuer.requests.length;
    const login = await wharf(["login", distToken, "-u", USER, "--password-stdin"], { env, input: PASSWORD });
    assert.equal(login.code, 0, login.stderr);
    const asked = issuer.requests.slice(before).filter((r) => r.method === "GET" && r.authorized);
    assert.ok(asked.length > 0);
    for (const r of asked) {
      const q = new URL(r.url, "http://issuer").searchParams;
      assert.equal(q.get("offline_token"), "true");
      assert.equal(q.get("client_id"), "docker");
    }
    assert.equal(
      JSON.parse(readFileSync(config, "utf8")).auths[distToken].identitytoken,
      "idt-alice-from-issuer",
    );
    const pulling = issuer.requests.length;
    const pulled = await wharf(
      ["--root", tempDir("wharf-idt-pull-"), "pull", `${distToken}/private:latest`],
      { env },
    );
    assert.equal(pulled.code, 0, pulled.stderr);
    const during = issuer.requests.slice(pulling);
    assert.ok(during.length > 0);
    assert.ok(during.every((r) => r.method === "POST" && r.grant === "refresh_token" && r.authorized));
  });

  test("wharf serve: a refresh token is no access token, and a forged one is refused in one line", async () => {
    const { env, config } = dockerEnv();
    const login = await wharf(["login", wharfToken, "-u", USER, "--password-stdin"], {
      env,
      input: PASSWORD,
    });
    assert.equal(login.code, 0, login.stderr);
    const stored = JSON.parse(readFileSync(config, "utf8"));
    const identity = stored.auths[wharfToken].identitytoken as string;
    const asBearer = await fetch(`http://${wharfToken}/v2/private/manifests/latest`, {
      headers: { authorization: `Bearer ${identity}` },
    });
    assert.equal(asBearer.status, 401);
    stored.auths[wharfToken].identitytoken = `${identity.slice(0, -4)}AAAA`;
    writeFileSync(config, JSON.stringify(stored));
    const pulled = await wharf(
      ["--root", tempDir("wharf-idt-forged-"), "pull", `${wharfToken}/private:latest`],
      {
        env,
      },
    );
    assert.equal(pulled.code, 1);
    assert.equal(pulled.stderr.trim().split("\n").length, 1, pulled.stderr);
    assert.match(pulled.stderr, /invalid refresh token|unauthorized/);
  });

  test("with a credential helper: the identity token goes in as docker's `<token>` user", async () => {
    const helper = installCredentialHelper();
    const { env, config } = dockerEnv(helper.env);
    writeFileSync(config, JSON.stringify({ credsStore: "wharftest" }));
    const login = await wharf(["login", wharfToken, "-u", USER, "--password-stdin"], {
      env,
      input: PASSWORD,
    });
    assert.equal(login.code, 0, login.stderr);
    const stored = helper.log().find((l) => l.startsWith("store "))!;
    assert.equal(JSON.parse(stored.slice(6)).Username, "<token>");
    assert.ok(!stored.includes(PASSWORD));
    const pulled = await wharf(
      ["--root", tempDir("wharf-idt-helper-"), "pull", `${wharfToken}/private:latest`],
      {
        env,
      },
    );
    assert.equal(pulled.code, 0, pulled.stderr);
  });
});
