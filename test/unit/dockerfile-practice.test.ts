/**
 * `wharf lint`'s practice rules (src/dockerfile/lint/practice), its ignores and config: every rule
 * on a Dockerfile that breaks it and one that does not, the folding of BuildKit's twin checks, the
 * shell reading of RUN lines, and every Dockerfile of BuildKit's parser corpus (../shared/corpus).
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are Dockerfiles: ${...} is their syntax
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { describe, test } from "node:test";
import { emptyLintConfig, parseLintConfig } from "../../src/dockerfile/lint/lint-config.ts";
import {
  type Finding,
  lintRules,
  lintWithPractices,
  meetsThreshold,
  PRACTICE_RULES,
  shellCommands,
  type WharfLintOptions,
} from "../../src/dockerfile/lint/practice/index.ts";
import { isWharfError } from "../../src/errors.ts";
import { CORPUS_DIR } from "../corpus.ts";

function lint(dockerfile: string, options: WharfLintOptions = {}): Finding[] {
  const result = lintWithPractices(dockerfile, options);
  assert.equal(result.error, undefined, result.error?.message);
  return result.findings;
}

const linesOf = (findings: Finding[], code: string) =>
  findings.filter((f) => f.code === code).map((f) => f.line);

const TRUSTED: WharfLintOptions = {
  config: { ...emptyLintConfig(), trustedRegistries: ["docker.io", "*.corp.example"] },
};
const BARE_CONTEXT: WharfLintOptions = { context: { ignoreFile: undefined, unexcluded: [] } };
const GIT_CONTEXT: WharfLintOptions = { context: { ignoreFile: ".dockerignore", unexcluded: [".git"] } };
const CLEAN_CONTEXT: WharfLintOptions = { context: { ignoreFile: ".dockerignore", unexcluded: [] } };

/** [code, a Dockerfile that breaks the rule, the lines it is reported on, one that keeps it, options (for the passing one)]. */
type RuleCase = [
  code: string,
  failing: string,
  lines: number[],
  passing: string,
  options?: WharfLintOptions,
  passOptions?: WharfLintOptions,
];

