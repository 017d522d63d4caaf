/**
 * Go's path.Match, written by hand: no npm glob package (minimatch, picomatch, micromatch, ...) matches
 * its semantics exactly ("*" stops at "/", no "**", no braces, byte-wise literals, rune-wise "?" and
 * classes, ErrBadPattern even when the match already failed). It works on UTF-8 bytes, as Go does.
 * Used by reference matching (FamiliarMatch) and by filters such as `images --filter reference=`.
 */
import { WharfError } from "../errors.ts";

const SLASH = 0x2f;
const STAR = 0x2a;
const QUESTION = 0x3f;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const CARET = 0x5e;
const DASH = 0x2d;
const RUNE_ERROR = 0xfffd;
const utf8 = new TextEncoder();

/** Thrown inside the matcher; pathMatch turns it into a WharfError that names the pattern. */
class BadPattern extends Error {}

/**
 * Reports whether `name` matches the shell pattern `pattern` exactly as Go's path.Match does
 * ("*" any run of non-"/" characters, "?" one non-"/" character, "[…]"/"[^…]" classes with
 * ranges, "\\" escapes). Throws a PATTERN_INVALID WharfError for a malformed pattern.
 */
export function pathMatch(pattern: string, name: string): boolean {
  try {
    return matchBytes(utf8.encode(pattern), utf8.encode(name));
  } catch (err) {
    if (err instanceof BadPattern) {
      throw new WharfError("PATTERN_INVALID", "syntax error in pattern", { pattern, name });
    }
    throw err;
  }
}

function matchBytes(p: Uint8Array, s: Uint8Array): boolean {
  let pi = 0;
  let si = 0;
  nextChunk: while (pi < p.length) {
    const { star, start, end } = scanChunk(p, pi);
    pi = end;
    // A trailing "*" matches the rest of the name unless it has a "/".
    if (star && start === end) return s.indexOf(SLASH, si) === -1;
    const rest = matchChunk(p, start, end, s, si);
    // The last chunk must use up the name; otherwise the star may still skip further.
    if (rest >= 0 && (rest === s.length || pi < p.length)) {
      si = rest;
      continue;
    }
    if (star) {
      for (let i = si; i < s.length && s[i] !== SLASH; i++) {
        const t = matchChunk(p, start, end, s, i + 1);
        if (t < 0 || (pi === p.length && t < s.length)) continue;
        si = t;
        continue nextChunk;
      }
    }
    checkRemainingChunks(p, pi);
    return false;
  }
  return si === s.length;
}

/** Go reports a malformed pattern even when the match has already failed. */
function checkRemainingChunks(p: Uint8Array, from: number): void {
  for (let pi = from; pi < p.length; ) {
    const { start, end } = scanChunk(p, pi);
    matchChunk(p, start, end, new Uint8Array(0), 0);
    pi = end;
  }
}

/** The next chunk: leading stars, then everything up to the next "*" outside a class. */
function scanChunk(p: Uint8Array, from: number): { star: boolean; start: number; end: number } {
  let i = from;
  while (i < p.length && p[i] === STAR) i++;
  const start = i;
  let inRange = false;
  for (; i < p.length; i++) {
    const c = p[i];
    if (c === BACKSLASH) {
      if (i + 1 < p.length) i++;
    } else if (c === OPEN_BRACKET) {
      inRange = true;
    } else if (c === CLOSE_BRACKET) {
      inRange = false;
    } else if (c === STAR && !inRange) {
      break;
    }
  }
  return { star: start > from, start, end: i };
}

/**
 * Matches the star-free chunk p[start, end) at s[si…]; returns the index after the match, or -1.
 * After a mismatch it keeps reading the chunk so that syntax errors are still found.
 */
function matchChunk(p: Uint8Array, start: number, end: number, s: Uint8Array, si: number): number {
  let failed = false;
  let c = start;
  while (c < end) {
    if (si === s.length) failed = true;
    if (p[c] === OPEN_BRACKET) {
      let r = 0; // Go compares against rune 0 once the name is used up
      if (!failed) {
        const [rune, size] = decodeRune(s, si, s.length);
        r = rune;
        si += size;
      }
      const cls = matchClass(p, c + 1, end, r);
      c = cls.next;
      if (!cls.matched) failed = true;
    } else if (p[c] === QUESTION) {
      if (!failed) {
        if (s[si] === SLASH) failed = true;
        si += decodeRune(s, si, s.length)[1];
      }
      c++;
    } else {
      if (p[c] === BACKSLASH && ++c === end) throw new BadPattern();
      if (!failed) {
        if (p[c] !== s[si]) failed = true;
        si++;
      }
      c++;
    }
  }
  return failed ? -1 : si;
}

/** A character class after its "[": returns whether `r` is in it and where the class ends. */
function matchClass(p: Uint8Array, from: number, end: number, r: number): { matched: boolean; next: number } {
  let c = from;
  const negated = c < end && p[c] === CARET;
  if (negated) c++;
  let inClass = false;
  for (let ranges = 0; ; ranges++) {
    if (c < end && p[c] === CLOSE_BRACKET && ranges > 0) return { matched: inClass !== negated, next: c + 1 };
    const lo = classChar(p, c, end);
    let hi = lo;
    if (p[lo.next] === DASH) hi = classChar(p, lo.next + 1, end);
    if (lo.rune <= r && r <= hi.rune) inClass = true;
    c = hi.next;
  }
}

/** One possibly escaped character of a class; it may not be the last byte of the chunk. */
function classChar(p: Uint8Array, from: number, end: number): { rune: number; next: number } {
  let c = from;
  if (c >= end || p[c] === DASH || p[c] === CLOSE_BRACKET) throw new BadPattern();
  if (p[c] === BACKSLASH && ++c >= end) throw new BadPattern();
  const [rune, size] = decodeRune(p, c, end);
  if ((rune === RUNE_ERROR && size === 1) || c + size >= end) throw new BadPattern();
  return { rune, next: c + size };
}

/** Go's utf8.DecodeRune on b[i, end): invalid or truncated sequences give (U+FFFD, 1). */
function decodeRune(b: Uint8Array, i: number, end: number): [rune: number, size: number] {
  const b0 = b[i] ?? 0;
  if (b0 < 0x80) return [b0, 1];
  const size = b0 >= 0xf0 ? 4 : b0 >= 0xe0 ? 3 : b0 >= 0xc2 ? 2 : 0;
  if (size === 0 || b0 > 0xf4 || i + size > end) return [RUNE_ERROR, 1];
  let rune = b0 & (0x7f >> size);
  for (let k = 1; k < size; k++) {
    const bk = b[i + k] ?? 0;
    if ((bk & 0xc0) !== 0x80) return [RUNE_ERROR, 1];
    rune = (rune << 6) | (bk & 0x3f);
  }
  const overlong = (size === 3 && rune < 0x800) || (size === 4 && rune < 0x10000);
  if (overlong || rune > 0x10ffff || (rune >= 0xd800 && rune <= 0xdfff)) return [RUNE_ERROR, 1];
  return [rune, size];
}
