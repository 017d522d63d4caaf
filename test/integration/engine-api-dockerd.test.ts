/**
 * wharf's Engine API side by side with a real dockerd (issue 14): one docker CLI (28) runs the same
 * commands against dockerd 20.10's socket and against `wharf system service`'s, both holding the
 * same images (one archive made by wharf, loaded through each socket with `docker load`), and the
 * outputs must be the same. Normalized only where the two must differ, each with its reason. The
 * tests run in order and change both sides alike (tag, rmi, prune).
 *
 * Images: busybox (amd64) as busybox:latest and localhost:5000/a/b:tag; the arm64 busybox of
 * busybox-multi as arm:latest, left dangling when busybox is tagged arm:latest.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ok, wharfIn } from "../helpers/build-cli.ts";
import { startDockerd } from "../helpers/dockerd.ts";
import { DOCKER, dockerAt, type EngineService, startEngineService } from "../helpers/engine-service.ts";
import { type Finished, startCommand } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";

const BUSYBOX = new URL("../../../shared/fixtures/oci/busybox", import.meta.url).pathname;
const MULTI = new URL("../../../shared/fixtures/oci/busybox-multi", import.meta.url).pathname;
const BUSYBOX_ID = "sha256:1c03f4e795fd19db4fa0c25496cd2f696994f6798cbf12e04ae981d4143ae7a5";
const ARM_ID = "sha256:d9807954d5ed84395a6a28cd552dfb62e5708598834a568e119bd5d485ea9907";

// At module level, not in before(): startDockerd registers its after(stop) where it is called, and
// one registered inside a hook would stop the daemon as soon as that hook ends.
const dockerd = await startDockerd({ insecureRegistries: [] });
const work = tempDir("wharf-engine-dockerd-");
/** The store that makes the archive; the served store gets its images only through `docker load`. */
const maker = join(work, "maker");
const served = join(work, "served");
const archive = join(work, "images.tar");
const HOSTS = { dockerd: dockerd.host, wharf: `unix://${join(work, "engine.sock")}` };
const dockerConfig = join(work, "docker-config");
mkdirSync(dockerConfig);
const atDockerd = dockerAt(HOSTS.dockerd.slice("unix://".length), dockerConfig);
const atWharf = dockerAt(HOSTS.wharf.slice("unix://".length), dockerConfig);

let service: EngineService | undefined;
before(async () => {
  await ok(wharfIn(maker, ["copy", "-q", `oci:${BUSYBOX}:latest`, "wharf:busybox:latest"]));
  await ok(
    wharfIn(maker, ["copy", "-q", "--platform", "linux/arm64", `oci:${MULTI}:latest`, "wharf:arm:latest"]),
  );
  await ok(wharfIn(maker, ["tag", "busybox", "localhost:5000/a/b:tag"]));
  await ok(wharfIn(maker, ["save", "-o", archive, "busybox:latest", "localhost:5000/a/b:tag", "arm:latest"]));
  service = await startEngineService(served, ["--host", HOSTS.wharf]);
});
after(() => service?.stop());

type Outcome = Pick<Finished, "code" | "stdout" | "stderr">;
const outcome = (r: Finished): Outcome => ({ code: r.code, stdout: r.stdout, stderr: r.stderr });

/** The same docker command line against both sockets (extra env, e.g. DOCKER_API_VERSION, on both). */
async function both(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ dockerd: Outcome; wharf: Outcome }> {
  const [d, w] = await Promise.all([atDockerd(args, env), atWharf(args, env)]);
  return { dockerd: outcome(d), wharf: outcome(w) };
}

/** Runs `args` on both and asserts the same exit code and output, after `normalize`; dockerd's outcome. */
async function same(args: string[], normalize: (text: string) => string = (t) => t): Promise<Outcome> {
  const r = await both(args);
  const norm = (o: Outcome): Outcome => ({ ...o, stdout: normalize(o.stdout), stderr: normalize(o.stderr) });
  assert.deepEqual(norm(r.wharf), norm(r.dockerd), `docker ${args.join(" ")}`);
  return r.dockerd;
}

/**
 * A listing's lines in a canonical order, its header first. docker's client groups an image's tags
 * by repository in a Go map (so its rows come in any order), and dockerd orders images only by
 * Created, which every image here shares (so images come in its store's map order too).
 */
function anyRowOrder(text: string): string {
  const lines = text.split("\n");
  const header = /^(REPOSITORY|TYPE) /.test(lines[0] ?? "") ? lines.splice(0, 1) : [];
  return [...header, ...lines.sort()].join("\n");
}

