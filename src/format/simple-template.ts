/**
 * The templates docker's default formats are made of, run without the template engine: text,
 * `{{.Field}}` and `{{if .Field}}…{{else}}…{{end}}` over fields whose values are strings (or absent
 * from a map). `docker images` runs its template once per row; for a thousand rows in a process
 * that has just started, walking the parsed tree costs more than everything else the row needs.
 *
 * Only what is certain to mean the same in Go's text/template is recognised: actions with single
 * spaces at most, no trim markers, no pipelines, functions, variables or nested fields, no nested
 * `if`; anything else (and any value that is not a string) is left to the engine, which gives the
 * same output (or Go's error) for it.
 */
import { isTableFormat, newTableWriter, templateString } from "./format-keys.ts";
import { GoFloat, structType } from "./template/value.ts";

export type SimplePart = string | { field: string } | { if: string; yes: SimplePart[]; no: SimplePart[] };

/** A compiled template, or undefined when it is not one of the simple ones. */
export type SimpleTemplate = readonly SimplePart[];

const FIELD = /^\{\{ ?\.([A-Za-z_][A-Za-z0-9_]*) ?\}\}/;
const IF = /^\{\{ ?if +\.([A-Za-z_][A-Za-z0-9_]*) ?\}\}/;
const ELSE = /^\{\{ ?else ?\}\}/;
const END = /^\{\{ ?end ?\}\}/;

/** Text and `{{.Field}}` actions from `pos` up to a `{{else}}`/`{{end}}` (or the end); undefined if other. */
function compileList(
  text: string,
  pos: number,
  parts: SimplePart[],
  nested: boolean,
): { pos: number; stop?: "else" | "end" } | undefined {
  while (pos < text.length) {
    const open = text.indexOf("{{", pos);
    if (open === -1) {
      parts.push(text.slice(pos));
      return { pos: text.length };
    }
    if (open > pos) parts.push(text.slice(pos, open));
    const rest = text.slice(open, open + 200);
    let m = FIELD.exec(rest);
    if (m) {
      parts.push({ field: m[1]! });
      pos = open + m[0].length;
      continue;
    }
    if (nested) {
      m = ELSE.exec(rest);
      if (m) return { pos: open + m[0].length, stop: "else" };
      m = END.exec(rest);
      if (m) return { pos: open + m[0].length, stop: "end" };
      return undefined;
    }
    m = IF.exec(rest);
    if (!m) return undefined;
    const node = { if: m[1]!, yes: [] as SimplePart[], no: [] as SimplePart[] };
    const yes = compileList(text, open + m[0].length, node.yes, true);
    if (yes?.stop === undefined) return undefined;
    pos = yes.pos;
    if (yes.stop === "else") {
      const otherwise = compileList(text, pos, node.no, true);
      if (otherwise?.stop !== "end") return undefined;
      pos = otherwise.pos;
    }
    parts.push(node);
  }
  return { pos };
}

/**
 * Compiles a template text (after docker's templateString) if it is a simple one with at least one
 * action (an empty or text-only template is left to the engine, which knows Go's rules for those).
 */
export function compileSimpleTemplate(text: string): SimpleTemplate | undefined {
  const parts: SimplePart[] = [];
  const done = compileList(text, 0, parts, false);
  if (done === undefined || done.stop !== undefined) return undefined;
  return parts.some((p) => typeof p !== "string") ? parts : undefined;
}

/** Marks that the value is not one this path handles (the engine must run). */
const OTHER = Symbol("other");

/** `.name` of `dot` as the engine would see it: a string, undefined (prints <no value>) or OTHER. */
function fieldOf(dot: object, name: string): string | undefined | typeof OTHER {
  const present = Object.hasOwn(dot, name);
  // A struct has only its fields: the engine fails on any other name.
  if (!present) return structType(dot) === undefined ? undefined : OTHER;
  const value = (dot as Record<string, unknown>)[name];
  if (typeof value === "string") return value;
  return value === undefined || value === null ? undefined : OTHER;
}

function runParts(parts: readonly SimplePart[], dot: object): string | undefined {
  let out = "";
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (typeof part === "string") {
      out += part;
    } else if ("field" in part) {
      const value = fieldOf(dot, part.field);
      if (value === OTHER) return undefined;
      out += value === undefined ? "<no value>" : value;
    } else {
      const value = fieldOf(dot, part.if);
      if (value === OTHER) return undefined;
      const branch = runParts(value !== undefined && value.length > 0 ? part.yes : part.no, dot);
      if (branch === undefined) return undefined;
      out += branch;
    }
  }
  return out;
}

/**
 * Executes a simple template on `data` as the engine would; undefined when the data is not what this
 * path handles (not a map or struct, a field missing from a struct, a value not a string).
 */
export function executeSimple(t: SimpleTemplate, data: unknown): string | undefined {
  // value.ts's kindOf: any other object is a map or, marked, a struct.
  if (typeof data !== "object" || data === null || Array.isArray(data) || data instanceof GoFloat) {
    return undefined;
  }
  return runParts(t, data);
}

/**
 * formatter.ts's writeContext for a format whose template is simple, without the engine; undefined
 * when the format or an item needs the engine (then nothing has been written).
 */
export function writeContextSimple(
  format: string,
  header: unknown,
  items: readonly unknown[],
): string | undefined {
  const simple = compileSimpleTemplate(templateString(format));
  if (simple === undefined) return undefined;
  const table = isTableFormat(format);
  let buffer = "";
  if (table) {
    const head = executeSimple(simple, header);
    if (head === undefined) return undefined;
    buffer = `${head}\n`;
  }
  for (let i = 0; i < items.length; i++) {
    const line = executeSimple(simple, items[i]);
    if (line === undefined) return undefined;
    buffer += `${line}\n`;
  }
  if (!table) return buffer;
  const tw = newTableWriter();
  tw.write(buffer);
  return tw.flush();
}
