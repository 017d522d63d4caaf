/**
 * How Go's text/template sees plain JS data. Templates run on values that in Go would be typed; here
 * a value's Go kind is read from its JS shape:
 *   null / undefined -> nil (an invalid reflect.Value: a missing map key and a nil both print `<no value>`)
 *   boolean -> bool; integral number or bigint -> int; other number or GoFloat -> float64; string -> string
 *   array -> slice; object -> map[string]interface {} (keys sorted wherever Go sorts map keys)
 *   object marked with goStruct() -> a struct: fields in insertion order, `{a b}` formatting, and a
 *   missing field is an error ("can't evaluate field X in type T") instead of `<no value>`; a struct
 *   type named `*T` is a non-nil pointer to one (printed `&{...}` by fmt, an address when nested)
 *   GoDuration -> time.Duration (an int64 whose String is `1m30s`)
 *   GoNilPointer -> a nil *T: prints `<nil>`, marshals as null, false, and a field of it is an error
 *   array or object marked with goNil() -> a nil slice or map: `[]` / `map[]` printed, null marshalled
 *   object marked with goMapType() -> a map whose `index` of a missing key is its element's zero value
 */

const STRUCT_TYPE = Symbol.for("wharf.format.goStructType");
const JSON_MARSHALER = Symbol.for("wharf.format.goMarshalJSON");
const EMBEDDED = Symbol.for("wharf.format.goEmbedded");
const NIL = Symbol.for("wharf.format.goNil");
const MAP_TYPE = Symbol.for("wharf.format.goMapType");
const STRINGER = Symbol.for("wharf.format.goString");

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

/** A time.Duration: an int64 of nanoseconds that fmt prints through its String method (`30s`). */
export class GoDuration {
  readonly value: number;
  constructor(nanoseconds: number) {
    this.value = nanoseconds;
  }
  valueOf(): number {
    return this.value;
  }
  toString(): string {
    return durationString(this.value);
  }
}

/** `n` nanoseconds as `digits.fraction` of `unit` nanoseconds, trailing zeros dropped (Go's fmtFrac). */
function fraction(n: number, unit: number): string {
  const whole = Math.floor(n / unit);
  const rest = n % unit;
  if (rest === 0) return String(whole);
  const digits = String(rest)
    .padStart(String(unit).length - 1, "0")
    .replace(/0+$/, "");
  return `${whole}.${digits}`;
}

/** Go's time.Duration.String: `0s`, `1.5µs`, `500ms`, `1m30s`, `2h0m0s`. */
export function durationString(ns: number): string {
  const sign = ns < 0 ? "-" : "";
  const d = Math.abs(ns);
  if (d === 0) return "0s";
  if (d < 1e3) return `${sign}${d}ns`;
  if (d < 1e6) return `${sign}${fraction(d, 1e3)}µs`;
  if (d < 1e9) return `${sign}${fraction(d, 1e6)}ms`;
  const hours = Math.floor(d / 3.6e12);
  const minutes = Math.floor((d % 3.6e12) / 6e10);
  const seconds = `${fraction(d % 6e10, 1e9)}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}`;
  return sign + seconds;
}

/** A nil pointer of type `type` (e.g. `*v1.HealthcheckConfig`); `fields` are those of the struct it points to. */
export class GoNilPointer {
  readonly type: string;
  readonly fields: readonly string[];
  constructor(type: string, fields: readonly string[] = []) {
    this.type = type;
    this.fields = fields;
  }
}

export type Kind =
  | "invalid"
  | "bool"
  | "int"
  | "float"
  | "string"
  | "slice"
  | "map"
  | "struct"
  | "pointer"
  | "func";

type Obj = Record<string, unknown>;

/**
 * Marks `fields` as a Go struct of type `typeName` (for error messages and %T); returns the same object.
 * `embedded` names the fields that are embedded structs: their fields are promoted (`.Config.User`
 * finds `.Config.ImageConfig.User`), as Go's FieldByName finds them.
 */
export function goStruct<T extends object>(fields: T, typeName = "struct", embedded?: readonly string[]): T {
  Object.defineProperty(fields, STRUCT_TYPE, { value: typeName, enumerable: false });
  if (embedded !== undefined) Object.defineProperty(fields, EMBEDDED, { value: embedded, enumerable: false });
  return fields;
}

/** The embedded fields of a struct (goStruct's `embedded`). */
export function embeddedFields(v: object): readonly string[] {
  return (v as { [EMBEDDED]?: readonly string[] })[EMBEDDED] ?? [];
}

/** Marks an empty array or object as a nil slice or map of type `typeName` (`[]string`, `map[string]string`). */
export function goNil<T extends unknown[] | object>(empty: T, typeName: string): T {
  Object.defineProperty(empty, NIL, { value: typeName, enumerable: false });
  return empty;
}

/** A nil slice or map (goNil): marshals as null, where an empty one is `[]` / `{}`. */
export function isNilCollection(v: unknown): boolean {
  return typeof v === "object" && v !== null && (v as { [NIL]?: unknown })[NIL] !== undefined;
}

/**
 * Gives a map its Go type: `typeName` for %T and `zero`, its element type's zero value, which `index`
 * returns for a missing key (`""` for map[string]string, `{}` for map[string]struct {}).
 */
export function goMapType<T extends object>(m: T, typeName: string, zero: unknown): T {
  Object.defineProperty(m, MAP_TYPE, { value: { typeName, zero }, enumerable: false });
  return m;
}

/** The zero value of a typed map's elements (goMapType); undefined (no value) for an untyped map. */
export function mapZero(m: object): unknown {
  return (m as { [MAP_TYPE]?: { zero: unknown } })[MAP_TYPE]?.zero;
}

/** A non-nil pointer to a struct (a struct type named `*T`). */
export function isPointerStruct(v: unknown): boolean {
  return structType(v)?.startsWith("*") === true;
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

/** Gives `value` a Go String method (a fmt.Stringer, as time.Time has): fmt's %v, %s and %q print `text`. */
export function withGoString<T extends object>(value: T, text: string): T {
  Object.defineProperty(value, STRINGER, { value: text, enumerable: false });
  return value;
}

/** What the value's String method returns, if it has one (withGoString, GoDuration). */
export function stringerText(v: unknown): string | undefined {
  if (v instanceof GoDuration) return v.toString();
  if (v === null || typeof v !== "object") return undefined;
  const t = (v as { [STRINGER]?: unknown })[STRINGER];
  return typeof t === "string" ? t : undefined;
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
      if (v instanceof GoDuration) return "int";
      if (v instanceof GoNilPointer) return "pointer";
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
      return v instanceof GoDuration ? "time.Duration" : "int";
    case "float":
      return "float64";
    case "pointer":
      return (v as GoNilPointer).type;
    case "slice": {
      const nilType = (v as { [NIL]?: string })[NIL];
      if (nilType !== undefined) return nilType;
      const a = v as unknown[];
      return a.length > 0 && a.every((e) => typeof e === "string") ? "[]string" : "[]interface {}";
    }
    case "map": {
      const declared =
        (v as { [MAP_TYPE]?: { typeName: string } })[MAP_TYPE]?.typeName ?? (v as { [NIL]?: string })[NIL];
      if (declared !== undefined) return declared;
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
    case "pointer":
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
