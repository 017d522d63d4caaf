/**
 * The Engine API's local image endpoints (`wharf system service`) driven by the real docker CLI and
 * by dockerode: what docker prints through the API must be what the wharf command prints on the
 * same store (docker's client formats the same fields wharf's CLI formats), and what docker changes
 * through the API (tag, rmi, prune) must leave the store as the wharf command leaves its twin: a
 * second store built by the same commands, changed by wharf itself, compared after each step.
 *
 * Images: busybox (amd64) as busybox:latest, localhost:5000/a/b:tag and busybox:old; the arm64
 * busybox of busybox-multi copied as arm:latest, then left dangling by tagging busybox as arm:latest.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Docker from "dockerode";
import { ok, wharfIn } from "../helpers/build-cli.ts";
import { type RunResult, runCommand } from "../helpers/dockerd.ts";
import { type EngineService, startEngineService } from "../helpers/engine-service.ts";
import { tempDir } from "../helpers/tmp.ts";

const BUSYBOX = new URL("../../../shared/fixtures/oci/busybox", import.meta.url).pathname;
const MULTI = new URL("../../../shared/fixtures/oci/busybox-multi", import.meta.url).pathname;
const BUSYBOX_ID = "sha256:1c03f4e795fd19db4fa0c25496cd2f696994f6798cbf12e04ae981d4143ae7a5";
const DOCKER = "/usr/local/bin/docker";

// Made here, not inside before(): a temporary directory lives as long as the scope that made it.
const work = tempDir("wharf-engine-images-");
/** The store the service serves, and its twin that wharf changes as docker changes the first. */
const served = join(work, "served");
const twin = join(work, "twin");
const socket = join(work, "engine.sock");
const dockerConfig = join(work, "docker-config");
mkdirSync(dockerConfig);

async function fill(root: string): Promise<void> {
  await ok(wharfIn(root, ["copy", "-q", `oci:${BUSYBOX}:latest`, "wharf:busybox:latest"]));
  await ok(
    wharfIn(root, ["copy", "-q", "--platform", "linux/arm64", `oci:${MULTI}:latest`, "wharf:arm:latest"]),
  );
  for (const target of ["localhost:5000/a/b:tag", "busybox:old", "arm:latest"])
    await ok(wharfIn(root, ["tag", "busybox", target]));
}

let service: EngineService | undefined;

before(async () => {
  await Promise.all([fill(served), fill(twin)]);
  service = await startEngineService(served, ["--host", `unix://${socket}`]);
});

after(async () => {
  await service?.stop();
});

function docker(args: string[]): Promise<RunResult> {
  return runCommand(DOCKER, args, {
    env: { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: dockerConfig },
  });
}

async function dockerOk(args: string[]): Promise<RunResult> {
  const r = await docker(args);
  assert.equal(r.code, 0, `docker ${args.join(" ")}: ${r.stderr}`);
  return r;
}

/**
 * The lines of `docker images` in a canonical order: docker's client groups an image's tags by
 * repository in a Go map, so the rows of an image in several repositories come in any order.
 */
function rows(table: string): string[] {
  return table.split("\n").sort();
}

/** docker's output through the service equals wharf's on the served store. */
async function sameAsWharf(args: string[], options: { anyRowOrder?: boolean } = {}): Promise<string> {
  const [d, w] = await Promise.all([dockerOk(args), wharfIn(served, args)]);
  assert.equal(w.code, 0, `wharf ${args.join(" ")}: ${w.stderr}`);
  if (options.anyRowOrder) assert.deepEqual(rows(d.stdout), rows(w.stdout), `docker ${args.join(" ")}`);
  else assert.equal(d.stdout, w.stdout, `docker ${args.join(" ")}`);
  return d.stdout;
}

/** `docker images ARGS` equals `wharf images ARGS`, rows in any order. */
function sameImages(args: string[]): Promise<string> {
  return sameAsWharf(["images", ...args], { anyRowOrder: true });
}

/** docker changes the served store, wharf the twin, with the same arguments: same output and exit. */
async function sameChange(args: string[]): Promise<RunResult> {
  const d = await docker(args);
  const w = await wharfIn(twin, args);
  assert.equal(d.stdout, w.stdout, `docker ${args.join(" ")}`);
  assert.equal(d.stderr, w.stderr.replaceAll("wharf", "docker"), `docker ${args.join(" ")} (stderr)`);
  assert.equal(d.code, w.code, `docker ${args.join(" ")}: ${d.stderr}`);
  return d;
}

/** Both stores hold the same images under the same names. */
async function storesAgree(): Promise<string> {
  const args = ["images", "-a", "--digests", "--no-trunc"];
  const [s, t] = await Promise.all([ok(wharfIn(served, args)), ok(wharfIn(twin, args))]);
  assert.equal(s.stdout, t.stdout);
  return s.stdout;
}

