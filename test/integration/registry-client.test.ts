/**
 * RegistryClient against the real distribution registry (no auth, htpasswd, token auth with an issuer
 * of our own), and against node:http doubles on 127.0.0.x for the faults a real registry cannot
 * produce (5xx, 429 with Retry-After, dropped connections, hostile redirects and realms, huge or
 * slow answers, lying digests).
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { isWharfError, type WharfError } from "../../src/errors.ts";
import { type Digest, digestBytes } from "../../src/oci/digest.ts";
import { DockerMediaType, OciMediaType } from "../../src/oci/mediatype.ts";
import {
  apiHostFor,
  DockerCredentialStore,
  isListedInsecure,
  isLoopbackHost,
  loadRegistriesConfig,
  parseRetryAfter,
  parseTokenResponse,
  type RegistryClientOptions,
  registriesConfigPath,
  registryClientFor,
  splitHostPort,
} from "../../src/registry/client/index.ts";
import { installCredentialHelper } from "../helpers/credential-helper.ts";
import {
  BUSYBOX_LAYOUT,
  BUSYBOX_MULTI_LAYOUT,
  listen,
  pushFixtures,
  startDistribution,
  startTokenIssuer,
} from "../helpers/distribution.ts";
import { client, readAll } from "../helpers/registry-client.ts";
import { tempDir } from "../helpers/tmp.ts";
import { selfSignedCertificate, tool } from "../helpers/tools.ts";

function layoutBlob(layout: string, digest: string): Buffer {
  const [alg, hex] = digest.split(":") as [string, string];
  return readFileSync(join(layout, "blobs", alg, hex));
}

function layoutRoot(layout: string): { digest: Digest; mediaType: string } {
  const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8"));
  return index.manifests[0];
}

const BUSYBOX = layoutRoot(BUSYBOX_LAYOUT);
const BUSYBOX_MANIFEST = layoutBlob(BUSYBOX_LAYOUT, BUSYBOX.digest);
const BUSYBOX_LAYERS: { digest: Digest; size: number }[] = JSON.parse(BUSYBOX_MANIFEST.toString()).layers;
const MULTI = layoutRoot(BUSYBOX_MULTI_LAYOUT);

function rejectsWith(code: WharfError["code"], message?: string | RegExp) {
  return (err: unknown) => {
    assert.ok(isWharfError(err), `expected a WharfError, got ${err}`);
    assert.equal(err.code, code, err.message);
    if (typeof message === "string") assert.equal(err.message, message);
    else if (message !== undefined) assert.match(err.message, message);
    return true;
  };
}

async function rawManifest(host: string, tag: string): Promise<Buffer> {
  const { stdout } = await tool("skopeo", [
    "inspect",
    "--raw",
    "--tls-verify=false",
    `docker://${host}/busybox:${tag}`,
  ]);
  return Buffer.from(stdout);
}

// One registry per variant for the whole file, started at the top level so that their `after`
// cleanups belong to the file (node:test runs an `after` registered in a hook when the hook ends).
const plain = await startDistribution({ kind: "none" }, { schema1: true });
const basic = await startDistribution({ kind: "htpasswd", users: { alice: "wonderland" } });
const tokenIssuer = await startTokenIssuer({
  users: { alice: "secret" },
  identityTokens: { alice: "idt-alice" },
});
const tokenReg = await startDistribution({ kind: "token", issuer: tokenIssuer });
await Promise.all([
  pushFixtures(plain.host, undefined, { schema1: true }),
  pushFixtures(basic.host, "alice:wonderland"),
  pushFixtures(tokenReg.host, "alice:secret"),
]);

describe("distribution without auth", () => {
  const reg = plain;

  test("ping: a v2 registry that needs no auth", async () => {
    const ping = await client(reg.host).ping();
    assert.equal(ping.status, 200);
    assert.equal(ping.apiVersion, "registry/2.0");
    assert.deepEqual(ping.challenges, []);
  });

  test("manifests of all four media types by tag, exact bytes and digest", async () => {
    const c = client(reg.host);
    const oci = await c.getManifest("busybox", "latest");
    assert.equal(oci.mediaType, OciMediaType.ImageManifest);
    assert.deepEqual(Buffer.from(oci.bytes), BUSYBOX_MANIFEST);
    assert.equal(oci.digest, BUSYBOX.digest);

    const index = await c.getManifest("busybox", "multi");
    assert.equal(index.mediaType, OciMediaType.ImageIndex);
    assert.deepEqual(Buffer.from(index.bytes), layoutBlob(BUSYBOX_MULTI_LAYOUT, MULTI.digest));
    assert.equal(index.digest, MULTI.digest);

    for (const [tag, mediaType] of [
      ["v2s2", DockerMediaType.Manifest],
      ["list", DockerMediaType.ManifestList],
    ] as const) {
      const m = await c.getManifest("busybox", tag);
      const raw = await rawManifest(reg.host, tag);
      assert.equal(m.mediaType, mediaType);
      assert.deepEqual(Buffer.from(m.bytes), raw);
      assert.equal(m.digest, digestBytes(raw));
    }
  });

  test("manifests by digest: the index's children, and the digest is checked", async () => {
    const c = client(reg.host);
    const index = JSON.parse(layoutBlob(BUSYBOX_MULTI_LAYOUT, MULTI.digest).toString());
    for (const child of index.manifests as { digest: Digest; mediaType: string }[]) {
      const m = await c.getManifest("busybox", child.digest);
      assert.equal(m.digest, child.digest);
      assert.equal(m.mediaType, child.mediaType);
      assert.equal(digestBytes(m.bytes), child.digest);
    }
    const byDigest = await c.getManifest("busybox", MULTI.digest);
    assert.equal(byDigest.mediaType, OciMediaType.ImageIndex);
  });

  test("headManifest: media type, digest and size without the body", async () => {
    const head = await client(reg.host).headManifest("busybox", "latest");
    assert.deepEqual(head, {
      mediaType: OciMediaType.ImageManifest,
      digest: BUSYBOX.digest,
      size: BUSYBOX_MANIFEST.byteLength,
    });
  });

  test("schema 1 is refused clearly", async () => {
    await assert.rejects(
      client(reg.host).getManifest("busybox", "schema1"),
      rejectsWith("MANIFEST_SCHEMA1", /Schema 1 is deprecated and not supported/),
    );
  });

  test("blobs: whole, and resumed from an offset with a Range request", async () => {
    const c = client(reg.host);
    const layer = BUSYBOX_LAYERS.reduce((a, b) => (b.size > a.size ? b : a));
    const expected = layoutBlob(BUSYBOX_LAYOUT, layer.digest);
    const whole = await c.getBlob("busybox", layer.digest);
    assert.equal(whole.offset, 0);
    assert.equal(whole.size, layer.size);
    assert.deepEqual(await readAll(whole.stream), expected);

    const from = Math.floor(layer.size / 3);
    const tail = await c.getBlob("busybox", layer.digest, { offset: from });
    assert.equal(tail.offset, from);
    assert.equal(tail.size, layer.size);
    assert.deepEqual(await readAll(tail.stream), expected.subarray(from));

    assert.equal(await c.blobExists("busybox", layer.digest), true);
    assert.equal(await c.blobExists("busybox", digestBytes("absent")), false);
  });

  test("listTags, with pagination", async () => {
    const c = client(reg.host);
    assert.deepEqual((await c.listTags("busybox")).sort(), ["latest", "list", "multi", "schema1", "v2s2"]);
    assert.deepEqual((await c.listTags("busybox", { pageSize: 2 })).sort(), [
      "latest",
      "list",
      "multi",
      "schema1",
      "v2s2",
    ]);
  });

  test("manifest unknown, blob unknown, name unknown: Docker's wording", async () => {
    const c = client(reg.host);
    await assert.rejects(
      c.getManifest("busybox", "nope"),
      rejectsWith("REGISTRY_NOT_FOUND", "manifest unknown: manifest unknown"),
    );
    await assert.rejects(
      c.getManifest("nosuchrepo", digestBytes("x")),
      rejectsWith("REGISTRY_NOT_FOUND", "manifest unknown: manifest unknown"),
    );
    await assert.rejects(
      c.headManifest("busybox", "nope"),
      rejectsWith("REGISTRY_NOT_FOUND", "manifest unknown"),
    );
    await assert.rejects(
      c.getBlob("busybox", digestBytes("absent")),
      rejectsWith("REGISTRY_NOT_FOUND", "blob unknown: blob unknown to registry"),
    );
    await assert.rejects(
      c.listTags("nosuchrepo"),
      rejectsWith("REGISTRY_NOT_FOUND", "name unknown: repository name not known to registry"),
    );
  });

  test("bad arguments are refused before any request", async () => {
    const c = client(reg.host);
    await assert.rejects(c.getManifest("busybox", "bad tag!"), rejectsWith("REFERENCE_TAG_INVALID"));
    await assert.rejects(c.getManifest("busybox", "sha256:abc"), rejectsWith("DIGEST_INVALID_LENGTH"));
    await assert.rejects(c.getManifest("Busybox", "latest"), rejectsWith("REFERENCE_INVALID_FORMAT"));
  });

  test("registryClientFor: docker.io is served by registry-1.docker.io", async () => {
    assert.equal(apiHostFor("docker.io"), "registry-1.docker.io");
    assert.equal(apiHostFor("index.docker.io"), "registry-1.docker.io");
    assert.equal(apiHostFor(reg.host), reg.host);
    const hub = await registryClientFor("docker.io", { registriesConfig: false });
    assert.equal(hub.host, "registry-1.docker.io");
    assert.equal(hub.domain, "docker.io");
    await hub.close();
  });
});

describe("distribution with htpasswd basic auth", () => {
  const reg = basic;

  test("right credentials pull; the challenge is Basic", async () => {
    const c = client(reg.host, { credentials: { username: "alice", password: "wonderland" } });
    const ping = await c.ping();
    assert.equal(ping.status, 401);
    assert.equal(ping.challenges[0]?.scheme, "basic");
    const m = await c.getManifest("busybox", "latest");
    assert.equal(m.digest, BUSYBOX.digest);
  });

  test("wrong or no credentials: unauthorized: authentication required", async () => {
    const wrong = client(reg.host, { credentials: { username: "alice", password: "nope" } });
    await assert.rejects(
      wrong.getManifest("busybox", "latest"),
      rejectsWith("REGISTRY_UNAUTHORIZED", "unauthorized: authentication required"),
    );
    await assert.rejects(
      client(reg.host).getManifest("busybox", "latest"),
      rejectsWith("REGISTRY_UNAUTHORIZED", "unauthorized: authentication required"),
    );
  });

  test("credentials from config.json (auths entry with a scheme and path)", async () => {
    const dir = tempDir("wharf-docker-config-");
    const auth = Buffer.from("alice:wonderland").toString("base64");
    writeFileSync(
      join(dir, "config.json"),
      JSON.stringify({ auths: { [`http://${reg.host}/v2/`]: { auth } } }),
    );
    const c = await registryClientFor(reg.host, {
      credentials: new DockerCredentialStore({ env: { DOCKER_CONFIG: dir } }),
      registriesConfig: false,
    });
    after(() => c.close());
    assert.equal((await c.getManifest("busybox", "v2s2")).mediaType, DockerMediaType.Manifest);
  });
});

describe("distribution with token auth", () => {
  const reg = tokenReg;
  const issuer = tokenIssuer;

  test("anonymous: an empty token, and the registry denies access", async () => {
    const c = client(reg.host);
    const ping = await c.ping();
    assert.equal(ping.challenges[0]?.scheme, "bearer");
    assert.equal(ping.challenges[0]?.params.realm, issuer.realm);
    const mark = issuer.requests.length;
    await assert.rejects(
      c.getManifest("busybox", "latest"),
      rejectsWith("REGISTRY_DENIED", "denied: requested access to the resource is denied"),
    );
    assert.deepEqual(
      issuer.requests.slice(mark).map((r) => r.authorized),
      [false],
      "a freshly fetched token is not fetched again",
    );
  });

  test("credentials: one token for the scope, reused from the cache", async () => {
    const c = client(reg.host, { credentials: { username: "alice", password: "secret" } });
    const mark = issuer.requests.length;
    const m = await c.getManifest("busybox", "latest");
    assert.equal(m.digest, BUSYBOX.digest);
    await c.getManifest("busybox", "v2s2");
    await c.headManifest("busybox", "multi");
    const layer = BUSYBOX_LAYERS[0]!;
    assert.deepEqual(
      await readAll((await c.getBlob("busybox", layer.digest)).stream),
      layoutBlob(BUSYBOX_LAYOUT, layer.digest),
    );
    assert.equal(await c.blobExists("busybox", layer.digest), true);
    const seen = issuer.requests.slice(mark);
    assert.equal(seen.length, 1, JSON.stringify(seen));
    assert.equal(seen[0]?.method, "GET");
    assert.equal(seen[0]?.authorized, true);
    const url = new URL(seen[0]?.url ?? "", "http://x");
    assert.equal(url.searchParams.get("service"), issuer.service);
    assert.deepEqual(url.searchParams.getAll("scope"), ["repository:busybox:pull"]);
    assert.equal(url.searchParams.get("account"), "alice");
  });

  test("wrong password: the token server's answer, worded as docker does", async () => {
    const c = client(reg.host, { credentials: { username: "alice", password: "wrong" } });
    await assert.rejects(
      c.getManifest("busybox", "latest"),
      // Go's http.Client: its auth transport's error comes after the request it was for.
      rejectsWith(
        "REGISTRY_UNAUTHORIZED",
        `Get "http://${reg.host}/v2/busybox/manifests/latest": unauthorized: incorrect username or password`,
      ),
    );
  });

  test("credentials from a docker-credential helper (credsStore)", async () => {
    const helper = installCredentialHelper();
    helper.put(reg.host, "alice", "secret");
    const dir = tempDir("wharf-docker-config-");
    writeFileSync(join(dir, "config.json"), JSON.stringify({ credsStore: "wharftest" }));
    const c = await registryClientFor(reg.host, {
      credentials: new DockerCredentialStore({ env: { ...helper.env, DOCKER_CONFIG: dir } }),
      registriesConfig: false,
    });
    after(() => c.close());
    assert.equal((await c.getManifest("busybox", "list")).mediaType, DockerMediaType.ManifestList);
    assert.deepEqual(helper.log(), [`get ${reg.host}`]);
  });

  test("an identity token from config.json: OAuth2 refresh_token grant by POST", async () => {
    const dir = tempDir("wharf-docker-config-");
    writeFileSync(
      join(dir, "config.json"),
      JSON.stringify({ auths: { [reg.host]: { identitytoken: "idt-alice" } } }),
    );
    const c = await registryClientFor(reg.host, {
      credentials: new DockerCredentialStore({ env: { DOCKER_CONFIG: dir } }),
      registriesConfig: false,
    });
    after(() => c.close());
    const mark = issuer.requests.length;
    assert.equal((await c.getManifest("busybox", "latest")).digest, BUSYBOX.digest);
    assert.deepEqual(
      issuer.requests.slice(mark).map((r) => [r.method, r.grant, r.authorized]),
      [["POST", "refresh_token", true]],
    );
  });
});

// ------------------------------------------------------------------------------------------------
// Faults, from node:http doubles on loopback addresses

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen[]) => void;

/** A double answering /v2/ with 200 unless the handler takes it; records every request. */
async function double(handler: Handler, address = "127.0.0.1"): Promise<{ host: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    res.on("error", () => {});
    req.socket.on("error", () => {});
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    handler(req, res, seen);
    if (!res.headersSent && !res.writableEnded && req.url === "/v2/") {
      res.writeHead(200, { "docker-distribution-api-version": "registry/2.0" }).end("{}");
    }
  });
  const host = await listen(server, address);
  return { host, seen };
}

