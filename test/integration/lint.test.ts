/**
 * `wharf lint` end to end, the real CLI in a child process: text, json and sarif output, the
 * failure threshold (flag, config, default) and the exit codes, -f - from stdin, a Dockerfile alone
 * on stdin, the build context's ignore file, the config file, and the Dockerfiles BuildKit would
 * not build or that are not there.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { contextDir, wharfIn } from "../helpers/build-cli.ts";
import { tempDir } from "../helpers/tmp.ts";

const store = tempDir("wharf-lint-store-");
const lint = (args: string[], input?: string) =>
  wharfIn(store, ["lint", ...args], input === undefined ? {} : { input });

const DIGEST = `sha256:${"c".repeat(64)}`;
/** Nothing to say about it (with a .dockerignore beside it). */
const CLEAN = `FROM alpine:3.20@${DIGEST}\nRUN apk add --no-cache curl=8.9.1-r2\nUSER app\nCMD ["curl", "--version"]\n`;
/** Only advice: the digest pin (info). */
const INFO_ONLY = 'FROM alpine:3.20\nCMD ["sh"]\n';
/** A warning of each source and an error. */
const MIXED = `FROM alpine:3.20@${DIGEST} AS Base\nRUN apk add curl\nMAINTAINER me\n`;

const withIgnore = (dockerfile: string, extra: Record<string, string> = {}) =>
  contextDir({ Dockerfile: dockerfile, ".dockerignore": ".git\n", ...extra });

describe("wharf lint: output formats", () => {
  test("text: FILE:LINE CODE severity: message, BuildKit's marked, exit 1 at a warning", async () => {
    const dir = withIgnore(MIXED);
    const r = await lint([dir]);
    assert.equal(r.code, 1, r.stderr);
    const file = join(dir, "Dockerfile");
    assert.deepEqual(
      r.stdout.split("\n").map((l) => (l.startsWith(file) ? l.slice(file.length) : l)),
      [
        ":1 StageNameCasing warning: Stage name 'Base' should be lowercase (BuildKit)",
        ":2 DL3018 warning: Pin versions in apk add: curl (PACKAGE=VERSION)",
        ":3 DL4000 error: MAINTAINER is deprecated: use LABEL org.opencontainers.image.authors=... instead",
        "",
      ],
    );
    assert.equal(r.stderr, "");
  });

  test("json: an array of findings with their source", async () => {
    const dir = withIgnore(MIXED);
    const r = await lint(["--format", "json", "-f", join(dir, "Dockerfile"), dir]);
    assert.equal(r.code, 1, r.stderr);
    const findings = JSON.parse(r.stdout) as Record<string, unknown>[];
    assert.deepEqual(findings[1], {
      code: "DL3018",
      message: "Pin versions in apk add: curl (PACKAGE=VERSION)",
      severity: "warning",
      line: 2,
      column: 13,
      file: join(dir, "Dockerfile"),
      source: "wharf",
    });
    assert.deepEqual(
      findings.map((f) => [f.code, f.source, f.column]),
      [
        ["StageNameCasing", "buildkit", null],
        ["DL3018", "wharf", 13],
        ["DL4000", "wharf", null],
      ],
    );
  });

  test("sarif: SARIF 2.1.0, every rule in the driver, results pointing at theirs", async () => {
    const r = await lint(["--format", "sarif", withIgnore(MIXED)]);
    assert.equal(r.code, 1, r.stderr);
    const log = JSON.parse(r.stdout);
    assert.equal(log.version, "2.1.0");
    const [run] = log.runs;
    const rules = run.tool.driver.rules as { id: string; properties: { source: string } }[];
    assert.ok(rules.some((rule) => rule.id === "DL3008" && rule.properties.source === "wharf"));
    assert.ok(rules.some((rule) => rule.id === "UndefinedVar" && rule.properties.source === "buildkit"));
    assert.deepEqual(run.invocations, [{ executionSuccessful: true }]);
    const results = run.results as {
      ruleId: string;
      ruleIndex: number;
      level: string;
      locations: { physicalLocation: { region: { startLine: number; startColumn?: number } } }[];
    }[];
    assert.deepEqual(
      results.map((x) => [
        x.ruleId,
        rules[x.ruleIndex]?.id,
        x.level,
        x.locations[0]?.physicalLocation.region,
      ]),
      [
        ["StageNameCasing", "StageNameCasing", "warning", { startLine: 1 }],
        ["DL3018", "DL3018", "warning", { startLine: 2, startColumn: 13 }],
        ["DL4000", "DL4000", "error", { startLine: 3 }],
      ],
    );
  });

  test("nothing to report: no output, exit 0", async () => {
    const r = await lint([withIgnore(CLEAN)]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, "", ""]);
    const json = await lint(["--format", "json", withIgnore(CLEAN)]);
    assert.deepEqual([json.code, JSON.parse(json.stdout)], [0, []]);
  });
});

