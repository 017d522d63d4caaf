/**
 * The Dockerfile parser and shell lexer against ../shared/corpus/dockerfile-parser: BuildKit's
 * testfiles (parse, dump, compare with `result` byte for byte), its negative files, and every table
 * of parser-tests.json (read from the corpus, never copied).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { describe, test } from "node:test";
import {
  chompHeredocContent,
  DirectiveParser,
  detectSyntax,
  dumpNode,
  envFrom,
  heredocsFromLine,
  type Instruction,
  NOT_STRING_ARRAY,
  type ParsedStages,
  parseDirective,
  parseDockerfile,
  parseHeredoc,
  parseInstruction,
  parseJsonArray,
  parseNameVal,
  parseOptInterval,
  parseStages,
  parseWords,
  ShellLexer,
} from "../../src/dockerfile/index.ts";
import { type Node, newNode } from "../../src/dockerfile/node.ts";
import { isWharfError } from "../../src/errors.ts";
import { CORPUS_DIR, loadCorpus } from "../corpus.ts";

const DIR = `${CORPUS_DIR}dockerfile-parser/`;

interface Case {
  id: number;
  suite: string;
  kind: string;
  input?: string;
  inputFile?: string;
  escape?: string;
  platform?: string;
  env?: Record<string, string> | string[];
  directive?: string;
  instruction?: string;
  line?: number;
  /** instructionNode cases: a node built by hand (instruction word, original line, argument values). */
  node?: CaseNode;
  // biome-ignore lint/suspicious/noExplicitAny: the expectation's shape depends on the kind
  expect: any;
}

const cases = loadCorpus<Case[]>("dockerfile-parser/parser-tests.json");
const byKind = (...kinds: string[]) => cases.filter((c) => kinds.includes(c.kind));

function caseDirs(): string[] {
  return readdirSync(DIR)
    .filter((name) => statSync(DIR + name).isDirectory())
    .filter((name) => statSync(`${DIR}${name}/`).isDirectory() && readdirSync(DIR + name).includes("result"))
    .sort();
}

function thrownParseError(fn: () => unknown): { message: string; reason: string } {
  try {
    fn();
  } catch (err) {
    assert.ok(isWharfError(err, "DOCKERFILE_PARSE"), `expected DOCKERFILE_PARSE, got ${String(err)}`);
    assert.match(err.message, /^dockerfile parse error on lines? \d+/);
    return { message: err.message, reason: String(err.detail.reason) };
  }
  assert.fail("expected a parse error");
}

describe("dockerfile-parser: testfiles (AST dump equals result)", () => {
  const dirs = caseDirs();
  test("the corpus has its 33 case folders", () => assert.equal(dirs.length, 33));
  for (const dir of dirs) {
    test(dir, () => {
      const dockerfile = readFileSync(`${DIR}${dir}/Dockerfile`);
      const expected = readFileSync(`${DIR}${dir}/result`, "utf8");
      const { ast } = parseDockerfile(dockerfile);
      assert.equal(`${dumpNode(ast)}\n`, expected);
    });
  }
});

describe("dockerfile-parser: negative files fail with a located DOCKERFILE_PARSE", () => {
  const negatives = readdirSync(`${DIR}negative`).sort();
  test("the corpus has its 4 negative cases", () => assert.equal(negatives.length, 4));
  for (const dir of negatives) {
    test(dir, () => {
      thrownParseError(() => parseDockerfile(readFileSync(`${DIR}negative/${dir}/Dockerfile`)));
    });
  }
});

describe("dockerfile-parser: parser-tests.json parse cases", () => {
  for (const c of byKind("parse")) {
    test(`${c.id} ${c.suite}`, () => {
      const input = c.inputFile !== undefined ? readFileSync(DIR + c.inputFile, "utf8") : (c.input ?? "");
      const e = c.expect;
      if (e.error === true) {
        const { reason } = thrownParseError(() => parseDockerfile(input));
        if (e.errorMessage !== undefined) assert.equal(reason, e.errorMessage);
        return;
      }
      const result = parseDockerfile(input);
      if (e.startLine !== undefined) {
        assert.equal(result.ast.startLine, e.startLine);
        assert.equal(result.ast.endLine, e.endLine);
        const lines = result.ast.children.map((n) => ({ startLine: n.startLine, endLine: n.endLine }));
        assert.deepEqual(lines, e.children);
      }
      if (e.warningCount !== undefined) {
        assert.equal(result.warnings.length, e.warningCount);
        e.warnings.forEach((w: { shortContains: string[]; detail0Contains?: string }, i: number) => {
          const got = result.warnings[i];
          assert.ok(got !== undefined);
          for (const part of w.shortContains)
            assert.ok(got.short.includes(part), `${got.short} lacks ${part}`);
          if (w.detail0Contains !== undefined) assert.ok(got.detail.includes(w.detail0Contains));
        });
      }
      if (e.childHeredocs !== undefined) {
        const children = result.ast.children.slice(e.childHeredocsFromIndex);
        assert.equal(children.length, e.childHeredocs.length);
        children.forEach((child: Node, i: number) => {
          const want = e.childHeredocs[i];
          const got = child.heredocs.map((h) => ({
            name: h.name,
            content: h.content,
            expand: h.expand,
            chomp: h.chomp,
            fileDescriptor: h.fileDescriptor,
          }));
          assert.deepEqual(got.length === 0 ? null : got, want, `child ${i + e.childHeredocsFromIndex}`);
        });
      }
    });
  }
});

