/**
 * Java .properties text (Maven's pom.properties) as java.util.Properties.load reads it: comment
 * lines starting with "#" or "!", keys ending at the first unescaped "=", ":" or whitespace, lines
 * continued by an odd number of trailing backslashes, and the escapes \t \n \r \f \uXXXX. Ported by
 * hand from the Properties.load documentation; no library reads the format.
 */

const ESCAPES: Readonly<Record<string, string>> = { t: "\t", n: "\n", r: "\r", f: "\f" };
const WHITESPACE = /^[ \t\f]*/;

export function parseJavaProperties(text: string): Map<string, string> {
  const properties = new Map<string, string>();
  for (const line of logicalLines(text)) {
    const trimmed = line.replace(WHITESPACE, "");
    if (trimmed === "" || trimmed[0] === "#" || trimmed[0] === "!") continue;
    const { key, value } = splitKeyValue(trimmed);
    properties.set(unescapeProperty(key), unescapeProperty(value));
  }
  return properties;
}

/** Natural lines joined where one ends in an odd number of backslashes (the continuation's
 *  leading whitespace dropped); comment lines never continue. */
function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let pending: string | undefined;
  for (const natural of text.split(/\r\n|\r|\n/)) {
    const line = pending === undefined ? natural : pending + natural.replace(WHITESPACE, "");
    const trailing = /\\*$/.exec(line)![0].length;
    const comment = pending === undefined && /^[ \t\f]*[#!]/.test(line);
    if (trailing % 2 === 1 && !comment) {
      pending = line.slice(0, -1);
    } else {
      pending = undefined;
      lines.push(line);
    }
  }
  if (pending !== undefined) lines.push(pending);
  return lines;
}

function splitKeyValue(line: string): { key: string; value: string } {
  let end = 0;
  while (end < line.length && !"=: \t\f".includes(line[end]!)) end += line[end] === "\\" ? 2 : 1;
  const key = line.slice(0, end);
  let rest = line.slice(end).replace(WHITESPACE, "");
  if (rest[0] === "=" || rest[0] === ":") rest = rest.slice(1).replace(WHITESPACE, "");
  return { key, value: rest };
}

function unescapeProperty(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.?)/gs, (_, c: string) => {
    if (c.length === 5) return String.fromCharCode(Number.parseInt(c.slice(1), 16));
    return ESCAPES[c] ?? c;
  });
}
