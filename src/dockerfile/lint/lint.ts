/**
 * lintDockerfile: BuildKit's build checks over a Dockerfile, in the order dockerfile2llb runs them
 * (so the warnings come out in the order `docker build` prints them): the parser's empty
 * continuation lines, the instruction checks, stage names and casing, the FROM lines, then each
 * stage's instructions. Pure: a base image's config, which BuildKit reads from the registry, comes
 * from the caller if at all.
 */
import { WharfError } from "../../errors.ts";
import { parseDirective } from "../directives.ts";
import { type ParseResult, parseDockerfile } from "../parser.ts";
import { ShellLexer } from "../shell-lexer.ts";
import { type CheckOptions, defaultCheckOptions, parseCheckOptions } from "./check-options.ts";
import { type BaseImageConfig, checkDispatch } from "./dispatch-checks.ts";
import {
  buildMetaArgs,
  checkDefaultBaseNames,
  checkFromLines,
  defaultArgs,
  type GlobalScope,
} from "./from-checks.ts";
import { parseWithChecks } from "./parse-checks.ts";
import { hostPlatform, type LintPlatform } from "./platform-spec.ts";
import { type LintWarning, RuleLinter } from "./rule-linter.ts";
import { MESSAGES, RULES } from "./rules.ts";
import { checkInstructionCasing, checkStageNames } from "./stage-checks.ts";

export interface LintOptions {
  /**
   * --build-arg values. `BUILDKIT_DOCKERFILE_CHECK` among them replaces the `# check=` directive
   * (`skip=A,B;error=true`), as in BuildKit.
   */
  buildArgs?: Readonly<Record<string, string>>;
  /**
   * The build's --target: "" is the last stage. Only the stages the target needs get the
   * per-instruction checks (UndefinedVar, JSONArgsRecommended, ...), as in a build. Undefined:
   * every stage does, as `docker build --check` without a target.
   */
  target?: string;
  /** BUILDPLATFORM and TARGETPLATFORM (default: linux on the host's architecture). */
  buildPlatform?: LintPlatform;
  targetPlatform?: LintPlatform;
  /**
   * A base image's config (Env, Shell, the platform pulled) by the name FROM gives after
   * expansion. Without it an image has no Env beyond the PATH BuildKit always sets, so `$HOME`
   * from an image would be reported as undefined: a build that has the configs should pass them.
   */
  baseImage?: (name: string) => BaseImageConfig | undefined;
  /** The file already parsed (parseDockerfile(source)), to not parse it twice. */
  parsed?: ParseResult;
}

export interface LintResult {
  warnings: LintWarning[];
  /**
   * `error=true` is in force and a check fired: the build must fail with this message (BuildKit's
   * `lint violation found for rules: A, B`). Undefined otherwise, and when `error` is set.
   */
  failure: string | undefined;
  /**
   * The error at which BuildKit stops (the file does not parse, an unknown instruction, a FROM
   * that expands to nothing, ...): the checks up to it still count, as BuildKit still prints them.
   */
  error: WharfError | undefined;
  /** The check options in force (the directive or BUILDKIT_DOCKERFILE_CHECK). */
  checkOptions: CheckOptions;
}

const CHECK_BUILD_ARG = "BUILDKIT_DOCKERFILE_CHECK";

export function lintDockerfile(source: string, options: LintOptions = {}): LintResult {
  const buildArgs = options.buildArgs ?? {};
  let checkOptions: CheckOptions;
  try {
    checkOptions = checkOptionsFor(source, buildArgs);
  } catch (err) {
    return {
      warnings: [],
      failure: undefined,
      error: asWharfError(err),
      checkOptions: defaultCheckOptions(),
    };
  }
  const linter = new RuleLinter(checkOptions);
  const result = (error: unknown): LintResult => ({
    warnings: [...linter.warnings],
    failure: error === undefined ? linter.failure() : undefined,
    error: error === undefined ? undefined : asWharfError(error),
    checkOptions,
  });

  let parsed: ParseResult;
  try {
    parsed = options.parsed ?? parseDockerfile(source);
  } catch (err) {
    return result(err);
  }
  for (const warning of parsed.warnings) {
    if (warning.url !== RULES.NoEmptyContinuation.url) continue;
    const location = { startLine: warning.line, endLine: warning.line };
    linter.run(RULES.NoEmptyContinuation, location, MESSAGES.NoEmptyContinuation());
  }

  const { stages, metaArgs, error } = parseWithChecks(parsed.ast, linter);
  if (error !== undefined) return result(error);
  checkStageNames(stages, linter);
  checkInstructionCasing(stages, linter);

  const build = options.buildPlatform ?? hostPlatform();
  const target = options.targetPlatform ?? build;
  const targetStage = options.target || (stages.at(-1)?.stage.name ?? "");
  const lexer = new ShellLexer({ escapeToken: parsed.escapeToken });
  const defaults = defaultArgs(build, target, buildArgs, targetStage);
  checkDefaultBaseNames(stages, lexer, defaults, metaArgs, linter);

  let scope: GlobalScope;
  try {
    scope = buildMetaArgs(defaults, lexer, metaArgs, buildArgs);
  } catch (err) {
    return result(err);
  }
  const from = checkFromLines(stages, lexer, scope, build, linter);
  if (from.error !== undefined) return result(from.error);

  const dispatchError = checkDispatch(
    {
      stages,
      baseNames: from.baseNames,
      platforms: from.platforms,
      targetPlatform: target,
      scope,
      lexer,
      buildArgs,
      target: options.target,
      baseImage: options.baseImage,
    },
    linter,
  );
  return result(dispatchError);
}

/** BUILDKIT_DOCKERFILE_CHECK wins over the directive; either failing to parse fails the build. */
function checkOptionsFor(source: string, buildArgs: Readonly<Record<string, string>>): CheckOptions {
  const fromArg = Object.hasOwn(buildArgs, CHECK_BUILD_ARG) ? buildArgs[CHECK_BUILD_ARG] : undefined;
  const [value, what] =
    fromArg !== undefined
      ? [fromArg, `build-arg:${CHECK_BUILD_ARG}`]
      : [parseDirective("check", source)?.value ?? "", "check options"];
  try {
    return parseCheckOptions(value);
  } catch (err) {
    if (!(err instanceof WharfError)) throw err;
    const message = `failed to parse ${what}: ${err.message}`;
    throw new WharfError(err.code, message, { ...err.detail, reason: message }, { cause: err });
  }
}

/** Failures of the file are WharfErrors; anything else is a bug and is not swallowed. */
function asWharfError(err: unknown): WharfError {
  if (err instanceof WharfError) return err;
  throw err;
}
