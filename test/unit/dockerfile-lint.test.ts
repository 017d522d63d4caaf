/**
 * BuildKit's build checks (src/dockerfile/lint). The Dockerfiles and expected warnings mirror
 * BuildKit's integration tests (frontend/dockerfile/dockerfile_check_test.go at 73ed6825), which
 * run a real build and a real `--check`; the order asserted here is the order the checks run in,
 * which is the order `docker build` prints them.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are Dockerfiles: ${...} is their syntax
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  formatLintSummary,
  type LintOptions,
  type LintResult,
  lintDockerfile,
  parseCheckOptions,
} from "../../src/dockerfile/lint/index.ts";
import { parseDockerfile } from "../../src/dockerfile/parser.ts";
import { isWharfError } from "../../src/errors.ts";

type Expected = [rule: string, message: string, line: number];

const AMD64 = { os: "linux", architecture: "amd64" };
/** A fixed platform, so the tests do not depend on the host's architecture. */
const BASE_OPTIONS: LintOptions = { buildPlatform: AMD64, targetPlatform: AMD64 };

function lint(dockerfile: string, options: LintOptions = {}): LintResult {
  return lintDockerfile(dockerfile, { ...BASE_OPTIONS, ...options });
}

function expectWarnings(dockerfile: string, expected: Expected[], options: LintOptions = {}): LintResult {
  const result = lint(dockerfile, options);
  assert.deepEqual(
    result.warnings.map((w) => [w.rule, w.message, w.line]),
    expected,
  );
  return result;
}

function expectClean(dockerfile: string, options: LintOptions = {}): void {
  const result = expectWarnings(dockerfile, [], options);
  assert.equal(result.error, undefined, result.error?.message);
  assert.equal(result.failure, undefined);
}

describe("rule metadata", () => {
  test("a warning carries the rule's description and documentation URL", () => {
    const [warning] = lint("FROM scratch AS Build\n").warnings;
    assert.deepEqual(warning, {
      rule: "StageNameCasing",
      message: "Stage name 'Build' should be lowercase",
      description: "Stage names should be lowercase",
      url: "https://docs.docker.com/go/dockerfile/rule/stage-name-casing/",
      line: 1,
      endLine: 1,
    });
  });

  test("endLine is the instruction's last line", () => {
    const [warning] = lint("FROM scratch\nCMD echo \\\n  hello\n").warnings;
    assert.equal(warning?.rule, "JSONArgsRecommended");
    assert.equal(warning?.line, 2);
    assert.equal(warning?.endLine, 3);
  });
});

describe("StageNameCasing and FromAsCasing", () => {
  test("BuildKit's testStageName", () => {
    expectWarnings(
      `
# warning: stage name should be lowercase
#
FROM scratch AS BadStageName

# warning: 'as' should match 'FROM' cmd casing.
#
FROM scratch as base2

FROM scratch AS base3
`,
      [
        ["StageNameCasing", "Stage name 'BadStageName' should be lowercase", 4],
        ["FromAsCasing", "'as' and 'FROM' keywords' casing do not match", 8],
      ],
    );
    expectWarnings(
      `
# warning: 'AS' should match 'from' cmd casing.
#
from scratch AS base

from scratch as base2
`,
      [["FromAsCasing", "'AS' and 'from' keywords' casing do not match", 4]],
    );
  });

  test("a FROM of mixed case is left to ConsistentInstructionCasing", () => {
    expectWarnings("From scratch as base\nFROM scratch AS b2\n", [
      [
        "ConsistentInstructionCasing",
        "Command 'From' should match the case of the command majority (uppercase)",
        1,
      ],
    ]);
  });
});

describe("NoEmptyContinuation", () => {
  test("BuildKit's testNoEmptyContinuation: the line the instruction ends on", () => {
    expectWarnings(
      `
FROM scratch
# warning: empty continuation line
COPY Dockerfile \\

.
COPY Dockerfile \\
.
`,
      [["NoEmptyContinuation", "Empty continuation line", 6]],
    );
  });
});

