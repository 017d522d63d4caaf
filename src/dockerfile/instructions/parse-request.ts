/**
 * What an instruction parser reads from an AST node (BuildKit's parseRequest): the argument words
 * (ONBUILD's trigger flattened into them), heredocs, the exec-form marker, the flags to check and
 * the lines; plus the helpers several parsers share.
 */
import { goTrimSpace } from "../go-text.ts";
import type { Heredoc } from "../heredoc.ts";
import type { Node } from "../node.ts";
import { BuildFlags } from "./build-flags.ts";
import type { CommandBase } from "./commands.ts";

export interface ParseRequest {
  command: string;
  args: string[];
  heredocs: Heredoc[];
  json: boolean;
  flags: BuildFlags;
  original: string;
  startLine: number;
  endLine: number;
  comments: string[];
}

export function requestFromNode(node: Node): ParseRequest {
  return {
    command: node.value,
    args: nodeArgs(node),
    heredocs: node.heredocs,
    json: node.attributes.json === true,
    flags: new BuildFlags(node.flags),
    original: node.original,
    startLine: node.startLine,
    endLine: node.endLine,
    comments: node.prevComment,
  };
}

/** The argument words; a nested instruction (ONBUILD's) contributes its word and its arguments. */
function nodeArgs(node: Node): string[] {
  const out: string[] = [];
  for (let arg = node.next; arg !== undefined; arg = arg.next) {
    const [child, ...more] = arg.children;
    if (child === undefined) out.push(arg.value);
    else if (more.length === 0) out.push(child.value, ...nodeArgs(child));
  }
  return out;
}

export function commandBase(req: ParseRequest): CommandBase {
  return {
    name: req.command.toLowerCase(),
    code: goTrimSpace(req.original),
    startLine: req.startLine,
    endLine: req.endLine,
    comments: req.comments,
  };
}

/** Exec form keeps the words; shell form is one line of them joined by blanks. */
export function handleJsonArgs(args: string[], json: boolean): string[] {
  if (args.length === 0) return [];
  return json ? args : [args.join(" ")];
}

/** The text after `NAME ` in the first comment line that starts so: a stage's or an ARG's description. */
export function docComment(comments: readonly string[], name: string): string {
  if (name === "") return "";
  for (const line of comments) if (line.startsWith(`${name} `)) return line.slice(name.length + 1);
  return "";
}
