/**
 * Per-instruction argument parsing: how each instruction's text after the flags becomes its `next`
 * chain (exec-form JSON or shell form, key=value pairs, whitespace lists, ONBUILD's nested
 * instruction). A port of BuildKit's frontend/dockerfile/parser/line_parsers.go and its dispatch
 * table (moby/buildkit 73ed6825) in TypeScript.
 */
import { charAt, goQuote, goTrimLeftSpace, isGoSpace } from "./go-text.ts";
import { type Node, newNode } from "./node.ts";
import { DockerfileSyntaxError } from "./parse-error.ts";
import { ARG_WHITESPACE, splitFirstWhitespace } from "./split-command.ts";

export interface LineContext {
  escapeToken: string;
  /** Parses a nested instruction line (ONBUILD's). */
  parseInstruction(line: string): Node;
}

export interface ParsedArgs {
  next: Node | undefined;
  json: boolean;
}

type LineParser = (rest: string, ctx: LineContext) => ParsedArgs;

export const NOT_STRING_ARRAY = "when using JSON array syntax, arrays must be comprised of strings only";

const none: ParsedArgs = { next: undefined, json: false };

/** A chain of nodes with these values. */
function chain(values: readonly string[]): Node | undefined {
  let head: Node | undefined;
  for (let i = values.length - 1; i >= 0; i--) head = newNode({ value: values[i] ?? "", next: head });
  return head;
}

/** The last node of a chain. */
function lastOf(node: Node): Node {
  let n = node;
  while (n.next !== undefined) n = n.next;
  return n;
}

/** Unknown instructions keep only their word (BuildKit's parseIgnore): the instruction layer refuses them. */
const parseIgnore: LineParser = () => ({ next: newNode(), json: false });

/** ONBUILD RUN foo -> (onbuild (run "foo")). */
const parseSubCommand: LineParser = (rest, ctx) => {
  if (rest === "") return none;
  return { next: newNode({ children: [ctx.parseInstruction(rest)] }), json: false };
};

/**
 * Words separated by blanks, quotes and escapes kept (they are removed later, by the expansion);
 * a quoted empty word ("") counts.
 */
export function parseWords(rest: string, escapeToken: string): string[] {
  const words: string[] = [];
  let phase: "spaces" | "word" | "quote" = "spaces";
  let quote = "";
  let blankOK = false;
  let word = "";
  for (let pos = 0; pos <= rest.length; ) {
    const atEnd = pos >= rest.length;
    let ch = atEnd ? "" : charAt(rest, pos);
    if (phase === "spaces") {
      if (atEnd) break;
      if (isGoSpace(ch)) {
        pos += ch.length;
        continue;
      }
      phase = "word";
    }
    if (atEnd) {
      if (blankOK || word.length > 0) words.push(word);
      break;
    }
    if (phase === "word") {
      if (isGoSpace(ch)) {
        phase = "spaces";
        if (blankOK || word.length > 0) words.push(word);
        word = "";
        blankOK = false;
        pos += ch.length;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = "quote";
      }
      if (ch === escapeToken) {
        if (pos + ch.length >= rest.length) {
          pos += ch.length; // an escape at the end of the line is dropped
          continue;
        }
        // Outside quotes an escape and the character after it are both kept, even a quote.
        word += ch;
        pos += ch.length;
        ch = charAt(rest, pos);
      }
      word += ch;
      pos += ch.length;
      continue;
    }
    // phase === "quote"
    if (ch === quote) phase = "word";
    // Inside '...' nothing escapes.
    if (ch === escapeToken && quote !== "'") {
      if (pos + ch.length >= rest.length) {
        phase = "word";
        pos += ch.length;
        continue;
      }
      pos += ch.length;
      word += ch;
      ch = charAt(rest, pos);
    }
    word += ch;
    pos += ch.length;
  }
  return words;
}

/** key value nodes: (key, value, sep), sep "=" for key=value and "" for the legacy `KEY name value`. */
function keyValue(key: string, value: string, sep: string): Node {
  return newNode({ value: key, next: newNode({ value, next: newNode({ value: sep }) }) });
}

/** ENV and LABEL: `name=value ...`, or the legacy `name value with spaces` (decided by the first word). */
export function parseNameVal(rest: string, instruction: string, escapeToken: string): Node | undefined {
  const words = parseWords(rest, escapeToken);
  if (words.length === 0) return undefined;
  if (!(words[0] ?? "").includes("=")) {
    const parts = splitFirstWhitespace(rest);
    if (parts.length < 2) throw new DockerfileSyntaxError(`${instruction} must have two arguments`);
    return keyValue(parts[0] ?? "", parts[1] ?? "", "");
  }
  let root: Node | undefined;
  let prev: Node | undefined;
  for (const word of words) {
    const eq = word.indexOf("=");
    if (eq < 0) {
      throw new DockerfileSyntaxError(
        `Syntax error - can't find = in ${goQuote(word)}. Must be of the form: name=value`,
      );
    }
    const node = keyValue(word.slice(0, eq), word.slice(eq + 1), "=");
    if (root === undefined) root = node;
    if (prev !== undefined) prev.next = node;
    prev = lastOf(node);
  }
  return root;
}

