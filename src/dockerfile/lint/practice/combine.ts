/**
 * `wharf lint`'s findings: BuildKit's build checks (lintDockerfile, every stage, under their
 * BuildKit names) and the practice rules, in one list by line. Where a practice rule and its
 * BuildKit twin report the same instruction, only the practice rule's finding stays (see
 * PracticeRule.buildkitTwin). Then what is ignored goes: the config's `ignored`, BuildKit's
 * `# check=skip=` names, and inline `# wharf-lint ignore=` comments; a practice finding is ignored
 * under its twin's name too.
 */
import { WharfError } from "../../../errors.ts";
import { type ParseResult, parseDockerfile } from "../../parser.ts";
import { lintDockerfile } from "../lint.ts";
import type { LintConfig } from "../lint-config.ts";
import type { LintWarning } from "../rule-linter.ts";
import { RULES } from "../rules.ts";
import { PRACTICE_RULES, runPracticeRules } from "./checks.ts";
import type { ContextFacts } from "./context-files.ts";
import type { Finding, FindingSource, Severity } from "./finding.ts";
import { inlineIgnores } from "./ignores.ts";
import { buildModel } from "./model.ts";
import { Reporter } from "./report.ts";

export interface WharfLintOptions {
  config?: LintConfig;
  /** Undefined: the Dockerfile has no build context (stdin alone): the context rules do not run. */
  context?: ContextFacts;
}

export interface WharfLintResult {
  /** Sorted by line and column. */
  findings: Finding[];
  /**
   * Why BuildKit would not build the file (a parse error, an unknown instruction, ...), in BuildKit's
   * words; the findings are what could still be checked.
   */
  error: WharfError | undefined;
}

/** A rule of either kind, as a report lists it. */
export interface LintRuleInfo {
  code: string;
  description: string;
  url: string;
  severity: Severity;
  source: FindingSource;
}

export function lintWithPractices(source: string, options: WharfLintOptions = {}): WharfLintResult {
  let parsed: ParseResult;
  try {
    parsed = parseDockerfile(source);
  } catch (err) {
    if (err instanceof WharfError) return { findings: [], error: err };
    throw err;
  }
  const buildkit = lintDockerfile(source, { parsed });
  const bkSeverity: Severity = buildkit.checkOptions.errorOnWarnings ? "error" : "warning";
  const model = buildModel(source, parsed);
  const lines = model?.lines ?? source.split(/\r?\n/);
  const reporter = new Reporter(lines);
  if (model !== undefined)
    runPracticeRules(model, reporter, {
      trustedRegistries: options.config?.trustedRegistries ?? [],
      context: options.context,
    });

  const practice = reporter.findings;
  const twinAt = new Set(practice.map((f) => `${twinOf(f.code)}@${f.instructionLine}`));
  const instructions = parsed.ast.children;
  // A warning's line is inside its instruction (NoEmptyContinuation's is the last one): ignores go by the first.
  const instructionOf = (line: number) =>
    instructions.find((n) => n.startLine <= line && line <= n.endLine)?.startLine ?? line;
  const fromBuildkit = buildkit.warnings
    .map((w) => buildkitFinding(w, bkSeverity, instructionOf(w.line)))
    .filter((f) => !twinAt.has(`${f.code}@${f.instructionLine}`));

  const ignores = inlineIgnores(
    lines,
    instructions.map((n) => n.startLine),
  );
  const everywhere = new Set([
    ...(options.config?.ignored ?? []),
    ...buildkit.checkOptions.skipRules,
    ...ignores.global,
  ]);
  const ignored = (f: Finding) => {
    const here = ignores.byInstruction.get(f.instructionLine);
    const names = [f.code, twinOf(f.code)].filter((n): n is string => n !== undefined);
    return names.some((n) => everywhere.has(n) || here?.has(n) === true);
  };
  const findings = [...fromBuildkit, ...practice].filter((f) => !ignored(f)).sort(byPlace);
  return { findings, error: buildkit.error };
}

/** By line, then column (a finding without one first); stable, so BuildKit's come before wharf's. */
function byPlace(a: Finding, b: Finding): number {
  return a.line - b.line || (a.column ?? 0) - (b.column ?? 0);
}

const TWINS: ReadonlyMap<string, string> = new Map(
  PRACTICE_RULES.flatMap((r) => (r.buildkitTwin === undefined ? [] : [[r.code, r.buildkitTwin]])),
);

function twinOf(code: string): string | undefined {
  return TWINS.get(code);
}

function buildkitFinding(warning: LintWarning, severity: Severity, instructionLine: number): Finding {
  return {
    code: warning.rule,
    message: warning.message,
    severity,
    line: warning.line,
    column: undefined,
    source: "buildkit",
    url: warning.url,
    instructionLine,
  };
}

/** Every rule a finding can come from: wharf's by code, then BuildKit's. */
export function lintRules(): LintRuleInfo[] {
  return [
    ...PRACTICE_RULES.map((r) => ({ ...r, source: "wharf" as const })),
    ...Object.values(RULES).map((r) => ({
      code: r.name,
      description: r.description,
      url: r.url,
      severity: "warning" as const,
      source: "buildkit" as const,
    })),
  ].map(({ code, description, url, severity, source }) => ({ code, description, url, severity, source }));
}
