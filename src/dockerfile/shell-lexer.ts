/**
 * Shell-word expansion as the Dockerfile frontend does it: quotes, the escape token, $VAR and
 * ${VAR...} forms, and word splitting. A port of BuildKit's frontend/dockerfile/shell/lex.go
 * (moby/buildkit 73ed6825), rewritten in TypeScript; its envVarTest and wordsTest tables are the
 * tests. The forms are BuildKit's, not bash's: ${VAR:-w} ${VAR-w} ${VAR:+w} ${VAR+w} ${VAR:?m}
 * ${VAR?m} ${VAR#p} ${VAR##p} ${VAR%p} ${VAR%%p} ${VAR/p/r} ${VAR//p/r}; ${#VAR} is refused (BuildKit
 * reads `#` as the special parameter, then `V` as an unsupported modifier).
 *
 * One deliberate difference: BuildKit's words splitter shares one buffer between a word and the
 * nested words of a ${VAR:-...} inside it, so `hello${X:-bbb}` splits to ["bbb"] there (a memory
 * optimisation, buildkit 4c935cf9a, that loses the text before the expansion). Here each level has
 * its own buffer: ["hellobbb"], what the unoptimised lexer gave.
 */
import { WharfError } from "../errors.ts";
import { goQuote, isGoDigit, isGoLetter, isGoSpace } from "./go-text.ts";

/** Where variables come from. Windows matches names case-insensitively (BuildKit's NormalizeEnvKey). */
export interface EnvLookup {
  get(name: string): string | undefined;
}

/** An EnvLookup over `K=V` strings, or a record; later entries win, as in BuildKit's EnvsFromSlice. */
export function envFrom(
  env: readonly string[] | Readonly<Record<string, string>>,
  options: { caseInsensitive?: boolean } = {},
): EnvLookup {
  const norm = options.caseInsensitive ? (k: string) => k.toUpperCase() : (k: string) => k;
  const map = new Map<string, string>();
  const entries: [string, string][] = Array.isArray(env)
    ? (env as readonly string[]).map((e) => {
        const i = e.indexOf("=");
        return i < 0 ? [e, ""] : [e.slice(0, i), e.slice(i + 1)];
      })
    : Object.entries(env as Record<string, string>);
  for (const [k, v] of entries) map.set(norm(k), v);
  return { get: (name) => map.get(norm(name)) };
}

export interface ShellLexerOptions {
  /** `\` (default) or `` ` `` (the `# escape=` directive). */
  escapeToken?: string;
  /** Keep quote characters in the result (the heredoc detection needs to see them). */
  rawQuotes?: boolean;
  /** Keep escape tokens in the result. */
  rawEscapes?: boolean;
  /** Treat quotes as ordinary characters. */
  skipProcessQuotes?: boolean;
  /** Leave references to unset variables as written (`$X`, `${X:-y}`). */
  skipUnsetEnv?: boolean;
}

export interface ProcessedWord {
  word: string;
  /** Names looked up and found / not found (BuildKit's lint uses them). */
  matched: Set<string>;
  unmatched: Set<string>;
}

const EOF = "";

/** One word being lexed: a cursor over its code points (Go's text/scanner Peek/Next). */
class WordScanner {
  private readonly chars: string[];
  private pos = 0;
  constructor(text: string) {
    this.chars = Array.from(text);
  }
  peek(): string {
    return this.chars[this.pos] ?? EOF;
  }
  next(): string {
    const ch = this.chars[this.pos] ?? EOF;
    if (ch !== EOF) this.pos++;
    return ch;
  }
}

/** BuildKit's wordsStruct: collects words, splitting on unquoted whitespace from expansions. */
class WordCollector {
  private buf = "";
  private readonly words: string[] = [];
  private inWord = false;

  addChar(ch: string): void {
    if (isGoSpace(ch)) {
      if (this.inWord && this.buf.length !== 0) {
        this.words.push(this.buf);
        this.buf = "";
        this.inWord = false;
      }
    } else {
      this.addRawChar(ch);
    }
  }
  addRawChar(ch: string): void {
    this.buf += ch;
    this.inWord = true;
  }
  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }
  addRawString(s: string): void {
    this.buf += s;
    this.inWord = true;
  }
  finish(): string[] {
    if (this.buf.length > 0) {
      this.words.push(this.buf);
      this.buf = "";
      this.inWord = false;
    }
    return this.words;
  }
}

