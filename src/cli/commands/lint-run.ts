/**
 * `wharf lint [-f Dockerfile] [CONTEXT]`: BuildKit's build checks and the practice rules over a
 * Dockerfile, as text, JSON or SARIF on stdout. The inputs are `wharf build`'s (CONTEXT/Dockerfile,
 * -f FILE from the working directory, -f - from stdin, CONTEXT - for a Dockerfile alone on stdin),
 * the context's ignore file is read as a build reads it, and the config is CONTEXT/.wharf-lint.yaml
 * or --config FILE (lint-config.ts).
 *
 * Exit codes: 1 when a finding is at or above the failure threshold, when BuildKit would not build
 * the file (its error in BuildKit's shape on stderr, after the findings), or when the Dockerfile or
 * context is missing; 125 for a bad flag value or config file; 0 otherwise. The threshold is
 * --failure-threshold, else the config's, else `warning`: hadolint's default is `info`, but info
 * findings here are advice (a digest pin, a smaller base image) that should not fail a CI run.
 *
 * Base images are not pulled: a variable that a base image's ENV defines is reported by BuildKit's
 * UndefinedVar, as a build without the image would.
 */
import { readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import type { Command } from "commander";
import { readContextIgnorePatterns } from "../../build/context/dockerignore-file.ts";
import { PatternMatcher } from "../../build/context/pattern-matcher.ts";
import {
  emptyLintConfig,
  LINT_CONFIG_FILE,
  type LintConfig,
  parseLintConfig,
} from "../../dockerfile/lint/lint-config.ts";
import {
  type ContextFacts,
  lintRules,
  lintWithPractices,
  meetsThreshold,
  THRESHOLDS,
  type Threshold,
  UNWANTED_IN_CONTEXT,
} from "../../dockerfile/lint/practice/index.ts";
import { WharfError } from "../../errors.ts";
import { WHARF_VERSION } from "../../version.ts";
import { usageError } from "../exit.ts";
import { buildFailure } from "./build-error.ts";
import { type BuildInput, readBuildInput } from "./build-input.ts";
import { formatLintReport, LINT_FORMATS, type LintFormat } from "./lint-format.ts";

export interface LintFlags {
  file?: string;
  format: string;
  failureThreshold?: string;
  config?: string;
}

const COMMAND = "wharf lint";
export const DEFAULT_FAILURE_THRESHOLD: Threshold = "warning";

export async function runLint(context: string, flags: LintFlags, _command: Command): Promise<void> {
  if (!(LINT_FORMATS as readonly string[]).includes(flags.format))
    throw usageError(`invalid --format "${flags.format}": text, json or sarif`, COMMAND);
  const threshold = flags.failureThreshold;
  if (threshold !== undefined && !(THRESHOLDS as readonly string[]).includes(threshold))
    throw usageError(`invalid --failure-threshold "${threshold}": ${THRESHOLDS.join(", ")}`, COMMAND);
  const input = await readBuildInput(context, flags.file);
  try {
    const config = await readConfig(flags.config, input.contextDir);
    const facts = input.contextDir === "" ? undefined : await contextFacts(input);
    const result = lintWithPractices(input.dockerfile, { config, ...(facts ? { context: facts } : {}) });
    const file = shownFile(context, flags.file);
    const errorLine = result.error?.detail.startLine;
    process.stdout.write(
      formatLintReport(flags.format as LintFormat, {
        findings: result.findings,
        file,
        error:
          result.error === undefined
            ? undefined
            : { message: result.error.message, line: typeof errorLine === "number" ? errorLine : undefined },
        rules: lintRules(),
        toolVersion: WHARF_VERSION,
      }),
    );
    if (result.error !== undefined) throw buildFailure(result.error, input.dockerfile, file);
    const failAt =
      (threshold as Threshold | undefined) ?? config.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
    if (result.findings.some((f) => meetsThreshold(f.severity, failAt))) process.exitCode = 1;
  } finally {
    await input.cleanup();
  }
}

/** The Dockerfile as the user named it: `-` for stdin, -f as given, else CONTEXT/Dockerfile. */
function shownFile(context: string, file: string | undefined): string {
  if (file !== undefined) return file;
  return context === "-" ? "-" : join(context, "Dockerfile");
}

/** --config FILE (it must exist), else CONTEXT/.wharf-lint.yaml when there is one. */
async function readConfig(path: string | undefined, contextDir: string): Promise<LintConfig> {
  const file = path ?? (contextDir === "" ? undefined : join(contextDir, LINT_CONFIG_FILE));
  if (file === undefined) return emptyLintConfig();
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && path === undefined) return emptyLintConfig();
    const reason = code === "ENOENT" ? "no such file or directory" : (err as Error).message;
    throw new WharfError("USAGE", `failed to read lint config: open ${file}: ${reason}`, { file });
  }
  return parseLintConfig(text, path ?? LINT_CONFIG_FILE);
}

/** The context's ignore file (as a build picks it) and which unwanted directories it lets through. */
async function contextFacts(input: BuildInput): Promise<ContextFacts> {
  const { patterns, file } = await readContextIgnorePatterns({
    contextDir: input.contextDir,
    ...(input.dockerfilePath === "-" ? {} : { dockerfile: input.dockerfilePath }),
  });
  const matcher = PatternMatcher.create(patterns);
  const unexcluded: string[] = [];
  for (const name of UNWANTED_IN_CONTEXT) {
    const present = await stat(join(input.contextDir, name)).then(
      () => true,
      () => false,
    );
    if (present && !matcher.matchesOrParentMatches(name)) unexcluded.push(name);
  }
  return { ignoreFile: file === undefined ? undefined : relative(input.contextDir, file), unexcluded };
}