describe("ConsistentInstructionCasing", () => {
  const casing = (word: string, majority: string, line: number): Expected => [
    "ConsistentInstructionCasing",
    `Command '${word}' should match the case of the command majority (${majority})`,
    line,
  ];

  test("BuildKit's testConsistentInstructionCasing", () => {
    expectWarnings("\nFROM scratch\n# warning\ncopy Dockerfile /foo\nCOPY Dockerfile /bar\n", [
      casing("copy", "uppercase", 4),
    ]);
    expectWarnings("\n# warning\n#\nfrOM scratch as base\nfrom scratch as base2\n", [
      casing("frOM", "lowercase", 4),
    ]);
    expectWarnings("\nfrom scratch\n# warning\nCOPY Dockerfile /foo\ncopy Dockerfile /bar\n", [
      casing("COPY", "lowercase", 4),
    ]);
    expectWarnings(
      "\n#\n#\nfrom scratch\nCOPY Dockerfile /foo\nCOPY Dockerfile /bar\nCOPY Dockerfile /baz\n",
      [casing("from", "uppercase", 4)],
    );
    expectWarnings(
      "\n#\n#\nFROM scratch\ncopy Dockerfile /foo\ncopy Dockerfile /bar\ncopy Dockerfile /baz\n",
      [casing("FROM", "lowercase", 4)],
    );
  });

  test("consistent files, and a heredoc body that is not an instruction", () => {
    expectClean("\nfrom scratch\ncopy Dockerfile /foo\ncopy Dockerfile /bar\n");
    expectClean("\nFROM scratch\nCOPY Dockerfile /foo\nCOPY Dockerfile /bar\n");
    expectClean("\nFROM alpine\nRUN <<'EOT'\nenv\nEOT\n");
  });

  test("a tie goes to upper case; meta ARGs are not counted", () => {
    expectWarnings("arg x=1\nFROM scratch\ncopy a /a\n", [casing("copy", "uppercase", 3)]);
  });
});

describe("DuplicateStageName and ReservedStageName", () => {
  test("BuildKit's testDuplicateStageName: a warning, not an error", () => {
    const result = expectWarnings("\nFROM scratch AS b\nFROM scratch AS b\n", [
      ["DuplicateStageName", 'Duplicate stage name "b", stage names should be unique', 3],
    ]);
    assert.equal(result.error, undefined);
    expectClean("\nFROM scratch AS b1\nFROM scratch AS b2\n");
  });

  test("names compare lower-cased (FROM lower-cases them)", () => {
    expectWarnings("FROM scratch AS b\nFROM scratch AS B\n", [
      ["StageNameCasing", "Stage name 'B' should be lowercase", 2],
      ["DuplicateStageName", 'Duplicate stage name "b", stage names should be unique', 2],
    ]);
  });

  test("BuildKit's testReservedStageName", () => {
    expectWarnings("\nFROM scratch AS scratch\nFROM scratch AS context\n", [
      ["ReservedStageName", 'Stage name should not use the same name as reserved stage "scratch"', 2],
      ["ReservedStageName", 'Stage name should not use the same name as reserved stage "context"', 3],
    ]);
    expectClean("\nFROM scratch\nFROM scratch AS a\n");
  });
});

describe("JSONArgsRecommended", () => {
  const json = (instruction: string, line: number): Expected => [
    "JSONArgsRecommended",
    `JSON arguments recommended for ${instruction} to prevent unintended behavior related to OS signals`,
    line,
  ];

  test("BuildKit's testJSONArgsRecommended", () => {
    expectWarnings("\nFROM scratch\nCMD mycommand\n", [json("CMD", 3)]);
    expectWarnings("\nFROM scratch\nENTRYPOINT mycommand\n", [json("ENTRYPOINT", 3)]);
    expectClean('\nFROM scratch\nSHELL ["/usr/bin/customshell"]\nCMD mycommand\n');
    expectClean('\nFROM scratch\nSHELL ["/usr/bin/customshell"]\nENTRYPOINT mycommand\n');
    expectClean('\nFROM scratch AS base\nSHELL ["/usr/bin/customshell"]\n\nFROM base\nCMD mycommand\n');
    expectClean(
      '\nFROM scratch AS base\nSHELL ["/usr/bin/customshell"]\n\nFROM base\nENTRYPOINT mycommand\n',
    );
  });

  test("the exec form is fine; the instruction is named as written", () => {
    expectClean('FROM scratch\nCMD ["mycommand"]\nENTRYPOINT ["x"]\n');
    expectWarnings("from scratch\ncmd mycommand\n", [json("cmd", 2)]);
  });

  test("a SHELL in the base image's config counts", () => {
    const baseImage = (name: string) =>
      name === "mcr.example/win" ? { shell: ["cmd", "/S", "/C"] } : undefined;
    expectClean("FROM mcr.example/win\nCMD dir\n", { baseImage });
    expectWarnings("FROM busybox\nCMD ls\n", [json("CMD", 2)], { baseImage });
  });
});

