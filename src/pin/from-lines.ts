/**
 * Where the image of each FROM is written in a Dockerfile's text. The instructions come from the
 * real parser (parseDockerfile, parseStages); the physical lines of each FROM are then joined again
 * the way the parser joins them (continuation tokens dropped, comment and blank lines inside the
 * continuation skipped), keeping for every character of the joined line its offset in the file, so
 * that the image word maps back to an exact character range. A word a line continuation splits has
 * no single range.
 */
import { goTrimLeftSpace, goTrimSpace } from "../dockerfile/go-text.ts";
import type { ArgCommand } from "../dockerfile/instructions/commands.ts";
import { parseStages } from "../dockerfile/instructions/stages.ts";
import type { Node } from "../dockerfile/node.ts";
import { continuationRegex, parseDockerfile } from "../dockerfile/parser.ts";
import { ARG_WHITESPACE, extractBuilderFlags } from "../dockerfile/split-command.ts";

export interface TextRange {
  /** [start, end) in UTF-16 code units of the file's text. */
  start: number;
  end: number;
}

export interface FromLine {
  /** 1-based lines the instruction spans. */
  startLine: number;
  endLine: number;
  /** The image word as written (`busybox:1.36`, `${BASE}`). */
  word: string;
  /** Where the word is in the text; undefined when a line continuation splits it. */
  range: TextRange | undefined;
  /** The 1-based line the word is on (the instruction's first line when it has no single range). */
  line: number;
  /** The stage's AS name in lower case, "" if none. */
  stageName: string;
}

export interface DockerfileFroms {
  escapeToken: string;
  /** The ARGs before the first FROM (the only ones a FROM line can use). */
  metaArgs: ArgCommand[];
  froms: FromLine[];
}

interface PhysicalLine {
  text: string;
  /** Offset of the line's first character in the file. */
  start: number;
}

/** The file's lines, each with its newline, as the parser reads them. */
function physicalLines(text: string): PhysicalLine[] {
  const out: PhysicalLine[] = [];
  let start = 0;
  for (const line of text === "" ? [] : text.split(/(?<=\n)/)) {
    out.push({ text: line, start });
    start += line.length;
  }
  return out;
}

/** An instruction's lines joined as the parser joins them, with each character's offset in the file. */
interface JoinedLine {
  text: string;
  offsets: number[];
}

function joinInstruction(
  lines: readonly PhysicalLine[],
  first: number,
  last: number,
  continuation: RegExp,
): JoinedLine {
  const joined: JoinedLine = { text: "", offsets: [] };
  for (let n = first; n <= last; n++) {
    const line = lines[n - 1];
    if (line === undefined) break;
    let start = line.start;
    let body = line.text.replace(/[\r\n]+$/, "");
    // The parser drops a byte order mark on the file's first line.
    if (n === 1 && body.startsWith("\uFEFF")) {
      body = body.slice(1);
      start += 1;
    }
    if (n === first) {
      const trimmed = goTrimLeftSpace(body);
      start += body.length - trimmed.length;
      body = trimmed;
    } else if (goTrimLeftSpace(body).startsWith("#") || goTrimLeftSpace(body) === "") {
      continue; // comment and blank lines inside a continuation are not part of the instruction
    }
    const match = continuation.exec(body);
    const kept = match === null ? body : body.slice(0, match.index + (match[1]?.length ?? 0));
    joined.text += kept;
    for (let i = 0; i < kept.length; i++) joined.offsets.push(start + i);
  }
  return joined;
}

/** Where the first argument starts in a joined FROM line: after the instruction word and its flags. */
function firstArgumentAt(line: string, escapeToken: string): number | undefined {
  const lead = line.length - goTrimLeftSpace(line).length;
  const trimmed = goTrimSpace(line);
  const gap = ARG_WHITESPACE.exec(trimmed);
  if (gap === null) return undefined;
  const afterAt = gap.index + gap[0].length;
  const after = trimmed.slice(afterAt);
  const { rest } = extractBuilderFlags(after, escapeToken);
  return lead + afterAt + (after.length - rest.length) + (rest.length - goTrimLeftSpace(rest).length);
}

/** The word's range in the file, if its characters are one unbroken run of the text. */
function wordRange(node: Node, word: string, lines: readonly PhysicalLine[], escapeToken: string) {
  const joined = joinInstruction(lines, node.startLine, node.endLine, continuationRegex(escapeToken));
  // The re-joined line must be the parser's own; anything else would be a guess.
  if (joined.text !== node.original) return undefined;
  const at = firstArgumentAt(joined.text, escapeToken);
  if (at === undefined || joined.text.slice(at, at + word.length) !== word || word === "") return undefined;
  const start = joined.offsets[at];
  const last = joined.offsets[at + word.length - 1];
  if (start === undefined || last === undefined || last - start !== word.length - 1) return undefined;
  return { start, end: last + 1 };
}

/** The 1-based line of a text offset. */
function lineOf(lines: readonly PhysicalLine[], offset: number): number {
  let n = 0;
  while (n + 1 < lines.length && (lines[n + 1]?.start ?? Number.POSITIVE_INFINITY) <= offset) n++;
  return n + 1;
}

/** Every FROM of a Dockerfile with where its image word is. Throws the parser's errors for a broken file. */
export function findFromLines(text: string): DockerfileFroms {
  const parsed = parseDockerfile(text);
  const { stages, metaArgs } = parseStages(parsed.ast);
  const lines = physicalLines(text);
  const nodes = new Map(parsed.ast.children.map((node) => [node.startLine, node]));
  const froms = stages.map((stage): FromLine => {
    const node = nodes.get(stage.startLine);
    const range = node === undefined ? undefined : wordRange(node, stage.baseName, lines, parsed.escapeToken);
    return {
      startLine: stage.startLine,
      endLine: stage.endLine,
      word: stage.baseName,
      range,
      line: range === undefined ? stage.startLine : lineOf(lines, range.start),
      stageName: stage.name,
    };
  });
  return { escapeToken: parsed.escapeToken, metaArgs, froms };
}