const MANIFEST_HEADERS = {
  "content-type": OciMediaType.ImageManifest,
  "docker-content-digest": BUSYBOX.digest,
};
const FAST_RETRY: RegistryClientOptions = { retryBaseDelayMs: 5, maxRetryDelayMs: 20 };
const hits = (seen: Seen[], path: string) => seen.filter((s) => s.url === path).length;

describe("faults a real registry cannot produce", () => {
  test("503 then success: retried with backoff; 503 forever: bounded, then the status", async () => {
    const d = await double((req, res, seen) => {
      if (req.url === "/v2/r/manifests/flaky") {
        if (hits(seen, req.url) === 1) res.writeHead(503).end("busy");
        else res.writeHead(200, MANIFEST_HEADERS).end(BUSYBOX_MANIFEST);
      } else if (req.url === "/v2/r/manifests/down") {
        res.writeHead(503).end();
      }
    });
    const c = client(d.host, { ...FAST_RETRY, retries: 2 });
    assert.equal((await c.getManifest("r", "flaky")).digest, BUSYBOX.digest);
    assert.equal(hits(d.seen, "/v2/r/manifests/flaky"), 2);
    await assert.rejects(
      c.getManifest("r", "down"),
      rejectsWith("REGISTRY_UNAVAILABLE", "received unexpected HTTP status: 503 Service Unavailable"),
    );
    assert.equal(hits(d.seen, "/v2/r/manifests/down"), 3);
  });

  test("429 with Retry-After is honoured; one beyond the limit fails at once with the rate limits", async () => {
    const d = await double((req, res, seen) => {
      if (req.url === "/v2/r/manifests/later") {
        if (hits(seen, req.url) === 1) res.writeHead(429, { "retry-after": "1" }).end();
        else res.writeHead(200, MANIFEST_HEADERS).end(BUSYBOX_MANIFEST);
      } else if (req.url === "/v2/r/manifests/limited") {
        res
          .writeHead(429, {
            "retry-after": "21600",
            "ratelimit-limit": "100;w=21600",
            "ratelimit-remaining": "0;w=21600",
            "content-type": "application/json",
          })
          .end(
            JSON.stringify({
              errors: [{ code: "TOOMANYREQUESTS", message: "You have reached your pull rate limit." }],
            }),
          );
      }
    });
    const c = client(d.host, FAST_RETRY);
    const started = Date.now();
    await c.getManifest("r", "later");
    assert.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
    assert.equal(hits(d.seen, "/v2/r/manifests/later"), 2);
    await assert.rejects(
      c.getManifest("r", "limited"),
      rejectsWith(
        "REGISTRY_TOOMANYREQUESTS",
        "toomanyrequests: You have reached your pull rate limit. " +
          "(RateLimit-Limit: 100;w=21600, RateLimit-Remaining: 0;w=21600)",
      ),
    );
    assert.equal(hits(d.seen, "/v2/r/manifests/limited"), 1);
    const inTwoSeconds = new Date(Date.now() + 2000).toUTCString();
    const ms = parseRetryAfter(inTwoSeconds) ?? -1;
    assert.ok(ms > 500 && ms <= 2000, `${ms}`);
    assert.equal(parseRetryAfter("7"), 7000);
    assert.equal(parseRetryAfter("soon"), undefined);
  });

  test("a connection reset before the headers is retried", async () => {
    const d = await double((req, res, seen) => {
      if (req.url === "/v2/r/manifests/reset") {
        if (hits(seen, req.url) === 1) req.socket.destroy();
        else res.writeHead(200, MANIFEST_HEADERS).end(BUSYBOX_MANIFEST);
      }
    });
    const c = client(d.host, FAST_RETRY);
    assert.equal((await c.getManifest("r", "reset")).digest, BUSYBOX.digest);
    assert.equal(hits(d.seen, "/v2/r/manifests/reset"), 2);
  });

  test("connection destroyed mid-blob, then resumed with Range; a server ignoring Range restarts at 0", async () => {
    const blob = randomBytes(512 * 1024);
    const digest = digestBytes(blob);
    const cut = 200 * 1024;
    const d = await double((req, res) => {
      if (req.url === `/v2/r/blobs/${digest}`) {
        const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
        if (range) {
          const from = Number(range[1]);
          res.writeHead(206, {
            "content-length": String(blob.length - from),
            "content-range": `bytes ${from}-${blob.length - 1}/${blob.length}`,
          });
          res.end(blob.subarray(from));
        } else {
          res.writeHead(200, { "content-length": String(blob.length) });
          res.write(blob.subarray(0, cut), () => setTimeout(() => req.socket.destroy(), 20));
        }
      } else if (req.url === `/v2/r/blobs/${digestBytes("whole")}`) {
        res.writeHead(200, { "content-length": "5" }).end("whole");
      }
    });
    const c = client(d.host, FAST_RETRY);
    const first = await c.getBlob("r", digest);
    assert.equal(first.size, blob.length);
    const got: Buffer[] = [];
    let received = 0;
    await assert.rejects(
      (async () => {
        for await (const chunk of first.stream) {
          got.push(chunk as Buffer);
          received += (chunk as Buffer).length;
        }
      })(),
      rejectsWith("REGISTRY_UNAVAILABLE", /connection closed by the server/),
    );
    assert.ok(received > 0 && received < blob.length, `received ${received}`);
    const rest = await c.getBlob("r", digest, { offset: received });
    assert.equal(rest.offset, received);
    assert.equal(rest.size, blob.length);
    got.push(await readAll(rest.stream));
    const all = Buffer.concat(got);
    assert.equal(createHash("sha256").update(all).digest("hex"), digest.slice("sha256:".length));
    assert.equal(d.seen.filter((s) => s.headers.range === `bytes=${received}-`).length, 1);

    const ignored = await c.getBlob("r", digestBytes("whole"), { offset: 3 });
    assert.equal(ignored.offset, 0, "a 200 answer to a Range request starts at 0");
    assert.equal((await readAll(ignored.stream)).toString(), "whole");
  });

  test("a redirect to another host never carries the Authorization header", async () => {
    const blob = Buffer.from("object storage bytes");
    const storage = await double((req, res) => {
      if (req.url?.startsWith("/storage/"))
        res.writeHead(200, { "content-length": String(blob.length) }).end(blob);
    }, "127.0.0.2");
    const expected = `Basic ${Buffer.from("u:p").toString("base64")}`;
    const reg = await double((req, res) => {
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { "www-authenticate": 'Basic realm="double"' }).end();
      } else if (req.url?.startsWith("/v2/r/blobs/")) {
        res.writeHead(307, { location: `http://${storage.host}/storage/blob?sig=abc` }).end();
      } else if (req.url === "/v2/r/manifests/evil") {
        res.writeHead(302, { location: "file:///etc/passwd" }).end();
      } else if (req.url === "/v2/r/manifests/loop") {
        res.writeHead(302, { location: "/v2/r/manifests/loop" }).end();
      } else if (req.url === "/v2/r/manifests/downgrade") {
        res.writeHead(302, { location: "http://registry.example.invalid/m" }).end();
      }
    });
    const c = client(reg.host, { credentials: { username: "u", password: "p" } });
    const got = await c.getBlob("r", digestBytes(blob));
    assert.deepEqual(await readAll(got.stream), blob);
    const atRegistry = reg.seen.find((s) => s.url.startsWith("/v2/r/blobs/"));
    assert.equal(atRegistry?.headers.authorization, expected);
    assert.equal(storage.seen.length, 1);
    assert.equal(storage.seen[0]?.headers.authorization, undefined);

    await assert.rejects(c.getManifest("r", "evil"), rejectsWith("REGISTRY_PROTOCOL", /file: URL/));
    await assert.rejects(
      c.getManifest("r", "loop"),
      rejectsWith("REGISTRY_PROTOCOL", /stopped after 10 redirects/),
    );
    await assert.rejects(
      c.getManifest("r", "downgrade"),
      rejectsWith("REGISTRY_INSECURE_REFUSED", /plain HTTP on registry\.example\.invalid/),
    );
  });

  test("a Bearer realm on another host over plain HTTP is refused unless the registry is marked insecure", async () => {
    const issuer = await double((req, res) => {
      if (req.url?.startsWith("/token")) {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: "t0k" }));
      }
    }, "127.0.0.2");
    const reg = await double((req, res) => {
      if (req.headers.authorization !== "Bearer t0k") {
        res
          .writeHead(401, {
            "www-authenticate": `Bearer realm="http://${issuer.host}/token",service="double"`,
          })
          .end();
      } else if (req.url === "/v2/r/manifests/latest") {
        res.writeHead(200, MANIFEST_HEADERS).end(BUSYBOX_MANIFEST);
      }
    });
    await assert.rejects(
      client(reg.host, { credentials: { username: "u", password: "p" } }).getManifest("r", "latest"),
      rejectsWith("REGISTRY_INSECURE_REFUSED", /refusing to fetch a token over plain HTTP/),
    );
    assert.equal(issuer.seen.length, 0, "the realm was never contacted");

    // Marked insecure in registries.json.
    const path = join(tempDir("wharf-xdg-"), "registries.json");
    writeFileSync(path, JSON.stringify({ insecureRegistries: [reg.host] }));
    const marked = await registryClientFor(reg.host, {
      registriesConfig: await loadRegistriesConfig(path),
      credentials: { username: "u", password: "p" },
    });
    after(() => marked.close());
    assert.equal((await marked.getManifest("r", "latest")).digest, BUSYBOX.digest);
    assert.equal(issuer.seen.length, 1);
    assert.equal(issuer.seen[0]?.headers.authorization, `Basic ${Buffer.from("u:p").toString("base64")}`);
  });

  test("a cached token the registry refuses is fetched again, once; a realm on the same host name is fine", async () => {
    let issued = 0;
    const issuer = await double((req, res) => {
      if (req.url?.startsWith("/token")) {
        issued += 1;
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ token: `t${issued}`, expires_in: 300 }));
      }
    });
    let valid = "t1";
    const reg = await double((req, res) => {
      if (req.headers.authorization !== `Bearer ${valid}`) {
        const challenge = `Bearer realm="http://${issuer.host}/token",service="double"`;
        res.writeHead(401, { "www-authenticate": challenge }).end();
      } else if (req.url === "/v2/r/manifests/latest") {
        res.writeHead(200, MANIFEST_HEADERS).end(BUSYBOX_MANIFEST);
      }
    });
    const c = client(reg.host);
    await c.getManifest("r", "latest");
    await c.getManifest("r", "latest");
    assert.equal(issued, 1);
    valid = "t2"; // the registry stops accepting t1 before its expiry
    await c.getManifest("r", "latest");
    assert.equal(issued, 2);
    valid = "none";
    await assert.rejects(
      c.getManifest("r", "latest"),
      rejectsWith("REGISTRY_UNAUTHORIZED", "unauthorized: authentication required"),
    );
    assert.equal(issued, 3, "one new token, no loop");
  });

  test("TLS is verified for other hosts (a blob redirect to storage); a custom CA is trusted when given", async () => {
    const dir = tempDir("wharf-tls-");
    const { keyPath, certPath } = await selfSignedCertificate(dir, "/CN=127.0.0.2", [
      "-addext",
      "subjectAltName=IP:127.0.0.2",
    ]);
    const blob = Buffer.from("over TLS");
    const storageServer = createHttpsServer(
      { key: readFileSync(keyPath), cert: readFileSync(certPath) },
      (_req, res) => {
        res.writeHead(200, { "content-length": String(blob.length) }).end(blob);
      },
    );
    const storage = await listen(storageServer, "127.0.0.2");
    const reg = await double((req, res) => {
      if (req.url?.startsWith("/v2/r/blobs/")) {
        res.writeHead(307, { location: `https://${storage}/storage/blob` }).end();
      }
    });
    await assert.rejects(
      client(reg.host).getBlob("r", digestBytes(blob)),
      rejectsWith(
        "REGISTRY_TLS",
        new RegExp(`^Get "https://${storage}/storage/blob": tls: self[- ]signed certificate`),
      ),
    );
    const trusting = client(reg.host, { ca: readFileSync(certPath, "utf8") });
    assert.deepEqual(await readAll((await trusting.getBlob("r", digestBytes(blob))).stream), blob);
  });

  test("a blob body that stalls: timeout reading the response body", async () => {
    const d = await double((req, res) => {
      if (req.url?.startsWith("/v2/r/blobs/")) {
        res.writeHead(200, { "content-length": "1000" });
        res.write(Buffer.alloc(100));
      }
    });
    const c = client(d.host, { bodyTimeoutMs: 300 });
    const blob = await c.getBlob("r", digestBytes("stall"));
    await assert.rejects(
      readAll(blob.stream),
      rejectsWith("REGISTRY_TIMEOUT", `timeout reading the response body from ${d.host}: no data for 0.3s`),
    );
  });

  test("oversized manifests are refused, with or without Content-Length", async () => {
    const big = Buffer.alloc(5 * 1024 * 1024, 0x20);
    const d = await double((req, res) => {
      if (req.url === "/v2/r/manifests/declared") {
        res.writeHead(200, {
          "content-type": OciMediaType.ImageManifest,
          "content-length": String(big.length),
        });
        res.end(big);
      } else if (req.url === "/v2/r/manifests/chunked") {
        res.writeHead(200, { "content-type": OciMediaType.ImageManifest });
        res.end(big);
      }
    });
    const c = client(d.host);
    await assert.rejects(
      c.getManifest("r", "declared"),
      rejectsWith("REGISTRY_MANIFEST_TOO_LARGE", /5242880 bytes exceeds the 4 MiB limit/),
    );
    await assert.rejects(
      c.getManifest("r", "chunked"),
      rejectsWith("REGISTRY_MANIFEST_TOO_LARGE", /exceeds the 4 MiB limit/),
    );
  });

  test("a registry that never answers: timeout awaiting response headers", async () => {
    const d = await double(() => {
      // /v2/ answers; everything else hangs
    });
    const c = client(d.host, { headersTimeoutMs: 300 });
    await assert.rejects(
      c.getManifest("r", "slow"),
      rejectsWith("REGISTRY_TIMEOUT", `timeout awaiting response headers from ${d.host} after 0.3s`),
    );
  });

  test("a lying Docker-Content-Digest, or content that is not the requested digest", async () => {
    const d = await double((req, res) => {
      if (req.url?.startsWith("/v2/r/manifests/")) {
        res.writeHead(200, {
          "content-type": OciMediaType.ImageManifest,
          ...(req.url.endsWith("/lying") ? { "docker-content-digest": digestBytes("other") } : {}),
        });
        res.end(BUSYBOX_MANIFEST);
      }
    });
    const c = client(d.host);
    await assert.rejects(c.getManifest("r", "lying"), rejectsWith("DIGEST_MISMATCH", /the registry says/));
    await assert.rejects(
      c.getManifest("r", digestBytes("other")),
      rejectsWith("DIGEST_MISMATCH", /requested/),
    );
    assert.equal((await c.getManifest("r", "honest")).digest, BUSYBOX.digest);
  });
});

