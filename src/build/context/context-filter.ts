/**
 * fsutil's filterFS (tonistiigi/fsutil filter.go), which BuildKit filters a build context with,
 * ported to TypeScript: include and exclude patterns applied to a walk. A path is kept when an
 * include pattern matches it or a parent (if there are include patterns) and no exclude pattern
 * does (exclusions "!" re-include). An excluded directory is not descended into unless an exclusion
 * could re-include something below it (any exclusion with wildcards, or a plain one under that
 * directory); a directory kept only for what is below it is reported just before its first kept
 * descendant, so empty excluded directories are not part of the context.
 */
import { isWharfError, WharfError } from "../../errors.ts";
import { SKIP_DIR, type Walk, type WalkEntry } from "./directory-walk.ts";
import type { Pattern } from "./pattern.ts";
import { type MatchInfo, NO_MATCH_INFO, PatternMatcher } from "./pattern-matcher.ts";

export interface FilterOptions {
  /** Keep only paths matching one of these (or below a match); none or empty: keep everything. */
  readonly includePatterns?: readonly string[];
  /** Drop paths matching these (or below a match), in .dockerignore order with "!" exceptions. */
  readonly excludePatterns?: readonly string[];
}

/** Characters that make a pattern more than a plain path prefix (fsutil's patternChars on Linux). */
const PATTERN_CHARS = /[*[\]?^\\]/;

interface VisitedDir {
  readonly entry: WalkEntry;
  readonly pathWithSep: string;
  includeMatchInfo: MatchInfo;
  excludeMatchInfo: MatchInfo;
  calledFn: boolean;
  skipFn: boolean;
}

export class ContextFilter {
  private readonly includeMatcher: PatternMatcher | undefined;
  private readonly excludeMatcher: PatternMatcher | undefined;
  private readonly onlyPrefixIncludes: boolean;
  private readonly onlyPrefixExcludeExceptions: boolean;

  /** NewFilterFS: throws IGNORE_PATTERN_INVALID for a bad pattern, as fsutil words it. */
  constructor(options: FilterOptions) {
    const include = options.includePatterns ?? [];
    const exclude = options.excludePatterns ?? [];
    this.includeMatcher = include.length > 0 ? createMatcher("includepatterns", include) : undefined;
    this.excludeMatcher = exclude.length > 0 ? createMatcher("excludepatterns", exclude) : undefined;
    this.onlyPrefixIncludes = !(this.includeMatcher?.patterns ?? []).some(
      (p) => !p.exclusion && PATTERN_CHARS.test(patternWithoutTrailingGlob(p)),
    );
    this.onlyPrefixExcludeExceptions = !(this.excludeMatcher?.patterns ?? []).some(
      (p) => p.exclusion && PATTERN_CHARS.test(patternWithoutTrailingGlob(p)),
    );
  }

  /** filterFS.Open: whether the file at `path` may be read from the context. */
  allowsOpen(path: string): boolean {
    if (this.includeMatcher !== undefined && !this.includeMatcher.matchesOrParentMatches(path)) return false;
    if (this.excludeMatcher?.matchesOrParentMatches(path) === true) return false;
    return true;
  }

  /** filterFS.Walk: the walk `inner` with this filter applied. */
  apply(inner: Walk): Walk {
    return (visit) => {
      const filtering = this.includeMatcher !== undefined || this.excludeMatcher !== undefined;
      // The directories above the current entry, for their match results and their late visits.
      const parentDirs: VisitedDir[] = [];
      return inner((entry) => {
        const { path, isDir } = entry;
        if (filtering) {
          while (parentDirs.length > 0 && !path.startsWith(parentDirs[parentDirs.length - 1]!.pathWithSep)) {
            parentDirs.pop();
          }
        }
        const dir: VisitedDir = {
          entry,
          pathWithSep: `${path}/`,
          includeMatchInfo: NO_MATCH_INFO,
          excludeMatchInfo: NO_MATCH_INFO,
          calledFn: false,
          skipFn: false,
        };
        const parent = parentDirs[parentDirs.length - 1];
        let skip = false;

        if (this.includeMatcher !== undefined) {
          const { matched, info } = matchWith(
            "includepatterns",
            this.includeMatcher,
            path,
            parent?.includeMatchInfo ?? NO_MATCH_INFO,
          );
          dir.includeMatchInfo = info;
          if (!matched) {
            // Nothing below a directory can match when no plain include pattern lies under it.
            if (isDir && this.onlyPrefixIncludes && !hasPatternBelow(this.includeMatcher, path, false)) {
              return SKIP_DIR;
            }
            skip = true;
          }
        }

        if (this.excludeMatcher !== undefined) {
          const { matched, info } = matchWith(
            "excludepatterns",
            this.excludeMatcher,
            path,
            parent?.excludeMatchInfo ?? NO_MATCH_INFO,
          );
          dir.excludeMatchInfo = info;
          if (matched) {
            // Nothing below an excluded directory comes back when no exception lies under it.
            if (isDir && this.onlyPrefixExcludeExceptions) {
              if (!this.excludeMatcher.exclusions) return SKIP_DIR;
              if (!hasPatternBelow(this.excludeMatcher, path, true)) return SKIP_DIR;
            }
            skip = true;
          }
        }

        if (entry.error !== undefined) {
          // An unreadable directory that is not part of the context is no failure.
          if (skip && entry.error.code === "EACCES") return undefined;
          throw entry.error;
        }

        try {
          if (skip) return undefined;
          dir.calledFn = true;
          for (const parentDir of parentDirs) {
            if (parentDir.skipFn) return SKIP_DIR;
            if (parentDir.calledFn) continue;
            parentDir.calledFn = true;
            if (visit(parentDir.entry) === SKIP_DIR) {
              parentDir.skipFn = true;
              return SKIP_DIR;
            }
          }
          return visit(entry);
        } finally {
          // fsutil's deferred push: a directory is a parent of what follows, kept or not.
          if (filtering && isDir) parentDirs.push(dir);
        }
      });
    };
  }
}

function createMatcher(what: string, patterns: readonly string[]): PatternMatcher {
  try {
    return PatternMatcher.create(patterns);
  } catch (err) {
    throw wrapped(err, `invalid ${what}: [${patterns.join(" ")}]`);
  }
}

function matchWith(
  what: string,
  matcher: PatternMatcher,
  path: string,
  parent: MatchInfo,
): { matched: boolean; info: MatchInfo } {
  try {
    return matcher.matchesUsingParentResults(path, parent);
  } catch (err) {
    throw wrapped(err, `failed to match ${what}`);
  }
}

/** Go's errors.Wrap: the context in front of the cause's message, the code kept. */
function wrapped(err: unknown, context: string): unknown {
  if (!isWharfError(err)) return err;
  return new WharfError(err.code, `${context}: ${err.message}`, err.detail, { cause: err });
}

/** Whether a pattern (exclusions or inclusions, as asked) names a path under the directory `dir`. */
function hasPatternBelow(matcher: PatternMatcher, dir: string, exclusions: boolean): boolean {
  const dirSlash = `${dir}/`;
  return matcher.patterns.some(
    (p) => p.exclusion === exclusions && `${patternWithoutTrailingGlob(p)}/`.startsWith(dirSlash),
  );
}

/** The pattern without a trailing "/**" or "/*" (each removed once, in that order). */
function patternWithoutTrailingGlob(p: Pattern): string {
  let s = p.toString();
  if (s.endsWith("/**")) s = s.slice(0, -3);
  if (s.endsWith("/*")) s = s.slice(0, -2);
  return s;
}
