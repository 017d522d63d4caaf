/**
 * The image commands' error paths side by side with Docker itself (docker CLI 28 against a dockerd
 * 20.10 of the file's own), on the same images: every case runs the same command line through
 * `docker` and `wharf`, and stdout, stderr (with `docker` read as `wharf`) and the exit code must be
 * the same. Typos, unknown images, tags and IDs, uppercase names, bad tags and digests, bad filters
 * and templates, a conflict, nothing to prune. Usage errors, templates, registry errors, save/load
 * and time zones have files of their own (usage-, templates-, registry-errors-, save-load-docker and
 * local-time-zones). Where dockerd 20.10 words an error as current moby no longer does, the
 * comparison is with today's words (CURRENT_MOBY, each with its reason).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { startDockerd } from "../helpers/dockerd.ts";
import { wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";

const FIXTURES = join(import.meta.dirname, "../../../shared/fixtures/oci");

const dockerd = await startDockerd({ insecureRegistries: [] });
const work = tempDir("wharf-images-docker-");
const root = join(work, "root");

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Where the daemon here (dockerd 20.10) words an error as current moby no longer does, wharf follows
 * current moby: its text is what docker prints today. Each rewrite turns 20.10's words into today's.
 */
const CURRENT_MOBY: { old: RegExp; now: string; why: string }[] = [
  {
    old: /Invalid filter '/g,
    now: "invalid filter '",
    why: "moby 23+ api/types/filters/errors.go: invalidFilter's message starts in lower case",
  },
  {
    old: /repository name must be lowercase/g,
    now: "repository name ($<name>) must be lowercase",
    why: "distribution/reference 0.6 (moby 25+) names the repository; the daemon parses rmi, history and save names",
  },
  {
    old: /no such image: ([^:\n]+(?::[^:\n]+)?): No such image: \1/g,
    now: "No such image: $1",
    why: "moby 23+ GetImage answers ErrImageDoesNotExist alone, without 20.10's wrapping",
  },
];

function asCurrentDocker(text: string, args: string[]): string {
  let out = text.replaceAll("docker", "wharf");
  for (const { old, now } of CURRENT_MOBY) {
    // The lowercase message names the repository as normalised: library/ for a Docker Hub name.
    const name = args.find((a) => /[A-Z]/.test(a));
    out = out.replace(old, now.replace("$<name>", name ? `library/${name.split(":")[0]}` : "$<name>"));
  }
  return out;
}

async function both(args: string[]): Promise<{ docker: Outcome; wharf: Outcome }> {
  const d = await dockerd.docker(args);
  const w = await wharf(["--root", root, ...args]);
  return {
    docker: {
      code: d.code,
      stdout: asCurrentDocker(d.stdout, args),
      stderr: asCurrentDocker(d.stderr, args),
    },
    wharf: { code: w.code, stdout: w.stdout, stderr: w.stderr },
  };
}

async function inBoth(args: string[]): Promise<void> {
  const r = await both(args);
  assert.equal(r.docker.code, 0, `docker ${args.join(" ")}: ${r.docker.stderr}`);
  assert.equal(r.wharf.code, 0, `wharf ${args.join(" ")}: ${r.wharf.stderr}`);
}

// The same busybox in both: the fixture into wharf, saved, and that archive loaded by docker.
{
  const copied = await wharf([
    "--root",
    root,
    "copy",
    "-q",
    `oci:${FIXTURES}/busybox:latest`,
    "busybox:latest",
  ]);
  assert.equal(copied.code, 0, copied.stderr);
  const archive = join(work, "busybox.tar");
  const saved = await wharf(["--root", root, "save", "-o", archive, "busybox:latest"]);
  assert.equal(saved.code, 0, saved.stderr);
  await dockerd.dockerOk(["load", "-q", "-i", archive]);
}
const id = (await wharf(["--root", root, "images", "-q", "busybox:latest"])).stdout.trim();

/** Command lines whose whole outcome must be docker's; none of them changes either store. */
const SAME: string[][] = [
  // unknown images, tags, IDs
  ["inspect", "nope"],
  ["image", "inspect", "busybox:nope"],
  // (JSON of a found image has API 1.47's shape here, 1.41's there: the IDs only.)
  ["inspect", "--format", "{{.Id}}", "busybox", "nope"],
  ["history", "nope"],
  ["history", "busybox:nope"],
  ["rmi", "nope"],
  ["rmi", "busybox:nope"],
  ["rmi", "0123456789ab"],
  ["tag", "nope", "other:1"],
  ["image", "inspect", "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"],
  // malformed names, tags and digests
  ["inspect", "BusyBox"],
  ["rmi", "BusyBox"],
  ["history", "BusyBox"],
  ["tag", "busybox", "BusyBox"],
  ["tag", "busybox", "busybox:bad tag"],
  ["tag", "busybox", "busybox:-bad"],
  ["tag", "busybox", "busybox@sha256:0123"],
  ["inspect", "busybox@sha256:0123"],
  ["rmi", "busybox@sha256:zz"],
  ["pull", "BusyBox"],
  ["pull", "busybox:bad tag"],
  ["push", "BusyBox"],
  ["save", "BusyBox"],
  // listings that match nothing, bad filters, bad templates
  ["images", "nope"],
  ["images", "busybox:nope"],
  ["images", "--filter", "nope=1"],
  ["images", "--filter", "dangling=maybe"],
  ["images", "--filter", "before=nope"],
  ["images", "--format", "{{.Nope}}"],
  ["images", "--format", "{{"],
  ["inspect", "--format", "{{", "busybox"],
  ["history", "--format", "{{.Nope}}", "busybox"],
  // nothing to prune
  ["image", "prune", "-f"],
  ["image", "prune", "-f", "--filter", "until=nope"],
  ["image", "prune", "-f", "--filter", "nope=1"],
];

describe("the image commands' error paths are docker's", () => {
  for (const args of SAME) {
    test(args.join(" "), async () => {
      const r = await both(args);
      assert.deepEqual(r.wharf, r.docker);
    });
  }

  test("rmi of an image referenced in two repositories: the conflict, then -f", async () => {
    await inBoth(["tag", "busybox:latest", "other/busybox:1"]);
    const conflict = await both(["rmi", id]);
    assert.equal(conflict.docker.code, 1);
    assert.deepEqual(conflict.wharf, conflict.docker);
    const byTag = await both(["rmi", "other/busybox:1"]);
    assert.deepEqual(byTag.wharf, byTag.docker);
  });
});