describe("dockerfile-parser: parser-tests.json helpers", () => {
  for (const c of byKind("parseWords")) {
    test(`${c.id} parseWords ${JSON.stringify(c.input)}`, () => {
      assert.deepEqual(parseWords(c.input ?? "", c.escape ?? "\\"), c.expect.words);
    });
  }
  for (const c of byKind("chompHeredocContent")) {
    test(`${c.id} chompHeredocContent`, () =>
      assert.equal(chompHeredocContent(c.input ?? ""), c.expect.output));
  }
  for (const c of byKind("parseHeredoc")) {
    test(`${c.id} parseHeredoc ${JSON.stringify(c.input)}`, () => {
      if (c.expect.error) {
        assert.throws(() => parseHeredoc(c.input ?? ""));
        return;
      }
      const doc = parseHeredoc(c.input ?? "");
      assert.equal(doc !== undefined, c.expect.heredoc);
      if (doc !== undefined) assert.equal(doc.name, c.expect.name);
    });
  }
  for (const c of byKind("heredocsFromLine")) {
    test(`${c.id} heredocsFromLine ${JSON.stringify(c.input)}`, () => {
      // Upstream asserts only that each heredoc found has the name listed at its index, so the
      // names found must be a prefix of the list. BuildKit finds none in `RUN <<- EOF` (its lexer
      // keeps `<<` and the blanks right after it together, not those after `<<-`), and neither do we.
      const names = heredocsFromLine(c.input ?? "").map((h) => h.name);
      assert.deepEqual(names, c.expect.names.slice(0, names.length));
      if (c.input !== "RUN <<- EOF") assert.deepEqual(names, c.expect.names);
    });
  }
  for (const c of byKind("directiveParseAll")) {
    test(`${c.id} DirectiveParser.parseAll`, () => {
      const got = new DirectiveParser()
        .parseAll(c.input ?? "")
        .map((d) => ({ name: d.name, value: d.value }));
      assert.deepEqual(got, c.expect.directives);
    });
  }
  for (const c of byKind("detectSyntax", "parseDirective")) {
    test(`${c.id} ${c.kind} ${JSON.stringify(c.input)}`, () => {
      const input = c.input ?? "";
      const found = c.kind === "detectSyntax" ? detectSyntax(input) : parseDirective("check", input);
      assert.equal(found !== undefined, c.expect.found);
      if (found === undefined) return;
      if (c.expect.ref !== undefined) assert.equal(found.value, c.expect.ref);
      if (c.expect.value !== undefined) assert.equal(found.value, c.expect.value);
      if (c.expect.cmdline !== undefined) assert.equal(found.cmdline, c.expect.cmdline);
      if (c.expect.startLine !== undefined) assert.equal(found.startLine, c.expect.startLine);
      if (c.expect.endLine !== undefined) assert.equal(found.endLine, c.expect.endLine);
    });
  }
  for (const c of byKind("parseJSON")) {
    test(`${c.id} parseJSON ${JSON.stringify(c.input)}`, () => {
      const got = parseJsonArray(c.input ?? "");
      if (c.expect.error !== undefined) {
        // json_test.go checks for errDockerfileNotStringArray ("not a string array" in the corpus).
        assert.equal(got.kind, "not-string-array");
        assert.ok(NOT_STRING_ARRAY.includes("strings only"));
      } else {
        assert.deepEqual(got, { kind: "array", values: c.expect.values });
      }
    });
  }
  for (const c of byKind("parseNameVal")) {
    test(`${c.id} parseNameVal ${JSON.stringify(c.input)}`, () => {
      if (c.expect.error) {
        assert.throws(() => parseNameVal(c.input ?? "", c.instruction ?? "", "\\"), {
          message: c.expect.errorMessage,
        });
        return;
      }
      const values: string[] = [];
      for (let n = parseNameVal(c.input ?? "", c.instruction ?? "", "\\"); n !== undefined; n = n.next) {
        values.push(n.value);
      }
      assert.deepEqual(values, c.expect.nodes);
    });
  }
});

