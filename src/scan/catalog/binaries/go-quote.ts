/**
 * Go string literals as the Go linker writes quoted build settings into a binary's module info
 * (`build\t"key with space"="value"`): a double-quoted literal with Go's escapes, or a back-quoted raw
 * literal. Ported by hand from Go's strconv (QuotedPrefix, Unquote, UnquoteChar) for the two quote
 * kinds build lines use; no library reads Go literals.
 */

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 0x07,
  b: 0x08,
  f: 0x0c,
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  v: 0x0b,
  "\\": 0x5c,
  '"': 0x22,
};

const HEX_DIGITS: Readonly<Record<string, number>> = { x: 2, u: 4, U: 8 };

/** The Go literal at the start of `s`: its value and how many characters it spans; undefined when
 *  `s` does not start with a valid literal. */
export function goQuotedPrefix(s: string): { value: string; length: number } | undefined {
  if (s.startsWith("`")) {
    const end = s.indexOf("`", 1);
    if (end < 0) return undefined;
    // Go drops carriage returns from raw literals.
    return { value: s.slice(1, end).replaceAll("\r", ""), length: end + 1 };
  }
  if (!s.startsWith('"')) return undefined;
  const bytes: number[] = [];
  let i = 1;
  while (i < s.length && s[i] !== '"') {
    const c = s[i]!;
    if (c === "\n") return undefined;
    if (c !== "\\") {
      const cp = s.codePointAt(i)!;
      bytes.push(...Buffer.from(String.fromCodePoint(cp), "utf8"));
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const escaped = unquoteEscape(s, i);
    if (escaped === undefined) return undefined;
    bytes.push(...escaped.bytes);
    i = escaped.next;
  }
  if (i >= s.length) return undefined;
  return { value: Buffer.from(bytes).toString("utf8"), length: i + 1 };
}

/** A whole Go literal's value; undefined when `s` is not exactly one valid literal. */
export function goUnquote(s: string): string | undefined {
  const prefix = goQuotedPrefix(s);
  return prefix !== undefined && prefix.length === s.length ? prefix.value : undefined;
}

/** The bytes of the escape sequence at s[at] (a backslash) inside a double-quoted literal. */
function unquoteEscape(s: string, at: number): { bytes: number[]; next: number } | undefined {
  const kind = s[at + 1];
  if (kind === undefined) return undefined;
  const simple = SIMPLE_ESCAPES[kind];
  if (simple !== undefined) return { bytes: [simple], next: at + 2 };
  const hexCount = HEX_DIGITS[kind];
  if (hexCount !== undefined) {
    const digits = s.slice(at + 2, at + 2 + hexCount);
    if (digits.length !== hexCount || !/^[0-9a-fA-F]+$/.test(digits)) return undefined;
    const value = Number.parseInt(digits, 16);
    // \x is one byte; \u and \U are a code point, which must be a valid one.
    if (kind === "x") return { bytes: [value], next: at + 2 + hexCount };
    if (value > 0x10ffff || (value >= 0xd800 && value < 0xe000)) return undefined;
    return { bytes: [...Buffer.from(String.fromCodePoint(value), "utf8")], next: at + 2 + hexCount };
  }
  if (kind >= "0" && kind <= "7") {
    const digits = s.slice(at + 1, at + 4);
    if (!/^[0-7]{3}$/.test(digits)) return undefined;
    const value = Number.parseInt(digits, 8);
    if (value > 0xff) return undefined;
    return { bytes: [value], next: at + 4 };
  }
  return undefined;
}
