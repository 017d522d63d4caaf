/**
 * os-release (freedesktop.org's os-release(5)): which distribution an image is, from the
 * `etc/os-release` or `usr/lib/os-release` of its final file system. The file is shell-like
 * `KEY=value` lines whose values may be single- or double-quoted and use backslash escapes.
 */

/** Where os-release lives, in the order os-release(5) says to look. */
export const OS_RELEASE_PATHS: readonly string[] = ["etc/os-release", "usr/lib/os-release"];

/** The fields the scanner uses. */
export interface OsInfo {
  /** Lower-case distribution ID ("debian", "alpine", "rhel"); "linux" when the file has none. */
  id: string;
  versionId?: string;
  prettyName?: string;
  /** Distributions this one derives from, closest first (ID_LIKE). */
  idLike: string[];
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Inside double quotes a backslash escapes only these, as in POSIX sh; elsewhere it stays. */
const DOUBLE_QUOTE_ESCAPES = new Set(['"', "\\", "$", "`", "\n"]);

/** The file's assignments; lines that are not `KEY=value` (comments, blanks, junk) are ignored. */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    if (!KEY.test(key)) continue;
    fields[key] = unquote(line.slice(eq + 1));
  }
  return fields;
}

/** A shell word: quoted and unquoted runs concatenated, unquoted whitespace at the end dropped. */
function unquote(value: string): string {
  let out = "";
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else out += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === "\\" && i + 1 < value.length && DOUBLE_QUOTE_ESCAPES.has(value[i + 1]!))
        out += value[++i];
      else out += c;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === "\\" && i + 1 < value.length) {
      out += value[++i];
    } else {
      out += c;
    }
  }
  return quote === undefined ? out.trimEnd() : out;
}

/** The scanner's view of parsed os-release fields (os-release(5) defaults ID to "linux"). */
export function osInfo(fields: Readonly<Record<string, string>>): OsInfo {
  const info: OsInfo = {
    id: (fields.ID ?? "").toLowerCase() || "linux",
    idLike: (fields.ID_LIKE ?? "")
      .toLowerCase()
      .split(/\s+/)
      .filter((s) => s !== ""),
  };
  if (fields.VERSION_ID) info.versionId = fields.VERSION_ID;
  if (fields.PRETTY_NAME) info.prettyName = fields.PRETTY_NAME;
  return info;
}