/** A failure inside the lexer, before it is wrapped with the whole source word. */
class LexError extends Error {}

export class ShellLexer {
  readonly escapeToken: string;
  readonly rawQuotes: boolean;
  readonly rawEscapes: boolean;
  readonly skipProcessQuotes: boolean;
  readonly skipUnsetEnv: boolean;

  constructor(options: ShellLexerOptions = {}) {
    this.escapeToken = options.escapeToken ?? "\\";
    this.rawQuotes = options.rawQuotes ?? false;
    this.rawEscapes = options.rawEscapes ?? false;
    this.skipProcessQuotes = options.skipProcessQuotes ?? false;
    this.skipUnsetEnv = options.skipUnsetEnv ?? false;
  }

  /** Expands one word; spaces between words are kept (BuildKit's ProcessWord). */
  processWord(word: string, env: EnvLookup): ProcessedWord {
    const run = new WordRun(this, word, env);
    const { word: result } = run.process(word);
    return { word: result, matched: run.matched, unmatched: run.unmatched };
  }

  /** Expands, then splits into words on whitespace outside quotes (BuildKit's ProcessWords). */
  processWords(word: string, env: EnvLookup): string[] {
    return new WordRun(this, word, env).process(word).words;
  }
}

/** The state of one ProcessWord(s) call (BuildKit's shellWord). */
class WordRun {
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();
  private readonly lex: ShellLexer;
  private readonly env: EnvLookup;
  private readonly scanner: WordScanner;
  private rawEscapes: boolean;

  constructor(lex: ShellLexer, text: string, env: EnvLookup) {
    this.lex = lex;
    this.env = env;
    this.scanner = new WordScanner(text);
    this.rawEscapes = lex.rawEscapes;
  }

  process(source: string): { word: string; words: string[] } {
    try {
      return this.processStopOn(EOF, this.rawEscapes);
    } catch (err) {
      if (err instanceof LexError) {
        throw new WharfError("DOCKERFILE_EXPANSION", `failed to process ${goQuote(source)}: ${err.message}`, {
          word: source,
          reason: err.message,
        });
      }
      throw err;
    }
  }

