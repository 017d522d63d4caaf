/**
 * `wharf manifest create/annotate/inspect/push/rm` against distribution 2.8, side by side with the
 * docker CLI's own `docker manifest` (a client-side command: no daemon needed): the same files in the
 * local list, the same output, the same pushed index digest. Then the pushed list is read by skopeo
 * and docker and resolved by `wharf pull --platform`; the errors are docker's, one line, exit 1.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { pushFixtures, startDistribution } from "../helpers/distribution.ts";
import { type Finished, startCommand, wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";
import { tool } from "../helpers/tools.ts";
import { startWharfServe } from "../helpers/wharf-serve.ts";

const { host } = await startDistribution();
await pushFixtures(host);
// A second registry, for the "different registries" refusal.
const other = await startWharfServe();
await pushFixtures(other.host);

interface RawIndex {
  mediaType: string;
  manifests: { mediaType: string; digest: string; size: number; platform: Record<string, unknown> }[];
}

async function rawManifest(ref: string): Promise<string> {
  return (await tool("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${ref}`])).stdout;
}

/** The children of a fixture index, each pushed alone under `repo:ARCH` (single-platform images). */
async function pushSingles(index: string, repo: string): Promise<Record<string, string>> {
  const list = JSON.parse(await rawManifest(`${host}/busybox:${index}`)) as RawIndex;
  const digests: Record<string, string> = {};
  for (const m of list.manifests) {
    const arch = m.platform.architecture as string;
    await tool("skopeo", [
      "copy",
      "--quiet",
      "--src-tls-verify=false",
      "--dest-tls-verify=false",
      `docker://${host}/busybox@${m.digest}`,
      `docker://${host}/${repo}:${arch}`,
    ]);
    digests[arch] = m.digest;
  }
  return digests;
}
const ociSingles = await pushSingles("multi", "oci-single");
const dockerSingles = await pushSingles("list", "v2-single");

function docker(args: string[], configDir: string): Promise<Finished> {
  return startCommand("docker", args, { env: { ...process.env, DOCKER_CONFIG: configDir } }).done;
}

/** The files of a local list directory: name -> content. */
function listFiles(manifestsDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const list of readdirSync(manifestsDir)) {
    for (const file of readdirSync(join(manifestsDir, list))) {
      out[`${list}/${file}`] = readFileSync(join(manifestsDir, list, file), "utf8");
    }
  }
  return out;
}

function oneLineError(r: Finished, message: string): void {
  assert.equal(r.code, 1, r.stdout);
  assert.equal(r.stderr, `${message}\n`);
}