/**
 * A shell pipeline of docker commands (`$DOCKER save | $DOCKER load`), DOCKER_HOST at `host`; $D and
 * $W are dockerd's and wharf's hosts.
 */
async function pipeline(script: string, host: string): Promise<Outcome> {
  const env = { PATH: process.env.PATH, DOCKER, DOCKER_HOST: host, DOCKER_CONFIG: dockerConfig };
  const r = await startCommand("bash", ["-o", "pipefail", "-c", script], {
    env: { ...env, D: HOSTS.dockerd, W: HOSTS.wharf },
  }).done;
  return outcome(r);
}

/** GET on a daemon's socket: status and parsed JSON body. */
function getJSON(host: string, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: host.slice("unix://".length), path }, (res) => {
      let text = "";
      res.on("data", (d) => {
        text += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.once("error", reject);
    req.end();
  });
}

type Inspect = Record<string, unknown> & { Metadata: { LastTagTime: string } };

async function inspectBoth(env: NodeJS.ProcessEnv = {}): Promise<{ dockerd: Inspect; wharf: Inspect }> {
  const r = await both(["inspect", "busybox:latest"], env);
  assert.equal(r.dockerd.code, 0, r.dockerd.stderr);
  assert.equal(r.wharf.code, 0, r.wharf.stderr);
  return { dockerd: JSON.parse(r.dockerd.stdout)[0], wharf: JSON.parse(r.wharf.stdout)[0] };
}

/**
 * LastTagTime is when each daemon ran its own `docker tag`: not the same instant, and Node's clock
 * has milliseconds where Go's has nanoseconds. Both must be set and close; then the field is dropped.
 */
function takeTagTimes(inspects: { dockerd: Inspect; wharf: Inspect }): void {
  const ms = (t: string) => Date.parse(t.replace(/(\.\d{3})\d*Z$/, "$1Z"));
  const [d, w] = [ms(inspects.dockerd.Metadata.LastTagTime), ms(inspects.wharf.Metadata.LastTagTime)];
  assert.ok(d > Date.parse("2000-01-01") && Math.abs(d - w) < 30_000, JSON.stringify([d, w]));
  for (const i of [inspects.dockerd, inspects.wharf])
    delete (i.Metadata as { LastTagTime?: string }).LastTagTime;
}

