/**
 * The parser of Go's text/template/parse: builds the tree for the top-level template and any
 * {{define}} / {{block}} templates, checks functions and variables, and reports errors as Go does:
 * `template: NAME:LINE: message`.
 */
import { WharfError } from "../../errors.ts";
import {
  type ArgNode,
  type BranchNode,
  type CommandNode,
  type KeywordNode,
  type ListNode,
  type Node,
  nodeString,
  type PipeNode,
  type TemplateNode,
  type VariableNode,
} from "./ast.ts";
import { lex } from "./lexer.ts";
import { LiteralError, parseNumber, unquote } from "./literals.ts";
import { quote } from "./strconv.ts";
import { type Item, type ItemType, itemString } from "./token.ts";

const OPERAND_START: ReadonlySet<ItemType> = new Set([
  "bool",
  "charConstant",
  "complex",
  "dot",
  "field",
  "identifier",
  "number",
  "nil",
  "rawString",
  "string",
  "variable",
  "leftParen",
]);

class Parser {
  private idx = 0;
  private furthest = 0;
  private vars: string[] = ["$"];
  private rangeDepth = 0;
  private actionLine = 0;
  private stackDepth = 0;
  readonly trees = new Map<string, ListNode>();
  private readonly name: string;
  private readonly items: Item[];
  private readonly hasFunction: (name: string) => boolean;

  constructor(name: string, items: Item[], hasFunction: (name: string) => boolean) {
    this.name = name;
    this.items = items;
    this.hasFunction = hasFunction;
  }

  private next(): Item {
    const it = this.items[Math.min(this.idx, this.items.length - 1)]!;
    this.furthest = Math.max(this.furthest, Math.min(this.idx, this.items.length - 1));
    this.idx++;
    return it;
  }
  private backup(n = 1): void {
    this.idx -= n;
  }
  private peek(): Item {
    const it = this.next();
    this.backup();
    return it;
  }
  private nextNonSpace(): Item {
    let it = this.next();
    while (it.type === "space") it = this.next();
    return it;
  }
  private peekNonSpace(): Item {
    const it = this.nextNonSpace();
    this.backup();
    return it;
  }

