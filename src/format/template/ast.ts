/** The parse tree of text/template/parse, and each node's String() as Go writes it in errors. */
import { quote } from "./strconv.ts";

interface At {
  pos: number;
}
interface Lined extends At {
  line: number;
}

export interface ListNode extends At {
  type: "list";
  nodes: Node[];
}
export interface TextNode extends At {
  type: "text";
  text: string;
}
export interface ActionNode extends Lined {
  type: "action";
  pipe: PipeNode;
}
export interface BranchNode extends Lined {
  type: "if" | "range" | "with";
  pipe: PipeNode;
  list: ListNode;
  elseList?: ListNode;
}
export interface TemplateNode extends Lined {
  type: "template";
  name: string;
  pipe?: PipeNode;
}
export interface KeywordNode extends Lined {
  type: "break" | "continue" | "end" | "else";
}
export interface PipeNode extends Lined {
  type: "pipe";
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
}
export interface CommandNode extends At {
  type: "command";
  args: ArgNode[];
}
export interface FieldNode extends At {
  type: "field";
  ident: string[];
}
export interface VariableNode extends At {
  type: "variable";
  ident: string[];
}
export interface ChainNode extends At {
  type: "chain";
  node: ArgNode;
  field: string[];
}
export interface IdentifierNode extends At {
  type: "identifier";
  ident: string;
}
export interface SimpleNode extends At {
  type: "dot" | "nil";
}
export interface BoolNode extends At {
  type: "bool";
  value: boolean;
}
export interface NumberNode extends At {
  type: "number";
  text: string;
  isInt: boolean;
  isFloat: boolean;
  isComplex: boolean;
  int: number;
  float: number;
}
export interface StringNode extends At {
  type: "string";
  quoted: string;
  text: string;
}

export type ArgNode =
  | FieldNode
  | VariableNode
  | ChainNode
  | IdentifierNode
  | SimpleNode
  | BoolNode
  | NumberNode
  | StringNode
  | PipeNode;

export type Node =
  | ListNode
  | TextNode
  | ActionNode
  | BranchNode
  | TemplateNode
  | KeywordNode
  | ArgNode
  | CommandNode;

function pipeString(p: PipeNode): string {
  let s = "";
  if (p.decl.length > 0) s = `${p.decl.map(nodeString).join(", ")}${p.isAssign ? " = " : " := "}`;
  return s + p.cmds.map(nodeString).join(" | ");
}

/** Go's Node.String(). */
export function nodeString(n: Node): string {
  switch (n.type) {
    case "list":
      return n.nodes.map(nodeString).join("");
    case "text":
      return n.text;
    case "action":
      return `{{${pipeString(n.pipe)}}}`;
    case "if":
    case "range":
    case "with": {
      const els = n.elseList ? `{{else}}${nodeString(n.elseList)}` : "";
      return `{{${n.type} ${pipeString(n.pipe)}}}${nodeString(n.list)}${els}{{end}}`;
    }
    case "template":
      return `{{template ${quote(n.name)}${n.pipe ? ` ${pipeString(n.pipe)}` : ""}}}`;
    case "break":
    case "continue":
    case "end":
    case "else":
      return `{{${n.type}}}`;
    case "pipe":
      return pipeString(n);
    case "command":
      return n.args.map((a) => (a.type === "pipe" ? `(${nodeString(a)})` : nodeString(a))).join(" ");
    case "field":
      return n.ident.map((i) => `.${i}`).join("");
    case "variable":
      return n.ident.join(".");
    case "chain":
      return (
        (n.node.type === "pipe" ? `(${nodeString(n.node)})` : nodeString(n.node)) +
        n.field.map((f) => `.${f}`).join("")
      );
    case "identifier":
      return n.ident;
    case "dot":
      return ".";
    case "nil":
      return "nil";
    case "bool":
      return String(n.value);
    case "number":
      return n.text;
    case "string":
      return n.quoted;
  }
}

/** A parsed template: its root and the text it came from (for error locations). */
export interface Tree {
  name: string;
  root: ListNode;
}