describe("MaintainerDeprecated", () => {
  test("BuildKit's testMaintainerDeprecated", () => {
    expectWarnings("\nFROM scratch\nMAINTAINER me@example.org\n", [
      ["MaintainerDeprecated", "Maintainer instruction is deprecated in favor of using label", 3],
    ]);
    expectClean('\nFROM scratch\nLABEL org.opencontainers.image.authors="me@example.org"\n');
    expectClean("\nFROM scratch\n# check=skip=JSONArgsRecommended\nCMD mycommand\n");
    expectClean("\nFROM scratch\n# check=skip=JSONArgsRecommended\nENTRYPOINT mycommand\n");
    expectClean("\nFROM scratch\n# check=skip=MaintainerDeprecated\nMAINTAINER me@example.org\n");
  });
});

describe("warnings before an error", () => {
  test("BuildKit's testWarningsBeforeError: the checks up to the error count", () => {
    const result = expectWarnings("\nFROM scratch AS BadStageName\nMAINTAINER me@example.org\nBADCMD\n", [
      ["StageNameCasing", "Stage name 'BadStageName' should be lowercase", 2],
      ["MaintainerDeprecated", "Maintainer instruction is deprecated in favor of using label", 3],
    ]);
    assert.ok(isWharfError(result.error, "DOCKERFILE_INSTRUCTION"));
    assert.equal(result.error.message, "dockerfile parse error on line 4: unknown instruction: BADCMD");
    assert.equal(result.failure, undefined);
  });

  test("a file that does not parse: no warnings, the parse error", () => {
    const result = lint("FROM scratch\nRUN <<EOF\nnever ends\n");
    assert.deepEqual(result.warnings, []);
    assert.ok(isWharfError(result.error, "DOCKERFILE_PARSE"));
  });

  test("an instruction before the first FROM", () => {
    const result = lint("COPY a /a\nFROM scratch\n");
    assert.ok(isWharfError(result.error, "DOCKERFILE_INSTRUCTION"));
    assert.match(result.error.message, /no build stage in current context/);
  });
});

describe("UndefinedArgInFrom", () => {
  const undeclared = (arg: string, line: number, suggestion = ""): Expected => [
    "UndefinedArgInFrom",
    `FROM argument '${arg}' is not declared${suggestion === "" ? "" : ` (did you mean ${suggestion}?)`}`,
    line,
  ];

  test("BuildKit's testUndeclaredArg: declared, predefined and defaulted ARGs", () => {
    expectClean("\nARG base=scratch\nFROM $base\nCOPY Dockerfile .\n");
    expectClean(
      "\nARG BUILDPLATFORM=linux/amd64\nFROM --platform=$BUILDPLATFORM scratch\nCOPY Dockerfile .\n",
    );
    expectClean("\nFROM --platform=$BUILDPLATFORM scratch\nCOPY Dockerfile .\n");
    expectClean("\nARG DEBUG\nFROM scratch${DEBUG}\nCOPY Dockerfile .\n");
    expectClean("\nARG DEBUG\nFROM scra${DEBUG:-tch}\nCOPY Dockerfile .\n");
    expectClean('\nARG DEBUG=""\nFROM scratch${DEBUG-@bogus}\nCOPY Dockerfile .\n');
  });

  test("BuildKit's testUndeclaredArg: a misspelt platform ARG (then the build fails)", () => {
    const result = expectWarnings("\nFROM --platform=$BULIDPLATFORM scratch\nCOPY Dockerfile .\n", [
      undeclared("BULIDPLATFORM", 2, "BUILDPLATFORM"),
    ]);
    assert.equal(result.error?.message, "empty platform value from expression $BULIDPLATFORM");
  });

  test("BuildKit's testUndeclaredArg: suggestions among the meta ARGs", () => {
    const result = expectWarnings(
      "\nARG MY_OS=linux\nARG MY_ARCH=amd64\nFROM --platform=linux/${MYARCH} busybox\nCOPY Dockerfile .\n\t",
      [undeclared("MYARCH", 4, "MY_ARCH")],
    );
    assert.equal(result.error?.message, "failed to parse platform linux/${MYARCH}");
    expectWarnings("\nARG tag=latest\nFROM busybox:${tag}${version} AS b\nCOPY Dockerfile .\n", [
      undeclared("version", 3),
    ]);
  });
});

describe("WorkdirRelativePath", () => {
  test("BuildKit's testWorkdirRelativePath", () => {
    expectWarnings("\nFROM scratch\nWORKDIR app/\n", [
      [
        "WorkdirRelativePath",
        'Relative workdir "app/" can have unexpected results if the base image changes',
        3,
      ],
    ]);
    expectClean("\nFROM scratch AS a\nWORKDIR /app\n\nFROM a AS b\nWORKDIR subdir/\n");
    expectClean("\nFROM scratch\n# check=skip=WorkdirRelativePath\nWORKDIR app/\n");
  });

  test("only the first WORKDIR counts, and its path is expanded first", () => {
    expectWarnings("FROM scratch\nARG dir=app\nWORKDIR $dir\nWORKDIR other\n", [
      [
        "WorkdirRelativePath",
        'Relative workdir "app" can have unexpected results if the base image changes',
        3,
      ],
    ]);
    expectClean("FROM scratch\nARG dir=/app\nWORKDIR $dir\nWORKDIR sub\n");
  });
});

