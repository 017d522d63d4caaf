/**
 * SPDX license expressions: whether a package's license text is one, written canonically (IDs
 * as the SPDX list spells them), and the expression of all a package declares. The grammar is
 * ported by hand from the SPDX 2.3 specification, Annex D ("SPDX License Expressions"): no
 * maintained expression parser is a dependency here. Known IDs are those of the SPDX list the
 * CycloneDX library ships (licenses and exceptions in one list, so `WITH` accepts any of them).
 */
import * as SPDX from "@cyclonedx/cyclonedx-library/SPDX";

const IDSTRING = /^[A-Za-z0-9.-]+$/;
const OPERATORS = new Set(["AND", "OR", "WITH"]);

function tokenize(text: string): string[] {
  return text
    .replace(/[()]/g, " $& ")
    .split(/\s+/)
    .filter((t) => t !== "");
}

/** A license-id[+] or a [DocumentRef-x:]LicenseRef-y, canonical; undefined if it is neither. */
function simpleExpression(token: string): string | undefined {
  const ref = /^(DocumentRef-([^:]+):)?LicenseRef-(.+)$/.exec(token);
  if (ref) {
    const [, , doc, id] = ref;
    return (doc === undefined || IDSTRING.test(doc)) && IDSTRING.test(id!) ? token : undefined;
  }
  const exact = SPDX.fixupSpdxId(token);
  if (exact !== undefined) return exact;
  if (!token.endsWith("+")) return undefined;
  const base = SPDX.fixupSpdxId(token.slice(0, -1));
  return base === undefined ? undefined : `${base}+`;
}

/** Recursive descent over the tokens: OR binds loosest, then AND, then WITH. */
class ExpressionParser {
  readonly #tokens: string[];
  #at = 0;
  readonly out: string[] = [];

  constructor(tokens: string[]) {
    this.#tokens = tokens;
  }

  parse(): boolean {
    return this.#binary("OR") && this.#at === this.#tokens.length;
  }

  #binary(operator: "OR" | "AND"): boolean {
    const operand = () => (operator === "OR" ? this.#binary("AND") : this.#term());
    if (!operand()) return false;
    while (this.#tokens[this.#at] === operator) {
      this.out.push(this.#tokens[this.#at++]!);
      if (!operand()) return false;
    }
    return true;
  }

  #term(): boolean {
    const token = this.#tokens[this.#at++];
    if (token === undefined || token === ")" || OPERATORS.has(token)) return false;
    if (token === "(") {
      this.out.push("(");
      if (!this.#binary("OR") || this.#tokens[this.#at++] !== ")") return false;
      this.out.push(")");
      return true;
    }
    const simple = simpleExpression(token);
    if (simple === undefined) return false;
    this.out.push(simple);
    if (this.#tokens[this.#at] !== "WITH") return true;
    this.out.push(this.#tokens[this.#at++]!);
    const exception = SPDX.fixupSpdxId(this.#tokens[this.#at++] ?? "");
    if (exception === undefined) return false;
    this.out.push(exception);
    return true;
  }
}

/** `text` as a canonical SPDX license expression, or undefined when it is not one. */
export function spdxExpression(text: string): string | undefined {
  const tokens = tokenize(text);
  if (tokens.length === 0) return undefined;
  const parser = new ExpressionParser(tokens);
  if (!parser.parse()) return undefined;
  return parser.out.join(" ").replaceAll("( ", "(").replaceAll(" )", ")");
}

/** Whether `text` is one license ID of the SPDX list (what CycloneDX writes as `license.id`). */
export function spdxLicenseId(text: string): string | undefined {
  return SPDX.fixupSpdxId(text.trim());
}

/**
 * All a package declares as one expression (each part ANDed, compound parts in parentheses), or
 * undefined when any part is not an SPDX expression (SPDX then says NOASSERTION).
 */
export function declaredExpression(licenses: readonly string[] | undefined): string | undefined {
  if (licenses === undefined || licenses.length === 0) return undefined;
  const parts: string[] = [];
  for (const license of licenses) {
    const expression = spdxExpression(license);
    if (expression === undefined) return undefined;
    if (!parts.includes(expression)) parts.push(expression);
  }
  if (parts.length === 1) return parts[0];
  return parts.map((p) => (p.includes(" ") && !isParenthesized(p) ? `(${p})` : p)).join(" AND ");
}

/** "(A OR B)" is, "(A) OR (B)" is not. */
function isParenthesized(expression: string): boolean {
  if (!expression.startsWith("(") || !expression.endsWith(")")) return false;
  let depth = 0;
  for (let i = 0; i < expression.length; i++) {
    if (expression[i] === "(") depth++;
    else if (expression[i] === ")") depth--;
    if (depth === 0 && i < expression.length - 1) return false;
  }
  return true;
}
