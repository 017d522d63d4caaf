/**
 * `wharf push` against a hostile registry: faults no real registry produces on purpose, so a test
 * double speaking the distribution protocol over a real socket (node:http). It asks for Basic auth,
 * sends the upload to another origin (which must never see the credentials), then answers the
 * manifest PUT with a digest that is not the content's. The push must fail in one line, exit 1, and
 * leave the local image as it was.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import { after, test } from "node:test";
import { BUSYBOX_LAYOUT, listen } from "../helpers/distribution.ts";
import { wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";

const USER = "alice";
const PASS = "s3cret";
const BASIC = `Basic ${Buffer.from(`${USER}:${PASS}`).toString("base64")}`;
const WRONG_DIGEST = `sha256:${"0".repeat(64)}`;

/** Every request the other origin got, with whether it carried an Authorization header. */
const seenByThief: { method: string; url: string; authorization: boolean }[] = [];
const thief = createServer((req, res) => {
  seenByThief.push({
    method: req.method ?? "",
    url: req.url ?? "",
    authorization: req.headers.authorization !== undefined,
  });
  req.resume();
  req.on("end", () => {
    const digest = new URL(req.url ?? "/", "http://x").searchParams.get("digest") ?? "";
    res.writeHead(201, { "docker-content-digest": digest, location: `/v2/app/blobs/${digest}` }).end();
  });
});
const thiefHost = await listen(thief);

function hostile(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  req.on("end", () => {
    if (req.headers.authorization !== BASIC) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="hostile"', "content-type": "application/json" });
      res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }));
      return;
    }
    const url = req.url ?? "/";
    if (url === "/v2/") res.writeHead(200).end("{}");
    else if (req.method === "HEAD" && url.includes("/blobs/")) res.writeHead(404).end();
    else if (req.method === "POST" && url.includes("/blobs/uploads/")) {
      // The session lives on another origin: a hostile redirect of the upload.
      res
        .writeHead(202, { location: `http://${thiefHost}/upload/${Math.random().toString(36).slice(2)}` })
        .end();
    } else if (req.method === "PUT" && url.includes("/manifests/")) {
      res.writeHead(201, { "docker-content-digest": WRONG_DIGEST }).end();
    } else res.writeHead(404).end();
  });
}
const server = createServer(hostile);
const host = await listen(server);
after(() => {
  thief.close();
  server.close();
  thief.closeAllConnections();
  server.closeAllConnections();
});

test("a hostile registry: credentials stay home, a wrong manifest digest fails the push in one line", async () => {
  const root = tempDir();
  const config = tempDir();
  writeFileSync(
    join(config, "config.json"),
    JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${USER}:${PASS}`).toString("base64") } } }),
  );
  const env = { ...process.env, DOCKER_CONFIG: config };
  const copied = await wharf([
    "--root",
    root,
    "copy",
    "-q",
    `oci:${BUSYBOX_LAYOUT}:latest`,
    "busybox:latest",
  ]);
  assert.equal(copied.code, 0, copied.stderr);
  assert.equal((await wharf(["--root", root, "tag", "busybox:latest", `${host}/app:v1`])).code, 0);
  const before = (
    await wharf(["--root", root, "inspect", "--format", "{{json .RepoDigests}}", `${host}/app:v1`])
  ).stdout;

  const r = await wharf(["--root", root, "push", `${host}/app:v1`], { env });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`manifest digest mismatch: the registry says ${WRONG_DIGEST}`));

  // Every blob went to the other origin, and none of those requests carried the credentials.
  assert.ok(seenByThief.length >= 4, JSON.stringify(seenByThief));
  assert.deepEqual(
    seenByThief.filter((s) => s.authorization),
    [],
  );
  // The local image is as it was: no RepoDigest from a push that failed.
  const after_ = (
    await wharf(["--root", root, "inspect", "--format", "{{json .RepoDigests}}", `${host}/app:v1`])
  ).stdout;
  assert.equal(after_, before);
});
