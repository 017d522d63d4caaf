/**
 * The Engine API's transfer endpoints (`wharf system service`) driven by the real docker CLI and by
 * dockerode, against Debian's distribution registry holding the fixtures: docker pull prints what
 * it prints against dockerd (../shared/docker-reference, the same lines as pull.test.ts compares),
 * docker push, login, save/load and the classic builder (DOCKER_BUILDKIT=0) work through the API,
 * and what they change is what `wharf images` then shows on the same store.
 */
import assert from "node:assert/strict";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import Docker from "dockerode";
import { pack } from "tar-stream";
import { contextDir, ok, wharfIn } from "../helpers/build-cli.ts";
import { pushFixtures, startDistribution } from "../helpers/distribution.ts";
import { dockerReference } from "../helpers/docker-reference.ts";
import { type RunResult, runCommand } from "../helpers/dockerd.ts";
import { type EngineService, startEngineService } from "../helpers/engine-service.ts";
import { tempDir } from "../helpers/tmp.ts";
import { tool } from "../helpers/tools.ts";

const DOCKER = "/usr/local/bin/docker";
const BUSYBOX_ID = "sha256:1c03f4e795fd19db4fa0c25496cd2f696994f6798cbf12e04ae981d4143ae7a5";
/** busybox:latest's manifest (OCI), as pulled and as wharf pushes it. */
const PULLED = "sha256:38c6850f878edc2669a36b99bec15cab8aa8ac3f682f9c89c0f51b761848d5da";
const MULTI_INDEX = "sha256:c94552dc6a235959cd41db2bbaf18bab61e4709dfcbbbe4b8157f9ff5c239834";

// Made at top level: a temporary directory lives as long as the scope that made it.
const work = tempDir("wharf-engine-transfer-");
const root = join(work, "root");
const socket = join(work, "engine.sock");
const dockerConfig = join(work, "docker-config");
mkdirSync(dockerConfig);
const buildContext = contextDir({
  "file.txt": "copied into the image\n",
  Dockerfile: "", // each build test writes its own
});

const { host } = await startDistribution();
await pushFixtures(host);
const secured = await startDistribution({ kind: "htpasswd", users: { alice: "wonderland" } });

let service: EngineService | undefined;

before(async () => {
  service = await startEngineService(root, ["--host", `unix://${socket}`]);
});

after(async () => {
  await service?.stop();
});

const dockerEnv = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: dockerConfig };

function docker(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return runCommand(DOCKER, args, { env: { ...dockerEnv, ...env } });
}

/** `docker ...` as the reference ran it, with its output (stdout then stderr: each is one stream here). */
async function sameAsReference(file: string): Promise<void> {
  const ref = dockerReference(file, host);
  const r = await docker(ref.command.replace(/^docker /, "").split(" "));
  const output = r.stdout + r.stderr;
  const message = `${ref.command}\n--- via wharf:\n${output}--- dockerd:\n${ref.output}`;
  // Downloads run at once: when each layer finishes varies (for dockerd too); all else is in order.
  const download = /: (Verifying Checksum|Download complete)$/;
  const lines = (text: string) => text.split("\n");
  assert.deepEqual([...lines(output)].sort(), [...lines(ref.output)].sort(), message);
  assert.deepEqual(
    lines(output).filter((l) => !download.test(l)),
    lines(ref.output).filter((l) => !download.test(l)),
    message,
  );
  assert.equal(r.code, ref.exitCode, message);
}

async function wharfImages(): Promise<string> {
  return (await ok(wharfIn(root, ["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"]))).stdout;
}

