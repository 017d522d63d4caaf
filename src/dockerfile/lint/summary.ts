/**
 * The warnings as the build prints them once it is done (buildx's printWarnings without --debug;
 * the short form is BuildKit's linter.LintFormatShort).
 */
import type { LintWarning } from "./rule-linter.ts";

/** `Rule: message (line N)` (no line part when the line is unknown). */
export function formatLintWarning(warning: LintWarning): string {
  const text = `${warning.rule}: ${warning.message}`;
  return warning.line > 0 ? `${text} (line ${warning.line})` : text;
}

/**
 * ` N warnings found (use docker --debug to expand):` and ` - ...` per warning, each line ending in
 * a newline; "" when there are none. buildx writes an empty line before it.
 */
export function formatLintSummary(warnings: readonly LintWarning[]): string {
  if (warnings.length === 0) return "";
  const count = warnings.length === 1 ? "1 warning found" : `${warnings.length} warnings found`;
  let out = ` ${count} (use docker --debug to expand):\n`;
  for (const warning of warnings) out += ` - ${formatLintWarning(warning)}\n`;
  return out;
}