const RULE_CASES: RuleCase[] = [
  ["DL3006", "FROM debian\n", [1], "FROM debian:12 AS builder\nFROM builder\nFROM scratch\n"],
  ["DL3006", "ARG BASE=node\nFROM ${BASE}\n", [2], "ARG V=18\nARG BASE=node:${V}\nFROM ${BASE}\n"],
  ["DL3007", "FROM node:latest\n", [1], `FROM node:18\nFROM node:latest@sha256:${"a".repeat(64)}\n`],
  ["WL1001", "FROM node:18\n", [1], `FROM node:18@sha256:${"b".repeat(64)}\nFROM scratch\n`],
  ["DL3026", "FROM ghcr.io/x/y:1\n", [1], "FROM node:1\nFROM reg.corp.example/a:1\nFROM scratch\n", TRUSTED],
  ["WL1002", "FROM node:18\n", [1], "FROM node:18-alpine\nFROM ubuntu:24.04\n"],
  ["WL1002", "FROM python:3.12-bookworm AS base\nFROM base\n", [1], "FROM python:3.12 AS b\nFROM b:1\n"],
  [
    "WL2001",
    "# syntax=docker/dockerfile:1\n\nFROM scratch\n",
    [3],
    "FROM scratch\n",
    BARE_CONTEXT,
    CLEAN_CONTEXT,
  ],
  ["WL2002", "ARG A=1\nFROM scratch\n", [1], "FROM scratch\n", GIT_CONTEXT, CLEAN_CONTEXT],
  [
    "DL3020",
    "FROM s:1\nADD app.js /srv/\n",
    [2],
    "FROM s:1\nADD app.tar.gz https://e.example/f $SRC /srv/\n",
  ],
  [
    "DL3015",
    "FROM d:1\nRUN apt-get update && apt-get install -y curl=7 && rm -rf /var/lib/apt/lists/*\n",
    [2],
    "FROM d:1\nRUN apt-get install -y --no-install-recommends curl=7\nRUN apt-get -o APT::Install-Recommends=false install x=1\n",
  ],
  [
    "DL3009",
    "FROM d:1\nRUN apt-get update && apt-get install -y --no-install-recommends x=1\n",
    [2],
    "FROM d:1 AS build\nRUN apt-get update\nFROM d:1\nRUN apt-get update && rm -rf /var/lib/apt/lists/*\n" +
      "RUN --mount=type=cache,target=/var/lib/apt apt-get update\n",
  ],
  [
    "DL3008",
    "FROM d:1\nRUN sudo -E apt-get install -y \\\n  --no-install-recommends \\\n  git=1:2 curl\n",
    [4],
    "FROM d:1\nRUN apt-get install -y --no-install-recommends curl=7.88 ./local.deb $PKGS\n",
  ],
  [
    "DL3018",
    "FROM a:1\nRUN apk --no-cache add --virtual .deps curl\n",
    [2],
    "FROM a:1\nRUN apk add --no-cache curl=8.5 bash~5 --virtual .deps\n",
  ],
  [
    "DL3013",
    "FROM p:1\nRUN pip install flask\nRUN python3 -m pip install --user 'requests[socks]'\n",
    [2, 3],
    "FROM p:1\nRUN pip3 install flask==3.0 'requests>=2' -r req.txt . ./pkg.whl git+https://h.example/r@v1\n" +
      "RUN pip install -c constraints.txt flask\nRUN pip install pkg @ https://h.example/p.whl\n",
  ],
  [
    "DL3016",
    "FROM n:1\nRUN npm install -g typescript @angular/cli@latest\n",
    [2],
    "FROM n:1\nRUN npm install -g typescript@5.4 @angular/cli@17 ./local git+https://h.example/r#v1\nRUN npm ci && npm install\n",
  ],
  ["DL4003", 'FROM s:1\nCMD ["a"]\nCMD ["b"]\n', [2], 'FROM s:1\nCMD ["a"]\nFROM s:1\nCMD ["b"]\n'],
  [
    "DL4004",
    'FROM s:1\nENTRYPOINT ["a"]\nENTRYPOINT ["b"]\n',
    [2],
    'FROM s:1\nENTRYPOINT ["a"]\nCMD ["b"]\n',
  ],
  ["DL3025", "FROM s:1\nCMD node app.js\n", [2], 'FROM s:1\nCMD ["node", "app.js"]\n'],
  ["DL3025", "FROM s:1\nENTRYPOINT exec node\n", [2], 'FROM s:1\nENTRYPOINT ["node"]\n'],
  ["DL4000", "FROM s:1\nMAINTAINER me\n", [2], "FROM s:1\nLABEL org.opencontainers.image.authors=me\n"],
  ["DL3000", "FROM s:1\nWORKDIR app\n", [2], 'FROM s:1\nWORKDIR /app\nWORKDIR $HOME/x\nWORKDIR "/srv"\n'],
  ["WL3001", "FROM s:1 AS Build\nFROM s:1 AS build\n", [2], "FROM s:1 AS build\nFROM s:1 AS test\n"],
  ["DL3002", "FROM s:1\nUSER app\nUSER root\n", [3], "FROM s:1\nUSER root\nUSER app\n"],
  [
    "DL3002",
    "FROM s:1 AS base\nUSER 0:0\nFROM base\nRUN id\n",
    [2],
    "FROM s:1 AS b\nUSER root\nFROM s:1\nUSER 1000\n",
  ],
  // BuildKit's checks, reused as they are.
  ["SecretsUsedInArgOrEnv", "FROM s:1\nARG GITHUB_TOKEN\n", [2], "FROM s:1\nARG PUBLIC_KEY\n"],
  ["UndefinedVar", "FROM s:1\nENV A=$NOPE\n", [2], "FROM s:1\nARG NOPE\nENV A=$NOPE\n"],
];

