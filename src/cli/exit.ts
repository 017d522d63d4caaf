/**
 * How failures reach a person: one line on stderr and Docker's exit codes (1 for a failed operation,
 * 125 for bad usage: an unknown flag or a bad flag value; docker exits 1 for a wrong number of
 * arguments, which such a USAGE error says in its `exitCode`).
 */
import { isWharfError, noSpaceError, WharfError } from "../errors.ts";

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 125;

/**
 * A bad flag value found by a command (exit 125). `command` is the command's path ("wharf history"):
 * the CLI prints docker's usage block of that command after the message.
 */
export function usageError(message: string, command?: string): WharfError {
  return new WharfError("USAGE", message, command ? { command } : {});
}

export function exitCodeFor(err: unknown): number {
  if (!isWharfError(err, "USAGE")) return EXIT_FAILURE;
  return typeof err.detail.exitCode === "number" ? err.detail.exitCode : EXIT_USAGE;
}

/** The line printed for an error (a usage error's usage block is added by the program, which knows the commands). */
export function formatError(err: unknown): string {
  if (isWharfError(err)) return err.message;
  const noSpace = noSpaceError(err);
  if (noSpace) return noSpace.message;
  if (err instanceof Error) return systemErrorLine(err as NodeJS.ErrnoException) ?? err.message;
  return String(err);
}

/**
 * An operating-system error as Go (and so docker) words it: `open /x.tar: no such file or directory`
 * rather than node's `ENOENT: no such file or directory, open '/x.tar'`.
 */
function systemErrorLine(err: NodeJS.ErrnoException): string | undefined {
  if (!err.code || !err.syscall || !err.message.startsWith(`${err.code}: `)) return undefined;
  const description = err.message.slice(err.code.length + 2).split(", ")[0];
  const path = err.path === undefined ? "" : ` ${err.path}`;
  return `${err.syscall}${path}: ${description}`;
}
