/**
 * One .dockerignore pattern, compiled as moby/patternmatcher's Pattern.compile does (ported to
 * TypeScript: @balena/dockerignore matches case-insensitively and mishandles regexp metacharacters,
 * so no npm package gives docker's results). A pattern becomes an exact, prefix ("dir/**") or
 * suffix ("**" first) comparison when it can, else a Go regexp: "*" is any run of non-"/", "?" one
 * non-"/", "**" any number of directories, "[...]" and "\\x" pass through to the regexp, and
 * `.+()|{}$` are escaped. The Go regexp is kept (moby's tests compare it) and translated to a
 * JavaScript RegExp by go-regexp.ts, so that it means what it means in Go.
 */
import { WharfError } from "../../errors.ts";
import { GoRegexpSyntaxError, goRegexpToJs } from "./go-regexp.ts";

export type MatchType = "exactMatch" | "prefixMatch" | "suffixMatch" | "regexpMatch";

export interface CompiledPattern {
  readonly matchType: MatchType;
  /** The Go regexp source moby compiles (regexpMatch only). */
  readonly regexp: string | undefined;
}

/** Go's filepath.ErrBadPattern, which is what every compile failure becomes. */
export function badPatternError(pattern: string, cause?: unknown): WharfError {
  return new WharfError("IGNORE_PATTERN_INVALID", "syntax error in pattern", { pattern }, { cause });
}

/** moby's shouldEscape: regexp metacharacters that mean nothing in a filepath pattern. */
const REGEXP_ONLY_METACHARACTERS = new Set([".", "+", "(", ")", "|", "{", "}", "$"]);

/** Pattern.compile with "/" as separator: the match type and, for regexpMatch, the Go regexp source. */
export function compilePattern(cleanedPattern: string): CompiledPattern {
  let regexp = "^";
  let matchType: MatchType = "exactMatch";
  const chars = Array.from(cleanedPattern);
  // text/scanner, which moby reads the pattern with, skips a byte order mark at the start.
  let pos = chars[0] === "\uFEFF" ? 1 : 0;
  const peek = (): string | undefined => chars[pos];

  for (let i = 0; pos < chars.length; i++) {
    const ch = chars[pos++]!;
    if (ch === "*") {
      if (peek() === "*") {
        pos++;
        // "**/" is treated as "**": the "/" is eaten.
        if (peek() === "/") pos++;
        if (peek() === undefined) {
          // "**" at the end accepts everything below, as .gitignore does.
          if (matchType === "exactMatch") {
            matchType = "prefixMatch";
          } else {
            regexp += ".*";
            matchType = "regexpMatch";
          }
        } else {
          // Any number of directories, even none.
          regexp += "(.*/)?";
          matchType = "regexpMatch";
        }
        // moby decides by the first character only: a later "*" or "?" still makes it a regexp.
        if (i === 0) matchType = "suffixMatch";
      } else {
        regexp += "[^/]*";
        matchType = "regexpMatch";
      }
    } else if (ch === "?") {
      regexp += "[^/]";
      matchType = "regexpMatch";
    } else if (REGEXP_ONLY_METACHARACTERS.has(ch)) {
      regexp += `\\${ch}`;
    } else if (ch === "\\") {
      // The escaped character goes to the regexp as an escape; a trailing "\" stays alone.
      const escaped = chars[pos];
      if (escaped !== undefined) {
        pos++;
        regexp += `\\${escaped}`;
        matchType = "regexpMatch";
      } else {
        regexp += "\\";
      }
    } else if (ch === "[" || ch === "]") {
      regexp += ch;
      matchType = "regexpMatch";
    } else {
      regexp += ch;
    }
  }
  if (matchType !== "regexpMatch") return { matchType, regexp: undefined };
  return { matchType, regexp: `${regexp}$` };
}

/** A pattern of a matcher: cleaned, maybe an exclusion ("!"), compiled on first use as moby does. */
export class Pattern {
  readonly cleanedPattern: string;
  readonly exclusion: boolean;
  /** The pattern split at "/" (the deprecated Matches compares parents of this depth). */
  readonly dirs: readonly string[];
  private compiled: { matchType: MatchType; test: (path: string) => boolean } | undefined;
  private compileError: WharfError | undefined;

  constructor(cleanedPattern: string, exclusion: boolean) {
    this.cleanedPattern = cleanedPattern;
    this.exclusion = exclusion;
    this.dirs = cleanedPattern.split("/");
  }

  toString(): string {
    return this.cleanedPattern;
  }

  /** Pattern.match: throws IGNORE_PATTERN_INVALID when the regexp does not compile (each time). */
  match(path: string): boolean {
    return this.compile().test(path);
  }

  private compile(): { matchType: MatchType; test: (path: string) => boolean } {
    if (this.compiled !== undefined) return this.compiled;
    if (this.compileError !== undefined) throw this.compileError;
    const { matchType, regexp } = compilePattern(this.cleanedPattern);
    const pattern = this.cleanedPattern;
    let test: (path: string) => boolean;
    switch (matchType) {
      case "exactMatch":
        test = (path) => path === pattern;
        break;
      case "prefixMatch": {
        const prefix = pattern.slice(0, -2);
        test = (path) => path.startsWith(prefix);
        break;
      }
      case "suffixMatch": {
        const suffix = pattern.slice(2);
        // "**/foo" also matches "foo" itself.
        test = (path) => path.endsWith(suffix) || (suffix.startsWith("/") && path === suffix.slice(1));
        break;
      }
      case "regexpMatch": {
        let re: RegExp;
        try {
          re = goRegexpToJs(regexp!);
        } catch (err) {
          if (!(err instanceof GoRegexpSyntaxError)) throw err;
          this.compileError = badPatternError(pattern, err);
          throw this.compileError;
        }
        test = (path) => re.test(path);
        break;
      }
    }
    this.compiled = { matchType, test };
    return this.compiled;
  }
}
