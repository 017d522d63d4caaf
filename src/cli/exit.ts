/**
 * How failures reach a person: one line on stderr and Docker's exit codes (1 for a failed operation,
 * 125 for bad usage: an unknown flag, a wrong number of arguments).
 */
import { isWharfError, noSpaceError, WharfError } from "../errors.ts";

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 125;

export function usageError(message: string, command?: string): WharfError {
  return new WharfError("USAGE", message, command ? { command } : {});
}

export function exitCodeFor(err: unknown): number {
  return isWharfError(err, "USAGE") ? EXIT_USAGE : EXIT_FAILURE;
}

/** The line printed for an error: its message, plus Docker's "See '... --help'." hint for usage errors. */
export function formatError(err: unknown): string {
  if (isWharfError(err)) {
    const command = err.detail.command;
    if (err.code === "USAGE" && typeof command === "string")
      return `${err.message}\nSee '${command} --help'.`;
    return err.message;
  }
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
