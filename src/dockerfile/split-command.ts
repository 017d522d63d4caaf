/**
 * Splitting an instruction line into the instruction word, its `--flags` and the rest. A port of
 * BuildKit's frontend/dockerfile/parser/split_command.go (moby/buildkit 73ed6825) in TypeScript.
 *
 * One deliberate difference: BuildKit reads flags byte by byte and turns each byte into a rune, so a
 * non-ASCII flag value (`--chown=ü`) comes out mangled (Latin-1 re-encoded) and a UTF-8 byte 0x85 or
 * 0xA0 counts as a space. Here flags are read by character: the value stays what was written.
 */
import { charAt, goTrimSpace, isGoSpace } from "./go-text.ts";

/** BuildKit's reWhitespace: the blanks between arguments (not newlines, not Unicode spaces). */
export const ARG_WHITESPACE = /[\t\v\f\r ]+/;

/** Go's regexp.Split(s, 2) with ARG_WHITESPACE: the text before the first blank run, and the rest. */
export function splitFirstWhitespace(s: string): string[] {
  const m = ARG_WHITESPACE.exec(s);
  if (m === null) return [s];
  return [s.slice(0, m.index), s.slice(m.index + m[0].length)];
}

export interface SplitCommand {
  command: string;
  flags: string[];
  args: string;
}

export function splitCommand(line: string, escapeToken: string): SplitCommand {
  const parts = splitFirstWhitespace(goTrimSpace(line));
  let args = "";
  let flags: string[] = [];
  if (parts.length === 2) {
    ({ rest: args, flags } = extractBuilderFlags(parts[1] ?? "", escapeToken));
  }
  return { command: parts[0] ?? "", flags, args: goTrimSpace(args) };
}

/** The leading `--name[=value]` words (quotes and escapes removed) and the text after them; `--` ends them. */
export function extractBuilderFlags(line: string, escapeToken: string): { rest: string; flags: string[] } {
  const flags: string[] = [];
  let phase: "spaces" | "word" | "quote" = "spaces";
  let word = "";
  let quote = "";
  let blankOK = false;
  for (let pos = 0; pos <= line.length; ) {
    const atEnd = pos >= line.length;
    let ch = atEnd ? "" : charAt(line, pos);
    if (phase === "spaces") {
      if (atEnd) break;
      if (isGoSpace(ch)) {
        pos += ch.length;
        continue;
      }
      if (ch !== "-" || line[pos + 1] !== "-") return { rest: line.slice(pos), flags };
      phase = "word";
    }
    if (atEnd) {
      if (word !== "--" && (blankOK || word.length > 0)) flags.push(word);
      break;
    }
    if (phase === "word") {
      if (isGoSpace(ch)) {
        phase = "spaces";
        if (word === "--") return { rest: line.slice(pos), flags };
        if (blankOK || word.length > 0) flags.push(word);
        word = "";
        blankOK = false;
        pos += ch.length;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = "quote";
        pos += ch.length;
        continue;
      }
      if (ch === escapeToken) {
        if (pos + ch.length >= line.length) {
          pos += ch.length; // an escape at the end is dropped
          continue;
        }
        pos += ch.length;
        ch = charAt(line, pos);
      }
      word += ch;
      pos += ch.length;
      continue;
    }
    // phase === "quote"
    if (ch === quote) {
      phase = "word";
      pos += ch.length;
      continue;
    }
    if (ch === escapeToken) {
      if (pos + ch.length >= line.length) {
        phase = "word";
        pos += ch.length;
        continue;
      }
      pos += ch.length;
      ch = charAt(line, pos);
    }
    word += ch;
    pos += ch.length;
  }
  return { rest: "", flags };
}
