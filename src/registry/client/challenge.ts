/**
 * `WWW-Authenticate` challenges (RFC 7235 section 4.1, RFC 6750 for Bearer): what a registry answers
 * a 401 with. One header may hold several challenges, and a response may carry several headers.
 * Schemes and parameter names are case-insensitive and come back lower-cased; values are kept as sent.
 */

export interface Challenge {
  /** Lower-cased auth scheme: "bearer", "basic", ... */
  readonly scheme: string;
  /** auth-params by lower-cased name (the first occurrence wins, as Go's net/http-based parsers do). */
  readonly params: Readonly<Record<string, string>>;
  /** The token68 form (`Negotiate abc==`), when the challenge has one instead of parameters. */
  readonly token68?: string;
}

/** RFC 7230 tchar. */
const TCHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;
/** RFC 7235 token68 characters (without the trailing "=" padding). */
const TOKEN68_CHAR = /[0-9A-Za-z._~+/-]/;

/**
 * Parses one or more `WWW-Authenticate` header values into challenges, in order. Malformed parts are
 * skipped rather than fatal: a registry's odd header must not hide a usable challenge beside it.
 */
export function parseChallenges(header: string | readonly string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const values = typeof header === "string" ? [header] : header;
  const out: Challenge[] = [];
  for (const value of values) out.push(...parseHeader(value));
  return out;
}

/** The first challenge of `scheme` ("bearer", "basic"), if any. */
export function findChallenge(challenges: readonly Challenge[], scheme: string): Challenge | undefined {
  const wanted = scheme.toLowerCase();
  return challenges.find((c) => c.scheme === wanted);
}

class Scanner {
  readonly text: string;
  pos = 0;

  constructor(text: string) {
    this.text = text;
  }

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string {
    return this.text[this.pos] ?? "";
  }

  /** Skips optional whitespace (OWS/BWS). */
  space(): void {
    while (this.peek() === " " || this.peek() === "\t") this.pos += 1;
  }

  token(): string {
    const start = this.pos;
    while (!this.done && TCHAR.test(this.peek())) this.pos += 1;
    return this.text.slice(start, this.pos);
  }

  /**
   * An unquoted value. RFC 7235 says token, but registries send unquoted URLs (`realm=https://h/t`),
   * so everything up to a comma or whitespace is taken.
   */
  bare(): string {
    const start = this.pos;
    while (!this.done && !/[,\s]/.test(this.peek())) this.pos += 1;
    return this.text.slice(start, this.pos);
  }

  /** A quoted-string starting at the opening quote; backslash escapes any character (quoted-pair). */
  quoted(): string {
    this.pos += 1; // opening quote
    let value = "";
    while (!this.done) {
      const c = this.peek();
      this.pos += 1;
      if (c === '"') return value;
      if (c === "\\" && !this.done) {
        value += this.peek();
        this.pos += 1;
      } else {
        value += c;
      }
    }
    return value; // unterminated: take what there is
  }

  /** Skips to just after the next top-level comma (or the end), stepping over quoted strings. */
  skipElement(): void {
    while (!this.done) {
      const c = this.peek();
      if (c === '"') {
        this.quoted();
      } else {
        this.pos += 1;
        if (c === ",") return;
      }
    }
  }
}

function parseHeader(value: string): Challenge[] {
  const s = new Scanner(value);
  const out: Challenge[] = [];
  let current: { scheme: string; params: Record<string, string>; token68?: string } | undefined;

  const finish = () => {
    if (current) out.push(Object.freeze({ ...current, params: Object.freeze(current.params) }));
    current = undefined;
  };

  while (!s.done) {
    s.space();
    if (s.peek() === ",") {
      s.pos += 1;
      continue;
    }
    const start = s.pos;
    const name = s.token();
    if (name === "") {
      s.skipElement();
      continue;
    }
    s.space();
    if (s.peek() === "=" && current !== undefined && isParamValueAhead(s)) {
      // auth-param of the current challenge
      s.pos += 1;
      s.space();
      const v = s.peek() === '"' ? s.quoted() : s.bare();
      const key = name.toLowerCase();
      if (!Object.hasOwn(current.params, key)) current.params[key] = v;
      s.space();
      if (s.peek() === ",") s.pos += 1;
      else if (!s.done) s.skipElement();
      continue;
    }
    // A new challenge: `name` is its scheme (rewind if what followed was not a separator).
    if (s.peek() === "=") {
      // "name=" with nothing usable after it: a param without a challenge, or junk.
      s.pos = start;
      s.skipElement();
      continue;
    }
    finish();
    current = { scheme: name.toLowerCase(), params: {} };
    const token68 = readToken68(s);
    if (token68 !== undefined) current.token68 = token68;
  }
  finish();
  return out;
}

/** After `name` and BWS, at "=": is this `name=value` (an auth-param) rather than token68 padding? */
function isParamValueAhead(s: Scanner): boolean {
  let i = s.pos + 1;
  while (s.text[i] === " " || s.text[i] === "\t") i += 1;
  const c = s.text[i] ?? "";
  return c !== "" && c !== "," && c !== "=";
}

/**
 * After a scheme: a token68 is a run of token68 characters plus "=" padding, followed by the end, a
 * comma, or whitespace then a comma/end. Anything else (a `name=value`) leaves the scanner in place.
 */
function readToken68(s: Scanner): string | undefined {
  const start = s.pos;
  let i = start;
  while (i < s.text.length && TOKEN68_CHAR.test(s.text[i] ?? "")) i += 1;
  if (i === start) return undefined;
  while (s.text[i] === "=") i += 1;
  let j = i;
  while (s.text[j] === " " || s.text[j] === "\t") j += 1;
  const next = s.text[j];
  if (next !== undefined && next !== ",") return undefined;
  s.pos = j;
  return s.text.slice(start, i);
}
