/**
 * The global scope and the FROM lines: the predefined platform ARGs and the meta ARGs (BuildKit's
 * defaultArgs and buildMetaArgs), then InvalidDefaultArgInFrom (base names with only the defaults),
 * UndefinedArgInFrom, RedundantTargetPlatform and FromPlatformFlagConstDisallowed (with the real
 * build args), as dockerfile2llb's validateBaseImagesWithDefaultArgs and buildDispatchStates do.
 */
import { WharfError } from "../../errors.ts";
import type { ArgCommand } from "../instructions/commands.ts";
import { suggestWord } from "../instructions/suggest.ts";
import type { EnvLookup, ProcessedWord, ShellLexer } from "../shell-lexer.ts";
import { isValidImageName } from "./image-name.ts";
import { type LintStage, locationOf } from "./parse-checks.ts";
import { formatPlatform, type LintPlatform, parsePlatformSpec } from "./platform-spec.ts";
import type { LintLocation, RuleLinter } from "./rule-linter.ts";
import { MESSAGES, RULES } from "./rules.ts";

export function lookupIn(map: ReadonlyMap<string, string>): EnvLookup {
  return { get: (name) => map.get(name) };
}

/** BUILDPLATFORM ... TARGETSTAGE, a build arg of the same name overriding each. */
export function defaultArgs(
  build: LintPlatform,
  target: LintPlatform,
  buildArgs: Readonly<Record<string, string>>,
  targetStage: string,
): Map<string, string> {
  const entries: [string, string][] = [
    ["BUILDPLATFORM", formatPlatform(build)],
    ["BUILDOS", build.os],
    ["BUILDOSVERSION", build.osVersion ?? ""],
    ["BUILDARCH", build.architecture],
    ["BUILDVARIANT", build.variant ?? ""],
    ["TARGETPLATFORM", formatPlatform(target, true)],
    ["TARGETOS", target.os],
    ["TARGETOSVERSION", target.osVersion ?? ""],
    ["TARGETARCH", target.architecture],
    ["TARGETVARIANT", target.variant ?? ""],
    ["TARGETSTAGE", targetStage === "" ? "default" : targetStage],
  ];
  return new Map(entries.map(([k, v]) => [k, Object.hasOwn(buildArgs, k) ? (buildArgs[k] ?? "") : v]));
}

export interface GlobalScope {
  /** Every global ARG with a value: predefined ones, then the meta ARGs in order. */
  args: Map<string, string>;
  /** The meta ARGs' names (declared even without a value). */
  declared: string[];
}

/** buildMetaArgs: each meta ARG's default expanded over what is defined so far, a build arg winning. Throws on a bad expansion. */
export function buildMetaArgs(
  start: ReadonlyMap<string, string>,
  lexer: ShellLexer,
  metaArgs: readonly ArgCommand[],
  buildArgs: Readonly<Record<string, string>>,
): GlobalScope {
  const args = new Map(start);
  const declared: string[] = [];
  for (const command of metaArgs) {
    for (const arg of command.args) {
      let value = Object.hasOwn(buildArgs, arg.key) ? buildArgs[arg.key] : undefined;
      if (value === undefined && arg.value !== undefined)
        value = lexer.processWord(arg.value, lookupIn(args)).word;
      if (value !== undefined) args.set(arg.key, value);
      if (!declared.includes(arg.key)) declared.push(arg.key);
    }
  }
  return { args, declared };
}

/** InvalidDefaultArgInFrom: with no build args at all, would each base name still parse? */
export function checkDefaultBaseNames(
  stages: readonly LintStage[],
  lexer: ShellLexer,
  defaults: ReadonlyMap<string, string>,
  metaArgs: readonly ArgCommand[],
  lint: RuleLinter,
): void {
  let scope: GlobalScope;
  try {
    scope = buildMetaArgs(defaults, lexer, metaArgs, {});
  } catch {
    return; // the build fails on it later; this check just gives up, as upstream's does
  }
  for (const { stage } of stages) {
    let name: string;
    try {
      name = lexer.processWord(stage.baseName, lookupIn(scope.args)).word;
    } catch {
      return;
    }
    if (!isValidImageName(name))
      lint.run(
        RULES.InvalidDefaultArgInFrom,
        locationOf(stage),
        MESSAGES.InvalidDefaultArgInFrom(stage.baseName),
      );
  }
}

