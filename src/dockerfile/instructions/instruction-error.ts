/**
 * Errors of the instructions layer: one DOCKERFILE_INSTRUCTION WharfError whose message is
 * BuildKit's own wording (the corpus compares it), with the instruction's lines in `detail` once
 * known, as BuildKit's parser.WithLocation attaches them.
 */
import { isWharfError, WharfError } from "../../errors.ts";
import type { Node } from "../node.ts";

export function instructionError(message: string, detail: Record<string, unknown> = {}): WharfError {
  return new WharfError("DOCKERFILE_INSTRUCTION", message, { reason: message, ...detail });
}

/** The error with the node's lines added (an error already located keeps its lines). */
export function locateInstructionError(err: unknown, node: Node): unknown {
  if (!isWharfError(err, "DOCKERFILE_INSTRUCTION") || err.detail.startLine !== undefined) return err;
  return new WharfError(
    err.code,
    err.message,
    { ...err.detail, startLine: node.startLine, endLine: node.endLine },
    { cause: err.cause },
  );
}

export const errAtLeastOneArgument = (command: string) =>
  instructionError(`${command} requires at least one argument`);
export const errExactlyOneArgument = (command: string) =>
  instructionError(`${command} requires exactly one argument`);
export const errNoDestinationArgument = (command: string) =>
  instructionError(
    `${command} requires at least two arguments, but only one was provided. Destination could not be determined`,
  );
export const errBadHeredoc = (command: string, option: string) =>
  instructionError(`${command} cannot accept a heredoc as ${option}`);
export const errBlankCommandNames = (command: string) =>
  instructionError(`${command} names can not be blank`);
export const errTooManyArguments = (command: string) =>
  instructionError(`Bad input to ${command}, too many arguments`);
