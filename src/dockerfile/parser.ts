/**
 * The Dockerfile parser: text -> AST (a root node whose children are the instructions). A port of
 * BuildKit's frontend/dockerfile/parser/parser.go Parse (moby/buildkit 73ed6825) in TypeScript:
 * directives at the top, the escape token as line continuation, comment and empty lines inside a
 * continuation skipped (the empty ones warned about), heredoc bodies read after their instruction,
 * each instruction's arguments by its line parser.
 *
 * Line numbers of errors: BuildKit reports a directive error one line early (its counter is not yet
 * advanced); here every error names the line it is on.
 */
import { isWharfError, WharfError } from "../errors.ts";
import { DirectiveParser } from "./directives.ts";
import { goTrimLeftSpace, goTrimSpace, utf8Length } from "./go-text.ts";
import { heredocsFromLine } from "./heredoc.ts";
import { lineParserFor } from "./line-parsers.ts";
import { type Node, newNode } from "./node.ts";
import { DockerfileSyntaxError, parseErrorAt } from "./parse-error.ts";
import { splitCommand } from "./split-command.ts";

/** bufio.Scanner's limit: BuildKit cannot read a longer line. */
export const MAX_LINE_BYTES = 65535;

export interface ParseWarning {
  short: string;
  detail: string;
  url: string;
  line: number;
}

export interface ParseResult {
  /** The root: `children` are the instructions. */
  ast: Node;
  escapeToken: string;
  warnings: ParseWarning[];
}

/** The instructions whose arguments may open heredocs (and ONBUILD, through its nested one). */
const HEREDOC_INSTRUCTIONS: ReadonlySet<string> = new Set(["add", "copy", "run"]);

/** The current escape token and the continuation pattern that goes with it. */
class EscapeState {
  token = "\\";
  continuation = continuationRegex("\\");

  set(token: string): void {
    if (token !== "`" && token !== "\\") {
      throw new DockerfileSyntaxError(`invalid escape token '${token}' does not match \` or \\`);
    }
    this.token = token;
    this.continuation = continuationRegex(token);
  }
}

/**
 * The escape token as the last non-blank character, unless another escape token precedes it (and,
 * as in BuildKit, not for an escaped escape before it: `foo \\\`), or alone on its line.
 */
export function continuationRegex(token: string): RegExp {
  const t = token === "\\" ? "\\\\" : token;
  return new RegExp(`([^${t}])${t}[ \\t]*$|^${t}[ \\t]*$`);
}

/** The lines of a file, each with its newline (BuildKit's scanLines). */
class LineSource {
  private readonly lines: string[];
  private index = 0;
  /** Set when a line was longer than BuildKit can read; reading stops there. */
  tooLong = false;

  constructor(text: string) {
    this.lines = text === "" ? [] : text.split(/(?<=\n)/);
  }

  next(): string | undefined {
    const line = this.lines[this.index];
    if (line === undefined) return undefined;
    if (utf8Length(line.endsWith("\n") ? line.slice(0, -1) : line) > MAX_LINE_BYTES) {
      this.tooLong = true;
      this.index = this.lines.length;
      return undefined;
    }
    this.index++;
    return line;
  }
}

function trimNewline(s: string): string {
  return s.replace(/[\r\n]+$/, "");
}

function isComment(line: string): boolean {
  return goTrimLeftSpace(line).startsWith("#");
}

function isEmptyContinuationLine(line: string): boolean {
  return goTrimLeftSpace(trimNewline(line)).length === 0;
}

