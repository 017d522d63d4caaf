/**
 * docker/cli cli/command/formatter/formatter.go: what a `--format` value means (`table ...` renders
 * a header and aligns columns, `json` prints one JSON object per line, anything else is a template
 * run once per item) and Context.Write, which renders the items.
 */
import { isWharfError, WharfError } from "../errors.ts";
import { HEADER_FUNCTIONS, parseDockerTemplate } from "./docker-funcs.ts";
import { isTableFormat, newTableWriter, templateString } from "./format-keys.ts";
import { writeContextSimple } from "./simple-template.ts";
import { partialOutput, type Template } from "./template/template.ts";

export {
  DEFAULT_QUIET_FORMAT,
  isJSONFormat,
  isTableFormat,
  JSON_FORMAT,
  JSON_FORMAT_KEY,
  newTableWriter,
  PRETTY_FORMAT_KEY,
  RAW_FORMAT_KEY,
  TABLE_FORMAT_KEY,
  templateString,
} from "./format-keys.ts";

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

/**
 * Context.Write: renders each item with the format's template, one per line. For a table format the
 * header (the same template run on `header` with docker's HeaderFunctions; its errors are ignored, as
 * docker ignores them) comes first and the columns are aligned. An error in any item fails the whole
 * write with nothing printed, as docker does.
 */
export function writeContext(format: string, header: unknown, items: Iterable<unknown>): string {
  const list = Array.isArray(items) ? items : [...items];
  const simple = writeContextSimple(format, header, list);
  if (simple !== undefined) return simple;
  const tmpl = parseFormat(format);
  let buffer = "";
  for (const item of list) {
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
  const tw = newTableWriter();
  tw.write(`${head}\n${buffer}`);
  return tw.flush();
}
