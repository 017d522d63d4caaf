/**
 * Go's fmt for the values of value.ts: Sprint, Sprintln and Sprintf with the verbs %v %+v %s %q %d %t
 * %x %X %o %O %b %c %U %e %E %f %F %g %G %T %%, flags (+ - # 0 space), width and precision (also `*`
 * and explicit argument indexes `%[n]d`), and Go's complaints: %!d(string=x), %!s(MISSING),
 * %!(EXTRA ...), %!(NOVERB), %!(BADWIDTH), %!(BADPREC), %!(BADINDEX). Not supported: %x on floats, %p.
 */
import { canBackquote, formatFloat, isPrint, quote, quoteRune } from "./strconv.ts";
import { entry, GoDuration, isPointerStruct, kindOf, sortedKeys, stringerText, typeName } from "./value.ts";

export interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  zero: boolean;
  space: boolean;
  /** %+v: struct field names (fmt moves the + flag here for the v verb). */
  plusV?: boolean;
  width?: number;
  prec?: number;
}

const NO_FLAGS: Flags = { plus: false, minus: false, sharp: false, zero: false, space: false };

function pad(s: string, f: Flags, zeroOk = false): string {
  const n = [...s].length;
  if (f.width === undefined || n >= f.width) return s;
  const fill = f.width - n;
  if (f.minus) return s + " ".repeat(fill);
  if (f.zero && zeroOk) {
    const sign = /^[+\- ]/.test(s) ? s[0]! : "";
    return sign + "0".repeat(fill) + s.slice(sign.length);
  }
  return " ".repeat(fill) + s;
}

/** `%!d(string=x)`: the operand is printed with %v and the flags given (as fmt's badVerb does). */
function badVerb(verb: string, v: unknown, f: Flags = NO_FLAGS): string {
  if (v === null || v === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${typeName(v)}=${formatValue(v, "v", f)})`;
}

function fmtInt(n: bigint, verb: string, f: Flags): string {
  const neg = n < 0n;
  const abs = neg ? -n : n;
  let digits: string;
  let prefix = "";
  switch (verb) {
    case "v":
    case "d":
      digits = abs.toString();
      break;
    case "b":
      digits = abs.toString(2);
      if (f.sharp) prefix = "0b";
      break;
    case "o":
    case "O":
      digits = abs.toString(8);
      if (verb === "O") prefix = "0o";
      else if (f.sharp && digits !== "0") prefix = "0";
      break;
    case "x":
    case "X":
      digits = abs.toString(16);
      if (verb === "X") digits = digits.toUpperCase();
      if (f.sharp) prefix = verb === "x" ? "0x" : "0X";
      break;
    default:
      throw new Error(verb);
  }
  if (f.prec !== undefined) {
    if (f.prec === 0 && n === 0n) digits = "";
    digits = digits.padStart(f.prec, "0");
  }
  const sign = neg ? "-" : f.plus ? "+" : f.space ? " " : "";
  if (f.zero && !f.minus && f.prec === undefined && f.width !== undefined) {
    digits = digits.padStart(f.width - sign.length, "0");
  }
  return pad(sign + prefix + digits, f);
}

function fmtInteger(v: number | bigint, verb: string, f: Flags): string {
  const n = typeof v === "bigint" ? v : BigInt(v);
  switch (verb) {
    case "c":
      return pad(String.fromCodePoint(Number(n) >= 0 && Number(n) <= 0x10ffff ? Number(n) : 0xfffd), f);
    case "q":
      return pad(quoteRune(Number(n), f.plus), f);
    case "U": {
      const u = `U+${(n < 0n ? -n : n)
        .toString(16)
        .toUpperCase()
        .padStart(f.prec ?? 4, "0")}`;
      const c = Number(n);
      const ch =
        f.sharp && c >= 0 && c <= 0x10ffff && isPrint(String.fromCodePoint(c))
          ? ` '${String.fromCodePoint(c)}'`
          : "";
      return pad(u + ch, f);
    }
    case "e":
    case "E":
    case "f":
    case "F":
    case "g":
    case "G":
      return badVerb(verb, v, f);
    default:
      return "vdboOxX".includes(verb) ? fmtInt(n, verb, f) : badVerb(verb, v, f);
  }
}

function fmtFloat(x: number, verb: string, f: Flags): string {
  let s: string;
  switch (verb) {
    case "v":
    case "g":
    case "G":
      s = formatFloat(x, verb === "G" ? "G" : "g", f.prec ?? -1);
      break;
    case "e":
    case "E":
      s = formatFloat(x, verb, f.prec ?? 6);
      break;
    case "f":
    case "F":
      s = formatFloat(x, "f", f.prec ?? 6);
      break;
    default:
      return badVerb(verb, x, f);
  }
  if (s === "+Inf" && !f.plus) s = f.space ? " Inf" : "Inf";
  else if (!s.startsWith("-") && !s.startsWith("+")) s = (f.plus ? "+" : f.space ? " " : "") + s;
  return pad(s, f, Number.isFinite(x));
}

function fmtString(s: string, verb: string, f: Flags): string {
  if (f.prec !== undefined && verb !== "x" && verb !== "X") s = [...s].slice(0, f.prec).join("");
  switch (verb) {
    case "v":
    case "s":
      return pad(s, f);
    case "q":
      return pad(f.sharp && canBackquote(s) ? `\`${s}\`` : quote(s, f.plus), f);
    case "x":
    case "X": {
      let bytes = [...Buffer.from(s, "utf8")];
      if (f.prec !== undefined) bytes = bytes.slice(0, f.prec);
      const hexes = bytes.map((b) => {
        const h = b.toString(16).padStart(2, "0");
        return verb === "X" ? h.toUpperCase() : h;
      });
      const pre = f.sharp ? (verb === "x" ? "0x" : "0X") : "";
      const out = f.space ? hexes.map((h) => pre + h).join(" ") : pre + hexes.join("");
      return pad(out, f);
    }
    default:
      return badVerb(verb, s, f);
  }
}

