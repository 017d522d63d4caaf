/**
 * A RUN line's shell script as the simple commands it runs, enough to see `apt-get install x` in
 * `sudo -E DEBIAN_FRONTEND=noninteractive apt-get install -y x && rm -rf ...`. Not a shell:
 *
 * - The script is cut at unquoted `&&`, `||`, `;`, `|`, `&`, newlines and parentheses; quotes,
 *   backslash escapes, `$(...)` and backticks are skipped over (what runs inside a substitution is
 *   not looked at), and a `#` starting a word comments out the rest of its line.
 * - Each piece is split into words by the Dockerfile shell lexer (quotes removed, `$VAR` left as
 *   written: a variable's value is unknown here).
 * - Redirections (`>file`, `2>&1`, `< in`, `<<EOF`) are dropped, and so is what only runs the real
 *   command: leading `VAR=value` assignments, `sudo` and `env` with their options, `exec`, `nohup`,
 *   `time`, `command`, and keywords (`if`, `then`, `do`, `!`, `{`, ...).
 * - Loops, functions and aliases are not followed: `for p in a b; do apk add $p; done` is seen as
 *   `apk add $p`.
 */
import { ShellLexer } from "../../shell-lexer.ts";

const LEXER = new ShellLexer({ skipUnsetEnv: true });
const NO_ENV = { get: () => undefined };

/** The simple commands of a script, each as its words (command name first). */
export function shellCommands(script: string): string[][] {
  const substitutions: string[] = [];
  const commands: string[][] = [];
  for (const piece of splitAtOperators(script, substitutions)) {
    const words = wordsOf(piece).map((w) => restoreSubstitutions(w, substitutions));
    const command = stripWrappers(dropRedirections(words));
    if (command.length > 0) commands.push(command);
  }
  return commands;
}

/**
 * A `$(...)` or backtick substitution stands in its piece as `\0N\0` while the piece is split into
 * words (the lexer would split it at its spaces); it is put back as written afterwards.
 */
const PLACEHOLDER = /\0(\d+)\0/g;

function restoreSubstitutions(word: string, substitutions: readonly string[]): string {
  return word.replace(PLACEHOLDER, (_, n: string) => substitutions[Number(n)] ?? "");
}

/** The script's pieces between control operators; substitutions go to `substitutions`. */
function splitAtOperators(script: string, substitutions: string[]): string[] {
  const pieces: string[] = [];
  let current = "";
  const cut = () => {
    pieces.push(current);
    current = "";
  };
  const substitute = (text: string) => {
    current += `\0${substitutions.push(text) - 1}\0`;
  };
  for (let i = 0; i < script.length; i++) {
    const ch = script[i] ?? "";
    if (ch === "\\") {
      // A backslash-newline joins lines; any other escaped character is kept as written.
      if (script[i + 1] === "\n") current += " ";
      else current += ch + (script[i + 1] ?? "");
      i++;
    } else if (ch === "'" || ch === '"' || ch === "`") {
      const end = closingQuote(script, i, ch);
      if (ch === "`") substitute(script.slice(i, end + 1));
      else current += script.slice(i, end + 1);
      i = end;
    } else if (ch === "$" && script[i + 1] === "(") {
      const end = closingParen(script, i + 1);
      substitute(script.slice(i, end + 1));
      i = end;
    } else if (ch === "#" && (current === "" || /\s$/.test(current))) {
      const newline = script.indexOf("\n", i);
      i = newline < 0 ? script.length : newline - 1;
    } else if ("&|;\n()".includes(ch)) {
      if ((ch === "&" || ch === "|") && script[i + 1] === ch) i++;
      // `2>&1` and `>&2` are redirections, not a background `&`.
      if (ch === "&" && /[<>]$/.test(current)) current += ch;
      else cut();
    } else {
      current += ch;
    }
  }
  cut();
  return pieces.filter((p) => p.trim() !== "");
}

/** The index of the quote closing the one at `start` (the end of the script when unclosed). */
function closingQuote(script: string, start: number, quote: string): number {
  for (let i = start + 1; i < script.length; i++) {
    if (script[i] === "\\" && quote !== "'") i++;
    else if (script[i] === quote) return i;
  }
  return script.length - 1;
}

/** The index of the `)` closing the `(` at `start`, nested parentheses and quotes skipped. */
function closingParen(script: string, start: number): number {
  let depth = 0;
  for (let i = start; i < script.length; i++) {
    const ch = script[i];
    if (ch === "\\") i++;
    else if (ch === "'" || ch === '"' || ch === "`") i = closingQuote(script, i, ch);
    else if (ch === "(") depth++;
    else if (ch === ")" && --depth === 0) return i;
  }
  return script.length - 1;
}

function wordsOf(piece: string): string[] {
  try {
    return LEXER.processWords(piece, NO_ENV);
  } catch {
    // A form the Dockerfile lexer refuses (`${#X}`): plain white space splitting will do.
    return piece.split(/\s+/).filter((w) => w !== "");
  }
}

const REDIRECTION = /^\d*(?:[<>]|&>)/;
/** A redirection operator alone: its target is the next word. */
const BARE_REDIRECTION = /^\d*(?:<|>|>>|<<|<<<|<<-|&>|&>>|>\||<>)$/;

function dropRedirections(words: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? "";
    if (BARE_REDIRECTION.test(word)) i++;
    else if (!REDIRECTION.test(word)) kept.push(word);
  }
  return kept;
}

const KEYWORDS: ReadonlySet<string> = new Set([
  "if",
  "then",
  "else",
  "elif",
  "do",
  "while",
  "until",
  "!",
  "{",
  "}",
  "exec",
  "nohup",
  "time",
  "command",
]);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
/** sudo's options that take a value as the next word. */
const SUDO_VALUE_OPTIONS: ReadonlySet<string> = new Set([
  "-u",
  "-g",
  "-C",
  "-D",
  "-h",
  "-p",
  "-r",
  "-t",
  "-U",
]);

/** The words from the real command on: what runs it is taken away, over and over. */
function stripWrappers(words: string[]): string[] {
  let rest = words;
  for (;;) {
    const [first] = rest;
    if (first === undefined) return rest;
    if (KEYWORDS.has(first) || ASSIGNMENT.test(first)) rest = rest.slice(1);
    else if (first === "sudo") rest = skipOptions(rest.slice(1), SUDO_VALUE_OPTIONS);
    else if (first === "env") rest = skipOptions(rest.slice(1), new Set(["-u", "-C", "-S"]));
    else return rest;
  }
}

/** Drops leading options (and the values of those that take one; `--` ends them). */
function skipOptions(words: string[], withValue: ReadonlySet<string>): string[] {
  let i = 0;
  while (i < words.length) {
    const word = words[i] ?? "";
    if (word === "--") return words.slice(i + 1);
    if (!word.startsWith("-")) break;
    i += withValue.has(word) ? 2 : 1;
  }
  return words.slice(i);
}
