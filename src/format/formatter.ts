/**
 * docker/cli cli/command/formatter/formatter.go: what a `--format` value means (`table ...` renders
 * a header and aligns columns, `json` prints one JSON object per line, anything else is a template
 * run once per item) and Context.Write, which renders the items.
 */
import { isWharfError, WharfError } from "../errors.ts";
import { HEADER_FUNCTIONS, parseDockerTemplate } from "./docker-funcs.ts";
import { compileSimpleTemplate, executeSimple } from "./simple-template.ts";
import { TabWriter } from "./tabwriter.ts";
import { partialOutput, type Template } from "./template/template.ts";

export const TABLE_FORMAT_KEY = "table";
export const RAW_FORMAT_KEY = "raw";
export const PRETTY_FORMAT_KEY = "pretty";
export const JSON_FORMAT_KEY = "json";
export const DEFAULT_QUIET_FORMAT = "{{.ID}}";
export const JSON_FORMAT = "{{json .}}";

/** Format.IsTable */
export function isTableFormat(format: string): boolean {
  return format.startsWith(TABLE_FORMAT_KEY);
}

/** Format.IsJSON: only the bare word "json" (not `{{json .Field}}`). */
export function isJSONFormat(format: string): boolean {
  return format === JSON_FORMAT_KEY;
}

/**
 * Format.templateString: "json" -> `{{json .}}`, "table" alone -> "" (no template), otherwise the
 * "table" prefix is dropped, spaces (only) trimmed and the two-character escapes \t and \n replaced.
 */
export function templateString(format: string): string {
  if (format === TABLE_FORMAT_KEY) return "";
  if (format === JSON_FORMAT_KEY) return JSON_FORMAT;
  let out = isTableFormat(format) ? format.slice(TABLE_FORMAT_KEY.length) : format;
  out = out.replace(/^ +| +$/g, "");
  return out.replace(/\\[tn]/g, (m) => (m === "\\t" ? "\t" : "\n"));
}

function templateError(err: unknown): unknown {
  if (!isWharfError(err)) return err;
  return new WharfError(err.code, `template parsing error: ${err.message}`, err.detail, { cause: err });
}

/** Parses the template of a --format value (errors: "template parsing error: template: :1: ..."). */
export function parseFormat(format: string): Template {
  try {
    return parseDockerTemplate(templateString(format));
  } catch (e) {
    throw templateError(e);
  }
}

/** docker's tabwriter settings for tables: minwidth 10, tabwidth 1, padding 3, padded with spaces. */
export function newTableWriter(): TabWriter {
  return new TabWriter({ minWidth: 10, tabWidth: 1, padding: 3, padChar: " " });
}

/**
 * Context.Write: renders each item with the format's template, one per line. For a table format the
 * header (the same template run on `header` with docker's HeaderFunctions; its errors are ignored, as
 * docker ignores them) comes first and the columns are aligned. An error in any item fails the whole
 * write with nothing printed, as docker does.
 */
export function writeContext(format: string, header: unknown, items: Iterable<unknown>): string {
  const list = Array.isArray(items) ? items : [...items];
  const buffer = writeSimple(format, header, list) ?? writeWithEngine(format, header, list);
  if (!isTableFormat(format)) return buffer;
  const tw = newTableWriter();
  tw.write(buffer);
  return tw.flush();
}

/** The same as the engine writes, for a simple template (simple-template.ts); undefined if not one. */
function writeSimple(format: string, header: unknown, items: readonly unknown[]): string | undefined {
  const simple = compileSimpleTemplate(templateString(format));
  if (simple === undefined) return undefined;
  let buffer = "";
  if (isTableFormat(format)) {
    const head = executeSimple(simple, header);
    if (head === undefined) return undefined;
    buffer = `${head}\n`;
  }
  for (let i = 0; i < items.length; i++) {
    const line = executeSimple(simple, items[i]);
    if (line === undefined) return undefined;
    buffer += `${line}\n`;
  }
  return buffer;
}

function writeWithEngine(format: string, header: unknown, items: readonly unknown[]): string {
  const tmpl = parseFormat(format);
  let buffer = "";
  for (const item of items) {
    try {
      buffer += tmpl.execute(item);
    } catch (e) {
      throw templateError(e);
    }
    buffer += "\n";
  }
  if (!isTableFormat(format)) return buffer;
  let head: string;
  try {
    head = tmpl.execute(header, { funcs: HEADER_FUNCTIONS });
  } catch (e) {
    head = partialOutput(e);
  }
  return `${head}\n${buffer}`;
}
