/**
 * The image commands as a person runs them, compared with what Docker printed for the same images
 * (../shared/docker-reference). The store holds the fixtures under the names the reference used:
 * 127.0.0.1:5070/busybox:latest (OCI), :v2s2 (the same image under a Docker v2s2 manifest, made by
 * skopeo as the reference's registry copy was) and :multi (the arm64 image of busybox-multi, pulled
 * by the index digest). nodeapp was in Docker's store too; its lines are left out.
 *
 * "52 minutes ago": the reference was captured 52 minutes after the images were built. The CLI runs
 * here with its clock set to that moment (a preload that shifts Date.now), so that even the time
 * columns, and the table widths that depend on them, are compared byte for byte.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { pathToFileURL } from "node:url";
import type { Digest } from "../../src/oci/digest.ts";
import { bytesSource, type ImageData, Store } from "../../src/store/index.ts";
import { FIXTURES_DIR } from "../corpus.ts";
import { importLayoutImage } from "../helpers/import-layout.ts";
import { WHARF_MAIN } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";
import { tool } from "../helpers/tools.ts";

const REFERENCE = new URL("../../../shared/docker-reference/", import.meta.url);
const REG = "127.0.0.1:5070/busybox";
const MULTI = join(FIXTURES_DIR, "oci/busybox-multi");
const INDEX = "sha256:c94552dc6a235959cd41db2bbaf18bab61e4709dfcbbbe4b8157f9ff5c239834" as Digest;
/** The images were built at 03:00:24-32 UTC; Docker looked 52 minutes later. */
const REFERENCE_NOW = Date.parse("2026-11-28T03:52:55Z");

// Made here, not inside before(): a temporary directory lives as long as the scope that made it.
const dir = tempDir();
const base = join(dir, "store");
const preload = join(dir, "clock.mjs");

async function repoDigest(
  store: Store,
  image: ImageData,
  digest = image.manifest.digest,
  size = image.manifest.size,
) {
  await store.update((w) =>
    w.addRepoDigest(image.manifest.digest, {
      repository: REG,
      digest,
      mediaType: digest === INDEX ? "application/vnd.oci.image.index.v1+json" : image.manifest.mediaType,
      size,
    }),
  );
}

before(async () => {
  writeFileSync(
    preload,
    `const start = Date.now(); const real = Date.now.bind(Date);\nDate.now = () => ${REFERENCE_NOW} + (real() - start);\n`,
  );
  // The Docker-media-type copy, as the reference's `skopeo copy --format v2s2` made it.
  const v2s2 = join(dir, "v2s2");
  await tool("skopeo", [
    "copy",
    "--format",
    "v2s2",
    `oci:${join(FIXTURES_DIR, "oci/busybox")}:latest`,
    `oci:${v2s2}:v2s2`,
  ]);
  const store = await Store.open({ root: base });
  const oci = await importLayoutImage(store, join(FIXTURES_DIR, "oci/busybox"), { tag: `${REG}:latest` });
  await repoDigest(store, oci);
  const docker = await importLayoutImage(store, v2s2, { refName: "v2s2", tag: `${REG}:v2s2` });
  assert.equal(
    docker.manifest.digest,
    "sha256:99f975dcd65e801d06d936adffa539fb4bd1b5d7a466db30ad624462d43e3b29",
  );
  await repoDigest(store, docker);
  const indexBytes = readFileSync(join(MULTI, "blobs/sha256", INDEX.slice(7)));
  const index = JSON.parse(indexBytes.toString()) as {
    manifests: (ImageData["manifest"] & { platform: { os: string; architecture: string } })[];
  };
  const arm = index.manifests.find((m) => m.platform.architecture === "arm64")!;
  const multi = await importLayoutImage(store, MULTI, { manifest: arm, tag: `${REG}:multi` });
  const lease = store.lease();
  await store.ingest({ digest: INDEX, size: indexBytes.length, source: bytesSource(indexBytes), lease });
  await repoDigest(store, multi, INDEX, indexBytes.length);
  await lease.release();
  store.close();
  // Docker's sizes are computed once and kept: do it here, not in every copy.
  await run(base, ["images", "-q"]);
});

