/**
 * moby/patternmatcher's PatternMatcher, ported to TypeScript (see pattern.ts for why): patterns are
 * applied in order, a later "!" pattern re-includes what an earlier one excluded, and a path also
 * counts as matched when one of its parent directories matches (MatchesOrParentMatches). Paths are
 * "/"-separated and relative to the context root. The deprecated Matches and
 * MatchesUsingParentResult are kept because their (buggy) answers are part of moby's tested
 * behaviour and of the corpus.
 */
import { isWharfError, WharfError } from "../../errors.ts";
import { pathMatch } from "../../oci/path-match.ts";
import { goClean, goDir, goTrimSpace } from "./go-path.ts";
import { badPatternError, Pattern } from "./pattern.ts";

/** Per-pattern results for a directory, handed to its children (moby's MatchInfo). */
export interface MatchInfo {
  readonly parentMatched: readonly boolean[];
}

export const NO_MATCH_INFO: MatchInfo = { parentMatched: [] };

export class PatternMatcher {
  readonly patterns: readonly Pattern[];
  /** Whether any pattern is an exclusion ("!..."). */
  readonly exclusions: boolean;

  private constructor(patterns: Pattern[]) {
    this.patterns = patterns;
    this.exclusions = patterns.some((p) => p.exclusion);
  }

  /**
   * patternmatcher.New: trims and cleans each pattern, drops empty ones, refuses a lone "!" and
   * any pattern Go's filepath.Match calls malformed. Regexps compile later, on first match.
   */
  static create(patterns: readonly string[]): PatternMatcher {
    const compiled: Pattern[] = [];
    for (const raw of patterns) {
      let p = goTrimSpace(raw);
      if (p === "") continue;
      p = goClean(p);
      let exclusion = false;
      if (p.startsWith("!")) {
        if (p.length === 1) {
          throw new WharfError("IGNORE_PATTERN_INVALID", 'illegal exclusion pattern: "!"', { pattern: raw });
        }
        exclusion = true;
        p = p.slice(1);
      }
      // moby uses filepath.Match only for its syntax check.
      try {
        pathMatch(p, ".");
      } catch (err) {
        throw badPatternError(p, err);
      }
      compiled.push(new Pattern(p, exclusion));
    }
    return new PatternMatcher(compiled);
  }

  /**
   * Deprecated in moby (it checks only the parent at the pattern's own depth), kept for its answers:
   * whether `file` is matched by the patterns and not re-included by a later exclusion.
   */
  matches(file: string): boolean {
    let matched = false;
    const parentPath = goDir(file);
    const parentPathDirs = parentPath.split("/");
    for (const pattern of this.patterns) {
      // An inclusion cannot change a match, an exclusion cannot change a non-match.
      if (pattern.exclusion !== matched) continue;
      let match = pattern.match(file);
      if (!match && parentPath !== "." && pattern.dirs.length <= parentPathDirs.length) {
        match = ignoringErrors(() => pattern.match(parentPathDirs.slice(0, pattern.dirs.length).join("/")));
      }
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }

  /** Whether `file` or one of its parent directories is matched (and not re-included). */
  matchesOrParentMatches(file: string): boolean {
    let matched = false;
    const parentPath = goDir(file);
    const parentPathDirs = parentPath.split("/");
    for (const pattern of this.patterns) {
      if (pattern.exclusion !== matched) continue;
      let match = pattern.match(file);
      if (!match && parentPath !== ".") match = anyParentMatches(pattern, parentPathDirs);
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }

  /** Deprecated in moby (wrong for some exclusions, docker/buildx#850): starts from the parent's result. */
  matchesUsingParentResult(file: string, parentMatched: boolean): boolean {
    let matched = parentMatched;
    for (const pattern of this.patterns) {
      if (pattern.exclusion !== matched) continue;
      if (pattern.match(file)) matched = !pattern.exclusion;
    }
    return matched;
  }

  /**
   * The walker's form: the parent directory's per-pattern results stand in for matching the
   * parents again. Without them (NO_MATCH_INFO) it is matchesOrParentMatches.
   */
  matchesUsingParentResults(file: string, parent: MatchInfo): { matched: boolean; info: MatchInfo } {
    const parentMatched = parent.parentMatched;
    if (parentMatched.length !== 0 && parentMatched.length !== this.patterns.length) {
      throw new WharfError("IGNORE_PATTERN_INVALID", "wrong number of values in parentMatched");
    }
    let matched = false;
    const info: boolean[] = new Array(this.patterns.length).fill(false);
    this.patterns.forEach((pattern, i) => {
      let match = parentMatched.length !== 0 && parentMatched[i] === true;
      if (!match) {
        if (pattern.exclusion !== matched) return;
        match = pattern.match(file);
        if (!match && parentMatched.length === 0) {
          const parentPath = goDir(file);
          if (parentPath !== ".") match = anyParentMatches(pattern, parentPath.split("/"));
        }
      }
      info[i] = match;
      if (match) matched = !pattern.exclusion;
    });
    return { matched, info: { parentMatched: info } };
  }
}

/** Whether the pattern matches one of the parents, shortest first (errors count as no match, as in moby). */
function anyParentMatches(pattern: Pattern, parentPathDirs: readonly string[]): boolean {
  for (let i = 0; i < parentPathDirs.length; i++) {
    if (ignoringErrors(() => pattern.match(parentPathDirs.slice(0, i + 1).join("/")))) return true;
  }
  return false;
}

/** moby discards a parent match's error (`match, _ =`): a bad pattern is simply no match there. */
function ignoringErrors(match: () => boolean): boolean {
  try {
    return match();
  } catch (err) {
    if (isWharfError(err, "IGNORE_PATTERN_INVALID")) return false;
    throw err;
  }
}

/** patternmatcher.Matches (deprecated there): the path is cleaned first and "." is never matched. */
export function matches(file: string, patterns: readonly string[]): boolean {
  const pm = PatternMatcher.create(patterns);
  const cleaned = goClean(file);
  if (cleaned === ".") return false;
  return pm.matches(cleaned);
}

/** patternmatcher.MatchesOrParentMatches: the path is cleaned first and "." is never matched. */
export function matchesOrParentMatches(file: string, patterns: readonly string[]): boolean {
  const pm = PatternMatcher.create(patterns);
  const cleaned = goClean(file);
  if (cleaned === ".") return false;
  return pm.matchesOrParentMatches(cleaned);
}
