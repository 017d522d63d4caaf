/**
 * Go's regexp syntax (RE2, regexp.Compile's Perl flags) turned into an equivalent JavaScript RegExp.
 *
 * moby/patternmatcher compiles a .dockerignore pattern into a Go regexp string, passing the
 * pattern's brackets and backslash escapes through unchanged; what such a string means is defined
 * by Go's parser, not JavaScript's. This translator reads the string as Go's regexp/syntax does
 * (classes with POSIX names, Perl classes, \p{...}, octal/hex escapes, a literal "]" outside a class,
 * "." not matching "\n", "-" literal in the middle of a class) and writes a JavaScript source in
 * `u` mode with the same meaning. What Go refuses is refused here (GoRegexpSyntaxError); JavaScript's
 * own refusals (ranges out of order, nothing to repeat) coincide with Go's for everything the
 * pattern compiler can produce. Not supported (refused, as nothing a .dockerignore needs): \Q...\E
 * inside classes and Go's flag groups "(?...)", which the pattern compiler never emits.
 */

export class GoRegexpSyntaxError extends Error {}

type Range = readonly [number, number];

const MAX_RUNE = 0x10ffff;
const DIGIT: Range[] = [[0x30, 0x39]];
const WORD: Range[] = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];
/** Go's \s is Perl's: tab, newline, form feed, carriage return, space (no \v, unlike JavaScript's). */
const PERL_SPACE: Range[] = [
  [0x09, 0x0a],
  [0x0c, 0x0d],
  [0x20, 0x20],
];
const PERL_CLASSES: Record<string, Range[]> = { d: DIGIT, s: PERL_SPACE, w: WORD };

const POSIX_CLASSES: Record<string, Range[]> = {
  alnum: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  alpha: [
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  ascii: [[0x00, 0x7f]],
  blank: [
    [0x09, 0x09],
    [0x20, 0x20],
  ],
  cntrl: [
    [0x00, 0x1f],
    [0x7f, 0x7f],
  ],
  digit: DIGIT,
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [
    [0x21, 0x2f],
    [0x3a, 0x40],
    [0x5b, 0x60],
    [0x7b, 0x7e],
  ],
  space: [
    [0x09, 0x0d],
    [0x20, 0x20],
  ],
  upper: [[0x41, 0x5a]],
  word: WORD,
  xdigit: [
    [0x30, 0x39],
    [0x41, 0x46],
    [0x61, 0x66],
  ],
};

const CONTROL_ESCAPES: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };

/** Compiles Go regexp source to a RegExp that matches the same strings. */
export function goRegexpToJs(source: string): RegExp {
  const js = new GoRegexpTranslator(source).translate();
  try {
    return new RegExp(js, "u");
  } catch (err) {
    throw new GoRegexpSyntaxError(`invalid regexp ${JSON.stringify(source)}`, { cause: err });
  }
}

class GoRegexpTranslator {
  private readonly chars: string[];
  private pos = 0;

  constructor(source: string) {
    this.chars = Array.from(source);
  }

  translate(): string {
    let out = "";
    while (this.pos < this.chars.length) {
      const ch = this.next();
      switch (ch) {
        case "\\":
          out += this.escapeOutsideClass();
          break;
        case "[":
          out += this.characterClass();
          break;
        case ".":
          // Go's "." (without the s flag) is any rune except newline; JavaScript's also skips \r, U+2028, U+2029.
          out += "[^\\n]";
          break;
        case "^":
        case "$":
        case "|":
        case "*":
        case "+":
        case "?":
        case ")":
          out += ch;
          break;
        case "(":
          if (this.peek() === "?") throw new GoRegexpSyntaxError("regexp flag groups are not supported");
          out += ch;
          break;
        default:
          // Includes a lone "]" and "{", "}" that start no repetition: literals in Go.
          out += literal(ch.codePointAt(0)!);
      }
    }
    return out;
  }

  private next(): string {
    const ch = this.chars[this.pos++];
    if (ch === undefined) throw new GoRegexpSyntaxError("unexpected end of regexp");
    return ch;
  }

  private peek(offset = 0): string | undefined {
    return this.chars[this.pos + offset];
  }

  private escapeOutsideClass(): string {
    const ch = this.peek();
    if (ch === undefined) throw new GoRegexpSyntaxError("trailing backslash at end of expression");
    switch (ch) {
      case "A":
        this.pos++;
        return "^";
      case "z":
        this.pos++;
        return "$";
      case "b":
      case "B":
        // Without the i flag, JavaScript's \b in u mode is ASCII-word based, as Go's is.
        this.pos++;
        return `\\${ch}`;
      case "Q": {
        this.pos++;
        let out = "";
        while (this.pos < this.chars.length) {
          if (this.peek() === "\\" && this.peek(1) === "E") {
            this.pos += 2;
            break;
          }
          out += literal(this.next().codePointAt(0)!);
        }
        return out;
      }
    }
    const set = this.classEscape();
    if (set !== undefined) return `[${set}]`;
    return literal(this.escapedRune());
  }

  /** \d \s \w (and negations) and \p{...}: the JavaScript class body, or undefined if not a class escape. */
  private classEscape(): string | undefined {
    const ch = this.peek();
    if (ch === undefined) return undefined;
    const perl = PERL_CLASSES[ch.toLowerCase()];
    if (perl !== undefined && "dswDSW".includes(ch)) {
      this.pos++;
      return rangesBody(ch === ch.toUpperCase() ? negate(perl) : perl);
    }
    if (ch === "p" || ch === "P") {
      this.pos++;
      return this.unicodeClass(ch === "P");
    }
    return undefined;
  }

