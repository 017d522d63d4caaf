/**
 * BuildKit's linter.Linter: runs a rule unless the check options skip it (experimental rules only
 * when enabled), collects the warnings in the order the checks produce them, and remembers which
 * rules fired for `error=true`. A `# check=` comment above an instruction gives a copy with its
 * options merged in that shares the same collection (upstream's WithMergedConfigFromComments).
 */
import { DirectiveParser } from "../directives.ts";
import { type CheckOptions, parseCheckOptions } from "./check-options.ts";
import type { LintRule } from "./rules.ts";

export interface LintWarning {
  /** The rule's name (`StageNameCasing`). */
  rule: string;
  /** The warning as BuildKit words it (`Stage name 'Build' should be lowercase`). */
  message: string;
  /** The rule's general description (what `--debug` prints under the warning). */
  description: string;
  url: string;
  /** 1-based lines of the instruction the warning is about. */
  line: number;
  endLine: number;
}

export interface LintLocation {
  startLine: number;
  endLine: number;
}

interface Collected {
  warnings: LintWarning[];
  /** Rule names in the order they first fired. */
  fired: Set<string>;
}

export class RuleLinter {
  readonly #options: CheckOptions;
  readonly #collected: Collected;

  constructor(options: CheckOptions, collected: Collected = { warnings: [], fired: new Set() }) {
    this.#options = options;
    this.#collected = collected;
  }

  get warnings(): readonly LintWarning[] {
    return this.#collected.warnings;
  }

  get options(): CheckOptions {
    return this.#options;
  }

  run(rule: LintRule, location: LintLocation, message: string): void {
    const o = this.#options;
    if (rule.experimental) {
      if (!o.experimentalAll && !o.experimentalRules.includes(rule.name)) return;
    } else if (o.skipAll || o.skipRules.includes(rule.name)) {
      return;
    }
    this.#collected.fired.add(rule.name);
    this.#collected.warnings.push({
      rule: rule.name,
      message,
      description: rule.description,
      url: rule.url,
      line: location.startLine,
      endLine: location.endLine,
    });
  }

  /**
   * The linter for one instruction: the first `check=` comment above it that parses adds its
   * skips and experimental rules (never `error`); an unparsable one leaves the options as they are.
   */
  withComments(comments: readonly string[]): RuleLinter {
    for (const comment of comments) {
      let found: ReturnType<DirectiveParser["parseLine"]>;
      try {
        found = new DirectiveParser("").parseLine(comment);
      } catch {
        continue;
      }
      if (found?.name !== "check") continue;
      const space = found.value.indexOf(" ");
      let extra: CheckOptions;
      try {
        extra = parseCheckOptions(space < 0 ? found.value : found.value.slice(0, space));
      } catch {
        return this;
      }
      return new RuleLinter(merge(this.#options, extra), this.#collected);
    }
    return this;
  }

  /** `error=true` and a rule fired: BuildKit's error (rules in the order they first fired; upstream's is map order). */
  failure(): string | undefined {
    if (!this.#options.errorOnWarnings || this.#collected.fired.size === 0) return undefined;
    return `lint violation found for rules: ${[...this.#collected.fired].join(", ")}`;
  }
}

function merge(base: CheckOptions, extra: CheckOptions): CheckOptions {
  return {
    skipAll: base.skipAll || extra.skipAll,
    skipRules: [...base.skipRules, ...extra.skipRules],
    experimentalAll: base.experimentalAll || extra.experimentalAll,
    experimentalRules: [...base.experimentalRules, ...extra.experimentalRules],
    errorOnWarnings: base.errorOnWarnings,
  };
}
