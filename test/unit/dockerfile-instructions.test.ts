/**
 * The instructions layer beyond the corpus's cases: BuildKit's flag rules (bflag.go), each
 * instruction's typed result, RUN's --mount/--network/--security/--device checks, HEALTHCHECK
 * durations, FROM names and stage splitting. Expected messages are BuildKit's wording.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { describe, test } from "node:test";
import {
  BuildFlags,
  type Instruction,
  parseDockerfile,
  parseGoDuration,
  parseInstruction,
  parseMount,
  parseStages,
} from "../../src/dockerfile/index.ts";
import { isWharfError } from "../../src/errors.ts";
import { CORPUS_DIR } from "../corpus.ts";

function instruction(line: string): Instruction {
  const [node] = parseDockerfile(line).ast.children;
  assert.ok(node !== undefined);
  return parseInstruction(node);
}

/** The line's instruction, asserted to be of the given type. */
function typed<T extends Instruction["type"]>(line: string, type: T): Extract<Instruction, { type: T }> {
  const got = instruction(line);
  assert.equal(got.type, type);
  return got as Extract<Instruction, { type: T }>;
}

function fails(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(
      isWharfError(err, "DOCKERFILE_INSTRUCTION"),
      `expected DOCKERFILE_INSTRUCTION, got ${String(err)}`,
    );
    if (typeof message === "string") assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

describe("dockerfile-instructions: flags (bflag.go)", () => {
  test("no words and a lone -- parse", () => {
    new BuildFlags([]).parse();
    new BuildFlags(["--", "--whatever"]).parse();
  });
  test("string flags need a value, which may be empty", () => {
    const flags = new BuildFlags(["--str1="]);
    const str1 = flags.addString("str1", "HI");
    flags.parse();
    assert.equal(str1.value, "");
    const missing = new BuildFlags(["--str1"]);
    missing.addString("str1", "");
    fails(() => missing.parse(), "missing a value on flag: --str1");
  });
  test("bool flags: bare, true, false, case-insensitive; anything else fails", () => {
    for (const [arg, want] of [
      ["--b", "true"],
      ["--b=true", "true"],
      ["--b=FALSE", "false"],
    ] as const) {
      const flags = new BuildFlags([arg]);
      const b = flags.addBool("b", false);
      flags.parse();
      assert.equal(b.value, want);
    }
    const bad = new BuildFlags(["--b=false1"]);
    bad.addBool("b", false);
    fails(() => bad.parse(), "expecting boolean value for flag --b, not: false1");
    const empty = new BuildFlags(["--b="]);
    empty.addBool("b", false);
    fails(() => empty.parse(), "missing a value on flag: --b");
  });
  test("unknown, duplicate, not a flag, defined twice", () => {
    fails(() => new BuildFlags(["--nope"]).parse(), "unknown flag: --nope");
    fails(() => new BuildFlags(["-x"]).parse(), "arg should start with -- : -x");
    const dup = new BuildFlags(["--s=1", "--s=2"]);
    dup.addString("s", "");
    fails(() => dup.parse(), "duplicate flag specified: --s");
    const twice = new BuildFlags([]);
    twice.addString("s", "");
    twice.addBool("s", false);
    fails(() => twice.parse(), "error setting up flags: Duplicate flag defined: s");
  });
  test("a strings flag repeats; used() lists what was given", () => {
    const flags = new BuildFlags(["--ex=a", "--b", "--ex=b"]);
    const ex = flags.addStrings("ex");
    flags.addBool("b", false);
    flags.addString("unused", "x");
    flags.parse();
    assert.deepEqual(ex.values, ["a", "b"]);
    assert.deepEqual(flags.used(), ["ex", "b"]);
  });
});

describe("dockerfile-instructions: typed instructions", () => {
  test("FROM with --platform and AS", () => {
    const from = typed("FROM --platform=$BUILDPLATFORM golang:1.22 AS Build", "FROM");
    assert.deepEqual(
      { baseName: from.baseName, name: from.name, platform: from.platform, origCmd: from.origCmd },
      { baseName: "golang:1.22", name: "build", platform: "$BUILDPLATFORM", origCmd: "FROM" },
    );
    fails(() => instruction("FROM a AS 1st"), /^invalid name for build stage: "1st"/);
    fails(() => instruction("FROM a b"), "FROM requires either one or three arguments");
    fails(() => instruction("FROM --plat=x a"), "unknown flag: --plat");
  });
  test("RUN shell and exec form, flags and their values", () => {
    const run = typed("RUN --network=none --security=insecure --mount=type=cache,target=/c make", "RUN");
    assert.deepEqual(run.cmdLine, ["make"]);
    assert.equal(run.prependShell, true);
    assert.equal(run.network, "none");
    assert.equal(run.security, "insecure");
    assert.deepEqual(run.mountSpecs, ["type=cache,target=/c"]);
    assert.deepEqual(run.flagsUsed, ["network", "security", "mount"]);
    fails(() => instruction("RUN --network=bridge true"), 'invalid network mode "bridge"');
    fails(() => instruction("RUN --security=wide true"), 'security "wide" is not valid');
    fails(
      () => instruction("RUN --mount=from=$X,target=/x true"),
      "'from' doesn't support variable expansion, define alias stage instead",
    );
    const device = typed("RUN --device=/dev/fuse,required true", "RUN");
    assert.deepEqual(device.devices, [{ name: "/dev/fuse", required: true }]);
  });
  test("ADD and COPY flags", () => {
    const add = typed(
      "ADD --chown=1:2 --chmod=644 --checksum=sha256:abc --keep-git-dir --link --exclude=*.md --exclude=x a b /dst/",
      "ADD",
    );
    assert.deepEqual(
      [add.chown, add.chmod, add.checksum, add.keepGitDir, add.link, add.unpack],
      ["1:2", "644", "sha256:abc", true, true, undefined],
    );
    assert.deepEqual(add.excludePatterns, ["*.md", "x"]);
    assert.deepEqual([add.sourcePaths, add.destPath], [["a", "b"], "/dst/"]);
    const copy = typed("COPY --from=build --parents --link a /b", "COPY");
    assert.deepEqual([copy.from, copy.parents, copy.link], ["build", true, true]);
    fails(() => instruction("COPY --checksum=x a b"), "unknown flag: --checksum");
  });
  test("ENV, LABEL, ARG, EXPOSE, VOLUME, SHELL, CMD, ENTRYPOINT", () => {
    const env = typed("ENV A=1 B=2", "ENV");
    assert.deepEqual(env.env, [
      { key: "A", value: "1", noDelim: false },
      { key: "B", value: "2", noDelim: false },
    ]);
    const legacy = typed("ENV A 1 2", "ENV");
    assert.deepEqual(legacy.env, [{ key: "A", value: "1 2", noDelim: true }]);
    const arg = typed("ARG a b=2 c=", "ARG");
    assert.deepEqual(
      arg.args.map((a) => [a.key, a.value]),
      [
        ["a", undefined],
        ["b", "2"],
        ["c", ""],
      ],
    );
    fails(() => instruction("ARG =x"), "ARG names can not be blank");
    const expose = typed("EXPOSE 8080 443/tcp 80", "EXPOSE");
    assert.deepEqual(expose.ports, ["443/tcp", "80", "8080"]);
    const shell = typed('SHELL ["/bin/bash", "-c"]', "SHELL");
    assert.deepEqual(shell.shell, ["/bin/bash", "-c"]);
    fails(() => instruction("SHELL /bin/bash -c"), "SHELL requires the arguments to be in JSON form");
    const cmd = typed('CMD ["a", "b"]', "CMD");
    assert.deepEqual([cmd.cmdLine, cmd.prependShell], [["a", "b"], false]);
    const entrypoint = typed("ENTRYPOINT []", "ENTRYPOINT");
    assert.deepEqual(entrypoint.cmdLine, []);
    const volume = typed('VOLUME ["/a", "/b"]', "VOLUME");
    assert.deepEqual(volume.volumes, ["/a", "/b"]);
    fails(() => instruction("USER --x=1 me"), "unknown flag: --x");
    // STOPSIGNAL and ARG never check flags upstream.
    assert.equal(instruction("STOPSIGNAL --x=1 SIGTERM").type, "STOPSIGNAL");
  });
  test("ONBUILD keeps the trigger's text, heredoc bodies included", () => {
    const onbuild = typed("ONBUILD RUN echo hi", "ONBUILD");
    assert.equal(onbuild.expression, "RUN echo hi");
    const withBody = typed("ONBUILD RUN <<EOF\necho hi\nEOF\n", "ONBUILD");
    assert.equal(withBody.expression, "RUN <<EOF\necho hi\nEOF");
    fails(() => instruction("ONBUILD MAINTAINER me"), "MAINTAINER isn't allowed as an ONBUILD trigger");
  });
  test("errors carry the instruction's lines", () => {
    assert.throws(
      () => parseStages(parseDockerfile("FROM a\n\nUSER\n").ast),
      (err: unknown) =>
        isWharfError(err, "DOCKERFILE_INSTRUCTION") &&
        err.message === "dockerfile parse error on line 3: USER requires exactly one argument" &&
        err.detail.reason === "USER requires exactly one argument" &&
        err.detail.startLine === 3,
    );
  });
});

describe("dockerfile-instructions: suggestions (util/suggest)", () => {
  test("a near flag, instruction, mount type or key is suggested", () => {
    fails(() => instruction("COPY --chwon=1 a b"), "unknown flag: --chwon (did you mean chown?)");
    fails(() => instruction("RUNN true"), "unknown instruction: RUNN (did you mean RUN?)");
    fails(() => instruction("runn true"), "unknown instruction: runn (did you mean run?)");
    fails(() => instruction("FOO bar"), "unknown instruction: FOO (did you mean FROM?)");
    fails(() => instruction("XYZZY bar"), "unknown instruction: XYZZY");
    fails(() => parseMount("type=cahce", (w) => w), 'unsupported mount type "cahce" (did you mean cache?)');
    fails(
      () => parseMount("targte=/x", (w) => w),
      "unexpected key 'targte' in 'targte=/x' (did you mean target?)",
    );
  });
});

describe("dockerfile-instructions: HEALTHCHECK", () => {
  test("CMD with every duration flag and retries", () => {
    const hc = typed(
      "HEALTHCHECK --interval=1m30s --timeout=5s --start-period=1.5s --start-interval=300ms --retries=3 CMD curl -f http://x/",
      "HEALTHCHECK",
    );
    assert.deepEqual(hc.health, {
      test: ["CMD-SHELL", "curl -f http://x/"],
      interval: 90e9,
      timeout: 5e9,
      startPeriod: 1.5e9,
      startInterval: 300e6,
      retries: 3,
    });
  });
  test("exec form, NONE, and the errors", () => {
    const exec = typed('HEALTHCHECK CMD ["true"]', "HEALTHCHECK");
    assert.deepEqual(exec.health.test, ["CMD", "true"]);
    const none = typed("HEALTHCHECK NONE", "HEALTHCHECK");
    assert.deepEqual(none.health.test, ["NONE"]);
    fails(() => instruction("HEALTHCHECK NONE x"), "HEALTHCHECK NONE takes no arguments");
    fails(() => instruction("HEALTHCHECK RUN x"), 'Unknown type "RUN" in HEALTHCHECK (try CMD)');
    fails(() => instruction("HEALTHCHECK --retries=-1 CMD x"), "--retries cannot be negative (-1)");
    fails(() => instruction("HEALTHCHECK --interval=10 CMD x"), 'time: missing unit in duration "10"');
    fails(() => instruction("HEALTHCHECK --timeout=1us CMD x"), 'Interval "timeout" cannot be less than 1ms');
  });
  test("Go durations", () => {
    assert.equal(parseGoDuration("0"), 0);
    assert.equal(parseGoDuration("-1.5h"), -5.4e12);
    assert.equal(parseGoDuration("1h2m3s4ms5us6ns"), 3_723_004_005_006);
    assert.equal(parseGoDuration(".5s"), 5e8);
    fails(() => parseGoDuration("1d"), 'time: unknown unit "d" in duration "1d"');
    fails(() => parseGoDuration(""), 'time: invalid duration ""');
    fails(() => parseGoDuration("3000000h"), 'time: invalid duration "3000000h"');
  });
});

describe("dockerfile-instructions: RUN --mount with an expander", () => {
  const id = (word: string) => word;
  test("defaults and read-only rules", () => {
    const bind = parseMount("target=/src", id);
    assert.deepEqual([bind.type, bind.readOnly], ["bind", true]);
    const cache = parseMount("type=cache,target=/c,sharing=locked,mode=0755,uid=1", id);
    assert.deepEqual(
      [cache.readOnly, cache.cacheSharing, cache.mode, cache.uid],
      [false, "locked", 0o755, 1],
    );
    const tmpfs = parseMount("type=tmpfs,target=/t,size=64m", id);
    assert.equal(tmpfs.sizeLimit, 64 * 2 ** 20);
    assert.equal(parseMount("type=secret,id=tok,required", id).required, true);
    assert.equal(parseMount('"target=/a,b",rw', id).target, "/a,b");
  });
  test("BuildKit's mount errors", () => {
    fails(() => parseMount("type=nfs", id), 'unsupported mount type "nfs"');
    fails(() => parseMount("type=bind,mode=0700", id), 'mode not allowed for "bind" type mounts');
    fails(() => parseMount("type=bind,size=1m", id), "unexpected key 'size' for mount type 'bind'");
    fails(() => parseMount("type=secret", id), "invalid secret mount. one of source, target required");
    fails(() => parseMount("type=bind,sharing=shared", id), "invalid cache sharing set for bind mount");
    fails(() => parseMount("bogus", id), "invalid field 'bogus' must be a key=value pair");
    fails(() => parseMount("colour=red", id), "unexpected key 'colour' in 'colour=red'");
    fails(() => parseMount('ta"rget=/x', id), /^failed to parse csv mounts: .*bare "/);
  });
});

describe("dockerfile-instructions: stages", () => {
  test("meta args, names, platforms, commands", () => {
    const { stages, metaArgs } = parseStages(
      parseDockerfile(
        "ARG BASE=alpine\nFROM --platform=linux/arm64 $BASE AS one\nRUN true\nFROM one\nCMD x\n",
      ).ast,
    );
    assert.deepEqual(
      metaArgs.flatMap((m) => m.args.map((a) => [a.key, a.value])),
      [["BASE", "alpine"]],
    );
    assert.deepEqual(
      stages.map((s) => [s.name, s.baseName, s.platform, s.startLine, s.commands.map((c) => c.type)]),
      [
        ["one", "$BASE", "linux/arm64", 2, ["RUN"]],
        ["", "one", "", 4, ["CMD"]],
      ],
    );
  });
  test("an instruction before the first FROM (other than ARG) fails", () => {
    fails(
      () => parseStages(parseDockerfile("RUN true\nFROM a\n").ast),
      "dockerfile parse error on line 1: no build stage in current context",
    );
  });
});

describe("dockerfile-instructions: the parser's testfiles split into stages", () => {
  // Those testfiles check only the AST; through the instructions layer a few are rejected, as
  // BuildKit rejects them (they have no FROM, an unknown COPY flag, a bare HEALTHCHECK).
  const dir = `${CORPUS_DIR}dockerfile-parser/`;
  const rejected: Record<string, string> = {
    flags: "dockerfile parse error on line 3: unknown flag: --user",
    health: "dockerfile parse error on line 4: HEALTHCHECK requires at least one argument",
  };
  const cases = readdirSync(dir)
    .filter((name) => name !== "negative" && statSync(dir + name).isDirectory())
    .sort();
  for (const name of cases) {
    test(name, () => {
      const { ast } = parseDockerfile(readFileSync(`${dir}${name}/Dockerfile`));
      const noFrom = name === "json" || name.startsWith("jeztah-invalid-json");
      const expected = noFrom
        ? "dockerfile parse error on line 1: no build stage in current context"
        : rejected[name];
      if (expected !== undefined) {
        fails(() => parseStages(ast), expected);
        return;
      }
      const { stages } = parseStages(ast);
      assert.equal(stages.length, 1);
      assert.equal(
        stages[0]?.commands.length,
        ast.children.length - 1 - (name === "args" ? 1 : 0),
        "every instruction after FROM is a command",
      );
    });
  }
});
