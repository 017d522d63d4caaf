/**
 * The lexer of Go's text/template/parse (Go 1.22): text, actions between `{{` and `}}`, trim markers
 * (`{{- ` and ` -}}`), comments, strings, raw strings, character constants, numbers, fields,
 * variables, keywords. Positions are indexes into the JS string; errors become an "error" item.
 */
import { sprintf } from "./printf.ts";
import { type Item, type ItemType, KEYWORDS } from "./token.ts";

const LEFT = "{{";
const RIGHT = "}}";
const SPACES = " \t\r\n";
const isSpace = (r: string) => r !== "" && SPACES.includes(r);
const isAlphaNumeric = (r: string) => r === "_" || /^[\p{L}\p{Nd}]$/u.test(r);

/** %#U */
export function runeString(r: string): string {
  return sprintf("%#U", [r.codePointAt(0)!]);
}

type State = ((l: Lexer) => State) | null;

export interface LexOptions {
  breakOK: boolean;
  continueOK: boolean;
}

class Lexer {
  readonly items: Item[] = [];
  pos = 0;
  start = 0;
  parenDepth = 0;
  private width = 0;
  private readonly newlines: number[] = [];
  readonly input: string;
  readonly options: LexOptions;

  constructor(input: string, options: LexOptions) {
    this.input = input;
    this.options = options;
    for (let i = input.indexOf("\n"); i >= 0; i = input.indexOf("\n", i + 1)) this.newlines.push(i);
  }

  lineAt(pos: number): number {
    let lo = 0;
    let hi = this.newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.newlines[mid]! < pos) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  }

  next(): string {
    if (this.pos >= this.input.length) {
      this.width = 0;
      return "";
    }
    const r = String.fromCodePoint(this.input.codePointAt(this.pos)!);
    this.width = r.length;
    this.pos += r.length;
    return r;
  }

  peek(): string {
    const r = this.next();
    this.backup();
    return r;
  }

  backup(): void {
    this.pos -= this.width;
  }

  item(type: ItemType): Item {
    return {
      type,
      pos: this.start,
      val: this.input.slice(this.start, this.pos),
      line: this.lineAt(this.start),
    };
  }

  emit(type: ItemType): State {
    return this.emitItem(this.item(type));
  }

  /** Records the item; returns the state that follows it (every emit inside an action continues there). */
  emitItem(it: Item): State {
    this.items.push(it);
    this.start = this.pos;
    return it.type === "eof" ? null : it.type === "rightDelim" ? lexText : lexInsideAction;
  }

  ignore(): void {
    this.start = this.pos;
  }

  accept(valid: string): boolean {
    const r = this.next();
    if (r !== "" && valid.includes(r)) return true;
    this.backup();
    return false;
  }

  acceptRun(valid: string): void {
    for (let r = this.next(); r !== "" && valid.includes(r); r = this.next()) {}
    this.backup();
  }

  errorf(format: string, ...args: unknown[]): State {
    this.items.push({
      type: "error",
      pos: this.start,
      val: sprintf(format, args),
      line: this.lineAt(this.start),
    });
    return null;
  }

  atRightDelim(): { delim: boolean; trim: boolean } {
    if (hasRightTrimMarker(this.input, this.pos) && this.input.startsWith(RIGHT, this.pos + 2)) {
      return { delim: true, trim: true };
    }
    return { delim: this.input.startsWith(RIGHT, this.pos), trim: false };
  }

  atTerminator(): boolean {
    const r = this.peek();
    if (isSpace(r)) return true;
    if (r === "" || ".,|:)(".includes(r)) return true;
    return this.input.startsWith(RIGHT, this.pos);
  }
}