describe("practice rules: each reported where it is broken, silent where it is kept", () => {
  for (const [code, failing, lines, passing, options, passOptions = options] of RULE_CASES) {
    test(`${code}: ${JSON.stringify(failing).slice(0, 60)}`, () => {
      assert.deepEqual(linesOf(lint(failing, options), code), lines);
      assert.deepEqual(linesOf(lint(passing, passOptions), code), [], "the passing Dockerfile");
    });
  }

  test("every practice rule has a case above", () => {
    const covered = new Set(RULE_CASES.map(([code]) => code));
    assert.deepEqual(
      PRACTICE_RULES.map((r) => r.code).filter((c) => !covered.has(c)),
      [],
    );
  });

  test("WL2001 and WL2002 only run with a context, and name what is sent", () => {
    assert.deepEqual(linesOf(lint("FROM scratch\n"), "WL2001"), []);
    const [sent] = lint("FROM scratch\n", GIT_CONTEXT).filter((f) => f.code === "WL2002");
    assert.equal(sent?.message, "The build context sends .git to every build: exclude it in .dockerignore");
    assert.deepEqual(linesOf(lint("FROM scratch\n", CLEAN_CONTEXT), "WL2001"), []);
  });

  test("messages name the offending word, and the column is where it is written", () => {
    const findings = lint(
      "FROM d:1\nRUN apt-get install -y --no-install-recommends \\\n    curl \\\n    git\n",
    );
    const pin = findings.find((f) => f.code === "DL3008");
    assert.equal(pin?.message, "Pin versions in apt-get install: curl, git (PACKAGE=VERSION)");
    assert.deepEqual([pin?.line, pin?.column, pin?.instructionLine], [3, 5, 2]);
    const [variants] = lint("FROM python:3.12-bookworm\n").filter((f) => f.code === "WL1002");
    assert.equal(
      variants?.message,
      "Base image python:3.12-bookworm has smaller variants: python:3.12-slim-bookworm, python:3.12-alpine",
    );
    assert.equal(variants?.column, 6);
  });

  test("severities are hadolint's", () => {
    const severity = (code: string) => PRACTICE_RULES.find((r) => r.code === code)?.severity;
    assert.deepEqual(["DL3020", "DL3008", "DL3009", "DL3015"].map(severity), [
      "error",
      "warning",
      "info",
      "info",
    ]);
  });

  test("RUN in exec form, heredocs and sh -c are read as the commands they run", () => {
    const df = (run: string) => `FROM a:1\n${run}\n`;
    assert.deepEqual(linesOf(lint(df('RUN ["apk", "add", "curl"]')), "DL3018"), [2]);
    assert.deepEqual(linesOf(lint(df('RUN ["/bin/sh", "-c", "apk add curl"]')), "DL3018"), [2]);
    assert.deepEqual(linesOf(lint(df("RUN bash -ec 'apk add curl'")), "DL3018"), [2]);
    assert.deepEqual(linesOf(lint(df("RUN <<EOF\nset -e\napk add curl\nEOF")), "DL3018"), [4]);
    assert.deepEqual(linesOf(lint(df("RUN python3 <<EOF\nprint('apk add curl')\nEOF")), "DL3018"), []);
    assert.deepEqual(linesOf(lint(df("RUN <<EOF\n#!/usr/bin/env python3\napk add curl\nEOF")), "DL3018"), []);
  });
});

