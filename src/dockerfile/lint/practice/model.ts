/**
 * The Dockerfile as the practice rules see it: its stages with their typed instructions and AST
 * nodes side by side, each stage's base resolved (an earlier stage, or an image name with the
 * global ARGs' defaults expanded), and which stages the final image is made of (the last stage and
 * the stages it is built FROM, in turn): rules about what ends up in the image look only at those.
 */
import type { Command, Stage } from "../../instructions/commands.ts";
import { isStage, parseInstruction } from "../../instructions/parse-instruction.ts";
import { argValues, type Node } from "../../node.ts";
import type { ParseResult } from "../../parser.ts";
import { ShellLexer } from "../../shell-lexer.ts";

export interface ModelCommand {
  command: Command;
  node: Node;
}

export interface ModelStage {
  index: number;
  stage: Stage;
  node: Node;
  /** The AS name as written (`Build`), "" when none. */
  writtenName: string;
  commands: ModelCommand[];
  /** The earlier stage this one is built FROM. */
  baseStage: number | undefined;
  /**
   * The image this stage is built on, the global ARGs' defaults expanded; undefined when it is a
   * stage or names a variable that has no default (what it is then is known only at build time).
   */
  image: string | undefined;
  /** The stage is the last one or one the last is built on: its files and settings are the image's. */
  inFinalImage: boolean;
}

export interface DockerfileModel {
  /** The source's lines, without their newlines (index 0 is line 1). */
  lines: string[];
  stages: ModelStage[];
  /** The first instruction's line: where findings about the file as a whole go. */
  firstLine: number;
}

/** The model, or undefined when an instruction does not parse (BuildKit's checks report that). */
export function buildModel(source: string, parsed: ParseResult): DockerfileModel | undefined {
  const lexer = new ShellLexer({ escapeToken: parsed.escapeToken });
  const globals = new Map<string, string>();
  const stages: ModelStage[] = [];
  for (const node of parsed.ast.children) {
    let instruction: ReturnType<typeof parseInstruction>;
    try {
      instruction = parseInstruction(node);
    } catch {
      return undefined;
    }
    const current = stages.at(-1);
    if (isStage(instruction)) {
      stages.push(newStage(stages, instruction, node, expandKnown(instruction.baseName, lexer, globals)));
    } else if (current !== undefined) {
      current.commands.push({ command: instruction, node });
    } else if (instruction.type === "ARG") {
      for (const arg of instruction.args) {
        const value = arg.value === undefined ? undefined : expandKnown(arg.value, lexer, globals);
        if (value !== undefined) globals.set(arg.key, value);
      }
    }
  }
  markFinalImage(stages);
  return { lines: source.split(/\r?\n/), stages, firstLine: parsed.ast.children[0]?.startLine ?? 1 };
}

function newStage(
  earlier: readonly ModelStage[],
  stage: Stage,
  node: Node,
  expanded: string | undefined,
): ModelStage {
  const base =
    expanded === undefined
      ? undefined
      : earlier.findIndex((s) => s.stage.name !== "" && s.stage.name === expanded.toLowerCase());
  const baseStage = base === undefined || base < 0 ? undefined : base;
  return {
    index: earlier.length,
    stage,
    node,
    writtenName: argValues(node)[2] ?? "",
    commands: [],
    baseStage,
    image: baseStage === undefined ? expanded : undefined,
    inFinalImage: false,
  };
}

/** The word with the known variables expanded; undefined when it uses one that is not known. */
function expandKnown(
  word: string,
  lexer: ShellLexer,
  known: ReadonlyMap<string, string>,
): string | undefined {
  try {
    const result = lexer.processWord(word, { get: (name) => known.get(name) });
    return result.unmatched.size > 0 ? undefined : result.word;
  } catch {
    return undefined;
  }
}

function markFinalImage(stages: ModelStage[]): void {
  const seen = new Set<number>();
  for (let at = stages.at(-1); at !== undefined && !seen.has(at.index); ) {
    seen.add(at.index);
    at.inFinalImage = true;
    at = at.baseStage === undefined ? undefined : stages[at.baseStage];
  }
}