/** Parses a Dockerfile (text, or its bytes as UTF-8). Throws a DOCKERFILE_PARSE WharfError naming the line. */
export function parseDockerfile(input: string | Uint8Array): ParseResult {
  const text = typeof input === "string" ? input : new TextDecoder("utf-8").decode(input);
  const escapeState = new EscapeState();
  const directives = new DirectiveParser();
  const source = new LineSource(text);
  const root = newNode({ startLine: -1 });
  const warnings: ParseWarning[] = [];
  let comments: string[] = [];
  let currentLine = 0;

  /** Trims the newline (and leading blanks), feeds the directive parser, drops a comment line. */
  const processLine = (
    raw: string,
    lineNumber: number,
    stripLeft: boolean,
  ): { text: string; directive: boolean } => {
    let line = trimNewline(raw);
    if (stripLeft) line = goTrimLeftSpace(line);
    let directive = false;
    try {
      const found = directives.parseLine(line);
      if (found?.name === "escape") escapeState.set(found.value);
      directive = found !== undefined;
    } catch (err) {
      throw locate(err, lineNumber, lineNumber);
    }
    return { text: isComment(line) ? "" : line, directive };
  };

  /** Drops the continuation token: the line and whether the instruction ends on it. */
  const trimContinuation = (line: string): { text: string; end: boolean } => {
    if (escapeState.continuation.test(line))
      return { text: line.replace(escapeState.continuation, "$1"), end: false };
    return { text: line, end: true };
  };

  const parseInstruction = (line: string, prevComment: string[]): Node => {
    const { command, flags, args } = splitCommand(line, escapeState.token);
    const parsed = lineParserFor(command)(args, {
      escapeToken: escapeState.token,
      parseInstruction: (nested) => parseInstruction(nested, []),
    });
    return newNode({
      value: command,
      original: line,
      flags,
      next: parsed.next,
      attributes: parsed.json ? { json: true } : {},
      prevComment,
    });
  };

  for (let raw = source.next(); raw !== undefined; raw = source.next()) {
    let first = raw;
    if (currentLine === 0 && first.startsWith("\uFEFF")) first = first.slice(1);
    if (isComment(first)) {
      const comment = goTrimSpace(first.slice(1));
      if (comment === "") comments = [];
      else comments.push(comment);
    }
    const processed = processLine(first, currentLine + 1, true);
    // A directive is not a comment of the first instruction.
    if (processed.directive) comments = comments.slice(0, -1);
    currentLine++;
    const startLine = currentLine;

    let { text: line, end } = trimContinuation(processed.text);
    if (end && line.length === 0) continue;

    let hasEmptyContinuationLine = false;
    while (!end) {
      const nextRaw = source.next();
      if (nextRaw === undefined) break;
      const continued = processLine(nextRaw, currentLine + 1, false);
      currentLine++;
      if (isComment(nextRaw)) continue;
      if (isEmptyContinuationLine(continued.text)) {
        hasEmptyContinuationLine = true;
        continue;
      }
      const trimmed = trimContinuation(continued.text);
      line += trimmed.text;
      end = trimmed.end;
    }

    if (hasEmptyContinuationLine) {
      warnings.push({
        short: `Empty continuation line found in: ${line}`,
        detail: "Empty continuation lines will become errors in a future release",
        url: "https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/",
        line: currentLine,
      });
    }

    let child: Node;
    try {
      child = parseInstruction(line, comments);
    } catch (err) {
      throw locate(err, startLine, currentLine);
    }

    if (canContainHeredoc(child) && line.includes("<<")) {
      let docs: ReturnType<typeof heredocsFromLine>;
      try {
        docs = heredocsFromLine(line);
      } catch (err) {
        throw locate(err, startLine, currentLine);
      }
      for (const doc of docs) {
        let terminated = false;
        let content = doc.content;
        for (let body = source.next(); body !== undefined; body = source.next()) {
          currentLine++;
          let candidate = trimNewline(body);
          if (doc.chomp) candidate = candidate.replace(/^\t+/, "");
          if (candidate === doc.name) {
            terminated = true;
            break;
          }
          content += body;
        }
        if (!terminated) throw parseErrorAt("unterminated heredoc", startLine, currentLine);
        child.heredocs.push({ ...doc, content });
      }
    }

    child.startLine = startLine;
    child.endLine = currentLine;
    if (root.startLine < 0) root.startLine = startLine;
    root.endLine = currentLine;
    root.children.push(child);
    comments = [];
  }

  if (root.startLine < 0) throw parseErrorAt("file with no instructions", Math.max(currentLine, 1));
  if (source.tooLong) {
    throw parseErrorAt(`dockerfile line greater than max allowed size of ${MAX_LINE_BYTES}`, currentLine + 1);
  }
  return { ast: root, escapeToken: escapeState.token, warnings };
}

/** Whether the instruction (or ONBUILD's nested one) is shell-form ADD, COPY or RUN. */
function canContainHeredoc(instruction: Node): boolean {
  let node = instruction;
  if (node.value.toLowerCase() === "onbuild") {
    const nested = node.next?.children[0];
    if (nested !== undefined) node = nested;
  }
  return HEREDOC_INSTRUCTIONS.has(node.value.toLowerCase()) && node.attributes.json !== true;
}

/** A failure with the lines it spans; one already located (or not a parse failure) passes through. */
function locate(err: unknown, startLine: number, endLine: number): unknown {
  if (isWharfError(err, "DOCKERFILE_PARSE") && typeof err.detail.startLine === "number") return err;
  if (err instanceof DockerfileSyntaxError) return parseErrorAt(err.message, startLine, endLine, err);
  if (err instanceof WharfError) return parseErrorAt(err.message, startLine, endLine, err);
  return err;
}
