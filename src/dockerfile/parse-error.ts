/** Parse failures: line parsers throw a bare reason, the parser adds the lines it spans. */
import { WharfError } from "../errors.ts";

/** A reason without a location yet (BuildKit's errors before withLocation). */
export class DockerfileSyntaxError extends Error {}

/**
 * The WharfError of a parse failure: DOCKERFILE_PARSE, message `dockerfile parse error on line N: reason`
 * (`lines N-M` when it spans several), detail { reason, startLine, endLine }.
 */
export function parseErrorAt(
  reason: string,
  startLine: number,
  endLine = startLine,
  cause?: unknown,
): WharfError {
  const end = Math.max(endLine, startLine);
  const where = end > startLine ? `lines ${startLine}-${end}` : `line ${startLine}`;
  return new WharfError(
    "DOCKERFILE_PARSE",
    `dockerfile parse error on ${where}: ${reason}`,
    { reason, startLine, endLine: end },
    cause === undefined ? undefined : { cause },
  );
}