describe("wharf manifest, side by side with docker manifest", () => {
  const root = tempDir("wharf-manifest-root-");
  const dockerConfig = tempDir("wharf-manifest-docker-");
  const list = `${host}/v2-single:list`;
  const amd64 = `${host}/v2-single:amd64`;
  const arm64 = `${host}/v2-single:arm64`;
  const both = async (args: string[]) => {
    const w = await wharf(["--root", root, "manifest", ...args]);
    const d = await docker(["manifest", ...args], dockerConfig);
    assert.equal(w.stdout, d.stdout, `stdout of manifest ${args.join(" ")}`);
    assert.equal(w.stderr, d.stderr, `stderr of manifest ${args.join(" ")}`);
    assert.equal(w.code, d.code, `exit code of manifest ${args.join(" ")}`);
    return w;
  };

  test("create, annotate, inspect and push: same files, output and index digest", async () => {
    const created = await both(["create", "--insecure", list, amd64, arm64]);
    assert.equal(created.stdout, `Created manifest list ${list}\n`);
    assert.deepEqual(listFiles(join(root, "manifests")), listFiles(join(dockerConfig, "manifests")));
    await both(["annotate", "--variant", "v2", "--os-features", "sse4", list, amd64]);
    assert.deepEqual(listFiles(join(root, "manifests")), listFiles(join(dockerConfig, "manifests")));
    await both(["inspect", list]);
    await both(["inspect", "-v", list]);
    await both(["inspect", list, arm64]);
    await both(["inspect", "-v", list, amd64]);
    // docker reads wharf's list as its own (the same layout and files).
    const byDocker = await docker(["manifest", "inspect", list], root);
    assert.equal(byDocker.stdout, (await wharf(["--root", root, "manifest", "inspect", list])).stdout);

    const pushed = await wharf(["--root", root, "manifest", "push", "--insecure", list]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const raw = await rawManifest(list);
    const digest = `sha256:${(await import("node:crypto")).createHash("sha256").update(raw).digest("hex")}`;
    assert.equal(
      pushed.stdout,
      `${digest}\n`,
      "the images are in the list's repository: nothing else to push",
    );
    const index = JSON.parse(raw) as RawIndex;
    assert.equal(index.mediaType, "application/vnd.docker.distribution.manifest.list.v2+json");
    assert.deepEqual(
      index.manifests.map((m) => [m.digest, m.mediaType, m.platform]),
      [
        [
          dockerSingles.amd64,
          "application/vnd.docker.distribution.manifest.v2+json",
          { architecture: "amd64", os: "linux", "os.features": ["sse4"], variant: "v2" },
        ],
        [
          dockerSingles.arm64,
          "application/vnd.docker.distribution.manifest.v2+json",
          { architecture: "arm64", os: "linux", variant: "v8" },
        ],
      ],
    );
    const byDockerPush = await docker(["manifest", "push", "--insecure", list], dockerConfig);
    assert.equal(byDockerPush.stdout, pushed.stdout, "docker pushes the same bytes");
    // Remote now, after `rm`: both read the registry's list alike.
    await both(["rm", list]);
    assert.deepEqual(readdirSync(join(root, "manifests")), []);
    await both(["inspect", "--insecure", list]);
  });

  test("docker's errors: list exists, image is a list, unknown image, bad annotation, no such list", async () => {
    assert.equal((await both(["create", "--insecure", `${host}/errs:one`, amd64])).code, 0);
    const failing: [string[], string][] = [
      [
        ["create", "--insecure", `${host}/errs:one`, arm64],
        "refusing to amend an existing manifest list with no --amend flag",
      ],
      [
        ["create", "--insecure", `${host}/errs:two`, `${host}/busybox:list`],
        `${host}/busybox:list is a manifest list`,
      ],
      [
        ["create", "--insecure", `${host}/errs:two`, `${host}/v2-single:nosuchtag`],
        `no such manifest: ${host}/v2-single:nosuchtag`,
      ],
      [
        ["annotate", "--arch", "sparc", `${host}/errs:one`, amd64],
        "manifest entry for image has unsupported os/arch combination: /sparc",
      ],
      [
        ["annotate", `${host}/errs:one`, arm64],
        `manifest for image ${arm64} does not exist in ${host}/errs:one`,
      ],
      [["rm", `${host}/errs:nope`, `${host}/errs:one`], `No such manifest: ${host}/errs:nope`],
      [["push", "--insecure", `${host}/errs:one`], `No such manifest: ${host}/errs:one`],
      [["inspect", `${host}/errs:one`, amd64], `No such manifest: ${amd64}`],
    ];
    for (const [args, message] of failing) oneLineError(await both(args), message);
    assert.equal(
      existsSync(join(root, "manifests", `${host.replace(":", "-")}_errs-two`)),
      false,
      "nothing half-made",
    );
  });
});

/** A fresh wharf root holding the local list `list` of `images`. */
async function createList(list: string, images: string[]): Promise<string> {
  const root = tempDir("wharf-manifest-root-");
  const created = await wharf(["--root", root, "manifest", "create", "--insecure", list, ...images]);
  assert.equal(created.code, 0, created.stderr);
  return root;
}

describe("wharf manifest push", () => {
  test("to another repository: images brought in by mount; docker, skopeo and wharf pull read it", async () => {
    const list = `${host}/combined:v1`;
    const root = await createList(list, [`${host}/oci-single:amd64`, `${host}/oci-single:arm64`]);
    const annotated = await wharf([
      "--root",
      root,
      "manifest",
      "annotate",
      "--variant",
      "v8",
      list,
      `${host}/oci-single:arm64`,
    ]);
    assert.equal(annotated.code, 0, annotated.stderr);
    const pushed = await wharf(["--root", root, "manifest", "push", "--purge", list]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const lines = pushed.stdout.trimEnd().split("\n");
    assert.deepEqual(lines.slice(0, 2).sort(), [
      `Pushed ref ${host}/combined@${ociSingles.amd64} with digest: ${ociSingles.amd64}`,
      `Pushed ref ${host}/combined@${ociSingles.arm64} with digest: ${ociSingles.arm64}`,
    ]);
    assert.match(lines[2]!, /^sha256:[0-9a-f]{64}$/);
    assert.equal(
      existsSync(join(root, "manifests", `${host.replace(":", "-")}_combined-v1`)),
      false,
      "--purge",
    );

    // The children are in the list's repository now, with their config and layers.
    for (const digest of Object.values(ociSingles)) {
      assert.equal(JSON.parse(await rawManifest(`${host}/combined@${digest}`)).schemaVersion, 2);
    }
    const index = JSON.parse(await rawManifest(list)) as RawIndex;
    assert.equal(index.mediaType, "application/vnd.oci.image.index.v1+json", "docker's rule: OCI children");
    assert.deepEqual(
      index.manifests.map((m) => m.platform),
      [
        { architecture: "amd64", os: "linux" },
        { architecture: "arm64", os: "linux", variant: "v8" },
      ],
    );
    const inspected = await docker(["manifest", "inspect", "--insecure", list], tempDir("wharf-docker-"));
    assert.equal(inspected.code, 0, inspected.stderr);
    assert.deepEqual(JSON.parse(inspected.stdout).manifests, index.manifests);

    const store = tempDir("wharf-manifest-pull-");
    const pulled = await wharf(["--root", store, "pull", "--platform", "linux/arm64", list]);
    assert.equal(pulled.code, 0, pulled.stderr);
    const arch = await wharf(["--root", store, "image", "inspect", "--format", "{{.Architecture}}", list]);
    assert.equal(arch.stdout, "arm64\n");
  });

  test("images from another registry are refused at push, one line", async () => {
    const list = `${host}/mixed:v1`;
    const root = await createList(list, [`${host}/oci-single:amd64`, `${other.host}/busybox:latest`]);
    const pushed = await wharf(["--root", root, "manifest", "push", list]);
    oneLineError(
      pushed,
      `cannot use source images from a different registry than the target image: ${other.host} != ${host}`,
    );
    const missing = await wharf(["--root", root, "manifest", "push", `${host}/nolist:v1`]);
    oneLineError(missing, `No such manifest: ${host}/nolist:v1`);
  });
});