  /** Lexes up to stopChar (consumed) or the end; a missing stopChar is an error. */
  private processStopOn(stopChar: string, rawEscapes: boolean): { word: string; words: string[] } {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      return this.scanUntil(stopChar);
    } finally {
      this.rawEscapes = saved;
    }
  }

  private scanUntil(stopChar: string): { word: string; words: string[] } {
    const s = this.scanner;
    const escapeToken = this.lex.escapeToken;
    let result = "";
    const words = new WordCollector();
    while (s.peek() !== EOF) {
      let ch = s.peek();
      if (stopChar !== EOF && ch === stopChar) {
        s.next();
        return { word: result, words: words.finish() };
      }
      const special = this.specialFor(ch);
      if (special !== undefined) {
        const tmp = special();
        result += tmp;
        // Expansions split into words; quoted text and `<<` stay whole.
        if (ch === "$") words.addString(tmp);
        else words.addRawString(tmp);
        continue;
      }
      ch = s.next();
      if (ch === escapeToken) {
        if (this.rawEscapes) {
          words.addRawChar(ch);
          result += ch;
        }
        // The escape token escapes the next character; at the end it is dropped.
        ch = s.next();
        if (ch === EOF) break;
        words.addRawChar(ch);
      } else {
        words.addChar(ch);
      }
      result += ch;
    }
    if (stopChar !== EOF) {
      throw new LexError(`unexpected end of statement while looking for matching ${stopChar}`);
    }
    return { word: result, words: words.finish() };
  }

  private specialFor(ch: string): (() => string) | undefined {
    switch (ch) {
      case "$":
        return () => this.processDollar();
      case "<":
        return () => this.processPossibleHeredoc();
      case "'":
        return this.lex.skipProcessQuotes ? undefined : () => this.processSingleQuote();
      case '"':
        return this.lex.skipProcessQuotes ? undefined : () => this.processDoubleQuote();
      default:
        return undefined;
    }
  }

  /** Everything up to the next ' as is; nothing escapes inside single quotes. */
  private processSingleQuote(): string {
    const s = this.scanner;
    let result = "";
    const open = s.next();
    if (this.lex.rawQuotes) result += open;
    for (;;) {
      const ch = s.next();
      if (ch === EOF)
        throw new LexError("unexpected end of statement while looking for matching single-quote");
      if (ch === "'") {
        if (this.lex.rawQuotes) result += ch;
        return result;
      }
      result += ch;
    }
  }

  /** Up to the next unescaped "; $ expands, and the escape token escapes only " $ and itself. */
  private processDoubleQuote(): string {
    const s = this.scanner;
    const escapeToken = this.lex.escapeToken;
    let result = "";
    const open = s.next();
    if (this.lex.rawQuotes) result += open;
    for (;;) {
      const peek = s.peek();
      if (peek === EOF)
        throw new LexError("unexpected end of statement while looking for matching double-quote");
      if (peek === '"') {
        const ch = s.next();
        if (this.lex.rawQuotes) result += ch;
        return result;
      }
      if (peek === "$") {
        result += this.processDollar();
        continue;
      }
      let ch = s.next();
      if (ch === escapeToken) {
        if (this.rawEscapes) result += ch;
        const after = s.peek();
        if (after === EOF) continue; // an escape at the very end is dropped; the loop then fails
        if (after === '"' || after === "$" || after === escapeToken) ch = s.next();
      }
      result += ch;
    }
  }

  private processDollar(): string {
    const s = this.scanner;
    s.next();
    if (s.peek() !== "{") {
      const name = this.processName();
      if (name === "") return "$";
      const value = this.getEnv(name);
      if (value === undefined && this.lex.skipUnsetEnv) return `$${name}`;
      return value ?? "";
    }
    s.next();
    const first = s.peek();
    if (first === EOF) throw new LexError("syntax error: missing '}'");
    if (first === "{" || first === "}" || first === ":") throw new LexError("syntax error: bad substitution");
    const name = this.processName();
    let ch = s.next();
    // BuildKit says "unsupported modifier (\uFFFD)" here (Go's EOF rune); the missing } is the news.
    if (ch === EOF) throw new LexError("syntax error: missing '}'");
    let chs = ch;
    let nullIsUnset = false;

    if (ch === "}") {
      const value = this.getEnv(name);
      if (value === undefined && this.lex.skipUnsetEnv) return `\${${name}}`;
      return value ?? "";
    }
    if (ch === ":") {
      nullIsUnset = true;
      ch = s.next();
      chs += ch;
    }
    if (nullIsUnset || ch === "+" || ch === "-" || ch === "?" || ch === "#" || ch === "%") {
      // Patterns (# %) keep their escapes: the pattern compiler reads them.
      const patternOp = ch === "#" || ch === "%";
      if (nullIsUnset && patternOp) throw new LexError(`unsupported modifier (${chs}) in substitution`);
      let word: string;
      try {
        word = this.processStopOn("}", patternOp).word;
      } catch (err) {
        if (err instanceof LexError && s.peek() === EOF) throw new LexError("syntax error: missing '}'");
        throw err;
      }
      const value = this.getEnv(name);
      if (this.lex.skipUnsetEnv && value === undefined) return `\${${name}${chs}${word}}`;
      const set = value !== undefined;
      const val = value ?? "";
      switch (ch) {
        case "-":
          return !set || (nullIsUnset && val === "") ? word : val;
        case "+":
          return !set || (nullIsUnset && val === "") ? "" : word;
        case "?":
          if (!set) throw new LexError(`${name}: ${word !== "" ? word : "is not allowed to be unset"}`);
          if (nullIsUnset && val === "")
            throw new LexError(`${name}: ${word !== "" ? word : "is not allowed to be empty"}`);
          return val;
        case "%":
        case "#": {
          // One # or % matches the shortest pattern, ## and %% the longest.
          let pattern = word;
          let greedy = false;
          if (pattern.startsWith(ch)) {
            greedy = true;
            pattern = pattern.slice(1);
          }
          return ch === "%" ? trimSuffix(pattern, val, greedy) : trimPrefix(pattern, val, greedy);
        }
        default:
          throw new LexError(`unsupported modifier (${chs}) in substitution`);
      }
    }
    if (ch === "/") {
      const replaceAll = s.peek() === "/";
      if (replaceAll) s.next();
      let pattern: string;
      try {
        pattern = this.processStopOn("/", true).word;
      } catch (err) {
        if (err instanceof LexError && s.peek() === EOF)
          // biome-ignore lint/suspicious/noTemplateCurlyInString: BuildKit's message names ${} literally
          throw new LexError("syntax error: missing '/' in ${}");
        throw err;
      }
      let replacement: string;
      try {
        replacement = this.processStopOn("}", true).word;
      } catch (err) {
        if (err instanceof LexError && s.peek() === EOF) throw new LexError("syntax error: missing '}'");
        throw err;
      }
      const value = this.getEnv(name);
      if (this.lex.skipUnsetEnv && value === undefined) return `\${${name}/${pattern}/${replacement}}`;
      const re = patternRegex(pattern, true, false, replaceAll);
      const val = value ?? "";
      // A function replacer: the replacement is literal text, as in Go's ReplaceAllString without $.
      return val.replace(re, () => replacement);
    }
    throw new LexError(`unsupported modifier (${chs}) in substitution`);
  }

  /** A name: letters, digits and _; or all the digits of a positional; or one special parameter. */
  private processName(): string {
    const s = this.scanner;
    let name = "";
    while (s.peek() !== EOF) {
      let ch = s.peek();
      if (name.length === 0 && isGoDigit(ch)) {
        while (s.peek() !== EOF && isGoDigit(s.peek())) name += s.next();
        return name;
      }
      if (name.length === 0 && isSpecialParam(ch)) {
        return s.next();
      }
      if (!isGoLetter(ch) && !isGoDigit(ch) && ch !== "_") break;
      ch = s.next();
      name += ch;
    }
    return name;
  }

  /** `<<` and the blanks after it stay together, so a heredoc marker is one word. */
  private processPossibleHeredoc(): string {
    const s = this.scanner;
    s.next();
    if (s.peek() !== "<") return "<";
    s.next();
    let space = "";
    while (s.peek() === "\t" || s.peek() === "\r" || s.peek() === " ") space += s.next();
    return `<<${space}`;
  }

  private getEnv(name: string): string | undefined {
    const v = this.env.get(name);
    if (v !== undefined) this.matched.add(name);
    else this.unmatched.add(name);
    return v;
  }
}

