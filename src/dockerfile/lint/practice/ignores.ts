/**
 * Inline ignores, in hadolint's form: `# wharf-lint ignore=DL3008,WL1001` (or `# hadolint
 * ignore=...`) among the comment lines right above an instruction silences those codes for that
 * instruction; `# wharf-lint global ignore=...` anywhere silences them for the whole file. Codes
 * are compared as written: `DL3008`, `JSONArgsRecommended`.
 */

export interface InlineIgnores {
  /** Codes ignored everywhere. */
  global: Set<string>;
  /** Codes ignored for the instruction starting on a line, by that line. */
  byInstruction: Map<number, Set<string>>;
}

const IGNORE_COMMENT = /^\s*#\s*(?:wharf-lint|hadolint)\s+(global\s+)?ignore\s*=\s*(.*)$/;

/** The codes of an ignore comment, undefined when the line is not one. */
function parseIgnoreComment(line: string): { global: boolean; codes: string[] } | undefined {
  const match = IGNORE_COMMENT.exec(line);
  if (match === null) return undefined;
  // `ignore=DL3008, DL3009 why...`: each comma-separated part starts with a code.
  const codes = (match[2] ?? "")
    .split(",")
    .map((part) => /^\s*([A-Za-z][A-Za-z0-9]*)/.exec(part)?.[1])
    .filter((code): code is string => code !== undefined);
  return { global: match[1] !== undefined, codes };
}

/** `lines` is the source (index 0 is line 1); `instructionLines` the first line of each instruction. */
export function inlineIgnores(lines: readonly string[], instructionLines: readonly number[]): InlineIgnores {
  const global = new Set<string>();
  for (const line of lines) {
    const parsed = parseIgnoreComment(line);
    if (parsed?.global) for (const code of parsed.codes) global.add(code);
  }
  const byInstruction = new Map<number, Set<string>>();
  for (const start of instructionLines) {
    const codes = new Set<string>();
    for (let n = start - 1; n >= 1; n--) {
      const text = lines[n - 1] ?? "";
      if (!text.trimStart().startsWith("#")) break;
      const parsed = parseIgnoreComment(text);
      if (parsed !== undefined && !parsed.global) for (const code of parsed.codes) codes.add(code);
    }
    if (codes.size > 0) byInstruction.set(start, codes);
  }
  return { global, byInstruction };
}
