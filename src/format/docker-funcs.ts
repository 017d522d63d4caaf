/**
 * docker/cli templates/templates.go: the functions every `--format` template gets (json, split, join,
 * title, lower, upper, pad, truncate) and the HeaderFunctions that replace them when a table header
 * is rendered (identity stubs, so `{{upper .Name}}` still heads its column with "NAME").
 */
import { marshalJSON } from "./gojson.ts";
import type { FuncMap } from "./template/builtins.ts";
import { sprint } from "./template/fmt.ts";
import { Template } from "./template/template.ts";
import { compareStrings, entry, isNil, kindOf, typeName } from "./template/value.ts";

/** strings.ToUpper / ToLower: rune by rune, a rune whose case mapping is not one rune stays. */
function mapRunes(s: string, f: (ch: string) => string): string {
  let out = "";
  for (const ch of s) {
    const m = f(ch);
    out += [...m].length === 1 ? m : ch;
  }
  return out;
}

export const toUpper = (s: string) => mapRunes(s, (c) => c.toUpperCase());
export const toLower = (s: string) => mapRunes(s, (c) => c.toLowerCase());

function isSeparator(ch: string): boolean {
  if (ch.codePointAt(0)! <= 0x7f) return !/[0-9A-Za-z_]/.test(ch);
  if (/[\p{L}\p{Nd}]/u.test(ch)) return false;
  return /\s/u.test(ch);
}

/** strings.Title: upper-cases the first letter of each word. */
export function title(s: string): string {
  let prev = " ";
  return mapRunes(s, (ch) => {
    const out = isSeparator(prev) ? ch.toUpperCase() : ch;
    prev = ch;
    return out;
  });
}

/** strings.Split */
export function split(s: string, sep: string): string[] {
  return sep === "" ? [...s] : s.split(sep);
}

/** docker's joinElements: []string joined; other slices and map values (sorted) through fmt.Sprint. */
export function joinElements(elems: unknown, sep: string): string {
  if (isNil(elems)) return "";
  switch (kindOf(elems)) {
    case "slice":
      return (elems as unknown[]).map((e) => sprint([e])).join(sep);
    case "map":
      return Object.keys(elems as object)
        .map((k) => sprint([entry(elems as object, k)]))
        .sort(compareStrings)
        .join(sep);
    default:
      throw new Error(`expected slice, got ${typeName(elems)}`);
  }
}

/** padWithSpace: adds spaces around a non-empty string. */
export function pad(source: string, prefix: number, suffix: number): string {
  if (source === "") return source;
  return " ".repeat(Math.max(prefix, 0)) + source + " ".repeat(Math.max(suffix, 0));
}

/** truncateWithLength: the first `length` bytes. */
export function truncate(source: string, length: number): string {
  const bytes = Buffer.from(source, "utf8");
  if (bytes.length < length) return source;
  if (length < 0) throw new Error(`runtime error: slice bounds out of range [:${length}]`);
  return bytes.subarray(0, length).toString("utf8");
}

/** formatJSON: json.Encoder with SetEscapeHTML(false), trailing newline trimmed. */
export function formatJSON(v: unknown): string {
  return marshalJSON(v, false).trim();
}

const s = (f: (v: string) => unknown) => ({
  params: ["string"] as const,
  fn: (v: unknown) => f(v as string),
});
const identity = (v: unknown) => v;

export const BASIC_FUNCTIONS: FuncMap = {
  json: { params: ["any"], fn: formatJSON },
  split: { params: ["string", "string"], fn: (v, sep) => split(v as string, sep as string) },
  join: { params: ["any", "string"], fn: (v, sep) => joinElements(v, sep as string) },
  title: s(title),
  lower: s(toLower),
  upper: s(toUpper),
  pad: { params: ["string", "int", "int"], fn: (v, p, q) => pad(v as string, p as number, q as number) },
  truncate: { params: ["string", "int"], fn: (v, n) => truncate(v as string, n as number) },
};

/** HeaderFunctions: identity stubs (pad is deliberately not replaced, to keep columns aligned). */
export const HEADER_FUNCTIONS: FuncMap = {
  json: { params: ["string"], fn: identity },
  split: { params: ["string", "string"], fn: identity },
  join: { params: ["string", "string"], fn: identity },
  title: { params: ["string"], fn: identity },
  lower: { params: ["string"], fn: identity },
  upper: { params: ["string"], fn: identity },
  truncate: { params: ["string", "int"], fn: identity },
};

/** templates.Parse: an anonymous template with docker's basic functions. */
export function parseDockerTemplate(format: string): Template {
  return Template.parse(format, { name: "", funcs: BASIC_FUNCTIONS });
}
