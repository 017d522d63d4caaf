/**
 * What the corpus does not pin down: the Go regexp semantics behind moby's compiled patterns (as
 * Go's regexp/syntax defines them), ignorefile.ReadAll's reading details, and the context walk's
 * handling of excluded directories and bad context paths.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { listContext } from "../../src/build/context/context-walk.ts";
import { readDockerignore } from "../../src/build/context/dockerignore.ts";
import { PatternMatcher } from "../../src/build/context/pattern-matcher.ts";
import { isWharfError } from "../../src/errors.ts";

const matchOne = (pattern: string, path: string): boolean =>
  PatternMatcher.create([pattern]).matchesOrParentMatches(path);
const badPattern = (err: unknown): boolean => isWharfError(err, "IGNORE_PATTERN_INVALID");

describe("compiled patterns mean what Go's regexp means", () => {
  test("POSIX classes inside brackets", () => {
    assert.equal(matchOne("[[:alpha:]]x*", "ax"), true);
    assert.equal(matchOne("[[:alpha:]]x*", "1x"), false);
    assert.equal(matchOne("[[:^alpha:]]x*", "1x"), true);
    assert.throws(() => matchOne("[[:nope:]]*", "a"), badPattern);
  });
  test("escapes: Perl classes and punctuation pass through, unknown letters fail", () => {
    assert.equal(matchOne("\\d*", "1x"), true);
    assert.equal(matchOne("\\d*", "dx"), false);
    assert.equal(matchOne("a\\ b*", "a b"), true);
    assert.throws(() => matchOne("\\q*", "q"), badPattern);
  });
  test('"**" does not cross a newline, "*" does', () => {
    assert.equal(matchOne("a/**/b", "a/x/y/b"), true);
    assert.equal(matchOne("a/**/b", "a/\n/b"), false);
    assert.equal(matchOne("a*", "a\nb"), true);
  });
  test("a lone ] is a literal; a * inside brackets becomes part of the class", () => {
    assert.equal(matchOne("a]b*", "a]bc"), true);
    assert.equal(matchOne("[*]", "]"), true);
  });
  test("case-sensitive, and ? is one code point", () => {
    assert.equal(matchOne("*.GO", "main.go"), false);
    assert.equal(matchOne("a?", "a😀"), true);
  });
});

describe("ignorefile.ReadAll details", () => {
  test("CRLF, BOM, comments only at the very start of a line, ./ and .. cleaned", () => {
    const text = "\uFEFF# comment\r\n  # not a comment\r\n./a/../b/\r\n!/c\r\n\t\r\nd//e";
    assert.deepEqual(readDockerignore(text), ["# not a comment", "b", "!c", "d/e"]);
  });
  test("a line longer than bufio.Scanner's limit fails", () => {
    assert.throws(
      () => readDockerignore(`${"a".repeat(64 * 1024)}\n`),
      (err) => isWharfError(err, "IGNORE_FILE_INVALID"),
    );
    assert.equal(readDockerignore(`${"a".repeat(64 * 1024 - 1)}\n`).length, 1);
  });
});

describe("context walk", () => {
  const scratch = mkdtemp(join(tmpdir(), "wharf-context-"));
  after(async () => rm(await scratch, { recursive: true, force: true }));

  test("an excluded directory is walked when a wildcard exception may re-include below it", async () => {
    const root = join(await scratch, "wild");
    await mkdir(join(root, "node_modules/pkg"), { recursive: true });
    await mkdir(join(root, "node_modules/empty"), { recursive: true });
    await writeFile(join(root, "node_modules/pkg/keep.md"), "x");
    await writeFile(join(root, "node_modules/pkg/index.js"), "x");
    await writeFile(join(root, "app.js"), "x");
    const entries = await listContext(root, [{ excludePatterns: ["node_modules", "!**/*.md"] }]);
    assert.deepEqual(
      entries.map((e) => `${e.isDir ? "dir" : "file"} ${e.path}`),
      ["file app.js", "dir node_modules", "dir node_modules/pkg", "file node_modules/pkg/keep.md"],
    );
  });

  test("a missing context directory is BUILD_CONTEXT_INVALID", async () => {
    await assert.rejects(listContext(join(await scratch, "missing"), []), (err) =>
      isWharfError(err, "BUILD_CONTEXT_INVALID"),
    );
  });
});