describe("BuildKit's checks beside the practice rules", () => {
  test("a twin is reported once, under the practice rule's code", () => {
    const findings = lint('FROM s:1 AS a\nMAINTAINER me\nWORKDIR rel\nCMD x\nCMD ["y"]\nFROM s:1 AS A\n');
    const codes = findings.map((f) => f.code);
    for (const twin of [
      "MaintainerDeprecated",
      "WorkdirRelativePath",
      "JSONArgsRecommended",
      "DuplicateStageName",
    ])
      assert.ok(!codes.includes(twin), `${twin} in ${codes.join(",")}`);
    assert.ok(!codes.includes("MultipleInstructionsDisallowed"));
    assert.deepEqual(
      ["DL4000", "DL3000", "DL3025", "DL4003", "WL3001"].map((c) => linesOf(findings, c)),
      [[2], [3], [4], [4], [6]],
    );
    assert.equal(findings.find((f) => f.code === "StageNameCasing")?.source, "buildkit");
  });

  test("a BuildKit check without a twin on that line stays", () => {
    const findings = lint('FROM s:1\nHEALTHCHECK CMD ["a"]\nHEALTHCHECK CMD ["b"]\n');
    assert.deepEqual(linesOf(findings, "MultipleInstructionsDisallowed"), [2]);
  });

  test("`# check=error=true` makes BuildKit's findings errors; its skip= silences the twin too", () => {
    const [casing] = lint("# check=error=true\nFROM s:1 AS Bad\n").filter((f) => f.source === "buildkit");
    assert.equal(casing?.severity, "error");
    assert.deepEqual(
      linesOf(lint("# check=skip=MaintainerDeprecated\nFROM s:1\nMAINTAINER x\n"), "DL4000"),
      [],
    );
  });

  test("a Dockerfile BuildKit would not build gives its error, and what could be checked", () => {
    const result = lintWithPractices("FROM node\nBOGUS x\n");
    assert.ok(isWharfError(result.error, "DOCKERFILE_INSTRUCTION"), String(result.error));
    assert.equal(result.error.message, "dockerfile parse error on line 2: unknown instruction: BOGUS");
    const unparsable = lintWithPractices("# only a comment\n");
    assert.ok(isWharfError(unparsable.error, "DOCKERFILE_PARSE"));
    assert.deepEqual(unparsable.findings, []);
  });
});

describe("ignores", () => {
  const DF =
    "FROM node\n# wharf-lint ignore=DL3006, WL1001 (a reason)\nFROM node\n# hadolint ignore=DL3006\nFROM node\n";

  test("inline `# wharf-lint ignore=` and `# hadolint ignore=` silence the next instruction only", () => {
    const findings = lint(DF);
    assert.deepEqual(linesOf(findings, "DL3006"), [1]);
    assert.deepEqual(linesOf(findings, "WL1001"), [1, 5]);
  });

  test("a blank line between the comment and the instruction ends its reach", () => {
    assert.deepEqual(linesOf(lint("FROM s:1\n# hadolint ignore=DL4000\n\nMAINTAINER x\n"), "DL4000"), [4]);
  });

  test("`global ignore=` and the config's ignored apply to the whole file; a twin's name works too", () => {
    assert.deepEqual(linesOf(lint(`# hadolint global ignore=DL3006\n${DF}`), "DL3006"), []);
    const config = { ...emptyLintConfig(), ignored: ["WL1001", "MaintainerDeprecated"] };
    const findings = lint(`${DF}MAINTAINER me\n`, { config });
    assert.deepEqual(linesOf(findings, "WL1001"), []);
    assert.deepEqual(linesOf(findings, "DL4000"), []);
    assert.deepEqual(linesOf(findings, "DL3006"), [1]);
  });

  test("BuildKit's names can be ignored inline", () => {
    assert.deepEqual(
      linesOf(
        lint("FROM s:1\n# wharf-lint ignore=SecretsUsedInArgOrEnv\nARG API_KEY\n"),
        "SecretsUsedInArgOrEnv",
      ),
      [],
    );
  });
});

