/**
 * Go's strconv.Quote and QuoteRune: what `%q` prints in templates and what BuildKit's Node.Dump
 * prints in a Dockerfile's AST. One implementation for both (src/format and src/dockerfile).
 */

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** unicode.IsPrint (letters, marks, numbers, punctuation, symbols and the ASCII space). */
export function isPrint(ch: string): boolean {
  return PRINTABLE.test(ch);
}

const SHORT_ESCAPES: Record<string, string> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
};

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

function quoteWith(s: string, quote: string, asciiOnly: boolean): string {
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === quote || ch === "\\") out += `\\${ch}`;
    else if (isPrint(ch) && (!asciiOnly || c < 0x80) && !(c >= 0xd800 && c <= 0xdfff)) out += ch;
    else if (SHORT_ESCAPES[ch]) out += SHORT_ESCAPES[ch];
    else if (c < 0x20 || c === 0x7f) out += `\\x${hex(c, 2)}`;
    else if (c >= 0xd800 && c <= 0xdfff) out += "\\ufffd";
    else if (c < 0x10000) out += `\\u${hex(c, 4)}`;
    else out += `\\U${hex(c, 8)}`;
  }
  return out + quote;
}

/** strconv.Quote (asciiOnly: strconv.QuoteToASCII). */
export function quote(s: string, asciiOnly = false): string {
  return quoteWith(s, '"', asciiOnly);
}

/** strconv.QuoteRune. */
export function quoteRune(c: number, asciiOnly = false): string {
  const ch = c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) || c < 0 ? "\ufffd" : String.fromCodePoint(c);
  return quoteWith(ch, "'", asciiOnly);
}
