/**
 * One CSV record split into fields, as tonistiigi/go-csvvalue (encoding/csv's rules for a single
 * line) does for `--mount` and `--device` values: commas separate, a field that starts with `"` is
 * quoted (`""` is a quote inside it), and a stray quote is an error with encoding/csv's wording.
 */
import { instructionError } from "./instruction-error.ts";

export function csvFields(line: string, what: string): string[] {
  const fail = (column: number, reason: string) =>
    instructionError(`failed to parse csv ${what}: parse error on line 1, column ${column}: ${reason}`);
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] !== '"') {
      const end = line.indexOf(",", i);
      const field = end === -1 ? line.slice(i) : line.slice(i, end);
      const quote = field.indexOf('"');
      if (quote !== -1) throw fail(i + quote + 1, 'bare " in non-quoted-field');
      fields.push(field);
      if (end === -1) return fields;
      i = end + 1;
      continue;
    }
    let field = "";
    let j = i + 1;
    for (;;) {
      const quote = line.indexOf('"', j);
      if (quote === -1) throw fail(line.length + 1, 'extraneous or missing " in quoted-field');
      field += line.slice(j, quote);
      if (line[quote + 1] === '"') {
        field += '"';
        j = quote + 2;
        continue;
      }
      j = quote + 1;
      break;
    }
    fields.push(field);
    if (j >= line.length) return fields;
    if (line[j] !== ",") throw fail(j + 1, 'extraneous or missing " in quoted-field');
    i = j + 1;
  }
}