describe("dockerfile-parser: parser-tests.json instruction cases", () => {
  // BuildKit's parse_test.go and parse_heredoc_test.go: a line parsed, its first node through
  // ParseInstruction; or a node built by hand; or parseOptInterval; or Parse into stages.
  const instructionCases = byKind("instruction", "instructionNode", "healthcheckInterval", "parseStages");
  test("the corpus has its 43 instruction cases", () => assert.equal(instructionCases.length, 43));
  for (const c of instructionCases) {
    test(`${c.id} ${c.suite} ${JSON.stringify(c.input ?? c.node?.value ?? "")}`, () => {
      const e = c.expect;
      if (c.kind === "healthcheckInterval") {
        const run = () => parseOptInterval({ name: "interval", value: c.input ?? "" });
        if (e.error) assert.throws(run, (err: unknown) => instructionErrorContains(err, e.errorContains));
        else run();
        return;
      }
      if (c.kind === "parseStages") {
        checkStages(parseStages(parseDockerfile(c.input ?? "").ast), e);
        return;
      }
      const node = c.node !== undefined ? nodeFrom(c.node) : firstNode(c.input ?? "");
      const expectedError = e.error ?? e.errorContains;
      if (expectedError !== undefined) {
        assert.throws(
          () => parseInstruction(node),
          (err: unknown) =>
            e.error !== undefined
              ? isWharfError(err, "DOCKERFILE_INSTRUCTION") && err.message === e.error
              : instructionErrorContains(err, e.errorContains),
        );
        return;
      }
      checkInstruction(parseInstruction(node), e);
    });
  }
});

interface CaseNode {
  value: string;
  original?: string;
  next: string[];
}

function nodeFrom(spec: CaseNode): Node {
  let next: Node | undefined;
  for (const value of [...spec.next].reverse()) next = newNode({ value, next });
  return newNode({ value: spec.value, original: spec.original ?? "", next });
}

function firstNode(input: string): Node {
  const [node] = parseDockerfile(input).ast.children;
  assert.ok(node !== undefined, "the input has an instruction");
  return node;
}

function instructionErrorContains(err: unknown, part: string): boolean {
  assert.ok(
    isWharfError(err, "DOCKERFILE_INSTRUCTION"),
    `expected DOCKERFILE_INSTRUCTION, got ${String(err)}`,
  );
  assert.ok(err.message.includes(part), `${err.message} lacks ${part}`);
  return true;
}

// biome-ignore lint/suspicious/noExplicitAny: the expectation's shape depends on the case
function checkInstruction(got: Instruction, e: any): void {
  if (e.type !== undefined) assert.equal(got.type, e.type);
  if (e.healthTest !== undefined) {
    assert.equal(got.type, "HEALTHCHECK");
    if (got.type === "HEALTHCHECK") assert.deepEqual(got.health.test, e.healthTest);
  }
  if (got.type === "RUN") {
    if (e.flagsUsed !== undefined) assert.deepEqual(got.flagsUsed, e.flagsUsed);
    if (e.prependShell !== undefined) assert.equal(got.prependShell, e.prependShell);
    if (e.cmdLine !== undefined) assert.deepEqual(got.cmdLine, e.cmdLine);
    if (e.files !== undefined) assert.deepEqual(got.files, e.files);
  }
  if (got.type === "COPY" || got.type === "ADD") {
    assert.equal(got.destPath, e.destPath);
    assert.deepEqual(got.sourcePaths, e.sourcePaths);
    assert.deepEqual(got.sourceContents, e.sourceContents);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the expectation's shape depends on the case
function checkStages(got: ParsedStages, e: any): void {
  const [stage] = got.stages;
  assert.ok(stage !== undefined);
  assert.equal(stage.docComment, e["stages[0].docComment"]);
  const [meta] = got.metaArgs;
  const metaArg = meta?.args[0];
  assert.deepEqual({ key: metaArg?.key, docComment: metaArg?.docComment }, e["metaArgs[0]"]);
  const commands = stage.commands.map((cmd) => ({
    type: cmd.type,
    args: cmd.type === "ARG" ? cmd.args.map((a) => ({ key: a.key, docComment: a.docComment })) : undefined,
  }));
  assert.deepEqual(commands, e["stages[0].commands"]);
}

describe("dockerfile-parser: shell lexer tables (envVarTest, wordsTest)", () => {
  for (const c of byKind("shellProcessWord")) {
    // envVarTest: A = every platform, U = Unix, W = Windows (names match case-insensitively there).
    const env = envFrom(c.env ?? {}, { caseInsensitive: c.platform === "windows" });
    test(`${c.id} line ${c.line} [${c.platform}] ${JSON.stringify(c.input)}`, () => {
      const lexer = new ShellLexer({ escapeToken: c.escape ?? "\\" });
      if (c.expect.error) {
        assert.throws(
          () => lexer.processWord(c.input ?? "", env),
          (err: unknown) => isWharfError(err, "DOCKERFILE_EXPANSION"),
        );
        return;
      }
      assert.equal(lexer.processWord(c.input ?? "", env).word, c.expect.word);
    });
  }
  for (const c of byKind("shellProcessWords")) {
    test(`${c.id} line ${c.line} ${JSON.stringify(c.input)}`, () => {
      const lexer = new ShellLexer({ escapeToken: c.escape ?? "\\" });
      const env = envFrom(c.env ?? []);
      if (c.expect.error) {
        assert.throws(() => lexer.processWords(c.input ?? "", env));
        return;
      }
      assert.deepEqual(lexer.processWords(c.input ?? "", env), c.expect.words);
    });
  }
});