describe("wharf lint: failure threshold and exit codes", () => {
  test("default warning: info findings are printed and do not fail", async () => {
    const r = await lint([withIgnore(INFO_ONLY)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /:1 WL1001 info: Base image alpine:3.20 is not pinned by digest/);
  });

  test("--failure-threshold info / none, and the config's threshold", async () => {
    const dir = withIgnore(INFO_ONLY);
    assert.equal((await lint(["--failure-threshold", "info", dir])).code, 1);
    assert.equal((await lint(["--failure-threshold", "none", withIgnore(MIXED)])).code, 0);
    const configured = withIgnore(INFO_ONLY, { ".wharf-lint.yaml": "failure-threshold: info\n" });
    assert.equal((await lint([configured])).code, 1);
    assert.equal((await lint(["--failure-threshold", "error", configured])).code, 0, "the flag wins");
  });

  test("a bad --failure-threshold or --format is a usage error (125)", async () => {
    const threshold = await lint(["--failure-threshold", "fatal", withIgnore(CLEAN)]);
    assert.equal(threshold.code, 125);
    assert.match(
      threshold.stderr,
      /^invalid --failure-threshold "fatal": error, warning, info, style, none\n/,
    );
    const format = await lint(["--format", "xml", withIgnore(CLEAN)]);
    assert.equal(format.code, 125);
    assert.match(format.stderr, /^invalid --format "xml": text, json or sarif\n/);
  });

  test("a Dockerfile BuildKit would not build: its error in BuildKit's shape, exit 1", async () => {
    const r = await lint(["--format", "json", withIgnore("FROM alpine:3.20\nBOGUS x\n")]);
    assert.equal(r.code, 1);
    assert.ok(Array.isArray(JSON.parse(r.stdout)));
    assert.match(r.stderr, / {3}2 \| >>> BOGUS x\n/);
    assert.match(
      r.stderr,
      /\nERROR: failed to solve: dockerfile parse error on line 2: unknown instruction: BOGUS\n$/,
    );
    const sarif = await lint(["--format", "sarif", "-f", "-", store], "FROM\n");
    assert.equal(sarif.code, 1);
    const [invocation] = JSON.parse(sarif.stdout).runs[0].invocations;
    assert.equal(invocation.executionSuccessful, false);
    assert.match(invocation.toolExecutionNotifications[0].message.text, /^dockerfile parse error on line 1/);
  });

  test("a missing Dockerfile or context: one line, exit 1", async () => {
    const empty = contextDir({});
    const r = await lint([empty]);
    assert.deepEqual(
      [r.code, r.stdout, r.stderr],
      [1, "", "failed to read dockerfile: open Dockerfile: no such file or directory\n"],
    );
    const missing = await lint([join(empty, "nope")]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, `unable to prepare context: path "${join(empty, "nope")}" not found\n`);
  });
});

describe("wharf lint: inputs, context and config", () => {
  test("-f - reads the Dockerfile from stdin, the context still counts", async () => {
    const dir = contextDir({ ".dockerignore": ".git\n" });
    const r = await lint(["--format", "json", "-f", "-", dir], "FROM node\n");
    const findings = JSON.parse(r.stdout) as { code: string; file: string }[];
    assert.deepEqual(
      findings.map((f) => [f.code, f.file]),
      [
        ["DL3006", "-"],
        ["WL1001", "-"],
        ["WL1002", "-"],
      ],
    );
  });

  test("a context without .dockerignore, and one whose .git it does not exclude", async () => {
    const bare = contextDir({ Dockerfile: CLEAN });
    mkdirSync(join(bare, ".git"));
    mkdirSync(join(bare, "node_modules"));
    const r = await lint(["--format", "json", bare]);
    assert.deepEqual(
      (JSON.parse(r.stdout) as { code: string; message: string }[]).map((f) => [f.code, f.message]),
      [
        ["WL2001", "The build context has no .dockerignore: every file in it is sent to each build"],
        [
          "WL2002",
          "The build context sends .git and node_modules to every build: add a .dockerignore that excludes them",
        ],
      ],
    );
    assert.equal(r.code, 1, "WL2002 is a warning");
    const partial = contextDir({ Dockerfile: CLEAN, ".dockerignore": "node_modules\n" });
    mkdirSync(join(partial, ".git"));
    mkdirSync(join(partial, "node_modules"));
    const sent = JSON.parse((await lint(["--format", "json", partial])).stdout) as { message: string }[];
    assert.deepEqual(
      sent.map((f) => f.message),
      ["The build context sends .git to every build: exclude it in .dockerignore"],
    );
  });

  test("a Dockerfile alone on stdin (CONTEXT -) has no context rules", async () => {
    const r = await lint(["--format", "json", "-"], INFO_ONLY);
    assert.deepEqual(
      (JSON.parse(r.stdout) as { code: string }[]).map((f) => f.code),
      ["WL1001"],
    );
  });

  test("the config's ignored and trusted-registries; --config FILE; inline ignores", async () => {
    const config = "ignored: [WL1001]\ntrusted-registries: [docker.io]\n";
    const dockerfile = "FROM ghcr.io/a/b:1\n# hadolint ignore=DL3018\nRUN apk add curl\n";
    const dir = withIgnore(dockerfile, { ".wharf-lint.yaml": config });
    const r = await lint(["--format", "json", dir]);
    assert.deepEqual(
      (JSON.parse(r.stdout) as { code: string }[]).map((f) => f.code),
      ["DL3026"],
    );
    const elsewhere = join(contextDir({ "lint.yaml": "ignored: [DL3026, WL1001]\n" }), "lint.yaml");
    const other = await lint(["--config", elsewhere, dir]);
    assert.deepEqual([other.code, other.stdout], [0, ""]);
  });

  test("a bad or missing config file is a usage error (125)", async () => {
    const bad = await lint([withIgnore(CLEAN, { ".wharf-lint.yaml": "ignore: [DL3008]\n" })]);
    assert.equal(bad.code, 125);
    assert.equal(
      bad.stderr,
      'invalid lint config .wharf-lint.yaml: unknown setting "ignore" (known: ignored, failure-threshold, trusted-registries)\n',
    );
    const missing = await lint(["--config", join(store, "none.yaml"), withIgnore(CLEAN)]);
    assert.equal(missing.code, 125);
    assert.equal(
      missing.stderr,
      `failed to read lint config: open ${join(store, "none.yaml")}: no such file or directory\n`,
    );
  });
});