describe("UndefinedVar", () => {
  const undefinedVar = (name: string, line: number, suggestion = ""): Expected => [
    "UndefinedVar",
    `Usage of undefined variable '$${name}'${suggestion === "" ? "" : ` (did you mean $${suggestion}?)`}`,
    line,
  ];

  test("BuildKit's testUnmatchedVars", () => {
    expectClean("\nFROM scratch\nARG foo\nCOPY Dockerfile${foo} .\n");
    expectClean("\nFROM alpine AS base\nARG foo=Dockerfile\n\nFROM base\nCOPY $foo .\n");
    expectClean("\nFROM alpine\nRUN echo $PATH\n");
    expectWarnings("\nFROM alpine\nCOPY $foo .\nARG foo=bar\nRUN echo $foo\n", [undefinedVar("foo", 3)]);
    expectWarnings(
      "\nFROM alpine\nARG DIR_BINARIES=binaries/\nARG DIR_ASSETS=assets/\nARG DIR_CONFIG=config/\nCOPY $DIR_ASSET .\n\t",
      [undefinedVar("DIR_ASSET", 6, "DIR_ASSETS")],
    );
    expectWarnings("\nFROM alpine\nENV PATH=$PAHT:/tmp/bin\n\t\t", [undefinedVar("PAHT", 3, "PATH")]);
  });

  test("BuildKit's testAllTargetUnmarshal: a build checks the target's stages, --check all of them", () => {
    const dockerfile = "\nFROM scratch AS first\nCOPY $foo .\n\nFROM scratch AS second\nCOPY $bar .\n";
    expectWarnings(dockerfile, [undefinedVar("bar", 6)], { target: "" });
    expectWarnings(dockerfile, [undefinedVar("foo", 3), undefinedVar("bar", 6)]);
    expectWarnings(dockerfile, [undefinedVar("foo", 3)], { target: "first" });
  });

  test("a stage's COPY --from and RUN --mount sources are checked with it", () => {
    const dockerfile =
      "FROM scratch AS a\nCOPY $a /\nFROM scratch AS b\nCOPY $b /\nFROM scratch AS c\nCOPY $c /\n" +
      "FROM scratch\nCOPY --from=a / /\nRUN --mount=from=b,target=/b true\n";
    expectWarnings(dockerfile, [undefinedVar("a", 2), undefinedVar("b", 4)], { target: "" });
  });

  test("ENV sees only what was set before the instruction", () => {
    expectWarnings("FROM scratch\nENV A=1 B=$A\nENV C=$A\n", [undefinedVar("A", 2)]);
  });

  test("the words each instruction expands", () => {
    expectWarnings(
      "FROM scratch\nUSER $u\nVOLUME $v\nSTOPSIGNAL $s\nLABEL $k=$l\nCOPY --chown=$o <<EOF /dst\n$h\nEOF\n" +
        "RUN --mount=type=cache,target=$t true\nRUN echo $notexpanded\nCMD $neither\n",
      [
        undefinedVar("u", 2),
        undefinedVar("v", 3),
        undefinedVar("s", 4),
        undefinedVar("k", 5),
        undefinedVar("l", 5),
        undefinedVar("o", 6),
        undefinedVar("h", 6),
        undefinedVar("t", 9),
        [
          "JSONArgsRecommended",
          "JSON arguments recommended for CMD to prevent unintended behavior related to OS signals",
          11,
        ],
      ],
    );
  });

  test("a quoted heredoc is not expanded; build args and global ARGs count once declared", () => {
    expectClean("FROM scratch\nCOPY <<'EOF' /dst\n$h\nEOF\n");
    expectClean("ARG V=1\nFROM scratch\nARG V\nARG TARGETARCH\nCOPY $V$TARGETARCH /\n");
    expectWarnings("FROM scratch\nARG X\nCOPY $X$Y /\n", [undefinedVar("Y", 3)], { buildArgs: { Y: "1" } });
  });

  test("the base image's Env counts", () => {
    const baseImage = () => ({ env: ["PATH=/bin", "HOME=/root"] });
    expectClean("FROM busybox\nWORKDIR $HOME\n", { baseImage });
    // Unset, $HOME expands to "": relative too, as BuildKit reports it.
    expectWarnings("FROM busybox\nWORKDIR $HOME\n", [
      undefinedVar("HOME", 2),
      ["WorkdirRelativePath", 'Relative workdir "" can have unexpected results if the base image changes', 2],
    ]);
  });

  test("an ONBUILD trigger runs in the stage built on it, located at its FROM", () => {
    expectWarnings("FROM scratch AS a\nONBUILD COPY $x /\nFROM a\nENV y=1\n", [undefinedVar("x", 3)]);
  });
});

