/**
 * `wharf build` as a user sees it, against BuildKit's behaviour: the plain progress and the cache,
 * failures (BuildKit's excerpt, nothing tagged, nothing left mounted or running), Ctrl-C, the flags,
 * the inputs (-f, stdin) and the instructions, each read back from the image or the RUN output.
 * The outputs, reproducibility and the build cache's administration are in build-outputs.test.ts.
 * One store for the file: every Dockerfile is unique enough not to hit another test's cache.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { contextDir, entries, ok, outcome, vertex, wharfIn } from "../helpers/build-cli.ts";
import { pushFixtures, startDistribution } from "../helpers/distribution.ts";
import { mountsUnder, unmountUnder } from "../helpers/mounts.ts";
import { type Finished, WHARF_MAIN } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";

const registry = await startDistribution();
await pushFixtures(registry.host);
const HOST = registry.host;
const BASE = `${HOST}/busybox:latest`;
const STORE = tempDir("wharf-build-store-");
const DOCKER_CONFIG = tempDir("wharf-build-docker-config-");
after(() => unmountUnder(STORE));

/** wharf on this file's store; `input` (text or bytes) goes to its stdin. */
const wharfRun = (args: string[], input?: string | Buffer): Promise<Finished> =>
  wharfIn(STORE, args, { env: { ...process.env, DOCKER_CONFIG }, ...(input === undefined ? {} : { input }) });
const context = (files: Record<string, string>) => contextDir(files);

const build = (dir: string, ...args: string[]) => wharfRun(["build", "--progress", "plain", ...args, dir]);

/** The output lines a vertex printed (`#N 0.123 text` -> text). */
function logOf(stderr: string, name: string): string[] {
  const n = vertex(stderr, name);
  const re = new RegExp(`^#${n} \\d+\\.\\d{3} (.*)$`);
  return stderr.split("\n").flatMap((l) => re.exec(l)?.[1] ?? []);
}

/** The parts of `wharf inspect`'s ImageInspect the tests read. */
interface ImageInspect {
  Id: string;
  RootFS: { Layers: string[] };
  Config: {
    Labels: Record<string, string> | null;
    WorkingDir: string;
    Env: string[];
    Shell?: string[];
    OnBuild: string[] | null;
    User: string;
    Healthcheck?: unknown;
    StopSignal?: string;
    Volumes: Record<string, object> | null;
    Entrypoint: string[] | null;
    Cmd: string[] | null;
  };
}

async function inspect(ref: string): Promise<ImageInspect> {
  const r = await ok(wharfRun(["inspect", ref]));
  return JSON.parse(r.stdout)[0];
}

/** Nothing of a build left behind: no mount under the store, no scratch dir, no runc container. */
function assertNothingLeft(): void {
  assert.deepEqual(mountsUnder(STORE), [], "mounts left under the store");
  assert.deepEqual(entries(join(STORE, "build", "tmp")), [], "scratch left in STORE/build/tmp");
  const runc = spawnSync("runc", ["--root", "/run/runc", "list", "-q"], { encoding: "utf8" });
  assert.deepEqual(
    runc.stdout.split("\n").filter((id) => id.startsWith("wharf-build-")),
    [],
    "runc containers left",
  );
}