/** What fmt prints for a pointer it does not follow (nested ones): an address, never the same in Go. */
const ADDRESS = "0xc000010000";

/**
 * Formats one operand with a verb, as fmt's printArg does. `depth` is fmt's: a pointer to a struct
 * prints as `&{...}` at the top and as an address inside another value.
 */
export function formatValue(v: unknown, verb: string, f: Flags = NO_FLAGS, depth = 0): string {
  if (verb === "T") return pad(typeName(v), f);
  // A Stringer (time.Duration, time.Time) prints its String for the verbs that take one.
  const text = stringerText(v);
  if (text !== undefined && "vsq".includes(verb)) return fmtString(text, verb, f);
  switch (kindOf(v)) {
    case "invalid":
      return verb === "v" ? pad("<nil>", f) : badVerb(verb, v);
    case "pointer":
      return verb === "v" ? pad("<nil>", f) : badVerb(verb, v);
    case "bool":
      return verb === "v" || verb === "t" ? pad(String(v), f) : badVerb(verb, v, f);
    case "int":
      return fmtInteger(v instanceof GoDuration ? v.value : (v as number | bigint), verb, f);
    case "float":
      return fmtFloat(Number(v), verb, f);
    case "string":
      return fmtString(v as string, verb, f);
    case "slice":
      return `[${(v as unknown[]).map((e) => formatValue(e, verb, f, depth + 1)).join(" ")}]`;
    case "map":
      return `map[${sortedKeys(v as object)
        .map(
          (k) =>
            `${formatValue(k, verb, f, depth + 1)}:${formatValue(entry(v as object, k), verb, f, depth + 1)}`,
        )
        .join(" ")}]`;
    case "struct":
      if (!isPointerStruct(v)) return structFields(v as object, verb, f, depth);
      return depth > 0
        ? verb === "v"
          ? ADDRESS
          : badVerb(verb, v)
        : `&${structFields(v as object, verb, f, 0)}`;
    default:
      return verb === "v" ? pad(ADDRESS, f) : badVerb(verb, v);
  }
}

function structFields(v: object, verb: string, f: Flags, depth: number): string {
  const fields = Object.keys(v).map(
    (k) => (f.plusV ? `${k}:` : "") + formatValue(entry(v, k), verb, f, depth + 1),
  );
  return `{${fields.join(" ")}}`;
}

/** text/template's printableValue and fmt.Fprint: a pointer to a struct is followed first (no `&`). */
export function formatPrintable(v: unknown): string {
  return isPointerStruct(v) ? structFields(v as object, "v", NO_FLAGS, 0) : formatValue(v, "v");
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = "";
  let prevString = false;
  args.forEach((a, i) => {
    const isString = typeof a === "string";
    if (i > 0 && !isString && !prevString) out += " ";
    out += formatValue(a, "v");
    prevString = isString;
  });
  return out;
}

/** fmt.Sprintln: always spaces between operands, and a newline. */
export function sprintln(args: readonly unknown[]): string {
  return `${args.map((a) => formatValue(a, "v")).join(" ")}\n`;
}
