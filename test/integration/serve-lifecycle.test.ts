/**
 * `wharf serve` as an operator runs it: TLS from the config, a config error reported in one line,
 * and a graceful stop that lets an upload in flight finish.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { request } from "node:http";
import { createConnection, type Socket } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { BUSYBOX_LAYOUT } from "../helpers/distribution.ts";
import { wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";
import { selfSignedCertificate, tool } from "../helpers/tools.ts";
import { startWharfServe } from "../helpers/wharf-serve.ts";

test("TLS: skopeo pushes and wharf pulls over HTTPS with the configured certificate", async () => {
  const dir = tempDir("wharf-serve-tls-");
  const { keyPath, certPath } = await selfSignedCertificate(dir, "/CN=127.0.0.1", [
    "-addext",
    "subjectAltName=IP:127.0.0.1",
  ]);
  const config = join(dir, "serve.yml");
  writeFileSync(config, `http:\n  tls:\n    certificate: ${certPath}\n    key: ${keyPath}\n`);
  const server = await startWharfServe(["--config", config], {}, "https");
  await tool("skopeo", [
    "copy",
    "--quiet",
    "--dest-cert-dir",
    dir,
    "--dest-tls-verify=false",
    `oci:${BUSYBOX_LAYOUT}:latest`,
    `docker://${server.host}/secure:latest`,
  ]);
  const inspected = await tool("skopeo", [
    "inspect",
    "--tls-verify=false",
    `docker://${server.host}/secure:latest`,
  ]);
  assert.match(inspected.stdout, /"Architecture": "amd64"/);
  // Plain HTTP to the TLS port is refused.
  const plain = await fetch(`http://${server.host}/v2/`).then(
    (r) => r.status,
    () => "refused",
  );
  assert.notEqual(plain, 200);
  // wharf tries HTTPS first for a loopback registry (without verification, as dockerd does).
  const pulled = await wharf([
    "--root",
    tempDir("wharf-serve-tls-pull-"),
    "pull",
    `${server.host}/secure:latest`,
  ]);
  assert.equal(pulled.code, 0, pulled.stdout + pulled.stderr);
});

test("a config error is one line naming the key, and exit 1", async () => {
  const dir = tempDir("wharf-serve-badconfig-");
  const config = join(dir, "serve.yml");
  writeFileSync(config, "http:\n  adr: 127.0.0.1:5000\n");
  const r = await wharf(["serve", "--config", config]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /^config .*serve\.yml: http: Unrecognized key: "adr"\n$/);
});

test("SIGTERM lets an upload in flight finish, then the server exits", async () => {
  const server = await startWharfServe();
  const start = await fetch(`http://${server.host}/v2/graceful/blobs/uploads/`, { method: "POST" });
  await start.body?.cancel();
  const location = new URL(start.headers.get("location")!, `http://${server.host}`);
  const blob = randomBytes(4 * 1024 * 1024);
  const digest = `sha256:${createHash("sha256").update(blob).digest("hex")}`;
  const [hostname, port] = server.host.split(":");
  // A slow client: the body goes in 16 pieces over ~1.5 s; SIGTERM arrives after the first ones.
  const put = new Promise<number>((resolve, reject) => {
    const req = request(
      {
        hostname,
        port: Number(port),
        method: "PUT",
        path: `${location.pathname}?digest=${digest}`,
        headers: { "content-type": "application/octet-stream", "content-length": blob.length },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", reject);
    (async () => {
      for (let i = 0; i < 16; i++) {
        req.write(blob.subarray(i * 262144, (i + 1) * 262144));
        await sleep(100);
      }
      req.end();
    })();
  });
  await sleep(300);
  const stopped = server.stop("SIGTERM");
  assert.equal(await put, 201, "the upload in flight completed");
  const exit = await stopped;
  assert.equal(exit.code, 0);
  const check = await startWharfServe([], { storage: server.storage });
  const head = await fetch(`http://${check.host}/v2/graceful/blobs/${digest}`, { method: "HEAD" });
  assert.equal(head.status, 200);
});

test("limits: a client too slow with its headers loses the connection; connections beyond the cap are refused", async () => {
  const dir = tempDir("wharf-serve-limits-");
  const config = join(dir, "serve.yml");
  writeFileSync(config, "http:\n  headertimeout: 1\n  maxconnections: 3\n");
  const server = await startWharfServe(["--config", config]);
  const [host, port] = server.host.split(":");
  const connect = () =>
    new Promise<Socket>((resolve, reject) => {
      const socket = createConnection({ host: host!, port: Number(port) }, () => resolve(socket));
      socket.on("error", reject);
    });
  // Flowing (resume), or a socket with unread data never sees its end and never closes.
  const closed = (socket: Socket) =>
    new Promise<void>((resolve) => {
      socket.once("close", () => resolve());
      socket.resume();
    });

  // Slowloris: half a request line, then nothing.
  const slow = await connect();
  const slowClosed = closed(slow);
  slow.write("GET /v2/ HTTP/1.1\r\nHost: x\r\n");
  const t0 = Date.now();
  await slowClosed;
  assert.ok(Date.now() - t0 < 5000, "closed within a few seconds of the 1 s header timeout");

  // Three idle connections take every slot: the fourth is closed at once, unanswered.
  const idle = await Promise.all([connect(), connect(), connect()]);
  await sleep(100);
  const extra = await connect().catch(() => undefined);
  if (extra) {
    const answer = await new Promise<string>((resolve) => {
      let got = "";
      extra.on("data", (d) => {
        got += d;
      });
      extra.on("error", () => undefined);
      extra.on("close", () => resolve(got));
      if (extra.destroyed) resolve(got);
      extra.write("GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n", () => undefined);
      setTimeout(() => resolve(`${got}(still open after 3 s)`), 3000);
    });
    assert.equal(answer, "", "a connection over the cap is closed unanswered");
  }
  for (const s of idle) s.destroy();
  await sleep(200);
  const res = await fetch(`http://${server.host}/v2/`);
  assert.equal(res.status, 200, "slots free again once those connections go");
});
