/**
 * How failures reach a person: one line on stderr and Docker's exit codes (1 for a failed operation,
 * 125 for bad usage: an unknown flag, a wrong number of arguments).
 */
import { isWharfError, WharfError } from "../errors.ts";

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
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    // Operating-system errors already name the path and the call (EACCES: permission denied, open '...').
    return code && err.message.startsWith(code) ? err.message : `${err.message}`;
  }
  return String(err);
}
