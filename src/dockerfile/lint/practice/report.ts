/**
 * Where the practice rules put their findings. A rule names the instruction and, where it can, the
 * offending word (a package, an image name): the finding then points at the first line of the
 * instruction's source that has that word standing alone (not inside a longer word), and its
 * column. The AST keeps no columns (continuations are joined before the arguments are split), so
 * this search is how columns are known; when the word is not found, the instruction's first line
 * is given and no column.
 */
import type { Finding, PracticeRule } from "./finding.ts";

export interface InstructionSpan {
  startLine: number;
  endLine: number;
}

/** Characters that can end a shell or Dockerfile word around the one searched for. */
const BOUNDARY = "\\s\"'`;&|()\\\\";

export class Reporter {
  readonly findings: Finding[] = [];
  readonly #lines: readonly string[];

  constructor(lines: readonly string[]) {
    this.#lines = lines;
  }

  report(rule: PracticeRule, at: InstructionSpan, message: string, word?: string): void {
    const place = word === undefined ? undefined : this.#locate(at, word);
    this.findings.push({
      code: rule.code,
      message,
      severity: rule.severity,
      line: place?.line ?? at.startLine,
      column: place?.column,
      source: "wharf",
      url: rule.url,
      instructionLine: at.startLine,
    });
  }

  #locate(at: InstructionSpan, word: string): { line: number; column: number } | undefined {
    if (word === "") return undefined;
    const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const pattern = new RegExp(`(^|[${BOUNDARY}])${escaped}(?=$|[${BOUNDARY}])`);
    for (let line = at.startLine; line <= at.endLine; line++) {
      const text = this.#lines[line - 1];
      if (text === undefined) break;
      const match = pattern.exec(text);
      if (match) return { line, column: match.index + (match[1]?.length ?? 0) + 1 };
    }
    return undefined;
  }
}
