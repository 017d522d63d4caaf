/**
 * `wharf login` / `wharf logout` against wharf serve (htpasswd and token auth) and distribution 2.8
 * (htpasswd): credentials are checked before they are stored where docker keeps them; skopeo reads
 * the same file; a credential helper is used for store and get; wrong input is one line, exit 1.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { installCredentialHelper } from "../helpers/credential-helper.ts";
import { BUSYBOX_LAYOUT, startDistribution } from "../helpers/distribution.ts";
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

const registries = [
  { name: "wharf serve, htpasswd", host: (await startWharfServe(["--config", basicYml])).host },
  { name: "wharf serve, token auth", host: (await startWharfServe(["--config", tokenYml])).host },
  {
    name: "distribution 2.8, htpasswd",
    host: (await startDistribution({ kind: "htpasswd", users: { [USER]: PASSWORD } })).host,
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
      assert.match(
        login.stderr,
        new RegExp(`^WARNING! Your credentials are stored unencrypted in '${config}'\\.\\n`),
      );
      const stored = JSON.parse(readFileSync(config, "utf8"));
      assert.equal(stored.auths[registry.host].auth, Buffer.from(`${USER}:${PASSWORD}`).toString("base64"));
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
      assert.equal(again.stdout, `Not logged in to ${registry.host}\n`);
    });

    test("a wrong password is refused by the registry and nothing is stored", async () => {
      const { env, config } = dockerEnv();
      const r = await wharf(["login", registry.host, "-u", USER, "--password-stdin"], {
        env,
        input: "nope\n",
      });
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, /unauthorized|invalid username or password/);
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