describe("docker's read-only image commands through the API print what wharf prints", () => {
  test("docker images, with its flags and filters", async () => {
    const table = await sameImages([]);
    assert.match(table, /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\n/);
    assert.match(table, /localhost:5000\/a\/b +tag +1c03f4e795fd/);
    assert.match(table, /<none> +<none> /, "the arm64 image is dangling");
    await sameImages(["-a"]);
    await sameImages(["--digests"]);
    await sameImages(["--no-trunc", "-q"]);
    const busybox = await sameImages(["--filter", "reference=busybox"]);
    assert.equal(busybox.trim().split("\n").length, 3, busybox);
    assert.match(await sameImages(["--filter", "reference=localhost:5000/*/*"]), /a\/b/);
    const dangling = await sameImages(["--filter", "dangling=true", "-q"]);
    assert.equal(dangling.trim().split("\n").length, 1);
    await sameImages(["--filter", "label=org.opencontainers.image.title=busybox-test"]);
    await sameImages(["--filter", `before=${BUSYBOX_ID}`]);
    const names = await sameImages(["--format", "{{.Repository}}:{{.Tag}}"]);
    assert.deepEqual(names.trim().split("\n").sort(), [
      "<none>:<none>",
      "arm:latest",
      "busybox:latest",
      "busybox:old",
      "localhost:5000/a/b:tag",
    ]);
    await sameImages(["--format", "json"]);
  });

  test("docker inspect and image inspect, by name, by a name with slashes and a port, by ID", async () => {
    const full = await sameAsWharf(["inspect", "busybox"]);
    assert.equal(JSON.parse(full)[0].Id, BUSYBOX_ID);
    assert.equal(await sameAsWharf(["inspect", "--format", "{{.Id}}", "busybox"]), `${BUSYBOX_ID}\n`);
    await sameAsWharf(["image", "inspect", "localhost:5000/a/b:tag"]);
    await sameAsWharf(["image", "inspect", "--format", "{{json .RepoTags}} {{.Os}}", "sha256:1c03"]);
    await sameAsWharf([
      "image",
      "inspect",
      "--format",
      "{{.Config.Labels}} {{.Metadata.LastTagTime}}",
      "arm",
    ]);
  });

  test("docker history", async () => {
    const history = await sameAsWharf(["history", "busybox"]);
    assert.match(history, /CMD \["\/bin\/sh"\]/);
    await sameAsWharf(["history", "--no-trunc", "-H=false", "localhost:5000/a/b:tag"]);
    await sameAsWharf(["history", "--format", "{{.ID}} {{.Size}} {{.CreatedBy}}", BUSYBOX_ID]);
  });

  test("what is not there: docker's not-found lines", async () => {
    const object = await docker(["inspect", "nosuch"]);
    assert.equal(object.code, 1);
    assert.equal(object.stderr, "Error: No such object: nosuch\n");
    const image = await docker(["image", "inspect", "nosuch"]);
    assert.equal(image.code, 1);
    assert.match(image.stderr, /Error response from daemon: No such image: nosuch:latest/);
    const history = await docker(["history", "nosuch:1"]);
    assert.equal(history.code, 1);
    assert.equal(history.stderr, "Error response from daemon: No such image: nosuch:1\n");
  });
});

