/**
 * Parser directives (`# syntax=`, `# escape=`, `# check=`) as BuildKit recognises them: only at the
 * very top, one per line, each at most once, and the first line that is not one ends them. A port of
 * BuildKit's frontend/dockerfile/parser/directives.go (moby/buildkit 73ed6825) in TypeScript.
 */
import { WharfError } from "../errors.ts";
import { goTrimLeftSpace } from "./go-text.ts";

export type DirectiveName = "syntax" | "escape" | "check";

const VALID_DIRECTIVES: ReadonlySet<string> = new Set(["syntax", "escape", "check"]);

// Go's \s is [\t\n\f\r ] and its . matches anything but \n; spelled out for JavaScript.
const DIRECTIVE_LINE = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*([^\n]+?)[\t\n\f\r ]*$/;

export interface Directive {
  name: DirectiveName;
  value: string;
  /** 1-based line of the directive. */
  line: number;
}

/** Reads directives line by line; stateful, as the parser feeds it every line it reads. */
export class DirectiveParser {
  private readonly comment: string;
  private line: number;
  private done = false;
  private readonly seen = new Set<string>();

  /** comment: the comment prefix (`#`; `//` for DetectSyntax's C-style form). */
  constructor(comment = "#", startLine = 0) {
    this.comment = comment;
    this.line = startLine;
  }

  /** The directive on this line, or undefined (also once directives have ended). */
  parseLine(text: string): Directive | undefined {
    this.line++;
    if (this.done) return undefined;
    if (!text.startsWith(this.comment)) {
      this.done = true;
      return undefined;
    }
    const rest = goTrimLeftSpace(text.slice(this.comment.length));
    const match = DIRECTIVE_LINE.exec(rest);
    const key = match?.[1]?.toLowerCase();
    if (match === null || key === undefined || !VALID_DIRECTIVES.has(key)) {
      this.done = true;
      return undefined;
    }
    if (this.seen.has(key)) {
      throw new WharfError("DOCKERFILE_PARSE", `only one ${key} parser directive can be used`, {
        line: this.line,
        reason: `only one ${key} parser directive can be used`,
      });
    }
    this.seen.add(key);
    return { name: key as DirectiveName, value: match[2] ?? "", line: this.line };
  }

  /** Every directive at the top of a file (BuildKit's ParseAll: stops at the first error). */
  parseAll(text: string): Directive[] {
    const out: Directive[] = [];
    for (const line of splitScanLines(text)) {
      if (this.done) break;
      try {
        const d = this.parseLine(line);
        if (d !== undefined) out.push(d);
      } catch {
        break;
      }
    }
    return out;
  }
}

/** Lines as bufio.ScanLines gives them: split at \n, a trailing \r dropped, no empty last line. */
function splitScanLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
}

export interface DirectiveMatch {
  /** The first word of the value: the frontend reference for `syntax`. */
  value: string;
  /** The whole value (`dockerfile:1 // opts`). */
  cmdline: string;
  startLine: number;
  endLine: number;
}

/**
 * The `syntax` directive in any of BuildKit's forms: `# syntax=`, then `// syntax=`, then a JSON
 * object `{"syntax": "..."}`; a leading `#!` line is skipped (BuildKit's DetectSyntax).
 */
export function detectSyntax(text: string): DirectiveMatch | undefined {
  return findDirective("syntax", text, true);
}

/** One directive in the `#` form only (BuildKit's ParseDirective, e.g. for `check`). */
export function parseDirective(name: DirectiveName, text: string): DirectiveMatch | undefined {
  return findDirective(name, text, false);
}

function findDirective(key: DirectiveName, input: string, anyFormat: boolean): DirectiveMatch | undefined {
  let text = input.startsWith("\uFEFF") ? input.slice(1) : input;
  let line = 0;
  const newline = text.indexOf("\n");
  const first = newline < 0 ? text : text.slice(0, newline);
  if (first.startsWith("#!")) {
    text = newline < 0 ? "" : text.slice(newline + 1);
    line = 1;
  }
  const found = fromParser(key, text, new DirectiveParser("#", line));
  if (found !== undefined || !anyFormat) return found;
  const cStyle = fromParser(key, text, new DirectiveParser("//", line));
  if (cStyle !== undefined) return cStyle;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      const v = (parsed as Record<string, unknown>)[key];
      if (typeof v === "string") return { value: v, cmdline: v, startLine: line, endLine: line };
    }
  } catch {
    // not JSON: no directive
  }
  return undefined;
}

function fromParser(key: DirectiveName, text: string, parser: DirectiveParser): DirectiveMatch | undefined {
  for (const d of parser.parseAll(text)) {
    if (d.name === key) {
      const space = d.value.indexOf(" ");
      return {
        value: space < 0 ? d.value : d.value.slice(0, space),
        cmdline: d.value,
        startLine: d.line,
        endLine: d.line,
      };
    }
  }
  return undefined;
}
