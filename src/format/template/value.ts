/**
 * How Go's text/template sees plain JS data. Templates run on values that in Go would be typed; here
 * a value's Go kind is read from its JS shape:
 *   null / undefined -> nil (an invalid reflect.Value: a missing map key and a nil both print `<no value>`)
 *   boolean -> bool; integral number or bigint -> int; other number or GoFloat -> float64; string -> string
 *   array -> slice; object -> map[string]interface {} (keys sorted wherever Go sorts map keys)
 *   object marked with goStruct() -> a struct: fields in insertion order, `{a b}` formatting, and a
 *   missing field is an error ("can't evaluate field X in type T") instead of `<no value>`.
 */

const STRUCT_TYPE = Symbol.for("wharf.format.goStructType");
const JSON_MARSHALER = Symbol.for("wharf.format.goMarshalJSON");

/**
 * A float64 whose value is integral (the template constant `1e6`, or data a caller marks): a JS
 * number cannot tell 1.0 from 1, and Go prints and compares them differently (1e+06 vs 1000000).
 */
export class GoFloat {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
  valueOf(): number {
    return this.value;
  }
}

/** `n` as a Go float64 (boxed only when JS would otherwise see an int). */
export function goFloat(n: number): number | GoFloat {
  return Number.isInteger(n) ? new GoFloat(n) : n;
}

export type Kind = "invalid" | "bool" | "int" | "float" | "string" | "slice" | "map" | "struct" | "func";

type Obj = Record<string, unknown>;

/** Marks `fields` as a Go struct of type `typeName` (for error messages and %T); returns the same object. */
export function goStruct<T extends object>(fields: T, typeName = "struct"): T {
  Object.defineProperty(fields, STRUCT_TYPE, { value: typeName, enumerable: false });
  return fields;
}

/**
 * Makes the instances of a class Go structs of type `typeName` (goStruct) and, with `marshal`, gives
 * them a json.Marshaler (withMarshalJSON), on the prototype: nothing is added to each instance.
 */
export function goStructPrototype(
  prototype: object,
  typeName: string,
  marshal?: (value: object) => string,
): void {
  Object.defineProperty(prototype, STRUCT_TYPE, { value: typeName, enumerable: false });
  if (marshal === undefined) return;
  Object.defineProperty(prototype, JSON_MARSHALER, {
    get(this: object) {
      return () => marshal(this);
    },
    enumerable: false,
  });
}

/** Gives `value` a Go json.Marshaler: `marshal` returns the JSON text used by the `json` function. */
export function withMarshalJSON<T extends object>(value: T, marshal: () => string): T {
  Object.defineProperty(value, JSON_MARSHALER, { value: marshal, enumerable: false });
  return value;
}

export function marshalerOf(v: unknown): (() => string) | undefined {
  if (v === null || typeof v !== "object") return undefined;
  const m = (v as { [JSON_MARSHALER]?: unknown })[JSON_MARSHALER];
  return typeof m === "function" ? (m as () => string) : undefined;
}

export function structType(v: unknown): string | undefined {
  if (v === null || typeof v !== "object") return undefined;
  const t = (v as { [STRUCT_TYPE]?: unknown })[STRUCT_TYPE];
  return typeof t === "string" ? t : undefined;
}

export function kindOf(v: unknown): Kind {
  switch (typeof v) {
    case "boolean":
      return "bool";
    case "number":
      return Number.isInteger(v) ? "int" : "float";
    case "bigint":
      return "int";
    case "string":
      return "string";
    case "function":
      return "func";
    case "object":
      if (v === null) return "invalid";
      if (v instanceof GoFloat) return "float";
      if (Array.isArray(v)) return "slice";
      return structType(v) === undefined ? "map" : "struct";
    default:
      return "invalid";
  }
}

export function isNil(v: unknown): v is null | undefined {
  return v === null || v === undefined;
}

/** Go's %T for the value. */
export function typeName(v: unknown): string {
  switch (kindOf(v)) {
    case "invalid":
      return "<nil>";
    case "int":
      return "int";
    case "float":
      return "float64";
    case "slice": {
      const a = v as unknown[];
      return a.length > 0 && a.every((e) => typeof e === "string") ? "[]string" : "[]interface {}";
    }
    case "map": {
      const vals = Object.values(v as Obj);
      return vals.length > 0 && vals.every((e) => typeof e === "string")
        ? "map[string]string"
        : "map[string]interface {}";
    }
    case "struct":
      return structType(v)!;
    case "func":
      return "func()";
    default:
      return typeof v === "boolean" ? "bool" : "string";
  }
}

/** Go's template truth: the zero value of its type is false; structs are always true. */
export function isTrue(v: unknown): boolean {
  switch (kindOf(v)) {
    case "invalid":
      return false;
    case "bool":
      return v as boolean;
    case "int":
    case "float":
      return Number(v) !== 0;
    case "string":
      return (v as string).length > 0;
    case "slice":
      return (v as unknown[]).length > 0;
    case "map":
      return Object.keys(v as Obj).length > 0;
    default:
      return true;
  }
}

/** Compares strings as Go does (by UTF-8 bytes, i.e. by code point). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** The keys of a map in Go's sorted order (fmt, range and json all sort string keys this way). */
export function sortedKeys(m: object): string[] {
  return Object.keys(m).sort(compareStrings);
}

/** Own field or map entry; undefined when absent. */
export function entry(m: object, key: string): unknown {
  return Object.hasOwn(m, key) ? (m as Obj)[key] : undefined;
}

export function utf8Length(s: string): number {
  return Buffer.byteLength(s, "utf8");
}