describe("dockerode", () => {
  const client = new Docker({ socketPath: socket });

  test("listImages: docker's ImageSummary for each image", async () => {
    const images = await client.listImages();
    assert.equal(images.length, 2);
    const busybox = images.find((i) => i.Id === BUSYBOX_ID);
    assert.ok(busybox);
    assert.deepEqual(busybox.RepoTags, [
      "arm:latest",
      "busybox:latest",
      "busybox:old",
      "localhost:5000/a/b:tag",
    ]);
    assert.equal(busybox.SharedSize, -1);
    assert.equal(busybox.Containers, -1);
    assert.equal(busybox.ParentId, "");
    assert.equal(busybox.Created, Math.floor(Date.parse("2026-11-28T03:00:24.863511584Z") / 1000));
    assert.deepEqual(busybox.Labels, { "org.opencontainers.image.title": "busybox-test" });
    assert.equal("VirtualSize" in busybox, false, "gone since API 1.44");
    const inspect = await client.getImage("busybox").inspect();
    assert.equal(busybox.Size, inspect.Size);

    const dangling = await client.listImages({ filters: JSON.stringify({ dangling: ["true"] }) });
    assert.deepEqual(
      dangling.map((i) => [i.RepoTags, i.RepoDigests]),
      [[[], []]],
    );
    const shared = await client.listImages({ "shared-size": true } as Docker.ListImagesOptions);
    // busybox-multi's arm64 image has the same layers as busybox (only its config differs).
    assert.deepEqual(
      shared.map((i) => i.SharedSize),
      shared.map((i) => i.Size),
    );
    assert.ok(busybox.Size > 0);
  });

  test("older API versions get what dockerd gave them", async () => {
    const v143 = await new Docker({ socketPath: socket, version: "v1.43" }).listImages();
    assert.ok(v143.every((i) => i.VirtualSize === i.Size));
    const v142 = await new Docker({ socketPath: socket, version: "v1.42" }).listImages();
    const untagged = v142.find((i) => i.Id !== BUSYBOX_ID);
    assert.deepEqual([untagged?.RepoTags, untagged?.RepoDigests], [["<none>:<none>"], ["<none>@<none>"]]);
    const inspect = await new Docker({ socketPath: socket, version: "v1.43" }).getImage("busybox").inspect();
    assert.equal((inspect as unknown as { VirtualSize: number }).VirtualSize, inspect.Size);
  });

  test("getImage: inspect, history, tag, remove", async () => {
    const image = client.getImage("localhost:5000/a/b:tag");
    const inspect = await image.inspect();
    const wharfInspect = await ok(wharfIn(served, ["inspect", "busybox"]));
    assert.deepEqual(inspect, JSON.parse(wharfInspect.stdout)[0]);

    const history = (await image.history()) as { Id: string; CreatedBy: string; Tags: string[] | null }[];
    assert.equal(history.length, 4);
    assert.equal(history[0]?.Id, BUSYBOX_ID);
    assert.equal(history[0]?.CreatedBy, 'CMD ["/bin/sh"]');
    assert.equal(history[1]?.Id, "<missing>");
    assert.equal(history[1]?.Tags, null);

    await image.tag({ repo: "localhost:5000/dockerode/x", tag: "v1" });
    const listed = await ok(wharfIn(served, ["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"]));
    assert.match(listed.stdout, /^localhost:5000\/dockerode\/x:v1 1c03f4e795fd$/m);
    const removed = await client.getImage("localhost:5000/dockerode/x:v1").remove();
    assert.deepEqual(removed, [{ Untagged: "localhost:5000/dockerode/x:v1" }]);
    await assert.rejects(
      client.getImage("localhost:5000/dockerode/x:v1").inspect(),
      (err: Error & { statusCode?: number }) => {
        assert.equal(err.statusCode, 404);
        return true;
      },
    );
  });
});

describe("the API's answers to bad requests", () => {
  async function call(method: string, path: string): Promise<{ status: number; body: string }> {
    const { request } = await import("node:http");
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: socket, method, path }, (res) => {
        let body = "";
        res.on("data", (d) => {
          body += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.once("error", reject);
      req.end();
    });
  }

  test("statuses and messages as dockerd's", async () => {
    assert.deepEqual(await call("DELETE", "/v1.47/images/nosuch"), {
      status: 404,
      body: '{"message":"No such image: nosuch:latest"}',
    });
    assert.deepEqual(await call("POST", "/images/busybox/tag?repo=Bad"), {
      status: 400,
      body: JSON.stringify({
        message: "invalid reference format: repository name (library/Bad) must be lowercase",
      }),
    });
    assert.equal(
      (await call("POST", `/images/busybox/tag?repo=${encodeURIComponent(`x@${BUSYBOX_ID}`)}`)).status,
      400,
    );
    assert.equal((await call("GET", "/images/json?filters=notjson")).status, 400);
    assert.deepEqual(await call("GET", `/images/json?filters=${encodeURIComponent('{"nope":{"x":true}}')}`), {
      status: 400,
      body: '{"message":"invalid filter \'nope\'"}',
    });
    assert.deepEqual(await call("GET", "/images/busybox/unknown"), {
      status: 404,
      body: '{"message":"page not found"}',
    });
    assert.equal((await call("GET", "/images/busybox")).status, 404);
  });

  test("the name wildcard leaves the static image routes alone", async () => {
    // `/images/json` is the list, not an image named "json"; an image named json is /images/json/json.
    const list = await call("GET", "/images/json");
    assert.equal(list.status, 200);
    assert.ok(Array.isArray(JSON.parse(list.body)));
    const named = await call("GET", "/images/json/json");
    assert.deepEqual(JSON.parse(named.body), { message: "No such image: json:latest" });
    // `docker save`'s two paths: the static one, and one on a name, dispatched to the same export.
    const saved = await call("GET", "/v1.47/images/get?names=busybox");
    const one = await call("GET", "/v1.47/images/busybox/get");
    assert.equal(saved.status, 200, saved.body.slice(0, 200));
    assert.equal(one.status, 200, one.body.slice(0, 200));
    assert.ok(saved.body.includes("manifest.json") && one.body.includes("manifest.json"));
    // A pull of nothing reaches the pull route (its own error), not the wildcard's 404.
    const pull = await call("POST", "/images/create");
    assert.notEqual(pull.body, '{"message":"page not found"}');
  });
});

