/** The tokens of text/template/parse's lexer, and how Go prints one in "unexpected ..." errors. */
import { quote } from "./strconv.ts";

export type ItemType =
  | "error"
  | "bool"
  | "char"
  | "charConstant"
  | "complex"
  | "assign"
  | "declare"
  | "eof"
  | "field"
  | "identifier"
  | "leftDelim"
  | "leftParen"
  | "number"
  | "pipe"
  | "rawString"
  | "rightDelim"
  | "rightParen"
  | "space"
  | "string"
  | "text"
  | "variable"
  // keywords
  | "block"
  | "break"
  | "continue"
  | "dot"
  | "define"
  | "else"
  | "end"
  | "if"
  | "nil"
  | "range"
  | "template"
  | "with";

export interface Item {
  type: ItemType;
  pos: number;
  val: string;
  line: number;
}

export const KEYWORDS: ReadonlySet<string> = new Set([
  "block",
  "break",
  "continue",
  "define",
  "else",
  "end",
  "if",
  "nil",
  "range",
  "template",
  "with",
]);

/** The item as Go prints it in "unexpected ..." errors. */
export function itemString(it: Item): string {
  if (it.type === "eof") return "EOF";
  if (it.type === "error") return it.val;
  if (KEYWORDS.has(it.type) || it.type === "dot") return `<${it.val}>`;
  const runes = [...it.val];
  if (runes.length > 10) return `${quote(runes.slice(0, 10).join(""))}...`;
  return quote(it.val);
}