/** A GET on the socket: status and parsed JSON body. */
function getJson(path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ socketPath: socket, path, method: "GET" }, (res) => {
      let text = "";
      res.on("data", (c) => {
        text += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("docker pull through the Engine API", () => {
  test("a first pull prints dockerd's lines, and wharf images shows the image", async () => {
    await sameAsReference("01-pull-busybox.txt");
    assert.match(await wharfImages(), new RegExp(`^${host}/busybox:latest 1c03f4e795fd$`, "m"));
  });

  test("by digest: up to date", () => sameAsReference("04-pull-by-digest.txt"));

  test("--platform linux/arm64 of the multi-platform index, with dockerd's platform warning", () =>
    sameAsReference("05-pull-multi-arm64.txt"));

  test("a missing tag fails with dockerd's message before any progress", () =>
    sameAsReference("25-pull-missing.txt"));
});

describe("docker push through the Engine API", () => {
  test("a new repository on the same registry: every layer mounted from busybox", async () => {
    await ok(wharfIn(root, ["tag", `${host}/busybox:latest`, `${host}/team/app:v1`]));
    const ref = dockerReference("29-push-mounted.txt", host);
    const r = await docker(["push", `${host}/team/app:v1`]);
    assert.equal(r.code, 0, r.stderr);
    // wharf pushes the stored OCI manifest byte for byte (push-run.ts): the pulled digest, not the
    // one dockerd's conversion to Docker schema 2 gets.
    const expected = ref.output.replace(
      /digest: sha256:[0-9a-f]{64} size: 943/,
      `digest: ${PULLED} size: 659`,
    );
    // Mounts run at once: their order varies (for dockerd too); the rest is in order.
    const split = (text: string) => {
      const lines = text.trimEnd().split("\n");
      const mounted = (l: string) => l.endsWith(": Mounted from busybox");
      return { ordered: lines.filter((l) => !mounted(l)), mounted: lines.filter(mounted).sort() };
    };
    assert.deepEqual(split(r.stdout), split(expected), r.stdout);
    const inspected = JSON.parse(
      (await tool("skopeo", ["inspect", "--tls-verify=false", `docker://${host}/team/app:v1`])).stdout,
    ) as { Digest: string; Layers: string[] };
    assert.equal(inspected.Digest, PULLED);
    assert.equal(inspected.Layers.length, 3);
  });

  test("dockerode's push stream ends with the aux record of the pushed manifest", async () => {
    const client = new Docker({ socketPath: socket });
    const stream = (await client
      .getImage(`${host}/team/app`)
      .push({ tag: "v1", authconfig: {} })) as Readable;
    const events = await followProgress(client, stream);
    const aux = events.find((e) => e.aux !== undefined)?.aux as { Tag: string; Digest: string; Size: number };
    assert.equal(aux.Tag, "v1");
    assert.equal(aux.Digest, PULLED);
    assert.equal(aux.Size, 659);
    assert.ok(events.some((e) => e.status === "Layer already exists"));
  });
});

describe("docker login through the Engine API", () => {
  test("right credentials: Login Succeeded", async () => {
    const r = await docker(["login", secured.host, "-u", "alice", "-p", "wonderland"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Login Succeeded/);
  });

  test("a wrong password: dockerd's refusal", async () => {
    const r = await docker(["login", secured.host, "-u", "alice", "-p", "nope"]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `Error response from daemon: login attempt to http://${secured.host}/v2/ failed with status: 401 Unauthorized`,
      ),
    );
  });
});

describe("docker save and load through the Engine API", () => {
  const archive = join(work, "busybox.tar");

  test("save -o writes a docker-archive; rmi then load brings the image back", async () => {
    const name = `${host}/busybox:latest`;
    const saved = await docker(["save", "-o", archive, name]);
    assert.equal(saved.code, 0, saved.stderr);
    assert.ok(statSync(archive).size > 0);
    const listing = (await tool("tar", ["-tf", archive])).stdout.split("\n");
    assert.ok(listing.includes("manifest.json"), listing.join("\n"));
    await ok(wharfIn(root, ["rmi", name]));
    assert.doesNotMatch(await wharfImages(), new RegExp(`^${host}/busybox:latest `, "m"));
    const loaded = await docker(["load", "-i", archive]);
    assert.equal(loaded.code, 0, loaded.stderr);
    assert.equal(loaded.stdout, `Loaded image: ${name}\n`);
    assert.match(await wharfImages(), new RegExp(`^${host}/busybox:latest 1c03f4e795fd$`, "m"));
  });

  test("saving an image that is not there: 404 with docker's words", async () => {
    const r = await docker(["save", "-o", join(work, "none.tar"), "nothere:latest"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error response from daemon: .*nothere/);
  });

  test("dockerode: getImage().get() streams an archive that loadImage() loads", async () => {
    const client = new Docker({ socketPath: socket });
    const tar = (await client.getImage(`${host}/busybox:latest`).get()) as Readable;
    const loaded = (await client.loadImage(tar)) as Readable;
    const events = await followProgress(client, loaded);
    assert.ok(
      events.some((e) => e.stream === `Loaded image: ${host}/busybox:latest\n`),
      JSON.stringify(events),
    );
  });
});

describe("docker distribution inspect through the Engine API", () => {
  test("an index: its descriptor and both platforms", async () => {
    const r = await getJson(`/v1.47/distribution/${host}/busybox:multi/json`);
    assert.equal(r.status, 200);
    const body = r.body as {
      Descriptor: { digest: string; mediaType: string };
      Platforms: { architecture: string }[];
    };
    assert.equal(body.Descriptor.digest, MULTI_INDEX);
    assert.equal(body.Descriptor.mediaType, "application/vnd.oci.image.index.v1+json");
    assert.deepEqual(body.Platforms.map((p) => p.architecture).sort(), ["amd64", "arm64"]);
  });

  test("a single manifest: the platform of its config", async () => {
    const r = await getJson(`/distribution/${host}/busybox:latest/json`);
    assert.equal(r.status, 200);
    assert.deepEqual((r.body as { Platforms: unknown[] }).Platforms, [
      { architecture: "amd64", os: "linux" },
    ]);
  });

  test("a missing tag: 404", async () => {
    const r = await getJson(`/distribution/${host}/busybox:nope/json`);
    assert.equal(r.status, 404);
    assert.match((r.body as { message: string }).message, /manifest unknown/);
  });
});

describe("the classic builder API (DOCKER_BUILDKIT=0 docker build)", () => {
  test("FROM the pulled busybox, RUN and COPY: legacy lines, then wharf images shows built:1", async () => {
    writeDockerfile(`FROM ${host}/busybox:latest\nRUN echo hello-from-run\nCOPY file.txt /file.txt\n`);
    const r = await docker(["build", "-t", "built:1", buildContext], { DOCKER_BUILDKIT: "0" });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const lines = r.stdout.split("\n");
    assert.ok(
      lines.some((l) => /^Step 1\/3 : FROM /.test(l)),
      r.stdout,
    );
    assert.ok(lines.includes("Step 2/3 : RUN echo hello-from-run"), r.stdout);
    assert.ok(lines.includes("hello-from-run"), r.stdout);
    assert.ok(lines.includes("Step 3/3 : COPY file.txt /file.txt"), r.stdout);
    const built = /^Successfully built ([0-9a-f]{12})$/m.exec(r.stdout);
    assert.ok(built, r.stdout);
    assert.ok(lines.includes("Successfully tagged built:1"), r.stdout);
    assert.match(await wharfImages(), new RegExp(`^built:1 ${built[1]}$`, "m"));
  });

  test("a failing RUN: the build's error, exit 1, no image", async () => {
    writeDockerfile(`FROM ${host}/busybox:latest\nRUN exit 3\n`);
    const r = await docker(["build", "-t", "broken:1", buildContext], { DOCKER_BUILDKIT: "0" });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /exit code: 3/);
    assert.doesNotMatch(await wharfImages(), /^broken:1 /m);
  });

  test("dockerode buildImage from a tar stream: aux ID, then the tag", async () => {
    const client = new Docker({ socketPath: socket });
    const context = pack();
    context.entry({ name: "Dockerfile" }, `FROM ${host}/busybox:latest\nLABEL made=dockerode\n`);
    context.finalize();
    const stream = (await client.buildImage(context as unknown as NodeJS.ReadableStream, {
      t: "dockerode:1",
    })) as unknown as Readable;
    const events = await followProgress(client, stream);
    const id = (events.find((e) => e.aux !== undefined)?.aux as { ID: string } | undefined)?.ID;
    assert.match(id ?? "", /^sha256:[0-9a-f]{64}$/, JSON.stringify(events));
    assert.ok(
      events.some((e) => e.stream === "Successfully tagged dockerode:1\n"),
      JSON.stringify(events),
    );
    const inspected = JSON.parse((await ok(wharfIn(root, ["inspect", "dockerode:1"]))).stdout) as {
      Id: string;
      Config: { Labels: Record<string, string> };
    }[];
    assert.equal(inspected[0]?.Id, id);
    assert.equal(inspected[0]?.Config.Labels.made, "dockerode");
  });
});

describe("dockerode pull", () => {
  test("followProgress sees dockerd's messages: Pulling from, Digest, Status", async () => {
    const client = new Docker({ socketPath: socket });
    const stream = (await client.pull(`${host}/busybox:v2s2`)) as Readable;
    const events = await followProgress(client, stream);
    const statuses = events.map((e) => e.status);
    assert.ok(
      events.some((e) => e.status === "Pulling from busybox" && e.id === "v2s2"),
      JSON.stringify(events),
    );
    assert.ok(statuses.some((s) => s?.startsWith("Digest: sha256:")));
    assert.equal(statuses.at(-1), `Status: Downloaded newer image for ${host}/busybox:v2s2`);
    assert.match(await wharfImages(), new RegExp(`^${host}/busybox:v2s2 ${BUSYBOX_ID.slice(7, 19)}$`, "m"));
  });

  test("a missing repository: the error reaches the callback", async () => {
    const client = new Docker({ socketPath: socket });
    await assert.rejects(client.pull(`${host}/nope:latest`), /manifest unknown/);
  });
});

interface Message {
  status?: string;
  id?: string;
  stream?: string;
  aux?: unknown;
  error?: string;
}

/** dockerode's followProgress: every message, or the stream's error. */
function followProgress(client: Docker, stream: Readable): Promise<Message[]> {
  return new Promise((resolve, reject) => {
    const events: Message[] = [];
    client.modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(err) : resolve(events)),
      (event: Message) => events.push(event),
    );
  });
}

/** Each build test writes its own Dockerfile into the one context (the docker CLI packs it). */
function writeDockerfile(text: string): void {
  writeFileSync(join(buildContext, "Dockerfile"), text);
}
