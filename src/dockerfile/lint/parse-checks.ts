/**
 * The checks BuildKit runs while it turns the AST into instructions (instructions.Parse with a
 * linter): MAINTAINER, the FROM line's casing and the (experimental) description comments, each
 * with the `# check=` comment above the instruction applied. The walk also keeps what the later
 * checks need and BuildKit's typed instructions drop: each instruction's word as written.
 */

import { WharfError } from "../../errors.ts";
import type { ArgCommand, Command, Stage } from "../instructions/commands.ts";
import { isStage, parseInstruction } from "../instructions/parse-instruction.ts";
import { parseStages } from "../instructions/stages.ts";
import { argValues, type Node } from "../node.ts";
import type { LintLocation, RuleLinter } from "./rule-linter.ts";
import { MESSAGES, RULES } from "./rules.ts";

export interface LintCommand {
  command: Command;
  /** The instruction word as written (`copy`, `COPY`): what casing and some messages use. */
  word: string;
}

export interface LintStage {
  stage: Stage;
  commands: LintCommand[];
}

export interface ParsedForLint {
  stages: LintStage[];
  metaArgs: ArgCommand[];
  /** The instruction error that ended the walk (the checks before it still count). */
  error: unknown;
}

export function locationOf(x: { startLine: number; endLine: number }): LintLocation {
  return { startLine: x.startLine, endLine: x.endLine };
}

export function parseWithChecks(ast: Node, linter: RuleLinter): ParsedForLint {
  const stages: LintStage[] = [];
  const metaArgs: ArgCommand[] = [];
  for (const node of ast.children) {
    const lint = linter.withComments(node.prevComment);
    const word = node.value.toLowerCase();
    if (word === "maintainer")
      lint.run(RULES.MaintainerDeprecated, locationOf(node), MESSAGES.MaintainerDeprecated());
    if (word === "from") fromLineChecks(node, lint);
    let instruction: ReturnType<typeof parseInstruction>;
    try {
      instruction = parseInstruction(node);
    } catch (err) {
      return { stages, metaArgs, error: stagesError(ast, err) };
    }
    if (isStage(instruction)) {
      if (instruction.name !== "")
        definitionDescription("FROM", [instruction.name], node.prevComment, locationOf(node), lint);
      stages.push({ stage: instruction, commands: [] });
      continue;
    }
    if (instruction.type === "ARG")
      definitionDescription(
        "ARG",
        instruction.args.map((a) => a.key),
        node.prevComment,
        locationOf(node),
        lint,
      );
    const current = stages.at(-1);
    if (current !== undefined) current.commands.push({ command: instruction, word: node.value });
    else if (instruction.type === "ARG") metaArgs.push(instruction);
    else return { stages, metaArgs, error: stagesError(ast, undefined) };
  }
  if (stages.length === 0)
    return {
      stages,
      metaArgs,
      error: new WharfError("DOCKERFILE_INSTRUCTION", "dockerfile contains no stages to build"),
    };
  return { stages, metaArgs, error: undefined };
}

/** StageNameCasing and FromAsCasing look at the words before FROM is parsed (so even a bad FROM). */
function fromLineChecks(node: Node, lint: RuleLinter): void {
  const args = argValues(node);
  const [, as, name] = args;
  if (args.length === 3 && name !== undefined && name !== name.toLowerCase())
    lint.run(RULES.StageNameCasing, locationOf(node), MESSAGES.StageNameCasing(name));
  if (args.length < 3 || as === undefined) return;
  // A FROM of mixed case is ConsistentInstructionCasing's business, not this rule's.
  const from = node.value;
  const fromLower = from === from.toLowerCase();
  if (!fromLower && from !== from.toUpperCase()) return;
  const matches = fromLower ? as === as.toLowerCase() : as === as.toUpperCase();
  if (!matches) lint.run(RULES.FromAsCasing, locationOf(node), MESSAGES.FromAsCasing(from, as));
}

/** The last comment line above a named stage or ARG should start with (one of) its name(s). */
function definitionDescription(
  instruction: string,
  keys: string[],
  comments: readonly string[],
  location: LintLocation,
  lint: RuleLinter,
): void {
  const last = comments.at(-1);
  const [first] = keys;
  if (last === undefined || first === undefined) return;
  if (keys.includes(last.split(" ")[0] ?? "")) return;
  const example = keys.length > 1 ? "<arg_key>" : first;
  lint.run(
    RULES.InvalidDefinitionDescription,
    location,
    MESSAGES.InvalidDefinitionDescription(instruction, example),
  );
}

/** The error exactly as parseStages reports it (`dockerfile parse error on line N: ...`). */
function stagesError(ast: Node, fallback: unknown): unknown {
  try {
    parseStages(ast);
  } catch (err) {
    return err;
  }
  return fallback;
}