  errorf(msg: string): never {
    const line = this.items[this.furthest]?.line ?? 1;
    throw new WharfError("TEMPLATE_PARSE", `template: ${this.name}:${line}: ${msg}`, {
      template: this.name,
      line,
    });
  }
  private expect(type: ItemType, context: string): Item {
    const it = this.nextNonSpace();
    if (it.type !== type) this.unexpected(it, context);
    return it;
  }
  private unexpected(it: Item, context: string): never {
    if (it.type === "error") {
      let extra = "";
      if (this.actionLine !== 0 && this.actionLine !== it.line) {
        extra = ` in action started at ${this.name}:${this.actionLine}`;
        if (it.val.endsWith(" action")) extra = extra.slice(" in action".length);
      }
      this.errorf(it.val + extra);
    }
    this.errorf(`unexpected ${itemString(it)} in ${context}`);
  }
  private literal<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof LiteralError) this.errorf(e.message);
      throw e;
    }
  }

  private add(name: string, root: ListNode): void {
    const old = this.trees.get(name);
    if (old === undefined || isEmptyTree(old)) this.trees.set(name, root);
    else if (!isEmptyTree(root)) this.errorf(`template: multiple definition of template ${quote(name)}`);
  }

  /** A {{define}} or {{block}} body is a template of its own: fresh variables, no enclosing range. */
  private subTemplate(name: string, context: string): void {
    const saved = { vars: this.vars, rangeDepth: this.rangeDepth };
    this.vars = ["$"];
    this.rangeDepth = 0;
    const { list, next } = this.itemList();
    if (next.type !== "end") this.errorf(`unexpected ${nodeString(next)} in ${context}`);
    this.add(name, list);
    this.vars = saved.vars;
    this.rangeDepth = saved.rangeDepth;
  }

  parse(): void {
    const root: ListNode = { type: "list", pos: this.peek().pos, nodes: [] };
    while (this.peek().type !== "eof") {
      if (this.peek().type === "leftDelim") {
        const at = this.idx;
        this.next();
        if (this.nextNonSpace().type === "define") {
          const context = "define clause";
          const nameItem = this.nextNonSpace();
          if (nameItem.type !== "string" && nameItem.type !== "rawString") this.unexpected(nameItem, context);
          const name = this.literal(() => unquote(nameItem.val));
          this.expect("rightDelim", context);
          this.subTemplate(name, context);
          continue;
        }
        this.idx = at;
      }
      const n = this.textOrAction();
      if (n.type === "end" || n.type === "else") this.errorf(`unexpected ${nodeString(n)}`);
      root.nodes.push(n);
    }
    this.add(this.name, root);
  }

  private itemList(): { list: ListNode; next: KeywordNode } {
    const list: ListNode = { type: "list", pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().type !== "eof") {
      const n = this.textOrAction();
      if (n.type === "end" || n.type === "else") return { list, next: n as KeywordNode };
      list.nodes.push(n);
    }
    this.errorf("unexpected EOF");
  }

  private textOrAction(): Node {
    const it = this.nextNonSpace();
    if (it.type === "text") return { type: "text", pos: it.pos, text: it.val };
    if (it.type !== "leftDelim") this.unexpected(it, "input");
    this.actionLine = it.line;
    try {
      return this.action();
    } finally {
      this.actionLine = 0;
    }
  }

  private action(): Node {
    const it = this.nextNonSpace();
    switch (it.type) {
      case "block":
        return this.blockControl();
      case "break":
      case "continue": {
        const t = this.nextNonSpace();
        if (t.type !== "rightDelim") this.unexpected(t, `{{${it.type}}}`);
        if (this.rangeDepth === 0) this.errorf(`{{${it.type}}} outside {{range}}`);
        return { type: it.type, pos: it.pos, line: it.line };
      }
      case "else":
        return this.elseControl();
      case "end":
        return { type: "end", pos: this.expect("rightDelim", "end").pos, line: it.line };
      case "if":
      case "range":
      case "with":
        return this.control(it.type);
      case "template":
        return this.templateControl();
    }
    this.backup();
    const first = this.peek();
    return { type: "action", pos: first.pos, line: first.line, pipe: this.pipeline("command", "rightDelim") };
  }

  private elseControl(): KeywordNode {
    const peek = this.peekNonSpace();
    if (peek.type === "if" || peek.type === "with") return { type: "else", pos: peek.pos, line: peek.line };
    const it = this.expect("rightDelim", "else");
    return { type: "else", pos: it.pos, line: it.line };
  }

  private control(type: BranchNode["type"]): BranchNode {
    const nvars = this.vars.length;
    const pipe = this.pipeline(type, "rightDelim");
    if (type === "range") this.rangeDepth++;
    let { list, next } = this.itemList();
    if (type === "range") this.rangeDepth--;
    let elseList: ListNode | undefined;
    if (next.type === "else") {
      const p = this.peek().type;
      if ((type === "if" && p === "if") || (type === "with" && p === "with")) {
        this.next();
        elseList = { type: "list", pos: next.pos, nodes: [this.control(type)] };
      } else {
        ({ list: elseList, next } = this.itemList());
        if (next.type !== "end") this.errorf(`expected end; found ${nodeString(next)}`);
      }
    }
    this.vars.length = nvars;
    return { type, pos: pipe.pos, line: pipe.line, pipe, list, ...(elseList ? { elseList } : {}) };
  }

  private templateName(it: Item, context: string): string {
    if (it.type !== "string" && it.type !== "rawString") this.unexpected(it, context);
    return this.literal(() => unquote(it.val));
  }

  private blockControl(): TemplateNode {
    const context = "block clause";
    const it = this.nextNonSpace();
    const name = this.templateName(it, context);
    const pipe = this.pipeline(context, "rightDelim");
    this.subTemplate(name, context);
    return { type: "template", pos: it.pos, line: it.line, name, pipe };
  }

  private templateControl(): TemplateNode {
    const context = "template clause";
    const it = this.nextNonSpace();
    const name = this.templateName(it, context);
    if (this.nextNonSpace().type === "rightDelim")
      return { type: "template", pos: it.pos, line: it.line, name };
    this.backup();
    return { type: "template", pos: it.pos, line: it.line, name, pipe: this.pipeline(context, "rightDelim") };
  }

  private pipeline(context: string, end: ItemType): PipeNode {
    const start = this.peekNonSpace();
    const pipe: PipeNode = {
      type: "pipe",
      pos: start.pos,
      line: start.line,
      isAssign: false,
      decl: [],
      cmds: [],
    };
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== "variable") break;
      const at = this.idx;
      this.nextNonSpace();
      const next = this.peekNonSpace();
      if (next.type === "assign" || next.type === "declare") {
        pipe.isAssign = next.type === "assign";
        this.nextNonSpace();
        pipe.decl.push(variable(v.pos, v.val));
        this.vars.push(v.val);
      } else if (next.type === "char" && next.val === ",") {
        this.nextNonSpace();
        pipe.decl.push(variable(v.pos, v.val));
        this.vars.push(v.val);
        if (context === "range" && pipe.decl.length < 2) {
          const t = this.peekNonSpace().type;
          if (t === "variable" || t === "rightDelim" || t === "rightParen") continue;
          this.errorf("range can only initialize variables");
        }
        this.errorf(`too many declarations in ${context}`);
      } else this.idx = at;
      break;
    }
    for (;;) {
      const it = this.nextNonSpace();
      if (it.type === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      if (!OPERAND_START.has(it.type)) this.unexpected(it, context);
      this.backup();
      pipe.cmds.push(this.command());
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      if (["bool", "dot", "nil", "number", "string"].includes(c.args[0]!.type)) {
        this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { type: "command", pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const it = this.next();
      if (it.type === "space") continue;
      if (it.type === "rightDelim" || it.type === "rightParen") this.backup();
      else if (it.type !== "pipe") this.unexpected(it, "operand");
      break;
    }
    if (cmd.args.length === 0) this.errorf("empty command");
    return cmd;
  }

  private operand(): ArgNode | undefined {
    const node = this.term();
    if (!node || this.peek().type !== "field") return node;
    const pos = this.peek().pos;
    const field: string[] = [];
    while (this.peek().type === "field") field.push(this.next().val.slice(1));
    const text = nodeString({ type: "chain", pos, node, field });
    switch (node.type) {
      case "field":
        return { type: "field", pos, ident: text.slice(1).split(".") };
      case "variable":
        return variable(pos, text);
      case "bool":
      case "string":
      case "number":
      case "nil":
      case "dot":
        return this.errorf(`unexpected . after term ${quote(nodeString(node))}`);
      default:
        return { type: "chain", pos, node, field };
    }
  }

  private term(): ArgNode | undefined {
    const it = this.nextNonSpace();
    switch (it.type) {
      case "identifier":
        if (!this.hasFunction(it.val)) this.errorf(`function ${quote(it.val)} not defined`);
        return { type: "identifier", pos: it.pos, ident: it.val };
      case "dot":
      case "nil":
        return { type: it.type, pos: it.pos };
      case "variable": {
        const v = variable(it.pos, it.val);
        if (!this.vars.includes(v.ident[0]!)) this.errorf(`undefined variable ${quote(v.ident[0]!)}`);
        return v;
      }
      case "field":
        return { type: "field", pos: it.pos, ident: it.val.slice(1).split(".") };
      case "bool":
        return { type: "bool", pos: it.pos, value: it.val === "true" };
      case "charConstant":
      case "complex":
      case "number":
        return this.literal(() => parseNumber(it.pos, it.val, it.type === "charConstant"));
      case "leftParen": {
        if (this.stackDepth >= 10000) this.errorf("max expression depth exceeded");
        this.stackDepth++;
        try {
          return this.pipeline("parenthesized pipeline", "rightParen");
        } finally {
          this.stackDepth--;
        }
      }
      case "string":
      case "rawString":
        return { type: "string", pos: it.pos, quoted: it.val, text: this.literal(() => unquote(it.val)) };
    }
    this.backup();
    return undefined;
  }
}

function variable(pos: number, name: string): VariableNode {
  return { type: "variable", pos, ident: name.split(".") };
}

/** parse.IsEmptyTree: nothing but space (and comments). */
export function isEmptyTree(n: Node): boolean {
  if (n.type === "list") return n.nodes.every(isEmptyTree);
  if (n.type === "text") return n.text.trim() === "";
  return false;
}

/**
 * Parses `text` as template `name`; `hasFunction` says which function names exist (parse-time check,
 * as in Go). Returns every template it defines, keyed by name, the top-level one included.
 */
export function parseTemplates(name: string, text: string, hasFunction: (n: string) => boolean) {
  const items = lex(text, { breakOK: !hasFunction("break"), continueOK: !hasFunction("continue") });
  const p = new Parser(name, items, hasFunction);
  p.parse();
  return p.trees;
}
