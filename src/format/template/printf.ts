/** Go's fmt.Sprintf: the format-string walk of fmt's doPrintf; operands are formatted by fmt.ts. */
import { type Flags, formatValue } from "./fmt.ts";
import { kindOf, typeName } from "./value.ts";

interface Cursor {
  i: number;
  argNum: number;
  reordered: boolean;
  goodArgNum: boolean;
}

function parseNum(s: string, i: number): { n?: number; i: number } {
  let j = i;
  while (j < s.length && s[j]! >= "0" && s[j]! <= "9") j++;
  if (j === i) return { i };
  const n = Number(s.slice(i, j));
  return n > 1e6 ? { i: j } : { n, i: j };
}

/** `[n]` explicit argument index; returns whether an index was found. */
function argNumber(s: string, c: Cursor, numArgs: number): boolean {
  if (s[c.i] !== "[") return false;
  c.reordered = true;
  const close = s.indexOf("]", c.i + 1);
  if (close < 0 || s.length - c.i < 3) {
    c.i += 1;
    c.goodArgNum = false;
    return false;
  }
  const num = parseNum(s, c.i + 1);
  const ok = num.n !== undefined && num.i === close;
  c.i = close + 1;
  if (ok && num.n! - 1 >= 0 && num.n! - 1 < numArgs) {
    c.argNum = num.n! - 1;
    return true;
  }
  c.goodArgNum = false;
  return ok;
}

function intFromArg(args: readonly unknown[], c: Cursor): number | undefined {
  if (c.argNum >= args.length) return undefined;
  const a = args[c.argNum++];
  if (kindOf(a) !== "int") return undefined;
  const n = Number(a);
  return Math.abs(n) > 1e6 ? undefined : n;
}

export function sprintf(format: string, args: readonly unknown[]): string {
  let out = "";
  const c: Cursor = { i: 0, argNum: 0, reordered: false, goodArgNum: true };
  const end = format.length;
  while (c.i < end) {
    c.goodArgNum = true;
    const next = format.indexOf("%", c.i);
    if (next < 0) {
      out += format.slice(c.i);
      break;
    }
    out += format.slice(c.i, next);
    c.i = next + 1;
    const f: Flags = { plus: false, minus: false, sharp: false, zero: false, space: false };
    flags: for (; c.i < end; c.i++) {
      switch (format[c.i]) {
        case "#":
          f.sharp = true;
          break;
        case "0":
          f.zero = !f.minus;
          break;
        case "+":
          f.plus = true;
          break;
        case "-":
          f.minus = true;
          f.zero = false;
          break;
        case " ":
          f.space = true;
          break;
        default:
          break flags;
      }
    }
    let afterIndex = argNumber(format, c, args.length);
    if (format[c.i] === "*") {
      c.i++;
      f.width = intFromArg(args, c);
      if (f.width === undefined) out += "%!(BADWIDTH)";
      else if (f.width < 0) {
        f.width = -f.width;
        f.minus = true;
        f.zero = false;
      }
      afterIndex = false;
    } else {
      const w = parseNum(format, c.i);
      c.i = w.i;
      f.width = w.n;
      if (afterIndex && w.n !== undefined) c.goodArgNum = false;
    }
    if (c.i + 1 < end && format[c.i] === ".") {
      c.i++;
      if (afterIndex) c.goodArgNum = false;
      afterIndex = argNumber(format, c, args.length);
      if (format[c.i] === "*") {
        c.i++;
        f.prec = intFromArg(args, c);
        if (f.prec !== undefined && f.prec < 0) f.prec = undefined;
        if (f.prec === undefined) out += "%!(BADPREC)";
        afterIndex = false;
      } else {
        const p = parseNum(format, c.i);
        c.i = p.i;
        f.prec = p.n ?? 0;
      }
    }
    if (!afterIndex) argNumber(format, c, args.length);
    if (c.i >= end) {
      out += "%!(NOVERB)";
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(c.i)!);
    c.i += verb.length;
    if (verb === "%") out += "%";
    else if (!c.goodArgNum) out += `%!${verb}(BADINDEX)`;
    else if (c.argNum >= args.length) out += `%!${verb}(MISSING)`;
    else {
      if (verb === "v") {
        f.plusV = f.plus;
        f.plus = false;
        f.sharp = false;
      }
      out += formatValue(args[c.argNum++], verb, f);
    }
  }
  if (!c.reordered && c.argNum < args.length) {
    const extra = args
      .slice(c.argNum)
      .map((a) => (a === null || a === undefined ? "<nil>" : `${typeName(a)}=${formatValue(a, "v")}`));
    out += `%!(EXTRA ${extra.join(", ")})`;
  }
  return out;
}
