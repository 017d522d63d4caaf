/**
 * `wharf serve` with authentication: htpasswd (Basic) and token auth through its own /token endpoint,
 * with access rules. Every (mode, account, action) pair is tried over the wire, then real clients
 * (skopeo, wharf pull with a config.json) use the same servers.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { BUSYBOX_LAYOUT } from "../helpers/distribution.ts";
import { wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";
import { tool } from "../helpers/tools.ts";
import { startWharfServe } from "../helpers/wharf-serve.ts";

const dir = tempDir("wharf-serve-auth-");
const htpasswd = join(dir, "htpasswd");
const users = { alice: "wonderland", bob: "builder" };
writeFileSync(
  htpasswd,
  (
    await Promise.all(
      Object.entries(users).map(async ([u, p]) => (await tool("htpasswd", ["-Bbn", u, p])).stdout.trim()),
    )
  ).join("\n"),
);
// alice: everything; bob: pull and push on team/*, pull on busybox; anonymous: nothing (no anonymouspull).
const access = `access:
  - account: alice
    repository: "**"
    actions: [pull, push, delete]
  - account: bob
    repository: "team/*"
    actions: [pull, push]
  - account: bob
    repository: busybox
    actions: [pull]
`;
function config(name: string, auth: string): string {
  const file = join(dir, `${name}.yml`);
  writeFileSync(file, `auth:\n${auth}${access}`);
  return file;
}
const basic = await startWharfServe([
  "--config",
  config("basic", `  htpasswd:\n    realm: wharf-test\n    path: ${htpasswd}\n`),
]);
const token = await startWharfServe([
  "--config",
  config("token", `  htpasswd:\n    path: ${htpasswd}\n  token:\n    service: wharf-test\n`),
]);

// Content for every server: busybox (alice pushes it), and team/app.
for (const server of [basic, token]) {
  for (const repo of ["busybox", "team/app"]) {
    await tool("skopeo", [
      "copy",
      "--quiet",
      "--dest-tls-verify=false",
      "--dest-creds",
      `alice:${users.alice}`,
      `oci:${BUSYBOX_LAYOUT}:latest`,
      `docker://${server.host}/${repo}:latest`,
    ]);
  }
}

type Account = "alice" | "bob" | "anonymous" | "wrong-password";

function basicHeader(account: Account): Record<string, string> {
  if (account === "anonymous") return {};
  const password = account === "wrong-password" ? "nope" : users[account];
  const user = account === "wrong-password" ? "alice" : account;
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` };
}

async function tokenHeader(
  host: string,
  account: Account,
  scope: string,
): Promise<Record<string, string> | number> {
  const res = await fetch(`http://${host}/token?service=wharf-test&scope=${encodeURIComponent(scope)}`, {
    headers: basicHeader(account),
  });
  if (res.status !== 200) {
    await res.body?.cancel();
    return res.status;
  }
  const body = (await res.json()) as { token: string };
  return { authorization: `Bearer ${body.token}` };
}

/** The status of one action by one account on one repository. */
async function attempt(
  mode: "basic" | "token",
  account: Account,
  action: string,
  repo: string,
): Promise<number> {
  const host = mode === "basic" ? basic.host : token.host;
  const scopeActions = action === "delete" ? "delete" : action === "push" ? "pull,push" : "pull";
  let headers: Record<string, string>;
  if (mode === "basic") headers = basicHeader(account);
  else {
    const t = await tokenHeader(host, account, `repository:${repo}:${scopeActions}`);
    if (typeof t === "number") return t;
    headers = t;
  }
  const base = `http://${host}/v2/${repo}`;
  const res =
    action === "pull"
      ? await fetch(`${base}/manifests/latest`, { method: "HEAD", headers })
      : action === "push"
        ? await fetch(`${base}/blobs/uploads/`, { method: "POST", headers })
        : await fetch(`${base}/manifests/nosuchtag`, { method: "DELETE", headers });
  await res.body?.cancel();
  return res.status;
}

const OK = { pull: 200, push: 202, delete: 404 }; // delete of an unknown tag: allowed, then not found
type Outcome = "ok" | 401 | 403;
/** [account, repository, pull, push, delete] */
const EXPECTED: [Account, string, Outcome, Outcome, Outcome][] = [
  ["alice", "busybox", "ok", "ok", "ok"],
  ["alice", "team/app", "ok", "ok", "ok"],
  ["bob", "team/app", "ok", "ok", 403],
  ["bob", "busybox", "ok", 403, 403],
  ["bob", "secret/thing", 403, 403, 403],
  ["anonymous", "busybox", 401, 401, 401],
  ["wrong-password", "busybox", 401, 401, 401],
];

