/**
 * The executor of Go's text/template: walks the tree over plain JS data (see value.ts), with Go's
 * field lookup, variables, pipelines, typed function calls, range over slices / sorted maps / ints,
 * break and continue, and Go's error messages: `template: NAME:LINE:COL: executing "NAME" at <NODE>: ...`.
 * Output written before an error is kept (Go writes it to the writer) and returned with the error.
 */
import { WharfError } from "../../errors.ts";
import type {
  ArgNode,
  BranchNode,
  ChainNode,
  CommandNode,
  FieldNode,
  ListNode,
  Node,
  NumberNode,
  PipeNode,
} from "./ast.ts";
import { nodeString } from "./ast.ts";
import { BUILTINS, type FuncMap, type GoFunc, type ParamType } from "./builtins.ts";
import { formatPrintable, formatValue } from "./fmt.ts";
import { quote } from "./strconv.ts";
import {
  embeddedFields,
  entry,
  GoNilPointer,
  goFloat,
  isNil,
  isTrue,
  kindOf,
  sortedKeys,
  typeName,
  utf8Length,
} from "./value.ts";

const MISSING = Symbol("missing");
type Final = unknown;

class ExecFailure extends Error {}
const BREAK = Symbol("break");
const CONTINUE = Symbol("continue");
const MAX_DEPTH = 1000;
const GO_TYPE: Record<ParamType, string> = {
  any: "interface {}",
  string: "string",
  int: "int",
  bool: "bool",
};

interface Variable {
  name: string;
  value: unknown;
}

export interface ExecInput {
  /** Name given at parse time (error locations). */
  parseName: string;
  text: string;
  trees: ReadonlyMap<string, ListNode>;
  funcs: FuncMap;
  /** Go's Option("missingkey=error"): a missing map key fails instead of giving no value. */
  missingKeyError?: boolean;
}

class State {
  out = "";
  name: string;
  node: Node | undefined;
  vars: Variable[] = [];
  depth = 0;
  private readonly t: ExecInput;

  constructor(t: ExecInput) {
    this.t = t;
    this.name = t.parseName;
  }

  errorf(msg: string): never {
    if (this.node === undefined) throw new ExecFailure(`template: ${this.name}: ${msg}`);
    const before = this.t.text.slice(0, this.node.pos);
    const nl = before.lastIndexOf("\n");
    const line = before.split("\n").length;
    const col = utf8Length(before.slice(nl + 1));
    const where = `${this.t.parseName}:${line}:${col}`;
    throw new ExecFailure(
      `template: ${where}: executing ${quote(this.name)} at <${nodeString(this.node)}>: ${msg}`,
    );
  }

  varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--)
      if (this.vars[i]!.name === name) return this.vars[i]!.value;
    return this.errorf(`undefined variable: ${name}`);
  }

  setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  walk(dot: unknown, node: Node): void {
    this.node = node;
    switch (node.type) {
      case "action": {
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return;
      }
      case "list":
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case "text":
        this.out += node.text;
        return;
      case "if":
      case "with":
        this.walkIfOrWith(dot, node);
        return;
      case "range":
        this.walkRange(dot, node);
        return;
      case "break":
        throw BREAK;
      case "continue":
        throw CONTINUE;
      case "template": {
        const tree = this.t.trees.get(node.name);
        if (tree === undefined) this.errorf(`template ${quote(node.name)} not defined`);
        if (this.depth >= MAX_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_DEPTH})`);
        const newDot = this.evalPipeline(dot, node.pipe);
        const saved = { name: this.name, vars: this.vars };
        this.name = node.name;
        this.vars = [{ name: "$", value: newDot }];
        this.depth++;
        this.walk(newDot, tree);
        this.depth--;
        this.name = saved.name;
        this.vars = saved.vars;
        return;
      }
      default:
        this.errorf(`unknown node: ${nodeString(node)}`);
    }
  }

  walkIfOrWith(dot: unknown, node: BranchNode): void {
    const mark = this.vars.length;
    const val = this.evalPipeline(dot, node.pipe);
    if (isTrue(val)) this.walk(node.type === "with" ? val : dot, node.list);
    else if (node.elseList) this.walk(dot, node.elseList);
    this.vars.length = mark;
  }

  walkRange(dot: unknown, r: BranchNode): void {
    this.node = r;
    const mark0 = this.vars.length;
    const val = this.evalPipeline(dot, r.pipe);
    const mark = this.vars.length;
    const decl = r.pipe.decl;
    const one = (index: unknown, elem: unknown): boolean => {
      if (decl.length > 0) {
        if (r.pipe.isAssign) this.setVar(decl[0]!.ident[0]!, decl.length > 1 ? index : elem);
        else this.vars[this.vars.length - 1]!.value = elem;
      }
      if (decl.length > 1) {
        if (r.pipe.isAssign) this.setVar(decl[1]!.ident[0]!, elem);
        else this.vars[this.vars.length - 2]!.value = index;
      }
      try {
        this.walk(elem, r.list);
      } catch (e) {
        if (e === BREAK) return false;
        if (e !== CONTINUE) throw e;
      } finally {
        this.vars.length = mark;
      }
      return true;
    };
    let ran = false;
    switch (kindOf(val)) {
      case "slice":
        ran = (val as unknown[]).length > 0;
        for (const [i, e] of (val as unknown[]).entries()) if (!one(i, e)) break;
        break;
      case "map":
        ran = Object.keys(val as object).length > 0;
        for (const k of sortedKeys(val as object)) if (!one(k, entry(val as object, k))) break;
        break;
      case "int":
        if (decl.length > 1)
          this.errorf(`can't use ${formatValue(val, "v")} to iterate over more than one variable`);
        ran = Number(val) > 0;
        for (let i = 0; i < Number(val); i++) if (!one(i, i)) break;
        break;
      case "invalid":
        break;
      default:
        this.errorf(`range can't iterate over ${formatValue(val, "v")}`);
    }
    if (!ran && r.elseList) this.walk(dot, r.elseList);
    this.vars.length = mark0;
  }

  printValue(node: Node, v: unknown): void {
    this.node = node;
    if (kindOf(v) === "func") this.errorf(`can't print ${nodeString(node)} of type ${typeName(v)}`);
    this.out += isNil(v) ? "<no value>" : formatPrintable(v);
  }

  evalPipeline(dot: unknown, pipe: PipeNode | undefined): unknown {
    if (pipe === undefined) return undefined;
    this.node = pipe;
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.ident[0]!, value);
      else this.vars.push({ name: v.ident[0]!, value });
    }
    return value;
  }

  notAFunction(args: readonly ArgNode[], final: Final): void {
    if (args.length > 1 || final !== MISSING)
      this.errorf(`can't give argument to non-function ${nodeString(args[0]!)}`);
  }

  evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0]!;
    switch (first.type) {
      case "field":
        return this.evalFieldNode(dot, first, cmd.args, final);
      case "chain":
        return this.evalChainNode(dot, first, cmd.args, final);
      case "identifier":
        return this.evalFunction(dot, first.ident, first, cmd, cmd.args, final);
      case "pipe":
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case "variable":
        return this.evalVariable(first.ident, first, cmd.args, final);
    }
    this.node = first;
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case "bool":
        return first.value;
      case "dot":
        return dot;
      case "nil":
        return this.errorf("nil is not a command");
      case "number":
        return this.idealConstant(first);
      case "string":
        return first.text;
    }
  }

  idealConstant(n: NumberNode): unknown {
    this.node = n;
    const hexInt = /^[+-]?0[xX]/.test(n.text) && !/[pP]/.test(n.text);
    if (n.isFloat && !hexInt && !n.text.startsWith("'") && /[.eEpP]/.test(n.text)) return goFloat(n.float);
    if (n.isInt) return n.int;
    return this.errorf(`${n.text} overflows int`);
  }

  evalFieldNode(dot: unknown, field: FieldNode, args: readonly ArgNode[], final: Final): unknown {
    this.node = field;
    return this.evalFieldChain(dot, field.ident, args, final);
  }

  evalChainNode(dot: unknown, chain: ChainNode, args: readonly ArgNode[] | undefined, final: Final): unknown {
    this.node = chain;
    if (chain.node.type === "nil") this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = this.evalArg(dot, undefined, chain.node);
    return this.evalFieldChain(pipe, chain.field, args, final);
  }

  evalVariable(ident: string[], node: Node, args: readonly ArgNode[] | undefined, final: Final): unknown {
    this.node = node;
    const value = this.varValue(ident[0]!);
    if (ident.length === 1) {
      this.notAFunction(args ?? [], final);
      return value;
    }
    return this.evalFieldChain(value, ident.slice(1), args, final);
  }

  evalFieldChain(receiver: unknown, ident: string[], args: readonly ArgNode[] | undefined, final: Final) {
    for (let i = 0; i < ident.length - 1; i++)
      receiver = this.evalField(ident[i]!, undefined, MISSING, receiver);
    return this.evalField(ident[ident.length - 1]!, args, final, receiver);
  }

  evalField(name: string, args: readonly ArgNode[] | undefined, final: Final, receiver: unknown): unknown {
    // A map's null (a nil interface {}) has no fields; undefined is Go's invalid value (a missing key).
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${name}`);
    if (receiver === undefined) {
      if (this.t.missingKeyError) this.errorf(`nil data; no entry for key ${quote(name)}`);
      return undefined;
    }
    const hasArgs = (args !== undefined && args.length > 1) || final !== MISSING;
    const kind = kindOf(receiver);
    if (kind === "struct") {
      const found = structField(receiver as object, name);
      if (found !== NO_FIELD) {
        if (hasArgs) this.errorf(`${name} has arguments but cannot be invoked as function`);
        return found;
      }
    }
    if (kind === "map") {
      if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
      if (this.t.missingKeyError && !Object.hasOwn(receiver as object, name))
        this.errorf(`map has no entry for key ${quote(name)}`);
      return entry(receiver as object, name);
    }
    if (receiver instanceof GoNilPointer && receiver.fields.includes(name))
      this.errorf(`nil pointer evaluating ${receiver.type}.${name}`);
    return this.errorf(`can't evaluate field ${name} in type ${typeName(receiver)}`);
  }

  findFunction(name: string): GoFunc | undefined {
    return Object.hasOwn(this.t.funcs, name)
      ? this.t.funcs[name]
      : Object.hasOwn(BUILTINS, name)
        ? BUILTINS[name]
        : undefined;
  }

  evalFunction(
    dot: unknown,
    name: string,
    at: Node,
    node: Node,
    args: readonly ArgNode[] | undefined,
    final: Final,
  ) {
    this.node = at;
    const fn = this.findFunction(name);
    if (fn === undefined) return this.errorf(`${quote(name)} is not a defined function`);
    return this.evalCall(dot, fn, node, name, args ?? [], final);
  }

  evalCall(
    dot: unknown,
    fn: GoFunc,
    node: Node,
    name: string,
    allArgs: readonly ArgNode[],
    final: Final,
  ): unknown {
    const args = allArgs.slice(1);
    const numIn = args.length + (final !== MISSING ? 1 : 0);
    let numFixed = args.length;
    if (fn.variadic !== undefined) {
      numFixed = fn.params.length;
      if (numIn < numFixed)
        this.errorf(`wrong number of args for ${name}: want at least ${numFixed} got ${args.length}`);
    } else if (numIn !== fn.params.length) {
      this.errorf(`wrong number of args for ${name}: want ${fn.params.length} got ${numIn}`);
    }
    if (fn.shortCircuit) {
      let v: unknown;
      for (const a of args) {
        v = this.evalArg(dot, "any", a);
        if (isTrue(v) === (name === "or")) return v;
      }
      return final !== MISSING ? final : v;
    }
    const argv: unknown[] = [];
    let i = 0;
    for (; i < numFixed && i < args.length; i++) argv.push(this.evalArg(dot, fn.params[i]!, args[i]!));
    for (; i < args.length; i++) argv.push(this.evalArg(dot, fn.variadic!, args[i]!));
    if (final !== MISSING) {
      const t = fn.variadic === undefined || numIn - 1 < numFixed ? fn.params[numIn - 1]! : fn.variadic;
      argv.push(this.validateType(final, t));
    }
    try {
      return fn.fn(...argv);
    } catch (e) {
      this.node = node;
      return this.errorf(`error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  validateType(value: unknown, type: ParamType | undefined): unknown {
    if (type === undefined || type === "any") return value;
    if (isNil(value)) return this.errorf(`invalid value; expected ${GO_TYPE[type]}`);
    const k = kindOf(value);
    if (k !== type) {
      this.errorf(`wrong type for value; expected ${GO_TYPE[type]}; got ${typeName(value)}`);
    }
    return value;
  }

  evalArg(dot: unknown, type: ParamType | undefined, n: ArgNode): unknown {
    this.node = n;
    switch (n.type) {
      case "dot":
        return this.validateType(dot, type);
      case "nil":
        if (type === undefined || type === "any") return null;
        return this.errorf(`cannot assign nil to ${GO_TYPE[type]}`);
      case "field":
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), type);
      case "variable":
        return this.validateType(this.evalVariable(n.ident, n, undefined, MISSING), type);
      case "pipe":
        return this.validateType(this.evalPipeline(dot, n), type);
      case "identifier":
        return this.validateType(this.evalFunction(dot, n.ident, n, n, undefined, MISSING), type);
      case "chain":
        return this.validateType(this.evalChainNode(dot, n, undefined, MISSING), type);
    }
    const found = `found ${nodeString(n)}`;
    switch (type) {
      case "bool":
        return n.type === "bool" ? n.value : this.errorf(`expected bool; ${found}`);
      case "int":
        return n.type === "number" && n.isInt ? n.int : this.errorf(`expected integer; ${found}`);
      case "string":
        return n.type === "string" ? n.text : this.errorf(`expected string; ${found}`);
      default:
        return n.type === "number" ? this.idealConstant(n) : n.type === "bool" ? n.value : n.text;
    }
  }
}

const NO_FIELD = Symbol("no field");

/** A struct's field `name`, its own or promoted from an embedded struct (shallowest first, as Go's FieldByName). */
function structField(struct: object, name: string): unknown {
  if (Object.hasOwn(struct, name)) return entry(struct, name);
  let level = embeddedFields(struct).map((f) => entry(struct, f));
  while (level.length > 0) {
    const next: unknown[] = [];
    for (const e of level) {
      if (kindOf(e) !== "struct") continue;
      if (Object.hasOwn(e as object, name)) return entry(e as object, name);
      next.push(...embeddedFields(e as object).map((f) => entry(e as object, f)));
    }
    level = next;
  }
  return NO_FIELD;
}

/** Executes the template `name` of `t` on `data`; throws TEMPLATE_EXEC (detail.output: what was written). */
export function executeTree(t: ExecInput, name: string, data: unknown): string {
  const s: State = new State(t);
  const root = t.trees.get(name);
  try {
    s.name = name;
    if (root === undefined) s.errorf(`${quote(name)} is an incomplete or empty template`);
    s.vars = [{ name: "$", value: data }];
    s.walk(data, root);
    return s.out;
  } catch (e) {
    if (e instanceof ExecFailure) throw new WharfError("TEMPLATE_EXEC", e.message, { output: s.out });
    throw e;
  }
}