const hasLeftTrimMarker = (s: string, i: number) => s[i] === "-" && isSpace(s[i + 1] ?? "");
const hasRightTrimMarker = (s: string, i: number) => isSpace(s[i] ?? "") && s[i + 1] === "-";
const leftTrimLength = (s: string, i: number) => {
  let j = i;
  while (j < s.length && SPACES.includes(s[j]!)) j++;
  return j - i;
};
const rightTrimLength = (s: string) => s.length - s.replace(/[ \t\r\n]+$/, "").length;

function lexText(l: Lexer): State {
  const x = l.input.indexOf(LEFT, l.pos);
  if (x < 0) {
    l.pos = l.input.length;
    if (l.pos > l.start) l.emitItem(l.item("text"));
    return l.emit("eof");
  }
  if (x > l.pos) {
    l.pos = x;
    const trim = hasLeftTrimMarker(l.input, x + LEFT.length)
      ? rightTrimLength(l.input.slice(l.start, l.pos))
      : 0;
    l.pos -= trim;
    const text = l.item("text");
    l.pos += trim;
    l.ignore();
    if (text.val.length > 0) l.items.push(text);
  }
  return lexLeftDelim;
}

function lexLeftDelim(l: Lexer): State {
  l.pos += LEFT.length;
  const afterMarker = hasLeftTrimMarker(l.input, l.pos) ? 2 : 0;
  if (l.input.startsWith("/*", l.pos + afterMarker)) {
    l.pos += afterMarker;
    l.ignore();
    return lexComment;
  }
  const it = l.item("leftDelim");
  l.pos += afterMarker;
  l.parenDepth = 0;
  return l.emitItem(it);
}

function lexComment(l: Lexer): State {
  l.pos += 2;
  const x = l.input.indexOf("*/", l.pos);
  if (x < 0) return l.errorf("unclosed comment");
  l.pos = x + 2;
  const { delim, trim } = l.atRightDelim();
  if (!delim) return l.errorf("comment ends before closing delimiter");
  l.pos += (trim ? 2 : 0) + RIGHT.length;
  if (trim) l.pos += leftTrimLength(l.input, l.pos);
  l.ignore();
  return lexText;
}

function lexRightDelim(l: Lexer): State {
  const { trim } = l.atRightDelim();
  if (trim) {
    l.pos += 2;
    l.ignore();
  }
  l.pos += RIGHT.length;
  l.emit("rightDelim");
  if (trim) {
    l.pos += leftTrimLength(l.input, l.pos);
    l.ignore();
  }
  return lexText;
}

function lexInsideAction(l: Lexer): State {
  if (l.atRightDelim().delim) {
    return l.parenDepth === 0 ? lexRightDelim : l.errorf("unclosed left paren");
  }
  const r = l.next();
  if (r === "") return l.errorf("unclosed action");
  if (isSpace(r)) {
    l.backup();
    return lexSpace;
  }
  switch (r) {
    case "=":
      return l.emit("assign");
    case ":":
      return l.next() === "=" ? l.emit("declare") : l.errorf("expected :=");
    case "|":
      return l.emit("pipe");
    case '"':
      return lexQuote;
    case "`":
      return lexRawQuote;
    case "$":
      return lexVariable;
    case "'":
      return lexChar;
    case "(":
      l.parenDepth++;
      return l.emit("leftParen");
    case ")":
      l.parenDepth--;
      return l.parenDepth < 0 ? l.errorf("unexpected right paren") : l.emit("rightParen");
  }
  if (r === ".") {
    const c = l.input[l.pos];
    if (c !== undefined && (c < "0" || c > "9")) return lexField;
  }
  if (r === "." || r === "+" || r === "-" || (r >= "0" && r <= "9")) {
    l.backup();
    return lexNumber;
  }
  if (isAlphaNumeric(r)) {
    l.backup();
    return lexIdentifier;
  }
  if (r.codePointAt(0)! <= 0x7f && r >= " " && r !== "\x7f") return l.emit("char");
  return l.errorf("unrecognized character in action: %s", runeString(r));
}