const imageList = async () =>
  (await ok(wharfRun(["images", "-a", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"]))).stdout;
const lastLine = (text: string) => text.trimEnd().split("\n").at(-1) ?? "";

// The base in the store first, so that any test's "images unchanged" holds on its own.
await ok(wharfRun(["pull", "-q", BASE]));

describe("progress and the cache", () => {
  test("plain progress, then CACHED steps, a changed COPY source, --no-cache", async () => {
    const dir = context({
      Dockerfile:
        `FROM ${BASE}\nRUN echo hello-progress\nCOPY a.txt /a.txt\nRUN cat /a.txt\n` +
        "COPY b.txt /b.txt\nRUN cat /b.txt\n",
      "a.txt": "alpha\n",
      "b.txt": "beta\n",
    });
    const iid = join(tempDir("wharf-build-iid-"), "iid");
    // No --progress: a pipe gets plain progress.
    const first = await ok(wharfRun(["build", "--iidfile", iid, dir]));
    assert.equal(first.stdout, "");
    assert.match(first.stderr, new RegExp(`^#\\d+ \\[1/6\\] FROM ${BASE}@sha256:[0-9a-f]{64}$`, "m"));
    const steps = ["RUN echo hello-progress", "COPY a.txt /a.txt", "RUN cat /a.txt", "COPY b.txt /b.txt"];
    for (const [i, s] of steps.entries()) {
      assert.match(first.stderr, new RegExp(`^#\\d+ \\[${i + 2}/6\\] ${s}$`, "m"));
    }
    const run = vertex(first.stderr, "[2/6] RUN echo hello-progress");
    assert.match(first.stderr, new RegExp(`^#${run} \\d+\\.\\d{3} hello-progress$`, "m"));
    assert.match(first.stderr, new RegExp(`^#${run} DONE \\d+\\.\\ds$`, "m"));
    assert.deepEqual(logOf(first.stderr, "[4/6] RUN cat /a.txt"), ["alpha"]);
    const id = readFileSync(iid, "utf8");
    assert.match(id, /^sha256:[0-9a-f]{64}$/);

    const again = await ok(wharfRun(["build", "--iidfile", iid, dir]));
    for (const [i, s] of [...steps, "RUN cat /b.txt"].entries()) {
      assert.equal(outcome(again.stderr, `[${i + 2}/6] ${s}`), "CACHED", s);
    }
    assert.deepEqual(logOf(again.stderr, "[2/6] RUN echo hello-progress"), [], "a cached RUN does not run");
    assert.equal(readFileSync(iid, "utf8"), id, "a cached rebuild is the same image");

    writeFileSync(join(dir, "b.txt"), "beta, edited\n");
    const edited = await ok(build(dir, "--iidfile", iid));
    for (const [i, s] of steps.slice(0, 3).entries()) {
      assert.equal(outcome(edited.stderr, `[${i + 2}/6] ${s}`), "CACHED", s);
    }
    assert.equal(outcome(edited.stderr, "[5/6] COPY b.txt /b.txt"), "DONE");
    assert.equal(outcome(edited.stderr, "[6/6] RUN cat /b.txt"), "DONE");
    assert.deepEqual(logOf(edited.stderr, "[6/6] RUN cat /b.txt"), ["beta, edited"]);
    assert.notEqual(readFileSync(iid, "utf8"), id);

    const fresh = await ok(build(dir, "--no-cache"));
    for (const [i, s] of [...steps, "RUN cat /b.txt"].entries()) {
      assert.equal(outcome(fresh.stderr, `[${i + 2}/6] ${s}`), "DONE", s);
    }
    assert.doesNotMatch(fresh.stderr, /CACHED/);
    assertNothingLeft();
  });
});

describe("failures", () => {
  /** Exit 1, the last line is BuildKit's ERROR line, nothing tagged or left behind. */
  async function failing(dir: string, ...args: string[]): Promise<Finished> {
    const before = await imageList();
    const r = await build(dir, "-t", "wharf-test/failed:1", ...args);
    assert.equal(r.code, 1, `exit ${r.code}\n${r.stderr}`);
    assert.equal(r.stdout, "");
    assert.match(lastLine(r.stderr), /^ERROR: /, r.stderr);
    assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
    assert.equal(await imageList(), before, "wharf images unchanged");
    assertNothingLeft();
    return r;
  }

  test("RUN false: the step, the Dockerfile excerpt and BuildKit's reason", async () => {
    const dir = context({ Dockerfile: `FROM ${BASE}\nRUN echo before-false\nRUN false\nRUN echo never\n` });
    const r = await failing(dir);
    assert.equal(
      lastLine(r.stderr),
      'ERROR: failed to solve: process "/bin/sh -c false" did not complete successfully: exit code: 1',
    );
    assert.match(r.stderr, /^ > \[3\/4\] RUN false:$/m);
    assert.match(r.stderr, /^Dockerfile:3$/m);
    assert.match(r.stderr, /^ +3 \| >>> RUN false$/m);
    assert.match(r.stderr, /^ +2 \| {5}RUN echo before-false$/m);
    assert.equal(outcome(r.stderr, "[3/4] RUN false"), "ERROR");
    assert.doesNotMatch(r.stderr, /^#\d+ \[4\/4\] RUN echo never$/m);
  });

  test("COPY of a missing file", async () => {
    const dir = context({ Dockerfile: `FROM ${BASE}\nCOPY missing.txt /\n`, "present.txt": "x" });
    const r = await failing(dir);
    assert.match(lastLine(r.stderr), /^ERROR: failed to solve: .*"\/missing\.txt": not found$/);
    assert.match(r.stderr, /^ +2 \| >>> COPY missing\.txt \/$/m);
  });

  test("an unknown instruction and a parse error name the line", async () => {
    const unknown = await failing(context({ Dockerfile: `FROM ${BASE}\nRUN true\nRUNN echo x\n` }));
    assert.match(lastLine(unknown.stderr), /dockerfile parse error on line 3: unknown instruction: RUNN/i);
    const parse = await failing(context({ Dockerfile: `FROM ${BASE}\n\nEXPOSE\n` }));
    assert.match(lastLine(parse.stderr), /dockerfile parse error on line 3: EXPOSE requires at least one/);
  });

  test("a frontend other than docker/dockerfile is refused", async () => {
    const r = await failing(context({ Dockerfile: `# syntax=example.com/other\nFROM ${BASE}\n` }));
    assert.match(lastLine(r.stderr), /example\.com\/other/);
  });

  test("a missing base image: one clear error", async () => {
    const r = await failing(context({ Dockerfile: `FROM ${HOST}/no-such-image:1\nRUN true\n` }));
    assert.equal(r.stderr.match(/^ERROR: /gm)?.length, 1);
    // BuildKit's words (containerd's resolver says `REF: not found`), each part once.
    const ref = `${HOST}/no-such-image:1`;
    assert.equal(
      lastLine(r.stderr),
      `ERROR: failed to solve: ${ref}: failed to resolve source metadata for ${ref}: ${ref}: not found`,
    );
    // The error carries the stage's location: BuildKit shows the FROM line.
    assert.match(r.stderr, /^Dockerfile:1\n-+\n +1 \| >>> FROM /m);
  });

  test("an unknown --target", async () => {
    const r = await failing(context({ Dockerfile: `FROM ${BASE} AS one\nRUN true\n` }), "--target", "nope");
    assert.equal(lastLine(r.stderr), 'ERROR: failed to solve: target stage "nope" could not be found');
  });

  test("a bad flag value exits 125", async () => {
    const r = await build(context({ Dockerfile: `FROM ${BASE}\n` }), "--progress", "nope");
    assert.equal(r.code, 125, r.stderr);
    assert.match(r.stderr, /nope/);
  });
});

test("Ctrl-C during a RUN: exits soon, leaves nothing", async () => {
  const before = await imageList();
  const dir = context({ Dockerfile: `FROM ${BASE}\nRUN echo start-sleeping && sleep 37\n` });
  const child = spawn(
    process.execPath,
    [WHARF_MAIN, "--root", STORE, "build", "-t", "wharf-test/int:1", dir],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, DOCKER_CONFIG },
    },
  );
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stderr.on("data", (d) => {
        stderr += d;
        if (/ start-sleeping$/m.test(stderr)) resolve();
      });
      child.once("close", () => reject(new Error(`the build ended first:\n${stderr}`)));
    });
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(sleepers().length > 0, "the RUN's sleep is running");
    const sent = performance.now();
    child.kill("SIGINT");
    const code = await exited;
    assert.ok(performance.now() - sent < 5000, "exits within a few seconds");
    assert.notEqual(code, 0);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
  assert.deepEqual(sleepers(), [], "the RUN's process is gone");
  assert.equal(await imageList(), before);
  assertNothingLeft();
});

/** PIDs of `sleep 37` processes (the Ctrl-C test's RUN). */
function sleepers(): string[] {
  return readdirSync("/proc").filter((pid) => {
    try {
      return /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/cmdline`, "utf8") === "sleep\u000037\u0000";
    } catch {
      return false;
    }
  });
}

describe("flags", () => {
  test("-q prints only the ID; --iidfile; --label", async () => {
    const dir = context({ Dockerfile: `FROM ${BASE}\nRUN echo quiet-build\n` });
    const iid = join(dir, "iid");
    const r = await ok(
      wharfRun(["build", "-q", "--iidfile", iid, "--label", "wharf.test=yes", "-t", "q:1", dir]),
    );
    assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.doesNotMatch(r.stderr, /^#\d/m);
    assert.equal(readFileSync(iid, "utf8"), r.stdout.trim());
    const image = await inspect("q:1");
    assert.equal(image.Id, r.stdout.trim());
    assert.equal(image.Config.Labels?.["wharf.test"], "yes");
  });

  test("--build-arg used by ARG and RUN; an unused one is warned about", async () => {
    const dir = context({
      Dockerfile: `FROM ${BASE}\nARG GREETING=default\nRUN echo "greeting=$GREETING"\n`,
    });
    const r = await ok(build(dir, "--build-arg", "GREETING=hi", "--build-arg", "NOT_USED=1"));
    assert.deepEqual(logOf(r.stderr, '[2/2] RUN echo "greeting=hi"'), ["greeting=hi"]);
    assert.match(r.stderr, /^\[Warning\] One or more build-args \[NOT_USED\] were not consumed$/m);
    const plain = await ok(build(dir));
    assert.deepEqual(logOf(plain.stderr, '[2/2] RUN echo "greeting=default"'), ["greeting=default"]);
    assert.doesNotMatch(plain.stderr, /\[Warning\]/);
  });
});

describe("inputs", () => {
  test("-f other.Dockerfile with other.Dockerfile.dockerignore beside it", async () => {
    const dir = context({
      "other.Dockerfile": `FROM ${BASE}\nCOPY . /ctx/\nRUN ls -a /ctx\n`,
      "other.Dockerfile.dockerignore": "skip.txt\n",
      ".dockerignore": "keep.txt\n",
      "keep.txt": "k",
      "skip.txt": "s",
    });
    const r = await ok(build(dir, "-f", join(dir, "other.Dockerfile")));
    const listed = logOf(r.stderr, "[3/3] RUN ls -a /ctx");
    assert.ok(listed.includes("keep.txt"), listed.join(" "));
    assert.ok(!listed.includes("skip.txt"), listed.join(" "));
    assert.match(r.stderr, /load build definition from other\.Dockerfile$/m);
  });

  test("-f - reads the Dockerfile from stdin, with a context directory", async () => {
    const dir = context({ "c.txt": "from-the-context\n" });
    const r = await ok(
      wharfRun(
        ["build", "--progress", "plain", "-f", "-", dir],
        `FROM ${BASE}\nCOPY c.txt /\nRUN cat /c.txt\n`,
      ),
    );
    assert.deepEqual(logOf(r.stderr, "[3/3] RUN cat /c.txt"), ["from-the-context"]);
  });

  test("- with a tar context on stdin", async () => {
    const dir = context({
      Dockerfile: `FROM ${BASE}\nCOPY t.txt /\nRUN cat /t.txt\n`,
      "t.txt": "from-a-tar\n",
    });
    const tar = spawnSync("tar", ["-C", dir, "-c", "."]).stdout;
    const r = await ok(wharfRun(["build", "--progress", "plain", "-"], tar));
    assert.deepEqual(logOf(r.stderr, "[3/3] RUN cat /t.txt"), ["from-a-tar"]);
  });

  test("- with just a Dockerfile on stdin", async () => {
    const r = await ok(
      wharfRun(["build", "--progress", "plain", "-"], `FROM ${BASE}\nRUN echo stdin-only\n`),
    );
    assert.deepEqual(logOf(r.stderr, "[2/2] RUN echo stdin-only"), ["stdin-only"]);
  });
});

describe("instructions", () => {
  test("multi-stage: COPY --from=build; --target build builds only that stage", async () => {
    const dir = context({
      Dockerfile:
        `FROM ${BASE} AS build\nRUN echo built-artifact > /artifact\n` +
        `FROM ${BASE}\nCOPY --from=build /artifact /artifact\nRUN cat /artifact\n`,
    });
    const all = await ok(build(dir, "-t", "multi:all"));
    assert.equal(outcome(all.stderr, "[build 2/2] RUN echo built-artifact > /artifact"), "DONE");
    assert.equal(outcome(all.stderr, "[stage-1 2/3] COPY --from=build /artifact /artifact"), "DONE");
    assert.deepEqual(logOf(all.stderr, "[stage-1 3/3] RUN cat /artifact"), ["built-artifact"]);

    const target = await ok(build(dir, "--target", "build", "-t", "multi:build"));
    assert.match(target.stderr, /^#\d+ \[build 2\/2\] RUN echo built-artifact > \/artifact$/m);
    assert.doesNotMatch(target.stderr, /stage-1|COPY --from|RUN cat/);
    const base = (await inspect(BASE)).RootFS.Layers.length;
    assert.equal((await inspect("multi:all")).RootFS.Layers.length, base + 2);
    assert.equal((await inspect("multi:build")).RootFS.Layers.length, base + 1);
  });

  test("a stage no image is made of gets no blobs; --target makes them from its snapshots", async () => {
    const remake = "RUN rm -r /gone-later /keep && mkdir /keep && echo b > /keep/b";
    const dir = context({
      Dockerfile:
        `FROM ${BASE} AS tool\nRUN echo only-a-source > /made && mkdir -p /gone-later /keep && touch /keep/a\n` +
        `${remake}\nFROM ${BASE}\nCOPY --from=tool /made /made\n`,
    });
    await ok(build(dir, "-t", "sources:all"));
    const blobs = () => entries(join(STORE, "blobs", "sha256"));
    const blobsBefore = new Set(blobs());
    const target = await ok(build(dir, "--target", "tool", "-t", "sources:tool"));
    assert.equal(
      outcome(
        target.stderr,
        "] RUN echo only-a-source > /made && mkdir -p /gone-later /keep && touch /keep/a",
      ),
      "CACHED",
    );
    assert.equal(outcome(target.stderr, `[tool 3/3] ${remake}`), "CACHED");
    // The tool stage's two layers were written only now, with the diff IDs the first build recorded.
    const layers = (await inspect("sources:tool")).RootFS.Layers.slice(-2).map((d) =>
      d.replace("sha256:", ""),
    );
    for (const hex of layers) {
      assert.ok(!blobsBefore.has(hex), `sha256:${hex} was written by the build that made no image of it`);
      assert.ok(blobs().includes(hex), `sha256:${hex} has no blob`);
    }
    // Made from the snapshot, the second layer still deletes /gone-later, and /keep, opaque, hides the
    // lower /keep/a as BuildKit's differ reports it (a whiteout of each hidden name).
    const listing = spawnSync("tar", ["-tf", join(STORE, "blobs", "sha256", layers[1]!)], {
      encoding: "utf8",
    });
    assert.deepEqual(listing.stdout.trim().split("\n").sort(), [
      ".wh.gone-later",
      "keep/",
      "keep/.wh.a",
      "keep/b",
    ]);
    assert.match((await ok(wharfRun(["system", "check"]))).stdout, /no problems/);
  });

  test("--cache-to exports a multi-stage build's every stage; another store reuses all of it", async () => {
    const dir = context({
      Dockerfile:
        `FROM ${BASE} AS parts\nRUN echo exported-part > /part\n` +
        `FROM ${BASE}\nCOPY --from=parts /part /part\nRUN cat /part\n`,
    });
    const cache = join(tempDir("wharf-build-cache-to-"), "cache");
    await ok(build(dir, "-t", "parts:1", "--cache-to", `type=local,dest=${cache}`));
    const other = tempDir("wharf-build-other-store-");
    after(() => unmountUnder(other));
    const r = await ok(
      wharfIn(other, ["build", "--progress", "plain", "--cache-from", `type=local,src=${cache}`, dir], {
        env: { ...process.env, DOCKER_CONFIG },
      }),
    );
    assert.equal(outcome(r.stderr, "[parts 2/2] RUN echo exported-part > /part"), "CACHED");
    assert.equal(outcome(r.stderr, "[stage-1 3/3] RUN cat /part"), "CACHED");
  });

  test("COPY --from=0 and FROM stagename", async () => {
    const dir = context({
      Dockerfile:
        `FROM ${BASE} AS base\nRUN echo stage-zero > /zero\n` +
        "FROM base AS child\nRUN cat /zero && echo child > /child\n" +
        `FROM ${BASE}\nCOPY --from=0 /zero /copied\nCOPY --from=child /child /child\nRUN cat /copied /child\n`,
    });
    const r = await ok(build(dir));
    assert.deepEqual(logOf(r.stderr, "] RUN cat /zero && echo child > /child"), ["stage-zero"]);
    assert.equal(outcome(r.stderr, "[stage-2 2/4] COPY --from=0 /zero /copied"), "DONE");
    assert.deepEqual(logOf(r.stderr, "[stage-2 4/4] RUN cat /copied /child"), ["stage-zero", "child"]);
    // A stage's FROM is no step of its own in BuildKit (cmdTotal counts only an image's FROM).
    assert.match(r.stderr, /^#\d+ \[child 1\/1\] RUN cat \/zero && echo child > \/child$/m);
    assert.doesNotMatch(r.stderr, /FROM base$/m);
  });

  test("ARG before FROM; ENV and ARG expanded in COPY's destination, WORKDIR and LABEL", async () => {
    const dir = context({
      Dockerfile:
        `ARG IMAGE=${BASE}\nFROM \${IMAGE}\nARG DIR=/opt/app\nENV SUB=data\nWORKDIR \${DIR}\n` +
        'COPY f.txt $DIR/$SUB/\nLABEL where="$DIR/$SUB"\nRUN pwd && cat $SUB/f.txt\n',
      "f.txt": "expanded\n",
    });
    const r = await ok(build(dir, "-t", "expand:1"));
    assert.match(r.stderr, new RegExp(`^#\\d+ \\[1/4\\] FROM ${BASE}@sha256:`, "m"));
    assert.deepEqual(logOf(r.stderr, "[4/4] RUN pwd && cat data/f.txt"), ["/opt/app", "expanded"]);
    const image = await inspect("expand:1");
    assert.equal(image.Config.WorkingDir, "/opt/app");
    assert.equal(image.Config.Labels?.where, "/opt/app/data");
    assert.ok(image.Config.Env.includes("SUB=data"));
  });

  test("SHELL, exec-form RUN, RUN and COPY heredocs", async () => {
    const dir = context({
      Dockerfile:
        `FROM ${BASE}\nSHELL ["/bin/sh", "-ec"]\nRUN echo "flags=$-"\n` +
        'RUN ["/bin/echo", "exec", "form"]\n' +
        "RUN <<EOF\necho heredoc-one\necho heredoc-two\nEOF\n" +
        "COPY <<EOF /inline.txt\ninline content\nEOF\nRUN cat /inline.txt\n",
    });
    const r = await ok(build(dir, "-t", "forms:1"));
    const flags = logOf(r.stderr, '[2/6] RUN echo "flags=$-"');
    assert.match(flags.join(), /^flags=\w*e/, "the RUN ran under sh -e");
    assert.deepEqual(logOf(r.stderr, '[3/6] RUN ["/bin/echo", "exec", "form"]'), ["exec form"]);
    assert.deepEqual(logOf(r.stderr, "[4/6] RUN <<EOF"), ["heredoc-one", "heredoc-two"]);
    assert.deepEqual(logOf(r.stderr, "[6/6] RUN cat /inline.txt"), ["inline content"]);
    const image = await inspect("forms:1");
    assert.deepEqual(image.Config.Shell, ["/bin/sh", "-ec"]);
    const history = (await ok(wharfRun(["history", "--no-trunc", "--format", "{{.CreatedBy}}", "forms:1"])))
      .stdout;
    assert.match(history, /^RUN \/bin\/sh -ec echo "flags=\$-" # buildkit$/m);
  });

  test("ONBUILD is recorded, then runs in a FROM of that image", async () => {
    const a = context({ Dockerfile: `FROM ${BASE}\nONBUILD RUN echo x > /onbuild.txt\n` });
    await ok(build(a, "-t", "onbuild-a:1"));
    assert.deepEqual((await inspect("onbuild-a:1")).Config.OnBuild, ["RUN echo x > /onbuild.txt"]);
    const b = context({ Dockerfile: "FROM onbuild-a:1\nRUN cat /onbuild.txt\n" });
    const r = await ok(build(b, "-t", "onbuild-b:1"));
    assert.deepEqual(logOf(r.stderr, "] RUN cat /onbuild.txt"), ["x"]);
    const child = await inspect("onbuild-b:1");
    assert.ok(!child.Config.OnBuild?.length, "triggers do not pass on to grandchildren");
    // BuildKit counts the triggers in the stage's steps (cmdTotal) and names the base in full.
    assert.equal(outcome(r.stderr, "[2/3] ONBUILD RUN echo x > /onbuild.txt"), "DONE");
    assert.match(r.stderr, /^#\d+ \[3\/3\] RUN cat \/onbuild\.txt$/m);
    assert.match(r.stderr, /^#\d+ \[1\/3\] FROM docker\.io\/library\/onbuild-a:1@sha256:[0-9a-f]{64}$/m);
  });

  test("USER, and the image's HEALTHCHECK, STOPSIGNAL, VOLUME, ENTRYPOINT and CMD", async () => {
    const dir = context({
      Dockerfile:
        `FROM ${BASE}\nUSER 1234:1234\nRUN id -u\n` +
        "HEALTHCHECK --interval=5s --timeout=3s --retries=2 CMD wget -q localhost || exit 1\n" +
        'STOPSIGNAL SIGQUIT\nVOLUME /data\nENTRYPOINT ["/bin/echo"]\nCMD ["hi"]\n',
    });
    const r = await ok(build(dir, "-t", "meta:1"));
    assert.deepEqual(logOf(r.stderr, "[2/2] RUN id -u"), ["1234"]);
    const { Config: config } = await inspect("meta:1");
    assert.equal(config.User, "1234:1234");
    assert.deepEqual(config.Healthcheck, {
      Test: ["CMD-SHELL", "wget -q localhost || exit 1"],
      Interval: 5_000_000_000,
      Timeout: 3_000_000_000,
      Retries: 2,
    });
    assert.equal(config.StopSignal, "SIGQUIT");
    assert.deepEqual(config.Volumes, { "/data": {} });
    assert.deepEqual(config.Entrypoint, ["/bin/echo"]);
    assert.deepEqual(config.Cmd, ["hi"]);
  });

  test("RUN --mount=type=secret sees the secret; no layer holds it", async () => {
    const secret = `wharf-secret-${process.pid}-${Date.now()}`;
    const dir = context({
      Dockerfile: `FROM ${BASE}\nRUN --mount=type=secret,id=s cat /run/secrets/s && echo\n`,
      "secret.txt": secret,
    });
    const r = await ok(build(dir, "-t", "secret:1", "--secret", `id=s,src=${join(dir, "secret.txt")}`));
    assert.deepEqual(logOf(r.stderr, "[2/2] RUN --mount=type=secret,id=s cat /run/secrets/s && echo"), [
      secret,
    ]);
    const saved = join(tempDir("wharf-build-save-"), "saved.tar");
    await ok(wharfRun(["save", "-o", saved, "secret:1"]));
    const bytes = readFileSync(saved);
    assert.ok(bytes.length > 1_000_000, "the save holds the layers");
    assert.ok(!bytes.includes(secret), "the secret is in no layer and no config");
    assertNothingLeft();
  });

  test("--network none: only lo; --add-host in /etc/hosts", async () => {
    const dir = context({ Dockerfile: `FROM ${BASE}\nRUN cat /proc/net/dev\nRUN cat /etc/hosts\n` });
    const r = await ok(build(dir, "--network", "none", "--add-host", "foo:10.1.2.3"));
    const devices = logOf(r.stderr, "[2/3] RUN cat /proc/net/dev")
      .filter((l) => /^\s*[\w.-]+:/.test(l))
      .map((l) => l.trim().split(":")[0]);
    assert.deepEqual(devices, ["lo"]);
    const hosts = logOf(r.stderr, "[3/3] RUN cat /etc/hosts");
    assert.ok(
      hosts.some((l) => /^10\.1\.2\.3\s+foo$/.test(l)),
      hosts.join("\n"),
    );
  });
});