describe("lint config", () => {
  test("every key, and hadolint's spelling of the registry list", () => {
    const text = "ignored: [DL3008, WL1001]\nfailure-threshold: info\ntrustedRegistries:\n  - docker.io\n";
    assert.deepEqual(parseLintConfig(text, "c.yaml"), {
      ignored: ["DL3008", "WL1001"],
      failureThreshold: "info",
      trustedRegistries: ["docker.io"],
    });
    assert.deepEqual(parseLintConfig("# nothing\n", "c.yaml"), emptyLintConfig());
  });

  for (const [text, reason] of [
    ["ignore: [DL3008]\n", 'unknown setting "ignore"'],
    ["failure-threshold: fatal\n", "failure-threshold must be one of error, warning, info, style, none"],
    ["ignored: DL3008\n", "ignored must be a list of names"],
    ["- DL3008\n", "expected a mapping"],
    ["ignored: [\n", "invalid YAML"],
  ] as const) {
    test(`refused: ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parseLintConfig(text, "c.yaml"),
        (err) =>
          isWharfError(err, "USAGE") && err.message.startsWith(`invalid lint config c.yaml: ${reason}`),
      );
    });
  }

  test("thresholds: a finding fails the lint at its severity and below", () => {
    assert.deepEqual(
      (["error", "warning", "info", "style", "none"] as const).map((t) => meetsThreshold("info", t)),
      [false, false, true, true, false],
    );
  });
});

describe("shell commands of a RUN line", () => {
  const cases: [string, string[][]][] = [
    ["a && b || c; d | e & f", [["a"], ["b"], ["c"], ["d"], ["e"], ["f"]]],
    ["echo \"x && y\" '; z'", [["echo", "x && y", "; z"]]],
    ["sudo -u root -E DEBIAN_FRONTEND=x env -i A=1 apt-get install x", [["apt-get", "install", "x"]]],
    ["if true; then apk add x >/dev/null 2>&1; fi", [["true"], ["apk", "add", "x"], ["fi"]]],
    [
      "echo $(cd /x && make) `a; b`x # apk add y\napk add z",
      [
        ["echo", "$(cd /x && make)", "`a; b`x"],
        ["apk", "add", "z"],
      ],
    ],
    [
      "(cd /x && pip install y) > log",
      [
        ["cd", "/x"],
        ["pip", "install", "y"],
      ],
    ],
  ];
  for (const [script, expected] of cases)
    test(JSON.stringify(script), () => assert.deepEqual(shellCommands(script), expected));
});

describe("BuildKit's parser corpus lints without a crash", () => {
  const dir = `${CORPUS_DIR}dockerfile-parser/`;
  const caseDirs = readdirSync(dir).filter((d) => d !== "negative" && statSync(dir + d).isDirectory());

  test("the corpus is there", () => assert.ok(caseDirs.length >= 33, String(caseDirs.length)));
  for (const name of caseDirs) {
    test(name, () => {
      const result = lintWithPractices(readFileSync(`${dir}${name}/Dockerfile`, "utf8"));
      assert.ok(Array.isArray(result.findings));
      // A file that builds gets findings of its own; one BuildKit refuses says why.
      assert.ok(result.findings.length > 0 || result.error !== undefined, name);
    });
  }
  for (const name of readdirSync(`${dir}negative`)) {
    test(`negative/${name} gives the parse error`, () => {
      const result = lintWithPractices(readFileSync(`${dir}negative/${name}/Dockerfile`, "utf8"));
      assert.ok(isWharfError(result.error, "DOCKERFILE_PARSE"), String(result.error));
      assert.match(result.error.message, /^dockerfile parse error on line \d+: /);
    });
  }

  test("the rule list has both kinds, each code once", () => {
    const rules = lintRules();
    assert.equal(new Set(rules.map((r) => r.code)).size, rules.length);
    assert.ok(rules.some((r) => r.source === "buildkit" && r.code === "UndefinedVar"));
    assert.ok(rules.some((r) => r.source === "wharf" && r.code === "DL3008"));
  });
});