describe("MultipleInstructionsDisallowed", () => {
  const multiple = (instruction: string, line: number): Expected => [
    "MultipleInstructionsDisallowed",
    `Multiple ${instruction} instructions should not be used in the same stage because only the last one will be used`,
    line,
  ];

  test("BuildKit's testMultipleInstructionsDisallowed: the earlier one is reported", () => {
    expectWarnings(
      '\nFROM scratch\nENTRYPOINT ["/myapp"]\nENTRYPOINT ["/myotherapp"]\nCMD ["/myapp"]\nCMD ["/myotherapp"]\nHEALTHCHECK CMD ["/myapp"]\nHEALTHCHECK CMD ["/myotherapp"]\n',
      [multiple("ENTRYPOINT", 3), multiple("CMD", 5), multiple("HEALTHCHECK", 7)],
    );
    expectWarnings(
      '\nFROM scratch\nENTRYPOINT ["/myapp"]\nCMD ["/myapp"]\nHEALTHCHECK CMD ["/myapp"]\nCOPY <<EOF /a.txt\nHello, World!\nEOF\nENTRYPOINT ["/myotherapp"]\nCMD ["/myotherapp"]\nHEALTHCHECK CMD ["/myotherapp"]\n',
      [multiple("ENTRYPOINT", 3), multiple("CMD", 4), multiple("HEALTHCHECK", 5)],
    );
    expectClean(
      '\nFROM scratch AS a\nENTRYPOINT ["/myapp"]\nCMD ["/myapp"]\nHEALTHCHECK CMD ["/myapp"]\n\nFROM a AS b\nENTRYPOINT ["/myotherapp"]\nCMD ["/myotherapp"]\nHEALTHCHECK CMD ["/myotherapp"]\n',
    );
  });
});

describe("LegacyKeyValueFormat", () => {
  const legacy = (command: string, line: number): Expected => [
    "LegacyKeyValueFormat",
    `"${command} key=value" should be used instead of legacy "${command} key value" format`,
    line,
  ];

  test("BuildKit's testLegacyKeyValueFormat", () => {
    expectWarnings("\nFROM scratch\nENV testkey value\nLABEL key value\n", [
      legacy("ENV", 3),
      legacy("LABEL", 4),
    ]);
    expectClean("\nFROM scratch\nENV testkey=value\nLABEL key=value\n");
    expectClean(
      "\nFROM scratch\n# check=skip=LegacyKeyValueFormat\nENV testkey value\n# check=skip=LegacyKeyValueFormat\nLABEL key value\n",
    );
  });

  test("BuildKit's testLegacyKeyValueFormat: an unreachable stage only under --check", () => {
    const dockerfile =
      "\nFROM scratch AS a\n\nFROM a AS b\nENV testkey value\nLABEL key value\n\nFROM a AS c\n";
    expectClean(dockerfile, { target: "" });
    expectWarnings(dockerfile, [legacy("ENV", 5), legacy("LABEL", 6)]);
  });
});

describe("RedundantTargetPlatform", () => {
  test("BuildKit's testRedundantTargetPlatform (the platform as written)", () => {
    const redundant = (v: string): Expected => [
      "RedundantTargetPlatform",
      `Setting platform to predefined ${v} in FROM is redundant as this is the default behavior`,
      2,
    ];
    expectWarnings("\nFROM --platform=$TARGETPLATFORM scratch\n", [redundant("$TARGETPLATFORM")]);
    expectWarnings("\nFROM --platform=${TARGETPLATFORM} scratch\n", [redundant("${TARGETPLATFORM}")]);
    expectClean("\n# check=skip=RedundantTargetPlatform\nFROM --platform=$TARGETPLATFORM scratch\n");
    expectClean("FROM --platform=$BUILDPLATFORM scratch\n");
  });
});

