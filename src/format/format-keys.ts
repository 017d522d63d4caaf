/**
 * docker/cli's formatter.Format: what a `--format` value is (`table ...`, `json`, a template) and the
 * table writer's settings. Apart from formatter.ts so that a command whose format needs no template
 * engine (simple-template.ts) does not load it.
 */
import { TabWriter } from "./tabwriter.ts";

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

/** docker's tabwriter settings for tables: minwidth 10, tabwidth 1, padding 3, padded with spaces. */
export function newTableWriter(): TabWriter {
  return new TabWriter({ minWidth: 10, tabWidth: 1, padding: 3, padChar: " " });
}
