/**
 * `wharf lint`'s rules beyond BuildKit's checks: Dockerfile good practice in the spirit of hadolint.
 * Pure: no I/O (the build context's facts come from the caller).
 *
 * Codes: a rule hadolint has keeps hadolint's code (DLnnnn: DL3xxx about instructions, DL4xxx about
 * the file's structure), so `# hadolint ignore=` comments and hadolint configs carry over. Rules of
 * wharf's own are WLnnnn, by what they look at: WL1xxx the base images, WL2xxx the build context,
 * WL3xxx the stages. BuildKit's checks keep their BuildKit names (`JSONArgsRecommended`).
 *
 * Severities are hadolint's levels (error, warning, info, style); wharf's own rules are info when
 * they are advice (a digest pin, a smaller variant) and warning when something goes wrong unseen.
 * BuildKit's checks are warnings (errors under `# check=error=true`).
 */
export { PRACTICE_RULES } from "./checks.ts";
export {
  type LintRuleInfo,
  lintRules,
  lintWithPractices,
  type WharfLintOptions,
  type WharfLintResult,
} from "./combine.ts";
export { type ContextFacts, UNWANTED_IN_CONTEXT } from "./context-files.ts";
export {
  type Finding,
  type FindingSource,
  meetsThreshold,
  type PracticeRule,
  SEVERITIES,
  type Severity,
  THRESHOLDS,
  type Threshold,
} from "./finding.ts";
export { shellCommands } from "./shell-script.ts";
