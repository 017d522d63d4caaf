/**
 * What the corpus tables do not cover: the backtick escape token, the pattern forms of ${},
 * the parser's errors and their lines, and heredocs inside ONBUILD.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are shell words: ${...} is their syntax
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { argValues, dumpNode, envFrom, parseDockerfile, ShellLexer } from "../../src/dockerfile/index.ts";
import { isWharfError } from "../../src/errors.ts";

const env = envFrom(["FILE=archive.tar.gz", "PATHS=/a/b/c", "EMPTY="]);
const word = (w: string, escapeToken = "\\") => new ShellLexer({ escapeToken }).processWord(w, env).word;

describe("shell lexer beyond the tables", () => {
  test("pattern removal: # ## % %%", () => {
    assert.equal(word("${FILE#*.}"), "tar.gz");
    assert.equal(word("${FILE##*.}"), "gz");
    assert.equal(word("${FILE%.*}"), "archive.tar");
    assert.equal(word("${FILE%%.*}"), "archive");
    assert.equal(word("${FILE#nomatch}"), "archive.tar.gz");
  });
  test("replacement: / and //", () => {
    assert.equal(word("${PATHS/\\//:}"), ":a/b/c");
    assert.equal(word("${PATHS//\\//:}"), ":a:b:c");
    assert.equal(word("${FILE/.tar/}"), "archive.gz");
  });
  test("${VAR-x} and ${VAR+x} tell unset from empty", () => {
    assert.equal(word("${EMPTY-x}"), "");
    assert.equal(word("${EMPTY:-x}"), "x");
    assert.equal(word("${UNSET-x}"), "x");
    assert.equal(word("${EMPTY+x}"), "x");
    assert.equal(word("${EMPTY:+x}"), "");
  });
  test("${VAR?msg} fails with the message; ${#VAR} and ${VAR:#x} are refused", () => {
    assert.throws(() => word("${UNSET?must be set}"), /UNSET: must be set/);
    assert.throws(() => word("${EMPTY:?}"), /EMPTY: is not allowed to be empty/);
    assert.throws(() => word("${#FILE}"), /unsupported modifier/);
    assert.throws(() => word("${FILE:#x}"), /unsupported modifier \(:#\) in substitution/);
  });
  test("the backtick escape token", () => {
    assert.equal(word("C:\\path`$FILE", "`"), "C:\\path$FILE");
    assert.equal(word('"a`"b"', "`"), 'a"b');
    assert.equal(word("a\\b", "`"), "a\\b");
  });
  test("skipUnsetEnv keeps unset references as written", () => {
    const lexer = new ShellLexer({ skipUnsetEnv: true });
    assert.equal(lexer.processWord("$NOPE ${NOPE:-x} $FILE", env).word, "$NOPE ${NOPE:-x} archive.tar.gz");
  });
  test("errors are DOCKERFILE_EXPANSION naming the word", () => {
    assert.throws(
      () => word("a${b"),
      (err: unknown) =>
        isWharfError(err, "DOCKERFILE_EXPANSION") &&
        err.message === `failed to process "a\${b": syntax error: missing '}'`,
    );
  });
});

function parseFailure(text: string): { message: string; startLine: unknown } {
  try {
    parseDockerfile(text);
  } catch (err) {
    assert.ok(isWharfError(err, "DOCKERFILE_PARSE"));
    return { message: err.message, startLine: err.detail.startLine };
  }
  assert.fail("expected a parse error");
}

describe("parser errors name their line", () => {
  test("a repeated directive", () => {
    const e = parseFailure("# escape=`\n# escape=\\\nFROM x\n");
    assert.equal(e.message, "dockerfile parse error on line 2: only one escape parser directive can be used");
  });
  test("an invalid escape token", () => {
    assert.match(parseFailure("# escape=x\nFROM x\n").message, /line 1: invalid escape token 'x'/);
  });
  test("an unterminated heredoc", () => {
    assert.equal(
      parseFailure("FROM x\nRUN <<EOF\nhello\n").message,
      "dockerfile parse error on lines 2-3: unterminated heredoc",
    );
  });
  test("ENV without a value", () => {
    assert.equal(parseFailure("FROM x\nENV PATH\n").startLine, 2);
  });
});

describe("parser details", () => {
  test("ONBUILD RUN <<EOF reads the heredoc", () => {
    const { ast } = parseDockerfile("FROM x\nONBUILD RUN <<EOF\necho hi\nEOF\nUSER me\n");
    const onbuild = ast.children[1];
    assert.equal(onbuild?.heredocs[0]?.content, "echo hi\n");
    assert.equal(onbuild?.endLine, 4);
    assert.equal(dumpNode(ast), '(from "x")\n(onbuild (run "<<EOF"))\n(user "me")');
  });
  test("a directive is not a comment of the first instruction; other comments are", () => {
    const { ast, escapeToken } = parseDockerfile("# escape=`\n# base image\nFROM x\nRUN a `\n  b\n");
    assert.equal(escapeToken, "`");
    assert.deepEqual(ast.children[0]?.prevComment, ["base image"]);
    assert.deepEqual(argValues(ast.children[1] as never), ["a   b"]);
  });
  test("a BOM and CRLF line ends", () => {
    const { ast } = parseDockerfile(new TextEncoder().encode("\uFEFFFROM x\r\nRUN a \\\r\n b\r\n"));
    assert.equal(dumpNode(ast), '(from "x")\n(run "a  b")');
  });
});
