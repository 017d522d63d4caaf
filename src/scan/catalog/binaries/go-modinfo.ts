/**
 * The module information text a Go binary carries (what `go version -m` prints after the Go
 * version): `path`, `mod`, `dep`, `=>` (replacement of the line before) and `build` lines, tab
 * separated. Ported by hand from Go's runtime/debug ParseBuildInfo (mod.go), with its rules for
 * column counts and quoted build settings.
 */
import { goQuotedPrefix, goUnquote } from "./go-quote.ts";

export interface GoModule {
  path: string;
  version: string;
  sum: string;
  replace?: GoModule;
}

export interface GoBuildSetting {
  key: string;
  value: string;
}

export interface GoModInfo {
  /** The main package's import path. */
  path: string;
  /** The main module; undefined when the binary has no `mod` line (built outside module mode). */
  main?: GoModule;
  deps: GoModule[];
  settings: GoBuildSetting[];
}

/** Thrown for text Go's own parser would refuse; the message says which line and why. */
export class GoModInfoError extends Error {
  override name = "GoModInfoError";
}

// Go's quoteKey / quoteValue: what must have been quoted when the linker wrote a setting.
const mustQuoteKey = (key: string) => key === "" || /[= \t\r\n"`]/.test(key);
const mustQuoteValue = (value: string) => /[ \t\r\n"`]/.test(value);

function moduleLine(columns: string[]): GoModule {
  if (columns.length !== 2 && columns.length !== 3) {
    throw new GoModInfoError(`expected 2 or 3 columns; got ${columns.length}`);
  }
  return { path: columns[0]!, version: columns[1]!, sum: columns[2] ?? "" };
}

function buildSetting(kv: string): GoBuildSetting {
  if (kv === "") throw new GoModInfoError("build line missing '='");
  let key: string;
  let rawValue: string;
  if (kv[0] === "=") throw new GoModInfoError("build line with missing key");
  if (kv[0] === '"' || kv[0] === "`") {
    const quoted = goQuotedPrefix(kv);
    if (quoted === undefined) throw new GoModInfoError("invalid quoted key in build line");
    if (kv[quoted.length] !== "=") throw new GoModInfoError("build line missing '=' after quoted key");
    key = quoted.value;
    rawValue = kv.slice(quoted.length + 1);
  } else {
    const eq = kv.indexOf("=");
    if (eq < 0) throw new GoModInfoError("build line missing '=' after key");
    key = kv.slice(0, eq);
    rawValue = kv.slice(eq + 1);
    if (mustQuoteKey(key)) throw new GoModInfoError(`unquoted key ${JSON.stringify(key)} must be quoted`);
  }
  let value = rawValue;
  if (rawValue[0] === '"' || rawValue[0] === "`") {
    const unquoted = goUnquote(rawValue);
    if (unquoted === undefined) throw new GoModInfoError("invalid quoted value in build line");
    value = unquoted;
  } else if (mustQuoteValue(rawValue)) {
    throw new GoModInfoError(`unquoted value ${JSON.stringify(rawValue)} must be quoted`);
  }
  return { key, value };
}

export function parseGoModInfo(text: string): GoModInfo {
  const info: GoModInfo = { path: "", deps: [], settings: [] };
  // The module the next `=>` line replaces: the `mod` or `dep` just before it, once.
  let last: GoModule | undefined;
  let lineNumber = 1;
  try {
    // As Go does, a last line without its newline is ignored.
    for (let start = 0, nl = text.indexOf("\n"); nl >= 0; start = nl + 1, nl = text.indexOf("\n", start)) {
      const line = text.slice(start, nl);
      if (line.startsWith("path\t")) {
        info.path = line.slice(5);
      } else if (line.startsWith("mod\t")) {
        info.main = moduleLine(line.slice(4).split("\t"));
        last = info.main;
      } else if (line.startsWith("dep\t")) {
        last = moduleLine(line.slice(4).split("\t"));
        info.deps.push(last);
      } else if (line.startsWith("=>\t")) {
        const columns = line.slice(3).split("\t");
        if (columns.length !== 3) {
          throw new GoModInfoError(`expected 3 columns for replacement; got ${columns.length}`);
        }
        if (last === undefined) throw new GoModInfoError("replacement with no module on previous line");
        last.replace = { path: columns[0]!, version: columns[1]!, sum: columns[2]! };
        last = undefined;
      } else if (line.startsWith("build\t")) {
        info.settings.push(buildSetting(line.slice(6)));
      }
      lineNumber++;
    }
  } catch (err) {
    if (err instanceof GoModInfoError) {
      throw new GoModInfoError(`could not parse Go build info: line ${lineNumber}: ${err.message}`);
    }
    throw err;
  }
  return info;
}
