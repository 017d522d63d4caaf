/**
 * The Dockerfile AST as BuildKit's parser builds it (parser.Node): an instruction is a node whose
 * value is the instruction word and whose `next` chain holds its arguments; ONBUILD's argument is a
 * node whose child is the nested instruction. The shape is kept because BuildKit's `Node.Dump()`
 * (the corpus's expected output) and every later stage are defined over it.
 */
import { goQuote, goTrimSpace } from "./go-text.ts";
import type { Heredoc } from "./heredoc.ts";

export interface Node {
  /** The instruction as written (`RUN`, `run`), or an argument's text. */
  value: string;
  next: Node | undefined;
  children: Node[];
  heredocs: Heredoc[];
  /** `json`: the arguments were an exec-form JSON array. */
  attributes: { json?: boolean };
  /** The whole instruction line after continuations were joined. */
  original: string;
  /** `--name=value` words before the arguments (only on instruction nodes). */
  flags: string[];
  /** 1-based lines the instruction spans, heredoc bodies included. */
  startLine: number;
  endLine: number;
  /** The comment lines right above the instruction. */
  prevComment: string[];
}

export function newNode(fields: Partial<Node> = {}): Node {
  return {
    value: "",
    next: undefined,
    children: [],
    heredocs: [],
    attributes: {},
    original: "",
    flags: [],
    startLine: 0,
    endLine: 0,
    prevComment: [],
    ...fields,
  };
}

/** The argument values of an instruction node, in order (its `next` chain). */
export function argValues(node: Node): string[] {
  const out: string[] = [];
  for (let n = node.next; n !== undefined; n = n.next) out.push(n.value);
  return out;
}

/** BuildKit's Node.Dump(): the s-expression form of the corpus's `result` files (minus their last newline). */
export function dumpNode(node: Node): string {
  let out = node.value.toLowerCase();
  if (node.flags.length > 0) out += ` [${node.flags.map(goQuote).join(" ")}]`;
  for (const child of node.children) out += `(${dumpNode(child)})\n`;
  for (let n = node.next; n !== undefined; n = n.next) {
    out += ` ${n.children.length > 0 ? dumpNode(n) : goQuote(n.value)}`;
  }
  return goTrimSpace(out);
}
