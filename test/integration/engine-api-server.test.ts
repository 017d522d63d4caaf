/**
 * `wharf system service` as a real process, driven by the real docker CLI (28.x) and by raw HTTP
 * over its socket: version negotiation, dockerd's headers, /info's image count, the 404 for
 * containers, the socket's care (a second service refused, removed on SIGTERM), TCP without TLS
 * refused beyond loopback, and TLS with client certificates.
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { ok, wharfIn } from "../helpers/build-cli.ts";
import { freePort } from "../helpers/distribution.ts";
import { dockerAt, type EngineService, startEngineService } from "../helpers/engine-service.ts";
import { startCommand } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";
import { tool } from "../helpers/tools.ts";

const BUSYBOX = new URL("../../../shared/fixtures/oci/busybox", import.meta.url).pathname;

const dir = tempDir("wharf-engine-");
const store = join(dir, "store");
const socket = join(dir, "engine.sock");
const dockerConfig = join(dir, "docker-config");
const certs = join(dir, "certs");

const startService = (args: string[]): Promise<EngineService> => startEngineService(store, args);
const docker = dockerAt(socket, dockerConfig);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(path: string, method = "GET"): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ socketPath: socket, path, method }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => {
        body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("wharf system service on a unix socket", () => {
  let service: EngineService;
  before(async () => {
    mkdirSync(dockerConfig);
    await ok(wharfIn(store, ["copy", `oci:${BUSYBOX}:latest`, "wharf:busybox:latest"]));
    service = await startService(["--host", `unix://${socket}`]);
    assert.ok(service.stderr().includes(`Listening on unix://${socket}\n`), service.stderr());
    assert.ok(service.stderr().includes(`export DOCKER_HOST=unix://${socket}\n`), service.stderr());
  });

  test("the socket is a socket, mode 0660", () => {
    const st = statSync(socket);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
  });

  test("docker version: the server part, API 1.47", async () => {
    const r = await docker(["version"]);
    assert.equal(r.code, 0, r.stderr);
    const server = r.stdout.slice(r.stdout.indexOf("Server:"));
    assert.match(server, /^Server: wharf\n Engine:\n {2}Version: +\d+\.\d+\.\d+/);
    assert.match(server, /API version: +1\.47 \(minimum version 1\.24\)/);
    assert.match(server, /OS\/Arch: +linux\/(amd64|arm64)/);
  });

  test("docker info: exit 0, the store's images counted", async () => {
    const r = await docker(["info"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\n Images: 1\n/);
    assert.match(r.stdout, /\n Storage Driver: wharf\n {2}Root Dir: /);
    assert.match(r.stdout, /\n Containers: 0\n/);
    assert.ok(r.stdout.includes(` Docker Root Dir: ${store}\n`), r.stdout);
  });

  test("docker ps: wharf's one line, exit 1", async () => {
    const r = await docker(["ps"]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      "Error response from daemon: wharf manages images only: no containers (GET /containers/json)\n",
    );
  });

  test("docker inspect NAME: past the container 404 to the image", async () => {
    const r = await docker(["inspect", "--format", "{{.Os}} {{index .RepoTags 0}}", "busybox"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "linux busybox:latest\n");
    const none = await docker(["inspect", "nosuch"]);
    assert.equal(none.code, 1);
    assert.equal(none.stderr, "Error: No such object: nosuch\n");
  });

  test("Debian's docker 20.10 client: API 1.41 negotiated; images, inspect and history as wharf prints them", async () => {
    const old = (args: string[]) =>
      startCommand("/usr/bin/docker", args, {
        env: { PATH: process.env.PATH, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: dockerConfig },
      }).done;
    const version = await old(["version", "--format", "{{.Client.APIVersion}} {{.Server.APIVersion}}"]);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout, "1.41 1.47\n");
    for (const args of [["images"], ["images", "--digests", "--no-trunc"], ["history", "busybox"]]) {
      const [d, w] = await Promise.all([old(args), wharfIn(store, args)]);
      assert.equal(d.code, 0, d.stderr);
      assert.equal(d.stdout, w.stdout, `docker 20.10 ${args.join(" ")}`);
    }
    const inspect = await old([
      "image",
      "inspect",
      "--format",
      "{{.Id}} {{.Architecture}} {{len .RootFS.Layers}}",
      "busybox",
    ]);
    assert.equal(
      inspect.stdout,
      "sha256:1c03f4e795fd19db4fa0c25496cd2f696994f6798cbf12e04ae981d4143ae7a5 amd64 3\n",
    );
  });

  test("docker system df: the Images line", async () => {
    const r = await docker(["system", "df"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\nImages +1 +0 +[\d.]+[kM]B +[\d.]+[kM]B \(100%\)\n/);
    assert.match(r.stdout, /\nContainers +0 +0 +0B +0B\n/);
  });

  test("docker events --until ends when the time comes", async () => {
    const r = await docker(["events", "--until", String(Math.floor(Date.now() / 1000) + 1)]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "");
  });

  test("/_ping: OK with the headers docker negotiates with", async () => {
    for (const method of ["GET", "HEAD"]) {
      const r = await get("/_ping", method);
      assert.equal(r.status, 200);
      assert.equal(r.body, method === "GET" ? "OK" : "");
      assert.equal(r.headers["api-version"], "1.47");
      assert.equal(r.headers["builder-version"], "1");
      assert.equal(r.headers["docker-experimental"], "false");
      assert.equal(r.headers.ostype, "linux");
      assert.equal(r.headers.pragma, "no-cache");
      assert.match(String(r.headers["cache-control"]), /no-cache/);
      assert.match(String(r.headers.server), /^wharf\/\S+ \(linux\)$/);
    }
  });

  test("/v1.20/version: too old, 400 in docker's words", async () => {
    const r = await get("/v1.20/version");
    assert.equal(r.status, 400);
    assert.equal(r.headers["content-type"], "application/json");
    assert.equal(r.headers["api-version"], "1.47");
    assert.deepEqual(JSON.parse(r.body), {
      message:
        "client version 1.20 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version",
    });
  });

  test("/v1.99/version: served (as 1.47)", async () => {
    const r = await get("/v1.99/version");
    assert.equal(r.status, 200);
    const v = JSON.parse(r.body);
    assert.equal(v.ApiVersion, "1.47");
    assert.equal(v.MinAPIVersion, "1.24");
    assert.equal(v.Os, "linux");
    assert.equal(v.Components[0].Name, "Engine");
    assert.equal(v.Components[0].Details.ApiVersion, "1.47");
  });

  test("/v1.47/info: docker's SystemInfo shape", async () => {
    const r = await get("/v1.47/info");
    assert.equal(r.status, 200);
    const info = JSON.parse(r.body);
    assert.equal(info.Images, 1);
    assert.equal(info.Containers, 0);
    assert.equal(info.DockerRootDir, store);
    assert.deepEqual(info.DriverStatus, [["Root Dir", store]]);
    assert.equal(info.OSType, "linux");
    assert.equal(info.Swarm.LocalNodeState, "inactive");
    assert.ok(info.NCPU >= 1 && info.MemTotal > 0);
  });

  test("/containers/NAME/json: docker's unknown container, so that inspect moves on", async () => {
    const r = await get("/v1.47/containers/busybox/json");
    assert.equal(r.status, 404);
    assert.deepEqual(JSON.parse(r.body), { message: "No such container: busybox" });
    const vol = await get("/v1.47/volumes/create", "POST");
    assert.equal(vol.status, 404);
    assert.deepEqual(JSON.parse(vol.body), {
      message: "wharf manages images only: no volumes (POST /volumes/create)",
    });
  });

  test("a second service on the same socket is refused while the first runs", async () => {
    const second = await startService(["--host", `unix://${socket}`]);
    const { code } = await second.exited;
    assert.equal(code, 1);
    assert.equal(second.stderr(), `cannot listen on ${socket}: another process is serving it\n`);
    assert.equal((await get("/_ping")).status, 200, "the first still serves");
  });

  test("SIGTERM: an open event stream is ended, the socket file goes, exit 0", async () => {
    const events = get("/v1.47/events");
    // The stream is open (its headers came) before the signal.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    service.child.kill("SIGTERM");
    const r = await events;
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-type"], "application/json");
    assert.equal(r.body, "");
    assert.deepEqual(await service.exited, { code: 0, signal: null });
    assert.ok(Date.now() - started < 4000, "no wait for the grace period");
    assert.equal(existsSync(socket), false);
  });
});

describe("wharf system service after a crash", () => {
  test("a stale socket (its server killed) is replaced", async () => {
    const path = join(dir, "stale.sock");
    const first = await startService(["--host", `unix://${path}`]);
    first.child.kill("SIGKILL");
    await first.exited;
    assert.ok(statSync(path).isSocket(), "SIGKILL leaves the socket file");
    const second = await startService(["--host", `unix://${path}`]);
    assert.ok(second.stderr().includes(`Listening on unix://${path}\n`), second.stderr());
    const r = await docker(["version", "--format", "{{.Server.Version}}"], { DOCKER_HOST: `unix://${path}` });
    assert.equal(r.code, 0, r.stderr);
    second.child.kill("SIGINT");
    assert.equal((await second.exited).code, 0);
    assert.equal(existsSync(path), false);
  });
});

describe("wharf system service on TCP", () => {
  test("tcp://0.0.0.0 without --tls is a usage error", async () => {
    const port = await freePort();
    const s = await startService(["--host", `tcp://0.0.0.0:${port}`]);
    const { code } = await s.exited;
    assert.equal(code, 125);
    assert.match(s.stderr(), new RegExp(`^refusing to serve tcp://0\\.0\\.0\\.0:${port} without --tls`));
  });

  test("--tls: docker with a client certificate is served, a client without one is not", async () => {
    mkdirSync(certs, { recursive: true });
    await makeCertificates(certs);
    const port = await freePort();
    const s = await startService([
      "--host",
      `tcp://127.0.0.1:${port}`,
      "--tls",
      "--tlscert",
      join(certs, "server-cert.pem"),
      "--tlskey",
      join(certs, "server-key.pem"),
      "--tlscacert",
      join(certs, "ca.pem"),
    ]);
    assert.ok(s.stderr().includes(`Listening on tcp://127.0.0.1:${port}\n`), s.stderr());
    const r = await docker(["version", "--format", "{{.Server.APIVersion}}"], {
      DOCKER_HOST: `tcp://127.0.0.1:${port}`,
      DOCKER_TLS_VERIFY: "1",
      DOCKER_CERT_PATH: certs,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "1.47\n");
    const refused = await new Promise<string>((resolve) => {
      const req = httpsRequest(
        { host: "127.0.0.1", port, path: "/_ping", ca: [readCa()], servername: "localhost" },
        (res) => resolve(`answered ${res.statusCode}`),
      );
      req.on("error", (err) => resolve(`refused: ${err.message}`));
      req.end();
    });
    assert.match(refused, /^refused: /);
    s.child.kill("SIGINT");
    assert.equal((await s.exited).code, 0);
  });
});

function readCa(): string {
  return readFileSync(join(certs, "ca.pem"), "utf8");
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, signed by it (docker's names). */
async function makeCertificates(d: string): Promise<void> {
  const ossl = (args: string[]) => tool("openssl", args);
  await ossl(
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(d, "ca-key.pem")].concat([
      "-out",
      join(d, "ca.pem"),
      "-days",
      "2",
      "-subj",
      "/CN=wharf test CA",
    ]),
  );
  const signed = async (name: string, subject: string, ext: string) => {
    writeFileSync(join(d, `${name}.ext`), ext);
    await ossl(
      ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", join(d, `${name}-key.pem`)].concat([
        "-out",
        join(d, `${name}.csr`),
        "-subj",
        subject,
      ]),
    );
    await ossl(
      ["x509", "-req", "-in", join(d, `${name}.csr`), "-CA", join(d, "ca.pem")]
        .concat(["-CAkey", join(d, "ca-key.pem"), "-CAcreateserial", "-days", "2"])
        .concat(["-out", join(d, `${name}-cert.pem`), "-extfile", join(d, `${name}.ext`)]),
    );
  };
  await signed(
    "server",
    "/CN=localhost",
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
  );
  await signed("client", "/CN=client", "extendedKeyUsage=clientAuth\n");
  // DOCKER_CERT_PATH's names: ca.pem, cert.pem, key.pem.
  copyFileSync(join(d, "client-cert.pem"), join(d, "cert.pem"));
  copyFileSync(join(d, "client-key.pem"), join(d, "key.pem"));
}
