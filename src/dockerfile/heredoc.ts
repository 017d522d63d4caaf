/**
 * Heredocs (`<<EOF`, `<<-EOF`, `<<'EOF'`, `3<<EOF`): finding their markers on an instruction line
 * and what each marker means. A port of the heredoc part of BuildKit's
 * frontend/dockerfile/parser/parser.go (moby/buildkit 73ed6825) in TypeScript.
 */
import { envFrom, ShellLexer } from "./shell-lexer.ts";

export interface Heredoc {
  /** The terminator, quotes removed. */
  name: string;
  /** The n of `n<<EOF` (0 when absent). */
  fileDescriptor: number;
  /** False when any part of the marker was quoted: the body is then not expanded. */
  expand: boolean;
  /** `<<-`: leading tabs are stripped from the body and the terminator line. */
  chomp: boolean;
  /** The body, every line with its newline; filled in by the parser. */
  content: string;
}

// Go's \s is [\t\n\f\r ]; [^<] matches newlines in both.
const HEREDOC_MARKER = /^(\d*)<<(-?)[\t\n\f\r ]*([^<]*)$/;

const NO_ENV = envFrom([]);

/**
 * The heredoc a word like `<<EOF` or `<<-"EOF"` starts, or undefined when it starts none; a marker
 * with an unterminated quote throws.
 */
export function parseHeredoc(word: string): Heredoc | undefined {
  const match = HEREDOC_MARKER.exec(word);
  if (match === null) return undefined;
  const rest = match[3] ?? "";
  if (rest === "") return undefined;
  // Lexed with and without quotes: if the quote counts differ, part of the name was quoted.
  const words = new ShellLexer({ skipUnsetEnv: true }).processWords(rest, NO_ENV);
  if (words.length !== 1) return undefined;
  const raw = new ShellLexer({ skipUnsetEnv: true, rawQuotes: true }).processWords(rest, NO_ENV);
  const name = words[0] ?? "";
  const quotes = (s: string) => (s.match(/['"]/g) ?? []).length;
  return {
    name,
    fileDescriptor: match[1] === "" ? 0 : Number.parseInt(match[1] ?? "0", 10),
    expand: quotes(name) === quotes(raw[0] ?? ""),
    chomp: match[2] === "-",
    content: "",
  };
}

/** Every heredoc an instruction line opens, in order (`COPY <<A <<B /dst`). */
export function heredocsFromLine(line: string): Heredoc[] {
  const lexer = new ShellLexer({ rawQuotes: true, rawEscapes: true, skipUnsetEnv: true });
  let words: string[];
  try {
    words = lexer.processWords(line, NO_ENV);
  } catch {
    words = []; // BuildKit ignores a line it cannot lex here: it has no heredocs
  }
  const docs: Heredoc[] = [];
  for (const word of words) {
    const doc = parseHeredoc(word);
    if (doc !== undefined) docs.push(doc);
  }
  return docs;
}

/** The body of a `<<-` heredoc with the leading tabs of every line removed. */
export function chompHeredocContent(content: string): string {
  // Line by line rather than /^\t+/gm: JavaScript's ^ also starts lines after \r and U+2028.
  return content
    .split("\n")
    .map((line) => line.replace(/^\t+/, ""))
    .join("\n");
}
