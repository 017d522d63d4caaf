/**
 * One AST node to its typed instruction: BuildKit's ParseInstruction (ported from its parse.go).
 * Instruction words match case-insensitively; an unknown one fails as `unknown instruction: WORD`.
 * Errors carry the node's lines. BuildKit's linter (casing, MAINTAINER deprecation, description
 * comments) runs here upstream; wharf has no linter yet, so those warnings are not produced.
 */
import type { Node } from "../node.ts";
import type { Command, Instruction, Stage } from "./commands.ts";
import { instructionError, locateInstructionError } from "./instruction-error.ts";
import { parseAdd, parseCopy } from "./parse-copy.ts";
import { parseFrom } from "./parse-from.ts";
import { parseHealthcheck } from "./parse-healthcheck.ts";
import { type ParseRequest, requestFromNode } from "./parse-request.ts";
import { parseRun } from "./parse-run.ts";
import {
  parseArg,
  parseCmd,
  parseEntrypoint,
  parseEnv,
  parseExpose,
  parseLabel,
  parseMaintainer,
  parseOnbuild,
  parseShell,
  parseStopSignal,
  parseUser,
  parseVolume,
  parseWorkdir,
} from "./parse-simple.ts";
import { withSuggestion } from "./suggest.ts";

const PARSERS: Readonly<Record<string, (req: ParseRequest) => Instruction>> = {
  add: parseAdd,
  arg: parseArg,
  cmd: parseCmd,
  copy: parseCopy,
  entrypoint: parseEntrypoint,
  env: parseEnv,
  expose: parseExpose,
  from: parseFrom,
  healthcheck: parseHealthcheck,
  label: parseLabel,
  maintainer: parseMaintainer,
  onbuild: parseOnbuild,
  run: parseRun,
  shell: parseShell,
  stopsignal: parseStopSignal,
  user: parseUser,
  volume: parseVolume,
  workdir: parseWorkdir,
};

const INSTRUCTION_NAMES = Object.keys(PARSERS).map((name) => name.toUpperCase());

/** The typed FROM (a Stage) or other instruction of one node; throws DOCKERFILE_INSTRUCTION. */
export function parseInstruction(node: Node): Instruction {
  const parser = Object.hasOwn(PARSERS, node.value.toLowerCase())
    ? PARSERS[node.value.toLowerCase()]
    : undefined;
  try {
    if (parser === undefined)
      throw instructionError(
        withSuggestion(`unknown instruction: ${node.value}`, node.value, INSTRUCTION_NAMES, false),
        { instruction: node.value },
      );
    return parser(requestFromNode(node));
  } catch (err) {
    throw locateInstructionError(err, node);
  }
}

/**
 * parseInstruction for a node that must not be FROM (BuildKit's ParseCommand). Upstream names the
 * Go type (`*instructions.Stage is not a command type`); here the instruction is named instead.
 */
export function parseCommand(node: Node): Command {
  const instruction = parseInstruction(node);
  if (isStage(instruction))
    throw locateInstructionError(instructionError("FROM is not a command type"), node);
  return instruction;
}

export function isStage(instruction: Instruction): instruction is Stage {
  return instruction.type === "FROM";
}