/** ARG: `name`, `name=`, `name=value` words, kept as written. */
const parseNameOrNameVal: LineParser = (rest, ctx) => ({
  next: chain(parseWords(rest, ctx.escapeToken)),
  json: false,
});

/** FROM, EXPOSE and the shell form of ADD/COPY/VOLUME: blank-separated words, quotes untouched. */
const parseStringsWhitespaceDelimited: LineParser = (rest) => {
  if (rest === "") return none;
  return { next: chain(rest.split(ARG_WHITESPACE)), json: false };
};

/** MAINTAINER, USER, WORKDIR, STOPSIGNAL: the whole rest as one argument. */
const parseString: LineParser = (rest) =>
  rest === "" ? none : { next: newNode({ value: rest }), json: false };

export type JsonArrayResult =
  | { kind: "array"; values: string[] }
  | { kind: "not-array" }
  | { kind: "invalid-json" }
  | { kind: "not-string-array" };

/** An exec-form argument: a JSON array of strings (leading blanks allowed, as in BuildKit). */
export function parseJsonArray(rest: string): JsonArrayResult {
  const text = goTrimLeftSpace(rest);
  if (!text.startsWith("[")) return { kind: "not-array" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: "invalid-json" };
  }
  if (!Array.isArray(parsed)) return { kind: "invalid-json" };
  if (!parsed.every((v) => typeof v === "string")) return { kind: "not-string-array" };
  return { kind: "array", values: parsed as string[] };
}

/**
 * Exec form when the text is a JSON array of strings; a JSON array of anything else is an error;
 * anything else (including broken JSON) is the shell form, given by `shell`.
 */
function maybeJson(rest: string, shell: (rest: string) => Node | undefined): ParsedArgs {
  const json = parseJsonArray(rest);
  if (json.kind === "array") return { next: chain(json.values), json: true };
  if (json.kind === "not-string-array") throw new DockerfileSyntaxError(NOT_STRING_ARRAY);
  return { next: shell(rest), json: false };
}

/** RUN, CMD, ENTRYPOINT, SHELL: exec form, or the whole text as one shell-form argument. */
const parseMaybeJSON: LineParser = (rest) => {
  if (rest === "") return none;
  return maybeJson(rest, (r) => newNode({ value: r }));
};

/** ADD, COPY, VOLUME: exec form, or blank-separated words. */
const parseMaybeJSONToList: LineParser = (rest, ctx) =>
  maybeJson(rest, (r) => parseStringsWhitespaceDelimited(r, ctx).next);

/** HEALTHCHECK: a type word (CMD, NONE, ...) then, like RUN, exec or shell form. */
const parseHealthConfig: LineParser = (rest, ctx) => {
  let sep = 0;
  while (sep < rest.length && !isGoSpace(charAt(rest, sep))) sep += charAt(rest, sep).length;
  let next = sep;
  while (next < rest.length && isGoSpace(charAt(rest, next))) next += charAt(rest, next).length;
  if (sep === 0) return none;
  const cmd = parseMaybeJSON(rest.slice(next), ctx);
  return { next: newNode({ value: rest.slice(0, sep), next: cmd.next }), json: cmd.json };
};

const parseEnv: LineParser = (rest, ctx) => ({
  next: parseNameVal(rest, "ENV", ctx.escapeToken),
  json: false,
});
const parseLabel: LineParser = (rest, ctx) => ({
  next: parseNameVal(rest, "LABEL", ctx.escapeToken),
  json: false,
});

/** The line parser of each instruction (lower case), as BuildKit's dispatch table maps them. */
const DISPATCH: Readonly<Record<string, LineParser>> = {
  add: parseMaybeJSONToList,
  arg: parseNameOrNameVal,
  cmd: parseMaybeJSON,
  copy: parseMaybeJSONToList,
  entrypoint: parseMaybeJSON,
  env: parseEnv,
  expose: parseStringsWhitespaceDelimited,
  from: parseStringsWhitespaceDelimited,
  healthcheck: parseHealthConfig,
  label: parseLabel,
  maintainer: parseString,
  onbuild: parseSubCommand,
  run: parseMaybeJSON,
  shell: parseMaybeJSON,
  stopsignal: parseString,
  user: parseString,
  volume: parseMaybeJSONToList,
  workdir: parseString,
};

export function lineParserFor(instruction: string): LineParser {
  return Object.hasOwn(DISPATCH, instruction.toLowerCase())
    ? (DISPATCH[instruction.toLowerCase()] as LineParser)
    : parseIgnore;
}
