/**
 * Go's encoding/json Marshal for the values of template/value.ts: map keys sorted, struct fields in
 * order, Go's float formatting, Go's string escaping (\u003c \u003e \u0026 when escapeHTML, as
 * json.Marshal does; an Encoder with SetEscapeHTML(false) leaves them), U+2028/U+2029 always escaped.
 * A value given a marshaler (withMarshalJSON) is written as its marshaler returns it. Nil pointers,
 * slices and maps are null; an embedded struct's fields are written as the outer struct's.
 */
import { formatFloat } from "./template/strconv.ts";
import {
  embeddedFields,
  entry,
  isNilCollection,
  kindOf,
  marshalerOf,
  sortedKeys,
  typeName,
} from "./template/value.ts";

const HEX = "0123456789abcdef";

export function jsonString(s: string, escapeHTML: boolean): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (c < 0x20 || (escapeHTML && (ch === "<" || ch === ">" || ch === "&"))) {
      out += `\\u00${HEX[c >> 4]}${HEX[c & 0xf]}`;
    } else if (c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16)}`;
    else if (c >= 0xd800 && c <= 0xdfff) out += "\\ufffd";
    else out += ch;
  }
  return `${out}"`;
}

function jsonFloat(f: number): string {
  if (!Number.isFinite(f)) throw new Error(`json: unsupported value: ${formatFloat(f, "g", -1)}`);
  const abs = Math.abs(f);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) {
    return formatFloat(f, "e", -1).replace(/e-0(\d)$/, "e-$1");
  }
  return formatFloat(f, "f", -1);
}

/** `"key":value` of a map (keys sorted) or a struct (fields in order, embedded ones flattened). */
function jsonFields(v: object, escapeHTML: boolean): string[] {
  if (kindOf(v) === "map") {
    return sortedKeys(v).map((k) => `${jsonString(k, escapeHTML)}:${marshalJSON(entry(v, k), escapeHTML)}`);
  }
  const embedded = embeddedFields(v);
  return Object.keys(v).flatMap((k) => {
    const value = entry(v, k);
    if (embedded.includes(k) && kindOf(value) === "struct") return jsonFields(value as object, escapeHTML);
    return [`${jsonString(k, escapeHTML)}:${marshalJSON(value, escapeHTML)}`];
  });
}

/** json.Marshal (escapeHTML true) or an Encoder with SetEscapeHTML(false), without the trailing newline. */
export function marshalJSON(v: unknown, escapeHTML = true): string {
  const m = marshalerOf(v);
  if (m) return m();
  if (isNilCollection(v)) return "null";
  switch (kindOf(v)) {
    case "invalid":
    case "pointer":
      return "null";
    case "bool":
      return String(v);
    case "int":
      return typeof v === "bigint" ? v.toString() : BigInt(v as number).toString();
    case "float":
      return jsonFloat(Number(v));
    case "string":
      return jsonString(v as string, escapeHTML);
    case "slice":
      return `[${(v as unknown[]).map((e) => marshalJSON(e, escapeHTML)).join(",")}]`;
    case "map":
    case "struct":
      return `{${jsonFields(v as object, escapeHTML).join(",")}}`;
    default:
      throw new Error(`json: unsupported type: ${typeName(v)}`);
  }
}
