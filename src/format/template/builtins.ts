/**
 * Go's text/template builtins (and, or, not, len, index, slice, eq, ne, lt, le, gt, ge, print, printf,
 * println, html, js, urlquery) and the function signature model. A function's parameters are typed
 * so that arguments are checked the way Go's reflection checks them ("wrong type for value; expected
 * string; got int"). An Error thrown by `fn` is Go's returned error: "error calling NAME: message".
 */
import { formatValue, sprint, sprintln } from "./fmt.ts";
import { sprintf } from "./printf.ts";
import { compareStrings, entry, isNil, isTrue, kindOf, mapZero, typeName, utf8Length } from "./value.ts";

export type ParamType = "any" | "string" | "int" | "bool";

export interface GoFunc {
  readonly params: readonly ParamType[];
  /** Type of the `...` parameter, if the function is variadic. */
  readonly variadic?: ParamType;
  readonly fn: (...args: unknown[]) => unknown;
  /** and/or: arguments are evaluated one at a time and evaluation stops at the deciding one. */
  readonly shortCircuit?: boolean;
}

export type FuncMap = Readonly<Record<string, GoFunc>>;

const fail = (msg: string): never => {
  throw new Error(msg);
};

function indexArg(index: unknown, cap: number): number {
  if (isNil(index)) fail("cannot index slice/array with nil");
  if (kindOf(index) !== "int") fail(`cannot index slice/array with type ${typeName(index)}`);
  const x = Number(index);
  if (x < 0 || x > cap) fail(`index out of range: ${x}`);
  return x;
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  if (isNil(item)) fail("index of untyped nil");
  for (const i of indexes) {
    if (isNil(item) || kindOf(item) === "pointer") fail("index of nil pointer");
    const k = kindOf(item);
    if (k === "slice" || k === "string") {
      const bytes = k === "string" ? Buffer.from(item as string, "utf8") : undefined;
      const len = bytes ? bytes.length : (item as unknown[]).length;
      const x = indexArg(i, len);
      if (x === len) fail(`index out of range: ${x}`);
      item = bytes ? bytes[x] : (item as unknown[])[x];
    } else if (k === "map") {
      if (isNil(i)) fail("value is nil; should be of type string");
      if (typeof i !== "string") fail(`value has type ${typeName(i)}; should be string`);
      // A missing key gives the zero value of the map's element type.
      item = Object.hasOwn(item as object, i as string)
        ? entry(item as object, i as string)
        : mapZero(item as object);
    } else fail(`can't index item of type ${typeName(item)}`);
  }
  return item;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  if (isNil(item)) fail("slice of untyped nil");
  if (indexes.length > 3) fail(`too many slice indexes: ${indexes.length}`);
  const k = kindOf(item);
  if (k === "string" && indexes.length === 3) fail("cannot 3-index slice a string");
  if (k !== "string" && k !== "slice") fail(`can't slice item of type ${typeName(item)}`);
  const bytes = k === "string" ? Buffer.from(item as string, "utf8") : undefined;
  const len = bytes ? bytes.length : (item as unknown[]).length;
  const idx = [0, len];
  indexes.forEach((x, n) => {
    idx[n] = indexArg(x, len);
  });
  if (idx[0]! > idx[1]!) fail(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1]! > idx[2]!) fail(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  return bytes ? bytes.subarray(idx[0], idx[1]).toString("utf8") : (item as unknown[]).slice(idx[0], idx[1]);
}

function length(item: unknown): number {
  switch (kindOf(item)) {
    case "invalid":
      return fail("reflect: call of reflect.Value.Type on zero Value");
    case "string":
      return utf8Length(item as string);
    case "slice":
      return (item as unknown[]).length;
    case "map":
      return Object.keys(item as object).length;
    default:
      return fail(`len of type ${typeName(item)}`);
  }
}

const BASIC = new Set(["bool", "int", "float", "string"]);

