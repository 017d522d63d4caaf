/**
 * A failed build as BuildKit's client prints it: the failing step, the Dockerfile lines around the
 * instruction (`>>>` marks them), then `ERROR: failed to solve: REASON`. The excerpt goes to stderr
 * here; the returned error carries the last line for the CLI's one-line error path (exit 1).
 */
import { isWharfError, WharfError } from "../../errors.ts";

const CONTEXT_LINES = 2;

export function buildFailure(
  err: unknown,
  dockerfile: string,
  dockerfileName: string,
  step?: string,
): WharfError {
  const message = err instanceof Error ? err.message : String(err);
  const lines: string[] = [];
  if (step) lines.push("------", ` > ${step}:`, "------");
  const detail = isWharfError(err) ? err.detail : {};
  const start = typeof detail.startLine === "number" ? detail.startLine : undefined;
  const end = typeof detail.endLine === "number" ? detail.endLine : start;
  if (start !== undefined && end !== undefined && dockerfile !== "") {
    const source = dockerfile.split("\n");
    const from = Math.max(1, start - CONTEXT_LINES);
    const to = Math.min(source.length, end + CONTEXT_LINES);
    const width = String(to).length;
    lines.push(`${dockerfileName}:${start === end ? start : `${start}-${end}`}`, "--------------------");
    for (let n = from; n <= to; n++) {
      const marker = n >= start && n <= end ? ">>>" : "   ";
      lines.push(` ${String(n).padStart(width + 2)} | ${marker} ${source[n - 1] ?? ""}`.trimEnd());
    }
    lines.push("--------------------");
  }
  if (lines.length > 0) process.stderr.write(`${lines.join("\n")}\n`);
  const code = isWharfError(err) ? err.code : "BUILD_INVALID";
  return new WharfError(code, `ERROR: failed to solve: ${message}`, { ...detail }, { cause: err });
}
