/**
 * Go's text/template, hand-written for docker's `--format`. Why not an npm package: none implements
 * Go's semantics, and users' format strings depend on them — a missing map key prints `<no value>`,
 * nil prints `<nil>` inside print, truth is "not the zero value" (empty map/slice/string are false),
 * maps range and print sorted by key (`map[a:1 b:2]`), printf has Go's verbs and `%!d(string=x)`
 * complaints, `{{- -}}` trims whitespace, and errors read `template: :1: function "x" not defined`.
 * Handlebars/Mustache-style libraries and the few Go-template ports differ on each of these.
 */
import { isWharfError } from "../../errors.ts";
import type { ListNode } from "./ast.ts";
import { BUILTINS, type FuncMap } from "./builtins.ts";
import { executeTree } from "./exec.ts";
import { parseTemplates } from "./parser.ts";

export interface ParseOptions {
  /** Template name used in error messages (docker uses ""). */
  name?: string;
  /** Functions beyond Go's builtins (a name here overrides a builtin, as in Go). */
  funcs?: FuncMap;
}

export class Template {
  readonly name: string;
  readonly text: string;
  readonly funcs: FuncMap;
  private readonly trees: ReadonlyMap<string, ListNode>;

  private constructor(name: string, text: string, funcs: FuncMap, trees: ReadonlyMap<string, ListNode>) {
    this.name = name;
    this.text = text;
    this.funcs = funcs;
    this.trees = trees;
  }

  /** Parses `text`; throws WharfError TEMPLATE_PARSE with Go's message. */
  static parse(text: string, options: ParseOptions = {}): Template {
    const name = options.name ?? "";
    const funcs = options.funcs ?? {};
    const has = (n: string) => Object.hasOwn(funcs, n) || Object.hasOwn(BUILTINS, n);
    return new Template(name, text, funcs, parseTemplates(name, text, has));
  }

  /** Names of the templates defined by the text ({{define}}/{{block}}), the top-level one included. */
  templateNames(): string[] {
    return [...this.trees.keys()];
  }

  /**
   * Executes the template (or the defined template `name`) on `data`. `funcs` replaces functions of
   * the same name for this execution, like Go's Template.Funcs after parsing; `missingKey: "error"` is
   * Go's Option("missingkey=error"). Throws WharfError
   * TEMPLATE_EXEC; its `detail.output` holds what had been written before the error.
   */
  execute(data: unknown, options: { funcs?: FuncMap; name?: string; missingKey?: "error" } = {}): string {
    const funcs = options.funcs ? { ...this.funcs, ...options.funcs } : this.funcs;
    const input = {
      parseName: this.name,
      text: this.text,
      trees: this.trees,
      funcs,
      missingKeyError: options.missingKey === "error",
    };
    return executeTree(input, options.name ?? this.name, data);
  }
}

/** The partial output carried by a TEMPLATE_EXEC error ("" for anything else). */
export function partialOutput(err: unknown): string {
  return isWharfError(err, "TEMPLATE_EXEC") && typeof err.detail.output === "string" ? err.detail.output : "";
}