describe("SecretsUsedInArgOrEnv", () => {
  test("BuildKit's testSecretsUsedInArgOrEnv", () => {
    const secret = (instruction: string, key: string, line: number): Expected => [
      "SecretsUsedInArgOrEnv",
      `Do not use ARG or ENV instructions for sensitive data (${instruction} "${key}")`,
      line,
    ];
    expectWarnings(
      `# check=skip=InvalidDefinitionDescription

FROM scratch
ARG SECRET_PASSPHRASE
ENV SUPER_Secret=foo
ENV password=bar secret=baz
ARG super_duper_secret_token=foo auth=bar
ENV apikey=bar sunflower=foo
ENV git_key=
ENV PUBLIC_KEY=
ARG public_token
ARG SECRET_PASSPHRASE_FILE
ENV password_file=bar secret_File=baz
ARG AUTH_MODULE_VERSION
# check=skip=SecretsUsedInArgOrEnv // allow secret in environment
ENV password=bar
# check=skip=SecretsUsedInArgOrEnv // allow secret in arg
ARG password
# check=skip=all // is local to only this instruction
ENV alternate_password=bar
# check=skip=all // is local to only this instruction
ARG alternate_password
`,
      [
        secret("ARG", "SECRET_PASSPHRASE", 4),
        secret("ENV", "SUPER_Secret", 5),
        secret("ENV", "password", 6),
        secret("ENV", "secret", 6),
        secret("ARG", "super_duper_secret_token", 7),
        secret("ARG", "auth", 7),
        secret("ENV", "apikey", 8),
        secret("ENV", "git_key", 9),
      ],
    );
  });
});

describe("InvalidDefaultArgInFrom", () => {
  const invalid = (baseName: string): Expected => [
    "InvalidDefaultArgInFrom",
    `Default value for ARG ${baseName} results in empty or invalid base image name`,
    3,
  ];

  test("BuildKit's testInvalidDefaultArgInFrom: judged without the build args", () => {
    expectWarnings("\nARG VERSION\nFROM busybox:$VERSION\n", [invalid("busybox:$VERSION")], {
      buildArgs: { VERSION: "latest" },
    });
    expectWarnings("\nARG IMAGE\nFROM $IMAGE\n", [invalid("$IMAGE")], {
      buildArgs: { IMAGE: "busybox:latest" },
    });
    expectWarnings('\nARG SFX="box:"\nFROM busy${SFX}\n', [invalid("busy${SFX}")], {
      buildArgs: { SFX: "box:latest" },
    });
    expectClean('\nARG VERSION="latest"\nFROM busybox:${VERSION}\n', { buildArgs: { VERSION: "latest" } });
    expectClean('\nARG BUSYBOX_VARIANT=""\nFROM busybox:stable${BUSYBOX_VARIANT}\n', {
      buildArgs: { BUSYBOX_VARIANT: "-musl" },
    });
    expectClean("\n\tARG BUSYBOX_VARIANT\n\tFROM busybox:stable${BUSYBOX_VARIANT}\n\t", {
      buildArgs: { BUSYBOX_VARIANT: "-musl" },
    });
  });

  test("image name rules: upper case, 64-hex IDs, digests", () => {
    expectClean(`FROM registry.example:5000/team/app:1.0\nFROM localhost/app@sha256:${"a".repeat(64)}\n`);
    for (const bad of ["Busybox", "a".repeat(64), "busybox@sha256:abc", "busybox:"]) {
      assert.equal(lint(`FROM ${bad}\n`).warnings[0]?.rule, "InvalidDefaultArgInFrom", bad);
    }
  });
});

describe("FromPlatformFlagConstDisallowed", () => {
  test("BuildKit's testFromPlatformFlagConstDisallowed", () => {
    expectWarnings("\nFROM --platform=linux/amd64 scratch\n", [
      [
        "FromPlatformFlagConstDisallowed",
        'FROM --platform flag should not use constant value "linux/amd64"',
        2,
      ],
    ]);
    expectClean("\nFROM --platform=linux/amd64 scratch AS my_amd64_stage\n");
    expectClean("\nFROM --platform=linux/amd64 scratch AS linux\n");
  });

  test("the platform is normalised before the stage name is compared", () => {
    expectClean("FROM --platform=linux/x86_64 scratch AS build-amd64\n");
  });
});

describe("InvalidBaseImagePlatform", () => {
  const arm64Image = (name: string) =>
    name === "registry.example/app:latest" ? { platform: { os: "linux", architecture: "arm64" } } : undefined;

  test("BuildKit's testBaseImagePlatformMismatch: the pulled image's platform is not the target's", () => {
    const result = expectWarnings(
      "\nFROM registry.example/app:latest\nENV foo=bar\n\t",
      [
        [
          "InvalidBaseImagePlatform",
          'Base image registry.example/app:latest was pulled with platform "linux/arm64", expected "linux/amd64" for current build',
          2,
        ],
      ],
      { baseImage: arm64Image },
    );
    assert.equal(result.warnings[0]?.url, "");
  });

  test("the stage's --platform is what is expected; stages and scratch have no image", () => {
    expectClean("ARG P=linux/arm64\nFROM --platform=$P registry.example/app:latest\n", {
      baseImage: arm64Image,
    });
    expectClean("FROM registry.example/app:latest\n", {
      baseImage: arm64Image,
      targetPlatform: { os: "linux", architecture: "arm64", variant: "v8" },
    });
    expectClean("FROM scratch AS a\nFROM a\n", {
      baseImage: () => ({ platform: { os: "windows", architecture: "amd64" } }),
    });
  });
});