describe("the same images through both sockets", () => {
  test("docker load of wharf's archive; docker tag leaves the arm64 image dangling", async () => {
    const loaded = await same(["load", "-i", archive]);
    assert.equal(
      loaded.stdout,
      "Loaded image: busybox:latest\nLoaded image: localhost:5000/a/b:tag\nLoaded image: arm:latest\n",
    );
    assert.equal((await same(["tag", "busybox:latest", "arm:latest"])).code, 0);
  });

  test("docker images, its flags, filters and formats", async () => {
    // CREATED ("5 days ago") is relative to now, computed by the same client from the same Created.
    const table = await same(["images"], anyRowOrder);
    assert.match(table.stdout, /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\n/);
    assert.match(table.stdout, /^<none> +<none> +d9807954d5ed /m);
    await same(["images", "-a"], anyRowOrder);
    // No RepoDigests on either side: a docker-archive carries no registry manifest digest to record.
    assert.match((await same(["images", "--digests"], anyRowOrder)).stdout, /^busybox +latest +<none> /m);
    const busybox = await same(["images", "--filter", "reference=busybox*"], anyRowOrder);
    assert.equal(busybox.stdout.trim().split("\n").length, 2, busybox.stdout);
    const dangling = await same(["images", "--filter", "dangling=true"], anyRowOrder);
    assert.match(dangling.stdout, /\n<none> +<none> +d9807954d5ed .*\n$/);
    await same(["images", "--filter", "dangling=false"], anyRowOrder);
    await same(["images", "--filter", "reference=localhost:5000/*/*"], anyRowOrder);
    await same(
      ["images", "--filter", "label=org.opencontainers.image.title=busybox-test", "--no-trunc"],
      anyRowOrder,
    );
    // dockerd 20.10's images list sizes of its classic store (the layers unpacked); so do wharf's.
    const formatted = await same(
      ["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}"],
      anyRowOrder,
    );
    assert.match(formatted.stdout, /^localhost:5000\/a\/b:tag 1c03f4e795fd 2\.05MB$/m);
    await same(["images", "--format", "json"], anyRowOrder);
    assert.equal((await same(["images", "-q"], anyRowOrder)).stdout.split("\n").length, 5);
  });

  test("docker inspect: the same image, less what dockerd's API 1.41 and its overlay2 add", async () => {
    const inspects = await inspectBoth();
    const { dockerd: d, wharf: w } = inspects;
    assert.equal(w.Id, BUSYBOX_ID);
    assert.deepEqual(w.RepoTags, ["arm:latest", "busybox:latest", "localhost:5000/a/b:tag"]);
    // Equal here (none): both images came from an archive, which has no registry manifest digest.
    assert.deepEqual([d.RepoDigests, w.RepoDigests], [[], []]);
    // The client speaks 1.41 to dockerd 20.10 and 1.47 to wharf: VirtualSize went in 1.44,
    // Container and ContainerConfig in 1.45.
    assert.equal(d.VirtualSize, d.Size);
    for (const field of ["VirtualSize", "Container", "ContainerConfig"]) delete d[field];
    // dockerd's overlay2 directories; wharf keeps layers as blobs, with no graph driver to name.
    assert.match(String((d.GraphDriver as { Name: string }).Name), /^(overlay2|vfs)$/);
    assert.deepEqual(w.GraphDriver, { Data: null, Name: "" });
    delete d.GraphDriver;
    delete w.GraphDriver;
    takeTagTimes(inspects);
    assert.deepEqual(w, d);
    await same(["inspect", "--format", "{{.Id}} {{.Config.Cmd}} {{json .RootFS}}", "busybox"]);
    await same([
      "image",
      "inspect",
      "--format",
      "{{.Architecture}} {{.Variant}} {{.Size}}",
      ARM_ID.slice(7, 19),
    ]);
  });

  test("docker inspect at API 1.41 (dockerd's version): what current moby answers a 1.41 client", async () => {
    const inspects = await inspectBoth({ DOCKER_API_VERSION: "1.41" });
    const { dockerd: d, wharf: w } = inspects;
    assert.equal(w.VirtualSize, w.Size);
    // 20.10 always writes Container; moby 26+ leaves an empty one out (omitempty).
    assert.equal(d.Container, "");
    delete d.Container;
    delete d.GraphDriver;
    delete w.GraphDriver;
    takeTagTimes(inspects);
    // Current moby still answers ContainerConfig below API 1.45 (daemon/images/image_inspect.go sets
    // it from the image, the zero container.Config when the image has none), as 20.10 does.
    assert.deepEqual(w, d);
  });

  test("docker history", async () => {
    const history = await same(["history", "busybox:latest"]);
    assert.match(history.stdout, /^1c03f4e795fd +\S.* CMD \["\/bin\/sh"\] +0B/m);
    const lines = await same(["history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Size}}", "busybox"]);
    assert.match(lines.stdout, /^ADD busybox-static 1\.35\.0 \/bin\/busybox \+ applet symlinks\|1\.99MB\n$/m);
  });

  test("the API at 1.41 itself: GET /images/json and /images/{name}/history", async () => {
    const byId = (list: unknown) => [...(list as { Id: string }[])].sort((a, b) => a.Id.localeCompare(b.Id));
    for (const path of ["/v1.41/images/json?all=1", "/v1.41/images/busybox/history"]) {
      const [d, w] = await Promise.all([getJSON(HOSTS.dockerd, path), getJSON(HOSTS.wharf, path)]);
      assert.equal(w.status, d.status, path);
      // Moby sorts neither listing's images beyond Created (equal here); the key order is Go's in both.
      // Below 1.43 moby leaves an empty RepoDigests of a tagged image nil (null), as 20.10 does.
      assert.deepEqual(byId(w.body), byId(d.body), path);
    }
  });

  test("docker system df", async () => {
    const df = await same(["system", "df"]);
    assert.match(df.stdout, /^Images +2 +0 +2\.051MB +2\.051MB \(100%\)$/m);
    assert.match(df.stdout, /^Containers +0 +0 +0B +0B$/m);
    assert.match(df.stdout, /^Local Volumes +0 +0 +0B +0B$/m);
    // The image rows of -v come in dockerd's order of images with the same Created: any.
    await same(["system", "df", "-v"], anyRowOrder);
  });

  test("docker save | docker load through each socket, and from each to the other", async () => {
    const [d, w] = await Promise.all([
      pipeline("$DOCKER save busybox:latest | $DOCKER load", HOSTS.dockerd),
      pipeline("$DOCKER save busybox:latest | $DOCKER load", HOSTS.wharf),
    ]);
    assert.deepEqual(w, d);
    assert.equal(d.stdout, "Loaded image: busybox:latest\n", d.stderr);
    // dockerd 20.10 writes the legacy layout (<v1 id>/layer.tar), wharf docker 25's (OCI blobs):
    // each daemon loads the other's.
    for (const script of [
      "$DOCKER -H $D save arm busybox | $DOCKER -H $W load",
      "$DOCKER -H $W save arm busybox | $DOCKER -H $D load",
    ]) {
      const r = await pipeline(script, HOSTS.wharf);
      assert.deepEqual(r, {
        code: 0,
        stdout: "Loaded image: arm:latest\nLoaded image: busybox:latest\n",
        stderr: "",
      });
    }
    await same(["images", "-a", "--no-trunc"], anyRowOrder);
  });

  test("docker tag and rmi: a tag, a tag of an image with others, a conflict, -f", async () => {
    assert.equal((await same(["tag", "busybox:latest", "x/y:z"])).code, 0);
    assert.match((await same(["images"], anyRowOrder)).stdout, /^x\/y +z +1c03f4e795fd /m);
    assert.equal((await same(["rmi", "x/y:z"])).stdout, "Untagged: x/y:z\n");
    assert.doesNotMatch((await same(["images"], anyRowOrder)).stdout, /x\/y/);
    assert.equal((await same(["rmi", "busybox:latest"])).stdout, "Untagged: busybox:latest\n");
    const conflict = await same(["rmi", BUSYBOX_ID.slice(7, 19)]);
    assert.deepEqual(conflict, {
      code: 1,
      stdout: "",
      stderr:
        "Error response from daemon: conflict: unable to delete 1c03f4e795fd (must be forced) - image is referenced in multiple repositories\n",
    });
    // The layers stay: the dangling arm64 image has the same ones.
    const forced = await same(["rmi", "-f", BUSYBOX_ID.slice(7, 19)]);
    assert.equal(
      forced.stdout,
      `Untagged: arm:latest\nUntagged: localhost:5000/a/b:tag\nDeleted: ${BUSYBOX_ID}\n`,
    );
    assert.match((await same(["images", "-a"], anyRowOrder)).stdout, /\n<none> +<none> +d9807954d5ed .*\n$/);
  });

  test("docker image prune -f, then -a -f", async () => {
    const dangling = await same(["image", "prune", "-f"]);
    assert.match(
      dangling.stdout,
      new RegExp(`^Deleted Images:\ndeleted: ${ARM_ID}\n(deleted: sha256:\\w+\n){3}\n`),
    );
    assert.match(dangling.stdout, /\nTotal reclaimed space: 2\.051MB\n$/);
    assert.equal((await same(["image", "prune", "-f"])).stdout, "Total reclaimed space: 0B\n");
    await same(["load", "-q", "-i", archive]);
    await same(["tag", "busybox:latest", "arm:latest"]);
    // dockerd prunes in its image store's map order: which image comes first, and so which one's
    // removal lists the shared layers, varies. The lines, in any order, are the same.
    const all = await same(["image", "prune", "-a", "-f"], anyRowOrder);
    assert.match(all.stdout, /^untagged: localhost:5000\/a\/b:tag$/m);
    assert.equal(all.stdout.split("\n").filter((l) => l.startsWith("deleted: ")).length, 5, all.stdout);
    assert.match(all.stdout, /\nTotal reclaimed space: 2\.051MB\n$/);
    assert.equal((await same(["images", "-a"])).stdout, "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n");
  });

  test("what is not there: the not-found errors and exit codes", async () => {
    assert.deepEqual(await same(["inspect", "nosuch"]), {
      code: 1,
      stdout: "[]\n",
      stderr: "Error: No such object: nosuch\n",
    });
    const rmi = await same(["rmi", "nosuch"]);
    assert.deepEqual(
      [rmi.code, rmi.stderr],
      [1, "Error response from daemon: No such image: nosuch:latest\n"],
    );
    const history = await same(["history", "nosuch"]);
    assert.deepEqual(
      [history.code, history.stderr],
      [1, "Error response from daemon: No such image: nosuch:latest\n"],
    );
    // 20.10 wraps GetImage's error ("no such image: nosuch: No such image: nosuch:latest"); moby 23+
    // answers ErrImageDoesNotExist alone, as wharf does.
    const current = (t: string) => t.replace(/no such image: (\S+): (No such image: \1:latest)/, "$2");
    const image = await same(["image", "inspect", "nosuch"], current);
    assert.equal(image.code, 1);
  });
});
