/**
 * The text of a .dockerignore as patterns, read as moby/patternmatcher's ignorefile.ReadAll reads
 * it (ported to TypeScript; the rules are few but exact): lines split like Go's bufio.ScanLines
 * ("\n", one trailing "\r" dropped), a UTF-8 BOM stripped from the first line, lines starting with
 * "#" skipped (before trimming: "  #x" is a pattern), white space trimmed, empty lines skipped, each
 * pattern cleaned (filepath.Clean) and a leading "/" removed, keeping a "!" prefix in front.
 */
import { WharfError } from "../../errors.ts";
import { goClean, goTrimSpace } from "./go-path.ts";

/** bufio.Scanner's default limit: a line of this many bytes (before its "\n") fails the read. */
const MAX_LINE_BYTES = 64 * 1024;
const BOM = "\uFEFF";

/** ignorefile.ReadAll. Throws IGNORE_FILE_INVALID for a line Go's scanner cannot read. */
export function readDockerignore(content: string | Uint8Array): string[] {
  const text = typeof content === "string" ? content : new TextDecoder().decode(content);
  const patterns: string[] = [];
  scanLines(text).forEach((rawLine, lineIndex) => {
    const line = lineIndex === 0 && rawLine.startsWith(BOM) ? rawLine.slice(BOM.length) : rawLine;
    if (line.startsWith("#")) return;
    let pattern = goTrimSpace(line);
    if (pattern === "") return;
    // Absolute paths are relative to the context; the "!" prefix is kept aside meanwhile.
    const invert = pattern.startsWith("!");
    if (invert) pattern = goTrimSpace(pattern.slice(1));
    if (pattern.length > 0) {
      pattern = goClean(pattern);
      if (pattern.length > 1 && pattern.startsWith("/")) pattern = pattern.slice(1);
    }
    patterns.push(invert ? `!${pattern}` : pattern);
  });
  return patterns;
}

/** bufio.ScanLines over the whole text, with bufio.Scanner's token size limit. */
function scanLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  // A final "\n" ends the last line; it does not start an empty one.
  if (lines[lines.length - 1] === "") lines.pop();
  const utf8 = new TextEncoder();
  return lines.map((line, index) => {
    if (utf8.encode(line).length >= MAX_LINE_BYTES) {
      throw new WharfError("IGNORE_FILE_INVALID", "bufio.Scanner: token too long", { line: index + 1 });
    }
    return line.endsWith("\r") ? line.slice(0, -1) : line;
  });
}
