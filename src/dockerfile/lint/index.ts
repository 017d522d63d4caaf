/** BuildKit's Dockerfile build checks (the warnings `docker build` prints, `docker build --check`). Pure: no I/O. */
export { type CheckOptions, parseCheckOptions } from "./check-options.ts";
export type { BaseImageConfig } from "./dispatch-checks.ts";
export { type LintOptions, type LintResult, lintDockerfile } from "./lint.ts";
export type { LintPlatform } from "./platform-spec.ts";
export type { LintLocation, LintWarning } from "./rule-linter.ts";
export { type LintRule, MESSAGES, RULES, type RuleName } from "./rules.ts";
export { formatLintSummary, formatLintWarning } from "./summary.ts";
