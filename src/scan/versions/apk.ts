/**
 * Alpine package versions (apk): Alpine, Wolfi, Chainguard and the other apk-based distributions.
 *
 * Ported by hand from apk-tools 3 src/version.c (apk_version_compare, apk_version_validate): a
 * version is read as tokens `digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#}` and compared
 * token by token. Where a token breaks that grammar the reader stops with an "invalid" token and
 * the comparison still answers, as `apk version -t` does. Two differences, both deliberate:
 * digit runs of any length compare as numbers (apk reads them into a uint64 that wraps), and
 * where both versions break apk-tools 3's grammar at the same token (it calls them equal) but
 * apk-tools 2 accepted both ("5.7.1p1-r0" and "5.7.1p1-r1", "0..8"), apk-tools 2's rules order
 * them (apk-legacy.ts), as the apk of the Alpine branches that shipped such versions did.
 */
import { compareApkLegacy, isValidApkLegacy } from "./apk-legacy.ts";
import { compareDigitRuns, compareStrings, isAsciiDigit } from "./digits.ts";

// Token kinds in the order the grammar allows them; the order matters (see compareApk's tail).
const INITIAL_DIGIT = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const COMMIT_HASH = 5;
const REVISION_NO = 6;
const END = 7;
const INVALID = 8;

// Suffix ranks: the ones below NONE are pre-releases (1.2_rc1 < 1.2 < 1.2_p1).
const SUFFIX_RANK: Readonly<Record<string, number>> = {
  alpha: 1,
  beta: 2,
  pre: 3,
  rc: 4,
  cvs: 6,
  svn: 7,
  git: 8,
  hg: 9,
  p: 10,
};
const SUFFIX_NONE = 5;

interface TokenState {
  kind: number;
  /** The token's text: the digits, the letter, the suffix name or the hash. */
  value: string;
  suffixRank: number;
}

/** Reads one version token by token, as apk-tools' token_first/token_next do. */
class ApkTokenizer {
  readonly state: TokenState = { kind: INITIAL_DIGIT, value: "", suffixRank: 0 };
  private pos = 0;
  private readonly text: string;

  constructor(text: string) {
    this.text = text;
    this.readDigits();
  }

  /** Moves to the next token; a token the grammar does not allow there makes it INVALID. */
  next(): void {
    if (!this.step()) this.state.kind = INVALID;
  }

  /** token_next: false where apk-tools jumps to "invalid". */
  private step(): boolean {
    const t = this.state;
    const c = this.text[this.pos];
    if (c === undefined) {
      t.kind = END;
    } else if (c >= "a" && c <= "z") {
      if (t.kind > DIGIT) return false;
      t.value = c;
      t.kind = LETTER;
      this.pos++;
    } else if (c === "." || isAsciiDigit(c)) {
      if (c === ".") {
        if (t.kind > DIGIT) return false;
        this.pos++;
      }
      if (t.kind === INITIAL_DIGIT || t.kind === DIGIT) t.kind = DIGIT;
      else if (t.kind === SUFFIX) t.kind = SUFFIX_NO;
      else return false;
      this.readDigits();
    } else if (c === "_") {
      if (t.kind > SUFFIX_NO) return false;
      this.pos++;
      t.value = this.span((ch) => ch >= "a" && ch <= "z");
      const rank = SUFFIX_RANK[t.value];
      if (rank === undefined) return false;
      t.suffixRank = rank;
      t.kind = SUFFIX;
    } else if (c === "~") {
      if (t.kind >= COMMIT_HASH) return false;
      this.pos++;
      t.value = this.span((ch) => isAsciiDigit(ch) || (ch >= "a" && ch <= "f"));
      if (t.value === "") return false;
      t.kind = COMMIT_HASH;
    } else if (c === "-") {
      if (t.kind >= REVISION_NO || this.text[this.pos + 1] !== "r") return false;
      this.pos += 2;
      t.kind = REVISION_NO;
      this.readDigits();
    } else {
      return false;
    }
    return true;
  }

  private readDigits(): void {
    this.state.value = this.span(isAsciiDigit);
    if (this.state.value === "") this.state.kind = INVALID;
  }

  private span(accepts: (c: string) => boolean): string {
    const start = this.pos;
    while (this.pos < this.text.length && accepts(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos);
  }
}

/** Two tokens of the same kind, as apk-tools' token_cmp. */
function compareTokens(a: TokenState, b: TokenState): number {
  switch (a.kind) {
    case DIGIT:
      // A leading zero makes a fractional-looking component: string order, as in Gentoo's rules.
      if (a.value[0] === "0" || b.value[0] === "0") return compareStrings(a.value, b.value);
      return compareDigitRuns(a.value, b.value);
    case INITIAL_DIGIT:
    case SUFFIX_NO:
    case REVISION_NO:
      return compareDigitRuns(a.value, b.value);
    case LETTER:
      return compareStrings(a.value, b.value);
    case SUFFIX:
      return a.suffixRank - b.suffixRank;
    default:
      // Commit hashes: apk-tools 3 compares their text.
      return compareStrings(a.value, b.value);
  }
}

export function compareApk(a: string, b: string): number {
  const ra = new ApkTokenizer(a);
  const rb = new ApkTokenizer(b);
  const ta = ra.state;
  const tb = rb.state;
  for (; ta.kind === tb.kind && ta.kind < END; ra.next(), rb.next()) {
    const r = compareTokens(ta, tb);
    if (r !== 0) return Math.sign(r);
  }
  if (ta.kind === tb.kind) {
    // Both broke apk-tools 3's grammar at the same place, where it calls them equal.
    if (ta.kind === INVALID && isValidApkLegacy(a) && isValidApkLegacy(b)) return compareApkLegacy(a, b);
    return 0;
  }
  // Equal so far: the longer version is newer, unless what it goes on with is a pre-release suffix.
  if (ta.kind === SUFFIX && ta.suffixRank < SUFFIX_NONE) return -1;
  if (tb.kind === SUFFIX && tb.suffixRank < SUFFIX_NONE) return 1;
  return ta.kind > tb.kind ? -1 : 1;
}

/** Whether apk itself accepts the version (`apk version -c`). */
export function isValidApk(version: string): boolean {
  const reader = new ApkTokenizer(version);
  while (reader.state.kind < END) reader.next();
  return reader.state.kind === END;
}
