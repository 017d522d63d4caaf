/**
 * RFC 822-style fields, the shape shared by dpkg's status file (deb822 paragraphs) and Python's
 * core metadata (METADATA, PKG-INFO: email headers): `Name: value` lines, a line starting with a
 * space or tab continuing the previous value, a blank line ending a paragraph.
 */

/** One field; names keep their case (Python headers repeat and compare case-insensitively). */
export interface Field {
  name: string;
  value: string;
}

/** A line that is neither a field nor a continuation: the cataloger names its file. */
export class FieldSyntaxError extends Error {
  readonly line: number;

  constructor(line: number, why: string) {
    super(`line ${line} ${why}`);
    this.name = "FieldSyntaxError";
    this.line = line;
  }
}

const FIELD = /^([^\s:][^:]*):(.*)$/;

/**
 * The paragraphs of `text`, each a list of fields in file order. With `firstOnly`, reading stops at
 * the first blank line (Python metadata: what follows is the description body, free text).
 */
export function parseFieldParagraphs(text: string, firstOnly = false): Field[][] {
  if (text.includes("\0")) throw new FieldSyntaxError(1, "holds NUL bytes: not a text file");
  const paragraphs: Field[][] = [];
  let current: Field[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") {
      if (current.length === 0) continue;
      paragraphs.push(current);
      current = [];
      if (firstOnly) return paragraphs;
      continue;
    }
    if (line.startsWith(" ") || line.startsWith("\t")) {
      const last = current.at(-1);
      if (last === undefined)
        throw new FieldSyntaxError(i + 1, "continues a field, but no field precedes it");
      last.value = last.value === "" ? line.trim() : `${last.value}\n${line.trim()}`;
      continue;
    }
    const match = FIELD.exec(line);
    if (match === null) throw new FieldSyntaxError(i + 1, "is not a `Name: value` field");
    current.push({ name: match[1]!.trim(), value: match[2]!.trim() });
  }
  if (current.length > 0) paragraphs.push(current);
  return paragraphs;
}

/** The first value of the field `name` (case-insensitive), if the paragraph has it. */
export function fieldValue(paragraph: readonly Field[], name: string): string | undefined {
  const lower = name.toLowerCase();
  return paragraph.find((f) => f.name.toLowerCase() === lower)?.value;
}

/** Every value of the field `name` (case-insensitive), in order (Python's repeated Classifier). */
export function fieldValues(paragraph: readonly Field[], name: string): string[] {
  const lower = name.toLowerCase();
  return paragraph.filter((f) => f.name.toLowerCase() === lower).map((f) => f.value);
}
