/**
 * The few Go text primitives the Dockerfile grammar is defined by (unicode.IsSpace, strings.TrimSpace,
 * strconv.Quote), so that the port decides whitespace and prints strings exactly as BuildKit does.
 * JavaScript's \s differs from Go's unicode.IsSpace (it has U+FEFF, lacks U+0085).
 */
import { quote } from "../util/go-quote.ts";

const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;

/** Go's unicode.IsSpace for one character (one code point). */
export function isGoSpace(ch: string): boolean {
  return ch.length > 0 && GO_SPACE.test(ch);
}

/** Go's unicode.IsLetter. */
export function isGoLetter(ch: string): boolean {
  return /^\p{L}$/u.test(ch);
}

/** Go's unicode.IsDigit (decimal digits of every script). */
export function isGoDigit(ch: string): boolean {
  return /^\p{Nd}$/u.test(ch);
}

/** strings.TrimLeftFunc(s, unicode.IsSpace). */
export function goTrimLeftSpace(s: string): string {
  let i = 0;
  while (i < s.length && isGoSpace(charAt(s, i))) i += charAt(s, i).length;
  return s.slice(i);
}

/** strings.TrimSpace. */
export function goTrimSpace(s: string): string {
  const left = goTrimLeftSpace(s);
  const chars = Array.from(left);
  let end = chars.length;
  while (end > 0 && isGoSpace(chars[end - 1] ?? "")) end--;
  return chars.slice(0, end).join("");
}

/** The whole code point at index i (a surrogate pair is one character, as a Go rune). */
export function charAt(s: string, i: number): string {
  const cp = s.codePointAt(i);
  return cp === undefined ? "" : String.fromCodePoint(cp);
}

/** Go's strconv.Quote: what `%q` and Node.Dump print. */
export const goQuote = (s: string): string => quote(s);

/** The length of s in UTF-8 bytes (BuildKit's line limit counts bytes). */
export function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}