describe("docker's changes through the API are wharf's", () => {
  test("docker tag, then both stores list it", async () => {
    await sameChange(["tag", "busybox", "localhost:5000/new/name:v1"]);
    assert.match(await storesAgree(), /localhost:5000\/new\/name +v1 /);
    // A bad target is the client's own check: it never reaches the API.
    const bad = await docker(["tag", "busybox", "Bad"]);
    assert.equal(bad.code, 1);
  });

  test("docker rmi: a tag; a conflict; -f of an image with several tags", async () => {
    const untag = await sameChange(["rmi", "localhost:5000/new/name:v1"]);
    assert.equal(untag.stdout, "Untagged: localhost:5000/new/name:v1\n");
    const conflict = await sameChange(["rmi", BUSYBOX_ID.slice(7, 19)]);
    assert.equal(conflict.code, 1);
    assert.match(
      conflict.stderr,
      /^Error response from daemon: conflict: unable to delete 1c03f4e795fd \(must be forced\) - image is referenced in multiple repositories\n$/,
    );
    const nosuch = await sameChange(["rmi", "nosuch"]);
    assert.equal(nosuch.code, 1);
    await storesAgree();
    const forced = await sameChange(["rmi", "-f", "busybox:old"]);
    assert.equal(forced.stdout, "Untagged: busybox:old\n");
    const gone = await sameChange(["rmi", "-f", BUSYBOX_ID]);
    assert.match(
      gone.stdout,
      /^Untagged: arm:latest\nUntagged: busybox:latest\nUntagged: localhost:5000\/a\/b:tag\nDeleted: sha256:1c03/,
    );
    assert.doesNotMatch(await storesAgree(), /busybox/);
  });

  test("docker image prune -f (dangling), then -a -f", async () => {
    await ok(wharfIn(served, ["copy", "-q", `oci:${BUSYBOX}:latest`, "wharf:busybox:latest"]));
    await ok(wharfIn(twin, ["copy", "-q", `oci:${BUSYBOX}:latest`, "wharf:busybox:latest"]));
    const dangling = await sameChange(["image", "prune", "-f"]);
    assert.match(dangling.stdout, /^Deleted Images:\ndeleted: sha256:/);
    assert.match(await storesAgree(), /busybox/);
    const nothing = await sameChange(["image", "prune", "-f"]);
    assert.equal(nothing.stdout, "Total reclaimed space: 0B\n");
    const all = await sameChange(["image", "prune", "-a", "-f"]);
    assert.match(
      all.stdout,
      /^Deleted Images:\nuntagged: busybox:latest\ndeleted: sha256:1c03[^\n]*\n(deleted: sha256:[^\n]*\n){3}\nTotal/,
    );
    assert.equal(await storesAgree(), "REPOSITORY   TAG       DIGEST    IMAGE ID   CREATED   SIZE\n");
  });
});

describe("docker system df through the API prints what wharf system df prints", () => {
  test("images and wharf build's cache, before and after the built image is removed", async () => {
    const context = join(work, "df-context");
    mkdirSync(context);
    // Its own base: the tests before this one pruned the store's images.
    await ok(wharfIn(served, ["copy", "-q", `oci:${BUSYBOX}:latest`, "wharf:df-base:latest"]));
    writeFileSync(join(context, "Dockerfile"), "FROM df-base:latest\nCOPY a.txt /a.txt\n");
    writeFileSync(join(context, "a.txt"), "cached\n");
    await ok(wharfIn(served, ["build", "-q", "-t", "built:1", context]));
    const withImage = await sameAsWharf(["system", "df"]);
    assert.match(withImage, /^Build Cache +[1-9]\d* +0 /m, withImage);
    await dockerOk(["rmi", "built:1"]);
    const df = await sameAsWharf(["system", "df"]);
    // Once no image stands on the layer, its blob and snapshot are the cache's, all reclaimable.
    const row = /^Build Cache +(\d+) +0 +(\S+) +(\S+)$/m.exec(df);
    assert.ok(row && row[2] !== "0B" && row[2] === row[3], df);
    // The verbose tables too; the cache's ages are read a moment apart, so only their shape is compared.
    const ages = (text: string) => text.replace(/(Less than a second|\d+ seconds?) ago/g, "AGE ago");
    const [d, w] = await Promise.all([
      dockerOk(["system", "df", "-v"]),
      ok(wharfIn(served, ["system", "df", "-v"])),
    ]);
    assert.equal(ages(d.stdout), ages(w.stdout));
    assert.match(d.stdout, /^Build cache usage: [1-9]/m, d.stdout);
    assert.match(d.stdout, /^[0-9a-f]{12} +regular +\S+ +AGE ago|^[0-9a-f]{12} +regular /m, d.stdout);
  });
});