describe("wharf serve auth: every account, action and mode", () => {
  for (const mode of ["basic", "token"] as const) {
    for (const [account, repo, ...outcomes] of EXPECTED) {
      for (const [i, action] of (["pull", "push", "delete"] as const).entries()) {
        const outcome = outcomes[i]!;
        test(`${mode}: ${account} ${action} ${repo} -> ${outcome}`, async () => {
          const status = await attempt(mode, account, action, repo);
          assert.equal(status, outcome === "ok" ? OK[action] : outcome);
        });
      }
    }
  }

  test("challenges: Basic realm; Bearer realm, service and scope", async () => {
    const b = await fetch(`http://${basic.host}/v2/busybox/manifests/latest`);
    await b.body?.cancel();
    assert.equal(b.status, 401);
    assert.equal(b.headers.get("www-authenticate"), 'Basic realm="wharf-test"');
    const t = await fetch(`http://${token.host}/v2/busybox/manifests/latest`);
    assert.equal(t.status, 401);
    assert.equal(
      t.headers.get("www-authenticate"),
      `Bearer realm="http://${token.host}/token",service="wharf-test",scope="repository:busybox:pull"`,
    );
    assert.deepEqual(((await t.json()) as { errors: { code: string }[] }).errors[0]?.code, "UNAUTHORIZED");
  });

  test("a forged or foreign token is refused", async () => {
    const forged = `${Buffer.from('{"alg":"HS256"}').toString("base64url")}.${Buffer.from('{"sub":"alice"}').toString("base64url")}.x`;
    const res = await fetch(`http://${token.host}/v2/busybox/manifests/latest`, {
      headers: { authorization: `Bearer ${forged}` },
    });
    await res.body?.cancel();
    assert.equal(res.status, 401);
    assert.match(res.headers.get("www-authenticate") ?? "", /error="invalid_token"/);
  });

  test("the catalog lists what the account may pull", async () => {
    const headers = basicHeader("bob");
    const list = (await (await fetch(`http://${basic.host}/v2/_catalog`, { headers })).json()) as {
      repositories: string[];
    };
    assert.deepEqual(list.repositories, ["busybox", "team/app"]);
  });
});

describe("real clients with credentials", () => {
  for (const [mode, server] of [
    ["basic", basic],
    ["token", token],
  ] as const) {
    test(`${mode}: skopeo as bob is refused a push to busybox, allowed into team/`, async () => {
      const push = (repo: string) =>
        tool("skopeo", [
          "copy",
          "--quiet",
          "--dest-tls-verify=false",
          "--dest-creds",
          `bob:${users.bob}`,
          `oci:${BUSYBOX_LAYOUT}:latest`,
          `docker://${server.host}/${repo}:bob`,
        ]);
      await assert.rejects(push("busybox"), /denied|403|unauthorized/i);
      await push("team/bob");
    });

    test(`${mode}: wharf pull with the credentials in a config.json; without them, unauthorized`, async () => {
      const root = tempDir("wharf-serve-auth-pull-");
      const refused = await wharf(["--root", root, "pull", `${server.host}/team/app:latest`], {
        env: { ...process.env, DOCKER_CONFIG: tempDir("wharf-no-creds-") },
      });
      assert.equal(refused.code, 1);
      // Basic: docker's "no basic auth credentials"; token: an anonymous token without the scope,
      // which Docker reports as "denied: requested access to the resource is denied".
      assert.match(
        refused.stderr,
        mode === "basic" ? /no basic auth credentials/ : /denied: requested access/,
      );
      const docker = tempDir("wharf-docker-config-");
      writeFileSync(
        join(docker, "config.json"),
        JSON.stringify({
          auths: { [server.host]: { auth: Buffer.from(`bob:${users.bob}`).toString("base64") } },
        }),
      );
      const pulled = await wharf(["--root", root, "pull", `${server.host}/team/app:latest`], {
        env: { ...process.env, DOCKER_CONFIG: docker },
      });
      assert.equal(pulled.code, 0, pulled.stdout + pulled.stderr);
    });
  }
});
