/**
 * A Dockerfile's AST split into build stages: BuildKit's instructions.Parse (ported). ARGs before
 * the first FROM are the meta args (usable in FROM lines); any other instruction before a FROM is
 * an error, and a failing instruction reports `dockerfile parse error on line N: ...`.
 */
import { isWharfError, WharfError } from "../../errors.ts";
import type { Node } from "../node.ts";
import type { ArgCommand, Stage } from "./commands.ts";
import { instructionError, locateInstructionError } from "./instruction-error.ts";
import { isStage, parseInstruction } from "./parse-instruction.ts";

export interface ParsedStages {
  stages: Stage[];
  metaArgs: ArgCommand[];
}

export function parseStages(ast: Node): ParsedStages {
  const stages: Stage[] = [];
  const metaArgs: ArgCommand[] = [];
  for (const node of ast.children) {
    try {
      const instruction = parseInstruction(node);
      const current = stages.at(-1);
      if (isStage(instruction)) stages.push(instruction);
      else if (current === undefined && instruction.type === "ARG") metaArgs.push(instruction);
      else if (current === undefined)
        throw locateInstructionError(instructionError("no build stage in current context"), node);
      else current.commands.push(instruction);
    } catch (err) {
      throw withLineMessage(err, node);
    }
  }
  return { stages, metaArgs };
}

/** BuildKit's parseError: the message gains the instruction's first line, the reason stays in detail. */
function withLineMessage(err: unknown, node: Node): unknown {
  if (!isWharfError(err, "DOCKERFILE_INSTRUCTION")) return err;
  return new WharfError(
    err.code,
    `dockerfile parse error on line ${node.startLine}: ${err.message}`,
    err.detail as Record<string, unknown>,
    { cause: err },
  );
}