  private unicodeClass(negated: boolean): string {
    let name: string;
    if (this.peek() === "{") {
      this.pos++;
      name = "";
      for (let ch = this.next(); ch !== "}"; ch = this.next()) name += ch;
    } else {
      name = this.next();
    }
    if (name.startsWith("^")) {
      negated = !negated;
      name = name.slice(1);
    }
    const propertyEscape = negated ? "\\P" : "\\p";
    if (name === "Any") return `${propertyEscape}{Any}`;
    // Go's category names are one or two letters (L, Lu, Nd, ...); anything longer is a script.
    const property = name.length <= 2 ? `General_Category=${name}` : `Script=${name}`;
    try {
      new RegExp(`\\p{${property}}`, "u");
    } catch {
      throw new GoRegexpSyntaxError(`invalid character class range: \\p{${name}}`);
    }
    return `${propertyEscape}{${property}}`;
  }

  /** The rune of an escape that is no class: punctuation, control letters, octal, hex. */
  private escapedRune(): number {
    const ch = this.next();
    const code = ch.codePointAt(0)!;
    if (code < 0x80 && !/[0-9A-Za-z]/.test(ch)) return code;
    const control = CONTROL_ESCAPES[ch];
    if (control !== undefined) return control;
    if (ch >= "0" && ch <= "7") {
      // A lone non-zero digit would be a backreference, which Go refuses.
      if (ch !== "0" && !isOctal(this.peek()))
        throw new GoRegexpSyntaxError(`invalid escape sequence \\${ch}`);
      let digits = ch;
      while (digits.length < 3 && isOctal(this.peek())) digits += this.next();
      return Number.parseInt(digits, 8);
    }
    if (ch === "x") return this.hexEscape();
    throw new GoRegexpSyntaxError(`invalid escape sequence \\${ch}`);
  }

  private hexEscape(): number {
    let digits = "";
    if (this.peek() === "{") {
      this.pos++;
      for (let ch = this.next(); ch !== "}"; ch = this.next()) digits += ch;
    } else {
      digits = this.next() + this.next();
    }
    if (!/^[0-9A-Fa-f]+$/.test(digits)) throw new GoRegexpSyntaxError(`invalid escape sequence \\x${digits}`);
    const value = Number.parseInt(digits, 16);
    if (value > MAX_RUNE) throw new GoRegexpSyntaxError(`invalid escape sequence \\x${digits}`);
    return value;
  }

  /** After "[": Go's parseClass, written out as an explicit JavaScript class. */
  private characterClass(): string {
    let negated = false;
    if (this.peek() === "^") {
      negated = true;
      this.pos++;
    }
    const items: string[] = [];
    for (let first = true; first || this.peek() !== "]"; first = false) {
      if (this.peek() === undefined) throw new GoRegexpSyntaxError("missing closing ]");
      const named = this.posixClass();
      if (named !== undefined) {
        items.push(named);
        continue;
      }
      if (this.peek() === "\\") {
        this.pos++;
        const set = this.classEscape();
        if (set !== undefined) {
          items.push(set);
          continue;
        }
        this.pos--;
      }
      const lo = this.classChar();
      if (this.peek() === "-" && this.peek(1) !== "]" && this.peek(1) !== undefined) {
        this.pos++;
        const hi = this.classChar();
        if (hi < lo) throw new GoRegexpSyntaxError("invalid character class range");
        items.push(`${literal(lo)}-${literal(hi)}`);
      } else {
        items.push(literal(lo));
      }
    }
    this.pos++; // the closing "]"
    return `[${negated ? "^" : ""}${items.join("")}]`;
  }

  /** "[:name:]" or "[:^name:]" at the current position; a "[:" without ":]" is a plain "[". */
  private posixClass(): string | undefined {
    if (this.peek() !== "[" || this.peek(1) !== ":") return undefined;
    const rest = this.chars.slice(this.pos + 2).join("");
    const end = rest.indexOf(":]");
    if (end < 0) return undefined;
    let name = rest.slice(0, end);
    const negated = name.startsWith("^");
    if (negated) name = name.slice(1);
    const ranges = POSIX_CLASSES[name];
    if (ranges === undefined) throw new GoRegexpSyntaxError(`invalid character class range: [:${name}:]`);
    this.pos += 2 + Array.from(rest.slice(0, end)).length + 2;
    return rangesBody(negated ? negate(ranges) : ranges);
  }

  private classChar(): number {
    const ch = this.next();
    if (ch === "\\") {
      if (this.peek() === undefined) throw new GoRegexpSyntaxError("trailing backslash at end of expression");
      return this.escapedRune();
    }
    return ch.codePointAt(0)!;
  }
}

function isOctal(ch: string | undefined): boolean {
  return ch !== undefined && ch >= "0" && ch <= "7";
}

/** A code point as JavaScript `u`-mode source that means only itself, inside or outside a class. */
function literal(code: number): string {
  if ((code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) {
    return String.fromCodePoint(code);
  }
  return `\\u{${code.toString(16)}}`;
}

function rangesBody(ranges: readonly Range[]): string {
  return ranges.map(([lo, hi]) => (lo === hi ? literal(lo) : `${literal(lo)}-${literal(hi)}`)).join("");
}

/** The complement of sorted, disjoint ranges over all runes. */
function negate(ranges: readonly Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of ranges) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_RUNE) out.push([next, MAX_RUNE]);
  return out;
}