describe("pieces", () => {
  test("token answers: token or access_token, expires_in at least 60 s, issued_at only when plausible", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    assert.deepEqual(parseTokenResponse({ token: "a" }, now, "r"), { token: "a", expiresAt: now + 60_000 });
    assert.deepEqual(parseTokenResponse({ token: "a", access_token: "b", expires_in: 10 }, now, "r"), {
      token: "b",
      expiresAt: now + 60_000,
    });
    const issued = new Date(now - 10_000).toISOString();
    assert.equal(
      parseTokenResponse({ token: "a", expires_in: 300, issued_at: issued }, now, "r").expiresAt,
      now - 10_000 + 300_000,
    );
    const future = new Date(now + 3_600_000).toISOString();
    const longAgo = new Date(now - 3_600_000).toISOString();
    for (const issued_at of [future, longAgo, "yesterday"]) {
      assert.equal(
        parseTokenResponse({ token: "a", expires_in: 300, issued_at }, now, "r").expiresAt,
        now + 300_000,
      );
    }
    assert.equal(parseTokenResponse({ token: "a", refresh_token: "r1" }, now, "r").refreshToken, "r1");
    assert.throws(
      () => parseTokenResponse({ expires_in: 300 }, now, "r"),
      rejectsWith("REGISTRY_PROTOCOL", "authorization server did not include a token in the response"),
    );
  });

  test("hosts: loopback, insecure lists with ports and CIDRs, host:port splitting", () => {
    for (const h of ["localhost", "LOCALHOST:5000", "127.0.0.1:5000", "127.9.8.7", "[::1]:5000", "::1"]) {
      assert.ok(isLoopbackHost(h), h);
    }
    for (const h of ["10.0.0.1:5000", "localhost.example", "[::2]:5000", "128.0.0.1"]) {
      assert.ok(!isLoopbackHost(h), h);
    }
    assert.ok(isListedInsecure("10.1.2.3:5000", ["10.0.0.0/8"]));
    assert.ok(!isListedInsecure("11.1.2.3:5000", ["10.0.0.0/8"]));
    assert.ok(isListedInsecure("myreg:5000", ["myreg"]));
    assert.ok(isListedInsecure("MyReg:5000", ["myreg:5000"]));
    assert.ok(!isListedInsecure("myreg:5001", ["myreg:5000"]));
    assert.ok(!isListedInsecure("myreg.example", ["myreg"]));
    assert.deepEqual(splitHostPort("[::1]:5000"), { hostname: "::1", port: "5000" });
    assert.deepEqual(splitHostPort("h:5000"), { hostname: "h", port: "5000" });
    assert.deepEqual(splitHostPort("::1"), { hostname: "::1" });
  });

  test("registries.json: location, contents, malformed files", async () => {
    assert.equal(registriesConfigPath({ XDG_CONFIG_HOME: "/x" }), "/x/wharf/registries.json");
    assert.equal(registriesConfigPath({ HOME: "/h" }), "/h/.config/wharf/registries.json");
    const dir = tempDir("wharf-xdg-");
    assert.deepEqual(await loadRegistriesConfig(join(dir, "missing.json")), {
      insecureRegistries: [],
      ca: {},
    });
    const path = join(dir, "registries.json");
    writeFileSync(path, JSON.stringify({ insecureRegistries: ["a:5000"], ca: { "b:5443": "/ca.pem" } }));
    assert.deepEqual(await loadRegistriesConfig(path), {
      insecureRegistries: ["a:5000"],
      ca: { "b:5443": "/ca.pem" },
    });
    for (const bad of ["{", "[]", '{"insecureRegistries":"a"}', '{"ca":{"h":1}}']) {
      writeFileSync(path, bad);
      await assert.rejects(loadRegistriesConfig(path), rejectsWith("REGISTRY_CONFIG_INVALID"));
    }
  });
});