function lexSpace(l: Lexer): State {
  let n = 0;
  while (isSpace(l.peek())) {
    l.next();
    n++;
  }
  if (hasRightTrimMarker(l.input, l.pos - 1) && l.input.startsWith(RIGHT, l.pos + 1)) {
    l.backup();
    if (n === 1) return lexRightDelim;
  }
  return l.emit("space");
}

function lexIdentifier(l: Lexer): State {
  let r = l.next();
  while (isAlphaNumeric(r)) r = l.next();
  l.backup();
  const word = l.input.slice(l.start, l.pos);
  if (!l.atTerminator()) return l.errorf("bad character %s", runeString(r));
  if (KEYWORDS.has(word)) {
    const off = (word === "break" && !l.options.breakOK) || (word === "continue" && !l.options.continueOK);
    return l.emit(off ? "identifier" : (word as ItemType));
  }
  return l.emit(word === "true" || word === "false" ? "bool" : "identifier");
}

function lexField(l: Lexer): State {
  return lexFieldOrVariable(l, "field");
}

function lexVariable(l: Lexer): State {
  if (l.atTerminator()) return l.emit("variable");
  return lexFieldOrVariable(l, "variable");
}

function lexFieldOrVariable(l: Lexer, type: "field" | "variable"): State {
  if (l.atTerminator()) return l.emit(type === "variable" ? "variable" : "dot");
  let r = l.next();
  while (isAlphaNumeric(r)) r = l.next();
  l.backup();
  if (!l.atTerminator()) return l.errorf("bad character %s", runeString(r));
  return l.emit(type);
}

function lexChar(l: Lexer): State {
  for (;;) {
    let r = l.next();
    if (r === "\\") {
      r = l.next();
      if (r !== "" && r !== "\n") continue;
    }
    if (r === "" || r === "\n") return l.errorf("unterminated character constant");
    if (r === "'") return l.emit("charConstant");
  }
}

function scanNumber(l: Lexer): boolean {
  l.accept("+-");
  let digits = "0123456789_";
  if (l.accept("0")) {
    if (l.accept("xX")) digits = "0123456789abcdefABCDEF_";
    else if (l.accept("oO")) digits = "01234567_";
    else if (l.accept("bB")) digits = "01_";
  }
  l.acceptRun(digits);
  if (l.accept(".")) l.acceptRun(digits);
  if (digits.length === 11 && l.accept("eE")) {
    l.accept("+-");
    l.acceptRun("0123456789_");
  }
  if (digits.length === 23 && l.accept("pP")) {
    l.accept("+-");
    l.acceptRun("0123456789_");
  }
  l.accept("i");
  if (isAlphaNumeric(l.peek())) {
    l.next();
    return false;
  }
  return true;
}

function lexNumber(l: Lexer): State {
  const bad = () => l.errorf("bad number syntax: %q", l.input.slice(l.start, l.pos));
  if (!scanNumber(l)) return bad();
  const sign = l.peek();
  if (sign === "+" || sign === "-") {
    if (!scanNumber(l) || l.input[l.pos - 1] !== "i") return bad();
    return l.emit("complex");
  }
  return l.emit("number");
}

function lexQuote(l: Lexer): State {
  for (;;) {
    let r = l.next();
    if (r === "\\") {
      r = l.next();
      if (r !== "" && r !== "\n") continue;
    }
    if (r === "" || r === "\n") return l.errorf("unterminated quoted string");
    if (r === '"') return l.emit("string");
  }
}

function lexRawQuote(l: Lexer): State {
  for (;;) {
    const r = l.next();
    if (r === "") return l.errorf("unterminated raw quoted string");
    if (r === "`") return l.emit("rawString");
  }
}

/** Scans the whole input; the list ends with an "eof" or an "error" item. */
export function lex(input: string, options: LexOptions): Item[] {
  const l = new Lexer(input, options);
  for (let state: State = lexText; state !== null; ) state = state(l);
  return l.items;
}