describe("ExposeProtoCasing and ExposeInvalidFormat", () => {
  test("BuildKit's testExposeProtoCasing", () => {
    expectWarnings("\nFROM scratch\nEXPOSE 80/TcP 8080/TCP 8080/udp\n", [
      ["ExposeProtoCasing", "Defined protocol '80/TcP' in EXPOSE instruction should be lowercase", 3],
      ["ExposeProtoCasing", "Defined protocol '8080/TCP' in EXPOSE instruction should be lowercase", 3],
    ]);
  });

  test("BuildKit's testExposeInvalidFormat (in EXPOSE's sorted order)", () => {
    const invalid = (port: string): Expected => [
      "ExposeInvalidFormat",
      `EXPOSE instruction should not define an IP address or host-port mapping, found '${port}'`,
      3,
    ];
    expectWarnings("\nFROM scratch\nEXPOSE 127.0.0.1:80:80 [::1]:8080:8080 5000:5000 8000\n", [
      invalid("127.0.0.1:80:80"),
      invalid("5000:5000"),
      invalid("[::1]:8080:8080"),
    ]);
  });
});

describe("InvalidDefinitionDescription (experimental)", () => {
  test("BuildKit's testDefinitionDescription", () => {
    expectClean(`# check=skip=all;experimental=InvalidDefinitionDescription
# foo this is the foo
ARG foo=bar

# base this is the base image
FROM scratch AS base

# version this is the version number
ARG version=latest

# baz this is the baz
ARG foo=baz bar=qux baz=quux
#
ARG bit=bat

# comment for something other than ARG or FROM
COPY Dockerfile .
`);
    const comment = (instruction: string, name: string, line: number): Expected => [
      "InvalidDefinitionDescription",
      `Comment for ${instruction} should follow the format: \`# ${name} <description>\``,
      line,
    ];
    expectWarnings(
      `# check=experimental=InvalidDefinitionDescription
# bar this is the bar
ARG foo=bar
# BasE this is the BasE image
FROM scratch AS base
# definitely a bad comment
ARG version=latest
# definitely a bad comment
ARG foo=baz bar=qux baz=quux
`,
      [
        comment("ARG", "foo", 3),
        comment("FROM", "base", 5),
        comment("ARG", "version", 7),
        comment("ARG", "<arg_key>", 9),
      ],
    );
  });

  test("off unless enabled", () => {
    expectClean("# nothing to do with x\nARG x=1\nFROM scratch\n");
  });
});

