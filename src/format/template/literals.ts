/** Go literal syntax for the parser: strconv.Unquote / UnquoteChar and the number rules of parse.newNumber. */
import type { NumberNode } from "./ast.ts";
import { quote } from "./strconv.ts";

export class LiteralError extends Error {}

const SIMPLE: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, "\\": 92 };

/** strconv.UnquoteChar: one (possibly escaped) character of s at i; returns its bytes and the next index. */
function unquoteChar(s: string, i: number, q: string): { bytes: number[]; next: number } {
  const c = s[i]!;
  if (c === q && (q === "'" || q === '"')) throw new LiteralError("invalid syntax");
  if (c !== "\\") {
    const ch = String.fromCodePoint(s.codePointAt(i)!);
    return { bytes: [...Buffer.from(ch, "utf8")], next: i + ch.length };
  }
  const e = s[i + 1];
  if (e === undefined) throw new LiteralError("invalid syntax");
  if (SIMPLE[e] !== undefined) return { bytes: [SIMPLE[e]], next: i + 2 };
  if (e === "'" || e === '"') {
    if (e !== q) throw new LiteralError("invalid syntax");
    return { bytes: [e.charCodeAt(0)], next: i + 2 };
  }
  const hexLen = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
  if (hexLen > 0) {
    const h = s.slice(i + 2, i + 2 + hexLen);
    if (!new RegExp(`^[0-9a-fA-F]{${hexLen}}$`).test(h)) throw new LiteralError("invalid syntax");
    const v = Number.parseInt(h, 16);
    if (e === "x") return { bytes: [v], next: i + 2 + hexLen };
    if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) throw new LiteralError("invalid syntax");
    return { bytes: [...Buffer.from(String.fromCodePoint(v), "utf8")], next: i + 2 + hexLen };
  }
  if (e >= "0" && e <= "7") {
    const o = s.slice(i + 1, i + 4);
    if (!/^[0-7]{3}$/.test(o) || Number.parseInt(o, 8) > 255) throw new LiteralError("invalid syntax");
    return { bytes: [Number.parseInt(o, 8)], next: i + 4 };
  }
  throw new LiteralError("invalid syntax");
}

/** strconv.Unquote for "..." and `...` literals. */
export function unquote(lit: string): string {
  if (lit.length < 2) throw new LiteralError("invalid syntax");
  const q = lit[0]!;
  if (q !== lit[lit.length - 1]) throw new LiteralError("invalid syntax");
  const body = lit.slice(1, -1);
  if (q === "`") {
    if (body.includes("`")) throw new LiteralError("invalid syntax");
    return body.replaceAll("\r", "");
  }
  if (q !== '"') throw new LiteralError("invalid syntax");
  const bytes: number[] = [];
  for (let i = 0; i < body.length; ) {
    if (body[i] === "\n") throw new LiteralError("invalid syntax");
    const r = unquoteChar(body, i, q);
    bytes.push(...r.bytes);
    i = r.next;
  }
  return Buffer.from(bytes).toString("utf8");
}

function charValue(text: string): number {
  const r = unquoteChar(text, 1, "'");
  if (text.slice(r.next) !== "'") throw new LiteralError(`malformed character constant: ${text}`);
  const e = text[2];
  if (text[1] === "\\" && (e === "x" || (e !== undefined && e >= "0" && e <= "7"))) return r.bytes[0]!;
  return Buffer.from(r.bytes).toString("utf8").codePointAt(0)!;
}

/** Go's underscoreOK: '_' must separate digits (a base prefix counts as a digit). */
function underscoreOK(s: string): boolean {
  let t = s.replace(/^[+-]/, "");
  let prev = "^";
  if (/^0[xXoObB]/.test(t)) {
    t = t.slice(2);
    prev = "0";
  }
  for (const c of t) {
    if (c === "_") {
      if (prev !== "0") return false;
    } else if (/[0-9a-fA-F]/.test(c)) prev = "0";
    else prev = c;
  }
  return prev !== "_" && !t.endsWith("_");
}

const INT64_MAX = 2n ** 63n - 1n;

function parseInt64(text: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(text);
  if (!m || !underscoreOK(text)) return undefined;
  let body = m[2]!.replaceAll("_", "");
  if (/^0[0-7]/.test(body)) body = `0o${body.slice(1)}`;
  const v = BigInt(body) * (m[1] === "-" ? -1n : 1n);
  return v > INT64_MAX || v < -INT64_MAX - 1n ? undefined : v;
}

function parseFloat64(text: string): number | undefined {
  if (!underscoreOK(text)) return undefined;
  const t = text.replaceAll("_", "");
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(t);
  if (hex) {
    const [, sign, ip = "", fp = "", exp] = hex;
    if (ip + fp === "") return undefined;
    const mant = Number.parseInt(ip + fp || "0", 16) / 16 ** fp.length;
    return (sign === "-" ? -1 : 1) * mant * 2 ** Number(exp);
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
  return Number(t);
}

/** parse.newNumber: which of int / float the literal can be, Go's way. */
export function parseNumber(pos: number, text: string, isChar: boolean): NumberNode {
  const n: NumberNode = {
    type: "number",
    pos,
    text,
    isInt: false,
    isFloat: false,
    isComplex: false,
    int: 0,
    float: 0,
  };
  if (isChar) {
    const v = charValue(text);
    return { ...n, isInt: true, isFloat: true, int: v, float: v };
  }
  if (text.endsWith("i")) throw new LiteralError(`complex constants are not supported: ${text}`);
  const i = parseInt64(text);
  if (i !== undefined) return { ...n, isInt: true, isFloat: true, int: Number(i), float: Number(i) };
  const f = parseFloat64(text);
  if (f !== undefined && Number.isFinite(f)) {
    if (!/[.eEpP]/.test(text)) throw new LiteralError(`integer overflow: ${quote(text)}`);
    const isInt = Number.isInteger(f) && Math.abs(f) < 2 ** 63;
    return { ...n, isFloat: true, float: f, isInt, int: isInt ? f : 0 };
  }
  throw new LiteralError(`illegal number syntax: ${quote(text)}`);
}
