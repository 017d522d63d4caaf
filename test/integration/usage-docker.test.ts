/**
 * wharf's usage errors and management-command help against the real docker CLI 28.2: the same
 * command line gives the same stdout, stderr (with `docker` read as `wharf`) and exit code. These
 * paths print before docker connects to any daemon, so docker runs against a socket that does not
 * exist; `inspect --type` and `--size`, which need objects, run against a dockerd of the file's own.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { type Dockerd, runCommand, startDockerd } from "../helpers/dockerd.ts";
import { wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";

const FIXTURES = join(import.meta.dirname, "../../../shared/fixtures/oci");

/** The docker CLI 28 of this machine (Debian's docker.io brings a 20.10 CLI too, with older wordings). */
function dockerCli(): string | undefined {
  for (const candidate of ["/usr/local/bin/docker", "/usr/bin/docker", "docker"]) {
    if (candidate.startsWith("/") && !existsSync(candidate)) continue;
    const r = spawnSync(candidate, ["--version"], { encoding: "utf8" });
    if (r.status === 0 && /^Docker version 28\./.test(r.stdout)) return candidate;
  }
  return undefined;
}

const DOCKER = dockerCli();
const work = tempDir("wharf-usage-");
const dockerEnv = {
  ...process.env,
  DOCKER_HOST: `unix://${join(work, "no-daemon.sock")}`,
  DOCKER_CONFIG: join(work, "docker-config"),
};
const wharfEnv = { ...process.env, WHARF_ROOT: join(work, "root") };

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function docker(args: string[], env: NodeJS.ProcessEnv = dockerEnv): Promise<Outcome> {
  const r = await runCommand(DOCKER!, args, { env });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** docker's output as wharf's: the program's name replaced. */
function asWharf(o: Outcome): Outcome {
  const rename = (s: string) => s.replaceAll("docker", "wharf");
  return { code: o.code, stdout: rename(o.stdout), stderr: rename(o.stderr) };
}

async function wharfRun(args: string[], env: NodeJS.ProcessEnv = wharfEnv): Promise<Outcome> {
  const r = await wharf(args, { env });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

// Command lines whose whole output is docker's; every one is a usage path (no daemon involved).
const SAME_AS_DOCKER: string[][] = [
  // argument counts: at least, exactly, at most, a range, none
  ["rmi"],
  ["rmi", "-f"],
  ["image", "rm"],
  ["image", "remove"],
  ["image", "rmi"],
  ["save"],
  ["image", "save"],
  ["inspect"],
  ["inspect", "-s"],
  ["image", "inspect"],
  ["tag"],
  ["tag", "a"],
  ["tag", "a", "b", "c"],
  ["image", "tag", "a"],
  ["history"],
  ["history", "a", "b"],
  ["image", "history"],
  ["pull"],
  ["pull", "a", "b"],
  ["push"],
  ["push", "a", "b"],
  ["image", "pull"],
  ["image", "push", "a", "b"],
  ["images", "a", "b"],
  ["image", "ls", "a", "b"],
  ["image", "list", "a", "b"],
  ["login", "a", "b"],
  ["logout", "a", "b"],
  ["load", "a"],
  ["image", "load", "a"],
  ["image", "prune", "a"],
  ["system", "df", "a"],
  ["version", "a"],
  ["manifest", "inspect"],
  ["manifest", "inspect", "a", "b", "c"],
  ["manifest", "create", "a"],
  ["manifest", "annotate", "a"],
  ["manifest", "push"],
  ["manifest", "push", "a", "b"],
  ["manifest", "rm"],
  // unknown commands
  ["nope"],
  ["image", "nope"],
  ["system", "nope"],
  ["manifest", "nope"],
  // flag errors: unknown, unknown shorthand, missing value, bad value, bad boolean value
  ["--nope"],
  ["image", "--nope"],
  ["images", "--nope"],
  ["image", "ls", "--nope"],
  ["images", "-z"],
  ["images", "-zq"],
  ["images", "-qz"],
  ["images", "--format"],
  ["images", "-f"],
  ["image", "ls", "-af"],
  ["images", "--filter", "nope"],
  ["images", "-a=x"],
  ["image", "ls", "-q=nope"],
  ["history", "-H=x", "a"],
  ["history", "--human=nope", "a"],
  ["history", "--nope", "a"],
  ["rmi", "--force=x", "a"],
  ["tag", "--nope"],
  ["inspect", "--nope", "a"],
  ["image", "inspect", "--nope"],
  ["image", "inspect", "-s", "a"],
  ["image", "inspect", "--type", "image", "a"],
  ["save", "--nope", "a"],
  ["image", "prune", "--filter"],
  ["system", "df", "--format"],
  ["image", "pull", "--nope", "a"],
  // --type checks that need no objects
  ["inspect", "--type", "nope", "a"],
  ["inspect", "--type", "", "a"],
];

describe("usage errors as docker 28.2 prints them", { skip: DOCKER ? false : "no docker CLI 28" }, () => {
  for (const args of SAME_AS_DOCKER) {
    test(`wharf ${args.join(" ")}`, async () => {
      const [expected, actual] = await Promise.all([docker(args), wharfRun(args)]);
      assert.deepEqual(actual, asWharf(expected));
    });
  }
});

/** docker's help without the lines of the subcommands wharf does not have. */
function withoutCommands(help: string, names: readonly string[]): string {
  return help
    .split("\n")
    .filter((line) => !names.some((name) => line.startsWith(`  ${name} `)))
    .join("\n");
}

describe("management commands alone print their help, as docker's", {
  skip: DOCKER ? false : "no docker CLI 28",
}, () => {
  test("wharf image: docker's help (stderr, exit 0) with wharf's subcommands", async () => {
    const expected = asWharf(await docker(["image"]));
    const actual = await wharfRun(["image"]);
    // docker image build and import are not wharf's (no builder, no import yet).
    assert.deepEqual(actual, { ...expected, stderr: withoutCommands(expected.stderr, ["import"]) });
    assert.match(actual.stderr, /^ {2}pull {8}Download an image from a registry$/m);
  });

  test("wharf image --help: the same help on stdout", async () => {
    const expected = asWharf(await docker(["image", "--help"]));
    const actual = await wharfRun(["image", "--help"]);
    assert.deepEqual(actual, { ...expected, stdout: withoutCommands(expected.stdout, ["import"]) });
  });

  test("wharf manifest: docker's help, its description, an empty first line (no EXPERIMENTAL note)", async () => {
    const expected = asWharf(await docker(["manifest"]));
    const experimental = /\nEXPERIMENTAL:\n(?: {2}.*\n)+/;
    assert.match(expected.stderr, experimental);
    assert.deepEqual(await wharfRun(["manifest"]), {
      ...expected,
      stderr: expected.stderr.replace(experimental, ""),
    });
  });

  test("wharf system: docker's layout over wharf's own subcommands", async () => {
    const expected = asWharf(await docker(["system"]));
    const actual = await wharfRun(["system"]);
    assert.equal(actual.code, 0);
    assert.equal(actual.stdout, "");
    const layout = withoutCommands(expected.stderr, ["events", "info", "prune"]).replace(
      "Manage Docker",
      "Manage the local store",
    );
    const check =
      "  check       Verify every blob against its digest, every image record and the OCI layout\n";
    const df = /^ {2}df .*\n/m.exec(layout)![0];
    const service = "  service     Serve the Docker Engine API (images only) for docker and other clients\n";
    assert.equal(actual.stderr, layout.replace(df, `${check}${df}${service}`));
  });

  test("wharf alone and wharf --help: the root's help in docker's layout", async () => {
    const bare = await wharfRun([]);
    const help = await wharfRun(["--help"]);
    const dockerBare = asWharf(await docker([]));
    assert.equal(dockerBare.code, 0);
    assert.equal(bare.code, 0);
    assert.equal(bare.stdout, "");
    assert.deepEqual(help, { code: 0, stdout: bare.stderr, stderr: "" });
    // The same frame as docker's: usage line, sections, column widths, closing hint.
    assert.equal(bare.stderr.split("\n")[0], dockerBare.stderr.split("\n")[0]);
    assert.match(
      bare.stderr,
      /\nManagement Commands:\n {2}builder {5}Manage builds\n {2}image {7}Manage images\n/,
    );
    assert.match(bare.stderr, /\nCommands:\n {2}build {7}Build an image from a Dockerfile\n {2}copy {8}/);
    assert.match(bare.stderr, /\nGlobal Options:\n {6}--insecure-registry host {3}Allow/);
    assert.match(bare.stderr, /\n {6}--version {18}Print version information and quit\n/);
    assert.match(dockerBare.stderr, /\nRun 'wharf COMMAND --help' for more information on a command\.\n/);
    assert.match(bare.stderr, /\n\nRun 'wharf COMMAND --help' for more information on a command\.\n$/);
  });
});

// Started once for the file (its helper stops it when the file finishes).
const dockerd: Dockerd | undefined = DOCKER ? await startDockerd({ insecureRegistries: [] }) : undefined;

/**
 * pflag's option columns: `  -s, --long value` or `      --long value`, the texts in one column
 * three spaces after the longest, continuation lines indented to it.
 */
function assertPflagColumns(options: string): void {
  const lines = options.trimEnd().split("\n");
  const flag = /^( {2}-\w, --[\w-]+| {6}--[\w-]+)( \S+)?( +)\S/;
  const firsts = lines.map((line) => flag.exec(line)).filter((m) => m !== null);
  assert.ok(firsts.length > 0, options);
  const longest = Math.max(...firsts.map((m) => m[1]!.length + (m[2]?.length ?? 0)));
  for (const m of firsts) assert.equal(m[0].length - 1, longest + 3, options);
  for (const line of lines.filter((l) => !flag.test(l)))
    assert.match(line, new RegExp(`^ {${longest + 3}}\\S`), options);
}

describe("a command's --help in docker's layout", { skip: DOCKER ? false : "no docker CLI 28" }, () => {
  test("wharf tag --help and wharf image tag --help: docker's, byte for byte", async () => {
    for (const args of [
      ["tag", "--help"],
      ["image", "tag", "--help"],
    ]) {
      assert.deepEqual(await wharfRun(args), asWharf(await docker(args)), args.join(" "));
    }
  });

  // Usage line, description and aliases are docker's; the options are wharf's own (in pflag's columns).
  for (const args of [
    ["image", "pull"],
    ["pull"],
    ["push"],
    ["images"],
    ["image", "list"],
    ["rmi"],
    ["image", "remove"],
    ["history"],
    ["save"],
    ["image", "load"],
  ]) {
    test(`wharf ${args.join(" ")} --help: docker's usage, description and aliases, then Options`, async () => {
      const expected = asWharf(await docker([...args, "--help"]));
      const actual = await wharfRun([...args, "--help"]);
      const head = (help: string) => help.slice(0, help.indexOf("\nOptions:\n"));
      assert.equal(actual.code, 0);
      assert.equal(head(actual.stdout), head(expected.stdout));
      assertPflagColumns(actual.stdout.slice(actual.stdout.indexOf("\nOptions:\n") + 10));
    });
  }
});

describe("inspect --type and --size against dockerd", { skip: DOCKER ? false : "no docker CLI 28" }, () => {
  const root = join(work, "inspect-root");
  const inStore = (args: string[]) => wharfRun(["--root", root, ...args]);
  const daemonEnv = () => ({ ...dockerEnv, DOCKER_HOST: dockerd!.host });

  before(async () => {
    const archive = join(work, "busybox.tar");
    assert.equal((await inStore(["copy", "-q", `oci:${FIXTURES}/busybox:latest`, "busybox:latest"])).code, 0);
    assert.equal((await inStore(["save", "-o", archive, "busybox:latest"])).code, 0);
    const loaded = await docker(["load", "-i", archive], daemonEnv());
    assert.equal(loaded.code, 0, loaded.stderr);
  });

  // wharf has no containers, networks, volumes, plugins, nor a swarm: every name is not found, as dockerd says it.
  for (const type of [
    "container",
    "network",
    "volume",
    "plugin",
    "node",
    "service",
    "task",
    "secret",
    "config",
  ]) {
    test(`inspect --type ${type}: dockerd's not-found line for each name, [] and exit 1`, async () => {
      const args = ["inspect", "--type", type, "busybox", "nope"];
      assert.deepEqual(await inStore(args), await docker(args, daemonEnv()));
    });
  }

  test("inspect --type image, -s / --size: docker's output and its warning for each image found", async () => {
    for (const args of [
      ["inspect", "--type", "image", "-f", "{{.Os}}", "busybox"],
      ["inspect", "-s", "-f", "{{.Os}}", "busybox"],
      ["inspect", "--size", "-f", "{{.Os}}", "busybox", "nope"],
      ["inspect", "-s", "--type", "image", "-f", "{{.Id}}", "busybox", "busybox"],
    ]) {
      assert.deepEqual(await inStore(args), await docker(args, daemonEnv()), args.join(" "));
    }
  });

  test("inspect --type image: a missing image is docker image inspect's error (not No such object)", async () => {
    const typed = await inStore(["inspect", "--type", "image", "nope"]);
    assert.deepEqual(typed, await inStore(["image", "inspect", "nope"]));
    assert.deepEqual(typed, {
      code: 1,
      stdout: "[]\n",
      stderr: "Error response from daemon: No such image: nope:latest\n",
    });
  });
});