export interface ResolvedFrom {
  /** Each stage's base name, expanded. */
  baseNames: string[];
  /** Each stage's --platform, parsed (undefined without one). */
  platforms: (LintPlatform | undefined)[];
  error: unknown;
}

/** The FROM lines against the global scope, in order; the first that BuildKit refuses ends the walk. */
export function checkFromLines(
  stages: readonly LintStage[],
  lexer: ShellLexer,
  scope: GlobalScope,
  buildPlatform: LintPlatform,
  linter: RuleLinter,
): ResolvedFrom {
  const baseNames: string[] = [];
  const platforms: (LintPlatform | undefined)[] = [];
  const known = new Set([...scope.declared, ...scope.args.keys()]);
  const env = lookupIn(scope.args);
  for (const { stage } of stages) {
    const lint = linter.withComments(stage.comments);
    const location = locationOf(stage);
    let name: ProcessedWord;
    try {
      name = lexer.processWord(stage.baseName, env);
    } catch (err) {
      return { baseNames, platforms, error: located(err, location) };
    }
    reportUndeclared(name.unmatched, known, location, lint);
    if (name.word === "")
      return {
        baseNames,
        platforms,
        error: fromError(`base name (${stage.baseName}) should not be blank`, location),
      };
    baseNames.push(name.word);
    platforms.push(undefined);
    if (stage.platform === "") continue;

    let platform: ProcessedWord;
    try {
      platform = lexer.processWord(stage.platform, env);
    } catch (err) {
      return { baseNames, platforms, error: located(err, location) };
    }
    reportUndeclared(platform.unmatched, known, location, lint);
    if (
      platform.matched.size === 1 &&
      platform.unmatched.size === 0 &&
      platform.matched.has("TARGETPLATFORM") &&
      platform.word === (scope.args.get("TARGETPLATFORM") ?? "")
    )
      lint.run(RULES.RedundantTargetPlatform, location, MESSAGES.RedundantTargetPlatform(stage.platform));
    const parsed = parsePlatformSpec(platform.word, buildPlatform);
    if (platform.matched.size === 0 && platform.unmatched.size === 0 && parsed !== undefined) {
      // A stage named for its platform (`AS build_amd64`) is the one use of a constant upstream allows.
      if (!stage.name.includes(parsed.os) && !stage.name.includes(parsed.architecture))
        lint.run(
          RULES.FromPlatformFlagConstDisallowed,
          location,
          MESSAGES.FromPlatformFlagConstDisallowed(platform.word),
        );
    }
    if (platform.word === "")
      return {
        baseNames,
        platforms,
        error: fromError(`empty platform value from expression ${stage.platform}`, location),
      };
    if (parsed === undefined)
      return {
        baseNames,
        platforms,
        error: fromError(`failed to parse platform ${stage.platform}`, location),
      };
    platforms[platforms.length - 1] = parsed;
  }
  return { baseNames, platforms, error: undefined };
}

function reportUndeclared(
  unmatched: ReadonlySet<string>,
  known: ReadonlySet<string>,
  location: LintLocation,
  lint: RuleLinter,
): void {
  for (const arg of unmatched) {
    if (known.has(arg)) continue;
    lint.run(
      RULES.UndefinedArgInFrom,
      location,
      MESSAGES.UndefinedArgInFrom(arg, suggestWord(arg, [...known], true)),
    );
  }
}

function fromError(message: string, location: LintLocation): WharfError {
  return new WharfError("DOCKERFILE_INSTRUCTION", message, { reason: message, ...location });
}

/** An expansion error with the FROM line's location added. */
function located(err: unknown, location: LintLocation): unknown {
  if (!(err instanceof WharfError) || err.detail.startLine !== undefined) return err;
  return new WharfError(err.code, err.message, { ...err.detail, ...location }, { cause: err });
}
