/**
 * apk-tools 2's version order, for the versions apk-tools 3 no longer reads.
 *
 * Alpine branches up to 3.22 shipped apk-tools 2, which accepted versions that apk-tools 3 rejects:
 * a letter followed by digits ("1.9.5p2-r0", sudo and openssh did this for years), empty
 * components ("0..8"), a revision without a number ("1-r"). Their package databases and secdb
 * entries still carry such versions, and apk-tools 3 calls every pair of them that breaks at the
 * same place equal. apk.ts hands those pairs here.
 *
 * Ported by hand from apk-tools v2.14 src/version.c (get_token, next_token,
 * apk_version_compare_blob_fuzzy). Each token has a value (a number, a letter's code, a suffix's
 * signed rank) and comparison stops at the first token whose kind or value differs.
 */
import { isAsciiDigit } from "./digits.ts";

// Token kinds, in the order apk-tools 2 allows them to follow each other.
const INVALID = -1;
const DIGIT_OR_ZERO = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const REVISION_NO = 5;
const END = 6;

// Pre-release suffixes get negative values (-4..-1), the others 0..4; apk-tools 2 matches them
// as prefixes, so "_rcfoo" reads as "_rc" followed by junk.
const PRE_SUFFIXES = ["alpha", "beta", "pre", "rc"];
const POST_SUFFIXES = ["cvs", "svn", "git", "hg", "p"];
// Past 17 digits apk-tools 2 calls a number invalid (it would overflow its int64).
const MAX_NUMBER_DIGITS = 17;

const isLower = (c: string | undefined): boolean => c !== undefined && c >= "a" && c <= "z";

/** One version being read: the text, the position, and the kind of the token at that position. */
class LegacyReader {
  kind = DIGIT;
  private pos = 0;
  private readonly text: string;

  constructor(text: string) {
    this.text = text;
  }

  /** The value of the token at the position, then moves to the next token (get_token). */
  take(): bigint {
    const rest = this.text.slice(this.pos);
    if (rest === "") {
      this.kind = END;
      return 0n;
    }
    let length = 0;
    let value = 0n;
    let forcedNext = INVALID;
    switch (this.kind) {
      case DIGIT_OR_ZERO:
      case DIGIT:
      case SUFFIX_NO:
      case REVISION_NO: {
        if (this.kind === DIGIT_OR_ZERO && rest[0] === "0") {
          // Leading zeros after a dot: the value is minus the count of extra zeros, so 1.001 < 1.01.
          while (rest[length + 1] === "0") length++;
          value = BigInt(-length);
          forcedNext = DIGIT;
          break;
        }
        while (isAsciiDigit(rest[length])) length++;
        if (length > MAX_NUMBER_DIGITS) return this.invalid();
        value = length === 0 ? 0n : BigInt(rest.slice(0, length));
        break;
      }
      case LETTER:
        length = 1;
        value = BigInt(rest.charCodeAt(0));
        break;
      case SUFFIX: {
        const pre = PRE_SUFFIXES.findIndex((s) => rest.startsWith(s));
        const post = POST_SUFFIXES.findIndex((s) => rest.startsWith(s));
        if (pre >= 0) {
          length = PRE_SUFFIXES[pre]!.length;
          value = BigInt(pre - PRE_SUFFIXES.length);
        } else if (post >= 0) {
          length = POST_SUFFIXES[post]!.length;
          value = BigInt(post);
        } else {
          return this.invalid();
        }
        break;
      }
      default:
        return this.invalid();
    }
    this.pos += length;
    if (this.pos >= this.text.length) this.kind = END;
    else if (forcedNext !== INVALID) this.kind = forcedNext;
    else this.advance();
    return value;
  }

  /** The kind of the next token, stepping over its separator (next_token). */
  private advance(): void {
    const c = this.text[this.pos];
    let next = INVALID;
    if (c === undefined) next = END;
    else if ((this.kind === DIGIT || this.kind === DIGIT_OR_ZERO) && isLower(c)) next = LETTER;
    else if (this.kind === LETTER && isAsciiDigit(c)) next = DIGIT;
    else if (this.kind === SUFFIX && isAsciiDigit(c)) next = SUFFIX_NO;
    else {
      if (c === ".") next = DIGIT_OR_ZERO;
      else if (c === "_") next = SUFFIX;
      else if (c === "-" && this.text[this.pos + 1] === "r") {
        next = REVISION_NO;
        this.pos++;
      }
      this.pos++;
    }
    // Tokens may only move forward in the grammar, except a new component after a digit or letter
    // and a new suffix after a suffix number.
    const allowedBack =
      (next === DIGIT_OR_ZERO && this.kind === DIGIT) ||
      (next === SUFFIX && this.kind === SUFFIX_NO) ||
      (next === DIGIT && this.kind === LETTER);
    this.kind = next < this.kind && !allowedBack ? INVALID : next;
  }

  private invalid(): bigint {
    this.kind = INVALID;
    return -1n;
  }

  /** A copy, to look at the value of the current token without consuming it. */
  peekValue(): bigint {
    const copy = new LegacyReader(this.text);
    copy.pos = this.pos;
    copy.kind = this.kind;
    return copy.take();
  }
}

export function compareApkLegacy(a: string, b: string): number {
  const ra = new LegacyReader(a);
  const rb = new LegacyReader(b);
  let va = 0n;
  let vb = 0n;
  while (ra.kind === rb.kind && ra.kind !== END && ra.kind !== INVALID && va === vb) {
    va = ra.take();
    vb = rb.take();
  }
  if (va !== vb) return va < vb ? -1 : 1;
  if (ra.kind === rb.kind) return 0;
  // Equal so far: the longer version is newer, unless it goes on with a pre-release suffix.
  if (ra.kind === SUFFIX && ra.peekValue() < 0n) return -1;
  if (rb.kind === SUFFIX && rb.peekValue() < 0n) return 1;
  return ra.kind > rb.kind ? -1 : 1;
}

/** Whether apk-tools 2 accepted the version (apk_version_validate). */
export function isValidApkLegacy(version: string): boolean {
  const reader = new LegacyReader(version);
  while (reader.kind !== END && reader.kind !== INVALID) reader.take();
  return reader.kind === END;
}