function equal(a: unknown, b: unknown): boolean {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka === "invalid" || kb === "invalid") {
    if (ka !== kb && BASIC.has(ka === "invalid" ? kb : ka)) return false;
    return ka === kb;
  }
  if (ka !== kb) return fail("incompatible types for comparison");
  if (ka === "int" || ka === "float") return Number(a) === Number(b);
  if (BASIC.has(ka)) return a === b;
  if (ka === "struct" && typeName(a) === typeName(b)) {
    return Object.keys(a as object).every((f) => equal(entry(a as object, f), entry(b as object, f)));
  }
  return fail(`non-comparable type ${formatValue(b, "s")}: ${typeName(b)}`);
}

function eq(arg1: unknown, ...arg2: unknown[]): boolean {
  if (arg2.length === 0) fail("missing argument for comparison");
  return arg2.some((a) => equal(arg1, a));
}

function lt(a: unknown, b: unknown): boolean {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (!BASIC.has(ka) || !BASIC.has(kb)) fail("invalid type for comparison");
  if (ka !== kb) fail("incompatible types for comparison");
  if (ka === "bool") fail("invalid type for comparison");
  if (ka === "string") return compareStrings(a as string, b as string) < 0;
  return Number(a) < Number(b);
}

/** evalArgs: a lone string as it is, anything else through fmt.Sprint with nil as `<no value>`. */
function evalArgs(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === "string") return args[0];
  return sprint(args.map((a) => (isNil(a) ? "<no value>" : a)));
}

const HTML: Record<string, string> = {
  "\0": "\ufffd",
  '"': "&#34;",
  "'": "&#39;",
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
};
const JS: Record<string, string> = {
  "\\": "\\\\",
  "'": "\\'",
  '"': '\\"',
  "<": "\\u003C",
  ">": "\\u003E",
  "&": "\\u0026",
  "=": "\\u003D",
};

export function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => HTML[c]!);
}

export function jsEscape(s: string): string {
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (JS[ch]) out += JS[ch];
    else if (c < 0x20) out += `\\u00${c.toString(16).toUpperCase().padStart(2, "0")}`;
    else if (c < 0x80 || /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) out += ch;
    else out += `\\u${c.toString(16).toUpperCase().padStart(4, "0")}`;
  }
  return out;
}

/** url.QueryEscape */
export function queryEscape(s: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === " ") out += "+";
    else out += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

const any1: readonly ParamType[] = ["any"];
const any2: readonly ParamType[] = ["any", "any"];

export const BUILTINS: FuncMap = {
  and: { params: any1, variadic: "any", shortCircuit: true, fn: () => undefined },
  or: { params: any1, variadic: "any", shortCircuit: true, fn: () => undefined },
  not: { params: any1, fn: (a) => !isTrue(a) },
  len: { params: any1, fn: length },
  index: { params: any1, variadic: "any", fn: index },
  slice: { params: any1, variadic: "any", fn: slice },
  eq: { params: any1, variadic: "any", fn: eq },
  ne: { params: any2, fn: (a, b) => !eq(a, b) },
  lt: { params: any2, fn: lt },
  le: { params: any2, fn: (a, b) => lt(a, b) || eq(a, b) },
  gt: { params: any2, fn: (a, b) => !(lt(a, b) || eq(a, b)) },
  ge: { params: any2, fn: (a, b) => !lt(a, b) },
  print: { params: [], variadic: "any", fn: (...a) => sprint(a) },
  printf: { params: ["string"], variadic: "any", fn: (f, ...a) => sprintf(f as string, a) },
  println: { params: [], variadic: "any", fn: (...a) => sprintln(a) },
  html: { params: [], variadic: "any", fn: (...a) => htmlEscape(evalArgs(a)) },
  js: { params: [], variadic: "any", fn: (...a) => jsEscape(evalArgs(a)) },
  urlquery: { params: [], variadic: "any", fn: (...a) => queryEscape(evalArgs(a)) },
};