/** POSIX special parameters (never set in a Dockerfile, so they expand to nothing). */
function isSpecialParam(ch: string): boolean {
  return "@*#?-$!0".includes(ch) && ch.length === 1;
}

/**
 * A shell wildcard pattern (? one character, * any run; no bracket expressions) as a RegExp.
 * `\}` and `\/` lose their escape (they were escaped only for ${}); other escapes may only escape
 * * ? and \.
 */
function patternRegex(pattern: string, greedy: boolean, anchored: boolean, global = false): RegExp {
  const chars = Array.from(pattern);
  let out = anchored ? "^" : "";
  // [^\n], not ".": Go's . stops only at \n, JavaScript's also at \r, U+2028 and U+2029.
  const star = greedy ? "[^\\n]*" : "[^\\n]*?";
  for (let i = 0; i < chars.length; i++) {
    let tok = chars[i] ?? "";
    if (tok === "*") {
      out += star;
      continue;
    }
    if (tok === "?") {
      out += "[^\\n]";
      continue;
    }
    if (tok === "\\") {
      const peek = chars[i + 1];
      if (peek === "}" || peek === "/") continue;
      out += "\\";
      i++;
      tok = chars[i] ?? "";
      if (tok !== "*" && tok !== "?" && tok !== "\\") {
        throw new LexError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${tok}'`);
      }
    } else if ("[]{}.+()|^$".includes(tok)) {
      out += "\\";
    } else if (tok === "/") {
      out += "\\"; // not special in Go's syntax, but a JavaScript source would end at it
    }
    out += tok;
  }
  return new RegExp(out, global ? "gu" : "u");
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = patternRegex(pattern, greedy, true).exec(value);
  return m === null ? value : value.slice(m.index + m[0].length);
}

/** Reverses a pattern but keeps each escape before the character it escapes (a\*c -> c\*a). */
function reversePattern(pattern: string): string {
  const chars = Array.from(pattern);
  const out: string[] = new Array(chars.length);
  const last = chars.length - 1;
  for (let i = 0; i <= last; ) {
    const tok = chars[i] ?? "";
    const at = last - i;
    if (tok === "\\" && i !== last) {
      out[at - 1] = tok;
      out[at] = chars[i + 1] ?? "";
      i += 2;
    } else {
      out[at] = tok;
      i++;
    }
  }
  return out.join("");
}

/** Shortest/longest suffix match: regular expressions find leftmost matches, so reverse both. */
function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  const reversed = trimPrefix(reversePattern(pattern), Array.from(value).reverse().join(""), greedy);
  return Array.from(reversed).reverse().join("");
}