/** A copy of the fixture store that a test may change. */
function copyOfBase(): string {
  const root = join(tempDir(), "store");
  cpSync(base, root, { recursive: true });
  return root;
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(root: string, args: string[], input?: string): Promise<Result> {
  const child = spawn(process.execPath, [WHARF_MAIN, "--root", root, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, NODE_OPTIONS: `--import=${pathToFileURL(preload).href}`, TZ: "UTC" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  child.stdin.end(input ?? "");
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A reference file: the command, what it printed (stdout then stderr), the exit code; nodeapp's lines dropped. */
function reference(name: string): { output: string; code: number } {
  const lines = readFileSync(new URL(name, REFERENCE), "utf8").split("\n");
  if (lines.at(-1) === "") lines.pop();
  const exit = /^\[exit (\d+)\]$/.exec(lines.pop() ?? "");
  assert.ok(exit, `${name} ends with its exit code`);
  const output = lines.slice(1).filter((l) => !l.includes("nodeapp"));
  return { output: output.length ? `${output.join("\n")}\n` : "", code: Number(exit[1]) };
}

async function matches(root: string, args: string[], file: string, adjust = (s: string) => s) {
  const r = await run(root, args);
  const want = reference(file);
  assert.equal(r.stdout + r.stderr, adjust(want.output), `wharf ${args.join(" ")} vs ${file}`);
  assert.equal(r.code, want.code, `exit code of wharf ${args.join(" ")}`);
}

test("07, 08, 10: docker images, --digests, --no-trunc", async () => {
  await matches(base, ["images"], "07-images.txt");
  await matches(base, ["images", "--digests"], "08-images-digests.txt");
  await matches(base, ["images", "--no-trunc"], "10-images-notrunc.txt");
  await matches(base, ["image", "ls"], "07-images.txt");
});

test("09: --format with a template, one line per tag", async () => {
  const r = await run(base, ["images", "--format", "{{.Repository}}:{{.Tag}} - {{.Size}}"]);
  // Docker lists images created in the same second in no fixed order (a Go map); wharf keeps the
  // order they arrived in, so only the set of lines can be compared.
  const sorted = (s: string) => s.split("\n").filter(Boolean).sort();
  assert.deepEqual(sorted(r.stdout), sorted(reference("09-images-format.txt").output));
  assert.equal(r.stdout.split("\n")[0], `${REG}:latest - 2.05MB`);
});

test("11: inspect, as Engine API 1.47 shows it: Docker 20.10's keys that 1.44/1.45 dropped are gone", async () => {
  const r = await run(base, ["inspect", `${REG}:latest`]);
  assert.equal(r.code, 0, r.stderr);
  const want = JSON.parse(reference("11-inspect.txt").output) as Record<string, unknown>[];
  const expected = want.map((o) => {
    const { Container, ContainerConfig, VirtualSize, GraphDriver, ...rest } = o;
    // wharf has no graph driver: the object stays, empty (see src/images/inspect.ts).
    const entries = Object.entries(rest).map(([k, v]) => [k, v] as [string, unknown]);
    const at = entries.findIndex(([k]) => k === "RootFS");
    entries.splice(at, 0, ["GraphDriver", { Data: null, Name: "" }]);
    return Object.fromEntries(entries);
  });
  assert.equal(r.stdout, `${JSON.stringify(expected, null, 4)}\n`);
  // The same through `image inspect`, by ID prefix, and compact with --format json.
  assert.equal((await run(base, ["image", "inspect", "1c03f4"])).stdout, r.stdout);
  const compact = await run(base, ["inspect", "--format", "json", `${REG}:v2s2`]);
  assert.deepEqual(JSON.parse(compact.stdout), expected);
  assert.equal(compact.stdout.split("\n").length, 2);
});

test("12, 13: inspect --format with Go templates", async () => {
  await matches(base, ["inspect", "--format={{.Config.Env}}", `${REG}:latest`], "12-inspect-format-env.txt");
  await matches(
    base,
    ["inspect", "--format={{index .RepoDigests 0}}", `${REG}:latest`],
    "13-inspect-repodigests.txt",
  );
  const r = await run(base, [
    "inspect",
    "-f",
    "{{.Id}} {{.ID}} {{.Architecture}}/{{.Variant}} {{json .Config}}",
    `${REG}:multi`,
  ]);
  // .Id is the API's name (docker falls back to the raw object), .ID the Go field: both work, separately.
  assert.equal(r.code, 1);
  const typed = await run(base, [
    "inspect",
    "-f",
    "{{.ID}} {{.Architecture}}/{{.Variant}} {{json .Config}}",
    `${REG}:multi`,
  ]);
  assert.equal(
    typed.stdout,
    'sha256:d9807954d5ed84395a6a28cd552dfb62e5708598834a568e119bd5d485ea9907 arm64/v8 {"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/sh"],"WorkingDir":"/","Labels":{"org.opencontainers.image.title":"busybox-test"}}\n',
  );
  const raw = await run(base, [
    "inspect",
    "-f",
    "{{.Id}} {{.Config.Hostname}}|{{.Metadata.LastTagTime}}",
    `${REG}:multi`,
  ]);
  assert.equal(
    raw.stdout,
    "sha256:d9807954d5ed84395a6a28cd552dfb62e5708598834a568e119bd5d485ea9907 |0001-01-01T00:00:00Z\n",
  );
  const bad = await run(base, ["inspect", "-f", "{{.Id", `${REG}:multi`]);
  assert.deepEqual(
    [bad.code, bad.stdout, bad.stderr],
    [64, "", "template parsing error: template: :1: unclosed action\n"],
  );
});

test("15: history --no-trunc; truncated, quiet and non-human forms", async () => {
  await matches(base, ["history", "--no-trunc", `${REG}:latest`], "15-history-notrunc.txt");
  const r = await run(base, ["image", "history", "1c03"]);
  assert.equal(
    r.stdout,
    [
      "IMAGE          CREATED          CREATED BY                                      SIZE      COMMENT",
      '1c03f4e795fd   52 minutes ago   CMD ["/bin/sh"]                                 0B        ',
      "<missing>      52 minutes ago   COPY hello.sh random.bin /app/                  65.6kB    ",
      "<missing>      52 minutes ago   ADD etc files (passwd, group, hostname)         122B      ",
      "<missing>      52 minutes ago   ADD busybox-static 1.35.0 /bin/busybox + app…   1.99MB    ",
      "",
    ].join("\n"),
  );
  assert.equal(
    (await run(base, ["history", "-H", "1c03"])).stdout,
    r.stdout,
    "-H is a boolean: 1c03 is the image",
  );
  assert.equal((await run(base, ["history", "-H=false", "-q", "1c03"])).code, 0);
  assert.equal(
    (await run(base, ["history", "-q", `${REG}:multi`])).stdout,
    "d9807954d5ed\n<missing>\n<missing>\n<missing>\n",
  );
  const plain = await run(base, ["history", "--human=false", `${REG}:multi`]);
  assert.equal(
    plain.stdout,
    [
      "IMAGE          CREATED AT             CREATED BY                                      SIZE      COMMENT",
      'd9807954d5ed   2026-11-28T03:00:32Z   CMD ["/bin/sh"]                                 0         ',
      "<missing>      2026-11-28T03:00:31Z   COPY hello.sh random.bin /app/                  65583     ",
      "<missing>      2026-11-28T03:00:31Z   ADD etc files (passwd, group, hostname)         122       ",
      "<missing>      2026-11-28T03:00:30Z   ADD busybox-static 1.35.0 /bin/busybox + app…   1985472   ",
      "",
    ].join("\n"),
  );
});

test("16-19: tag, the images after it, rmi of a tag, rmi of an ID in use by two tags", async () => {
  const root = copyOfBase();
  await matches(root, ["tag", `${REG}:latest`, "myapp:v1.0.0"], "16-tag.txt");
  await matches(root, ["images"], "17-images-after-tag.txt");
  await matches(root, ["rmi", "myapp:v1.0.0"], "18-rmi-untag.txt");
  await matches(root, ["rmi", "1c03f4e795fd"], "19-rmi-conflict.txt");
});

test("20, 21: system df and its verbose form", async () => {
  // Docker's store also held nodeapp (311MB): the Images row is this store's own.
  await matches(base, ["system", "df"], "20-system-df.txt", (s) =>
    s.replace(
      "Images          3         0         313.2MB   313.2MB (100%)\n",
      "Images          2         0         2.051MB   2.051MB (100%)\n",
    ),
  );
  // `-v` is taken by wharf's own --version at the top level (see the report); --verbose is the same flag.
  await matches(base, ["system", "df", "--verbose"], "21-system-df-v.txt");
  const json = await run(base, ["system", "df", "--format", "{{json .}}"]);
  assert.equal(
    json.stdout.split("\n")[0],
    '{"Active":"0","Reclaimable":"2.051MB (100%)","Size":"2.051MB","TotalCount":"2","Type":"Images"}',
  );
});

test("26, 27: inspect of a missing image; the dangling filter", async () => {
  await matches(base, ["inspect", "nope:latest"], "26-inspect-missing.txt");
  await matches(base, ["images", "--filter", "dangling=true"], "27-images-filter-dangling.txt");
});

test("31: rmi by the last tag untags its digests and deletes the image; layers go with their last image", async () => {
  const root = copyOfBase();
  const multi = await run(root, ["rmi", `${REG}:multi`]);
  assert.equal(
    multi.stdout,
    [
      `Untagged: ${REG}:multi`,
      `Untagged: ${REG}@${INDEX}`,
      "Deleted: sha256:d9807954d5ed84395a6a28cd552dfb62e5708598834a568e119bd5d485ea9907",
      "",
    ].join("\n"),
    "its layers are busybox's too: none deleted",
  );
  const rest = await run(root, ["image", "rm", "-f", "1c03"]);
  assert.match(
    rest.stdout,
    /\nDeleted: sha256:1c03f4e795fd\S+\nDeleted: sha256:dbfa4c7f\S+\nDeleted: sha256:fe1171ba\S+\nDeleted: sha256:358fca31\S+\n$/,
  );
  assert.deepEqual(readdirSync(join(root, "blobs/sha256")), [], "garbage collection took every blob");
  const check = await run(root, ["system", "check"]);
  assert.equal(check.code, 0, check.stdout);
});

test("32, 33: image prune -a -f, then no images", async () => {
  const root = copyOfBase();
  assert.equal((await run(root, ["tag", `${REG}:latest`, "127.0.0.1:5070/team/app:v1"])).code, 0);
  // Docker's store had also pushed team/app, which added a RepoDigest this store never got.
  await matches(root, ["image", "prune", "-a", "-f"], "32-image-prune-a.txt", (s) =>
    s.replace(/untagged: 127\.0\.0\.1:5070\/team\/app@sha256:7e77\S+\n/, ""),
  );
  await matches(root, ["images"], "33-images-empty.txt");
});

test("prune asks first: anything but y cancels quietly; dangling images only without -a", async () => {
  const root = copyOfBase();
  const no = await run(root, ["image", "prune", "-a"], "n\n");
  assert.deepEqual(
    [no.code, no.stdout],
    [
      0,
      "WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] ",
    ],
  );
  const dangling = await run(root, ["image", "prune"], "y\n");
  assert.equal(
    dangling.stdout,
    "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] Total reclaimed space: 0B\n",
  );
  assert.equal((await run(root, ["rmi", `${REG}:multi`])).code, 0);
  assert.equal((await run(root, ["tag", `${REG}:latest`, "keep:1"])).code, 0);
  assert.equal((await run(root, ["image", "rm", `${REG}:latest`, `${REG}:v2s2`])).code, 0);
  // keep:1 holds the image: nothing is dangling.
  assert.equal((await run(root, ["image", "prune", "-f"])).stdout, "Total reclaimed space: 0B\n");
  assert.equal(
    (await run(root, ["image", "prune", "-a", "-f", "--filter", "label=nope"])).stdout,
    "Total reclaimed space: 0B\n",
  );
  // Built 52 minutes ago: not before "an hour ago".
  assert.equal(
    (await run(root, ["image", "prune", "-a", "-f", "--filter", "until=1h"])).stdout,
    "Total reclaimed space: 0B\n",
  );
  const all = await run(root, [
    "image",
    "prune",
    "-a",
    "-f",
    "--filter",
    "label=org.opencontainers.image.title=busybox-test",
    "--filter",
    "until=30m",
  ]);
  assert.match(
    all.stdout,
    /^Deleted Images:\nuntagged: keep:1\ndeleted: sha256:1c03f4e795fd\S+\n(deleted: sha256:\S+\n){3}\nTotal reclaimed space: 2\.051MB\n$/,
  );
});

test("errors read as Docker's, with its exit codes", async () => {
  const several = await run(base, ["inspect", "-f", "{{.Os}}", "nope", `${REG}:latest`, "Busybox"]);
  assert.deepEqual(
    [several.code, several.stdout, several.stderr],
    [1, "linux\n", "Error: No such object: nope\nError: No such object: Busybox\n"],
  );
  const image = await run(base, ["image", "inspect", "nope"]);
  assert.deepEqual(
    [image.code, image.stdout, image.stderr],
    [1, "[]\n", "Error response from daemon: No such image: nope:latest\n"],
  );
  const rmi = await run(base, ["rmi", "nope", "Busybox"]);
  assert.deepEqual(
    [rmi.code, rmi.stderr],
    [
      1,
      "Error response from daemon: No such image: nope:latest\nError response from daemon: invalid reference format: repository name (library/Busybox) must be lowercase\n",
    ],
  );
  const forced = await run(base, ["rmi", "-f", "nope"]);
  assert.deepEqual(
    [forced.code, forced.stderr],
    [0, "Error response from daemon: No such image: nope:latest\n"],
  );
  const filter = await run(base, ["images", "--filter", "x=1"]);
  assert.deepEqual([filter.code, filter.stderr], [1, "Error response from daemon: invalid filter 'x'\n"]);
  const format = await run(base, ["images", "-f", "dangling"]);
  assert.deepEqual(
    [format.code, format.stderr],
    [
      125,
      `invalid argument "dangling" for "-f, --filter" flag: bad format of filter (expected name=value)\n\nUsage:  wharf images [OPTIONS] [REPOSITORY[:TAG]]\n\nRun 'wharf images --help' for more information\n`,
    ],
  );
  const history = await run(base, ["history", "nope"]);
  assert.deepEqual(
    [history.code, history.stderr],
    [1, "Error response from daemon: No such image: nope:latest\n"],
  );
  const tag = await run(base, ["tag", "nope", "x"]);
  assert.deepEqual([tag.code, tag.stderr], [1, "Error response from daemon: No such image: nope:latest\n"]);
  const digestTag = await run(base, ["tag", "busybox", `x@${INDEX}`]);
  assert.deepEqual(
    [digestTag.code, digestTag.stderr],
    [1, "refusing to create a tag with a digest reference\n"],
  );
});

test("images: a REPOSITORY[:TAG] pattern, -q, JSON lines, and the hint for `wharf images ls`", async () => {
  const r = await run(base, ["images", "*/busybox:v*"]);
  assert.equal(r.stdout.split("\n")[1], `${REG}   v2s2      1c03f4e795fd   52 minutes ago   2.05MB`);
  assert.equal(r.stdout.split("\n").length, 3);
  // One ID per row, as docker prints them (an image with two tags twice).
  assert.equal((await run(base, ["images", "-q"])).stdout, "1c03f4e795fd\n1c03f4e795fd\nd9807954d5ed\n");
  const json = await run(base, ["images", "--format", "json", "--filter", "reference=*/busybox:multi"]);
  assert.deepEqual(JSON.parse(json.stdout), {
    Containers: "N/A",
    CreatedAt: "2026-11-28 03:00:24 +0000 UTC",
    CreatedSince: "52 minutes ago",
    Digest: "\u003cnone\u003e",
    ID: "d9807954d5ed",
    Repository: REG,
    SharedSize: "N/A",
    Size: "2.05MB",
    Tag: "multi",
    UniqueSize: "N/A",
    VirtualSize: "2.051MB",
  });
  const hint = await run(base, ["images", "ls"]);
  assert.equal(hint.stderr, '\nNo images found matching "ls": did you mean "wharf image ls"?\n');
  assert.ok(existsSync(join(base, "index.json")));
});