describe("the check directive and options", () => {
  const dockerfile = (directive: string) => `${directive}\nFROM scratch as base\ncopy Dockerfile .\n`;
  const fromAs: Expected = ["FromAsCasing", "'as' and 'FROM' keywords' casing do not match", 2];

  test("BuildKit's testRuleCheckOption", () => {
    expectClean(dockerfile("#check=skip=all"));
    expectClean(dockerfile("#check=skip=all;error=true"));
    expectClean(dockerfile("#check=skip=ConsistentInstructionCasing,FromAsCasing"));
    expectClean(dockerfile("#check=skip=ConsistentInstructionCasing,FromAsCasing;error=true"));
    const warn = expectWarnings(dockerfile("#check=skip=ConsistentInstructionCasing"), [fromAs]);
    assert.equal(warn.failure, undefined);
    const fail = expectWarnings(dockerfile("#check=skip=ConsistentInstructionCasing;error=true"), [fromAs]);
    assert.equal(fail.failure, "lint violation found for rules: FromAsCasing");
    assert.equal(fail.error, undefined);
  });

  test("BuildKit's testRuleCheckOption: BUILDKIT_DOCKERFILE_CHECK replaces the directive", () => {
    const fail = expectWarnings(dockerfile("#check=skip=all"), [fromAs], {
      buildArgs: { BUILDKIT_DOCKERFILE_CHECK: "skip=ConsistentInstructionCasing;error=true" },
    });
    assert.equal(fail.failure, "lint violation found for rules: FromAsCasing");
    expectClean(dockerfile("#check=error=true"), { buildArgs: { BUILDKIT_DOCKERFILE_CHECK: "skip=all" } });
  });

  test("without a directive every rule runs", () => {
    const result = expectWarnings(dockerfile("# a comment"), [
      fromAs,
      [
        "ConsistentInstructionCasing",
        "Command 'copy' should match the case of the command majority (uppercase)",
        3,
      ],
    ]);
    assert.deepEqual(result.checkOptions, parseCheckOptions(""));
  });

  test("error=true names every rule that fired, once", () => {
    const result = lint("# check=error=true\nFROM scratch AS A\nFROM scratch AS B\nCMD x\nCMD y\n");
    assert.equal(
      result.failure,
      "lint violation found for rules: StageNameCasing, JSONArgsRecommended, MultipleInstructionsDisallowed",
    );
  });

  test("a comment's check options apply to its instruction only, and never set error", () => {
    const result = expectWarnings(
      "FROM scratch\n# check=skip=JSONArgsRecommended;error=true\nCMD a\nENTRYPOINT b\n",
      [
        [
          "JSONArgsRecommended",
          "JSON arguments recommended for ENTRYPOINT to prevent unintended behavior related to OS signals",
          4,
        ],
      ],
    );
    assert.equal(result.failure, undefined);
  });

  test("a comment does not reach the whole-file checks", () => {
    expectWarnings("FROM scratch\n# check=skip=ConsistentInstructionCasing\ncopy a /a\n", [
      [
        "ConsistentInstructionCasing",
        "Command 'copy' should match the case of the command majority (uppercase)",
        3,
      ],
    ]);
  });

  test("parseCheckOptions: BuildKit's forms and errors", () => {
    assert.deepEqual(parseCheckOptions(" skip = A, B ; error = true "), {
      skipAll: false,
      skipRules: ["A", "B"],
      experimentalAll: false,
      experimentalRules: [],
      errorOnWarnings: true,
    });
    assert.equal(parseCheckOptions("experimental=all").experimentalAll, true);
    assert.throws(() => parseCheckOptions("skip"), { message: 'invalid check option "skip"' });
    assert.throws(() => parseCheckOptions("bogus=1"), { message: 'invalid check option "bogus"' });
    assert.throws(() => parseCheckOptions("error=maybe"), {
      message:
        'failed to parse check option "error=maybe": strconv.ParseBool: parsing "maybe": invalid syntax',
    });
  });

  test("an invalid directive fails the build", () => {
    const result = lint("# check=skip\nFROM scratch\n");
    assert.ok(isWharfError(result.error, "DOCKERFILE_PARSE"));
    assert.equal(result.error.message, 'failed to parse check options: invalid check option "skip"');
    const fromArg = lint("FROM scratch\n", { buildArgs: { BUILDKIT_DOCKERFILE_CHECK: "x=1" } });
    assert.equal(
      fromArg.error?.message,
      'failed to parse build-arg:BUILDKIT_DOCKERFILE_CHECK: invalid check option "x"',
    );
  });
});

describe("targets and parse results", () => {
  test("an unknown target is BuildKit's error, with a suggestion", () => {
    const result = lint("FROM scratch AS build\nFROM scratch\n", { target: "biuld" });
    assert.equal(result.error?.message, 'target stage "biuld" could not be found (did you mean build?)');
  });

  test("a parse result can be passed in instead of parsing again", () => {
    const text = "FROM scratch AS Build\n";
    const parsed = parseDockerfile(text);
    assert.deepEqual(lintDockerfile(text, { ...BASE_OPTIONS, parsed }), lint(text));
  });

  test("a clean multi-stage Dockerfile", () => {
    expectClean(
      'ARG BASE=busybox\nFROM ${BASE} AS build\nWORKDIR /src\nENV GOFLAGS=-mod=vendor\nCOPY . .\nRUN make\n\nFROM scratch\nCOPY --from=build /src/out /app\nENTRYPOINT ["/app"]\n',
    );
  });
});

describe("formatLintSummary", () => {
  test("BuildKit's summary as the build prints it", () => {
    const { warnings } = lint("FROM scratch AS Build\nCMD run\n");
    assert.equal(
      formatLintSummary(warnings),
      " 2 warnings found (use docker --debug to expand):\n" +
        " - StageNameCasing: Stage name 'Build' should be lowercase (line 1)\n" +
        " - JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals (line 2)\n",
    );
  });

  test("one warning, and none", () => {
    const { warnings } = lint("FROM scratch\nMAINTAINER me\n");
    assert.equal(
      formatLintSummary(warnings),
      " 1 warning found (use docker --debug to expand):\n - MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label (line 2)\n",
    );
    assert.equal(formatLintSummary([]), "");
  });
});
