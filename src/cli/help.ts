/**
 * Help in docker/cli's layout (its cobra usage template): the usage line, the description, the
 * aliases, the options in pflag's columns (sorted, wrapped as pflag wraps them), the subcommands in
 * aligned columns (management commands apart), the root's global options, and the hint to ask a
 * subcommand's help.
 */
import type { Command, Option } from "commander";
import { commandPath, useLine } from "./usage.ts";

/** Longer descriptions than a command's one line, as docker's `Long`. */
const LONG_DESCRIPTIONS: Readonly<Record<string, string>> = {
  "wharf manifest": `The **wharf manifest** command has subcommands for managing image manifests and
manifest lists. A manifest list allows you to use one name to refer to the same image
built for multiple architectures.

To see help for a subcommand, use:

    wharf manifest CMD --help

For full details on using wharf manifest lists, see the registry v2 specification.`,
};

/**
 * docker's "aliases" annotations: an image command and its top-level twin name each other. Other
 * commands list their commander aliases, as cobra does.
 */
const IMAGES = "wharf image ls, wharf image list, wharf images";
const RMI = "wharf image rm, wharf image remove, wharf rmi";
const ALIASES: Readonly<Record<string, string>> = {
  "wharf images": IMAGES,
  "wharf image ls": IMAGES,
  "wharf rmi": RMI,
  "wharf image rm": RMI,
  ...Object.fromEntries(
    ["history", "tag", "save", "load", "pull", "push"].flatMap((name) => {
      const both = `wharf image ${name}, wharf ${name}`;
      return [
        [`wharf ${name}`, both],
        [`wharf image ${name}`, both],
      ];
    }),
  ),
};

/** Bare `docker manifest` prints an empty line before its help (its Run does); the others do not. */
const BARE_LEADING_NEWLINE = new Set(["wharf manifest"]);

/** docker wraps option texts to the terminal's width less one; 80 columns when stdin is no terminal. */
function helpColumns(): number {
  const width = process.stdin.isTTY ? process.stdout.columns || 80 : 80;
  return width - 1;
}

/** cobra's NamePadding: the longest sibling name, at least 11. */
function namePadding(parent: Command): number {
  return Math.max(11, ...parent.commands.map((c) => c.name().length));
}

function listing(parent: Command, commands: readonly Command[]): string {
  const width = namePadding(parent);
  return commands.map((c) => `  ${c.name().padEnd(width)} ${c.description()}`).join("\n");
}

function byName(a: Command, b: Command): number {
  return a.name() < b.name() ? -1 : a.name() > b.name() ? 1 : 0;
}

/** pflag's wrapN: the first line of at most `limit` (+ `slop`) characters, and the rest. */
function wrapOnce(limit: number, slop: number, s: string): [string, string] {
  if (limit + slop > s.length) return [s, ""];
  const head = s.slice(0, limit);
  const w = Math.max(head.lastIndexOf(" "), head.lastIndexOf("\t"), head.lastIndexOf("\n"));
  if (w <= 0) return [s, ""];
  const nl = head.lastIndexOf("\n");
  if (nl > 0 && nl < w) return [s.slice(0, nl), s.slice(nl + 1)];
  return [s.slice(0, w), s.slice(w + 1)];
}

/** pflag's wrap: `s` in the column from `indent` to `width`. */
function wrap(indent: number, width: number, s: string): string {
  let i = indent;
  let room = width - i;
  let out = "";
  if (room < 24) {
    i = 16;
    room = width - i;
    out += `\n${" ".repeat(i)}`;
  }
  const pad = `\n${" ".repeat(i)}`;
  if (room < 24) return s.replaceAll("\n", out);
  const slop = 5;
  room -= slop;
  let [line, rest] = wrapOnce(room, slop, s);
  out += line.replaceAll("\n", pad);
  while (rest !== "") {
    [line, rest] = wrapOnce(room, slop, rest);
    out += pad + line.replaceAll("\n", pad);
  }
  return out;
}

function longName(o: Option): string {
  return (o.long ?? o.short ?? "").replace(/^-+/, "");
}

/** pflag's FlagUsagesWrapped: sorted by name, `  -s, --long type` then the text in one column. */
function optionUsages(options: readonly Option[]): string {
  const rows = options
    .filter((o) => !o.hidden)
    .sort((a, b) => (longName(a) < longName(b) ? -1 : longName(a) > longName(b) ? 1 : 0))
    .map((o) => {
      const names = o.short && o.long ? `  ${o.short}, ${o.long}` : `      ${o.long ?? o.short}`;
      // The value's name as the flag declares it: `--format <string>` -> "string".
      const value = (/<(.+)>/.exec(o.flags) ?? /\[(.+)\]/.exec(o.flags))?.[1];
      const hasDefault = typeof o.defaultValue === "string" && o.defaultValue !== "";
      const text = hasDefault
        ? `${o.description} (default ${JSON.stringify(o.defaultValue)})`
        : o.description;
      return { left: value ? `${names} ${value}` : names, text };
    });
  // pflag measures each left part with a separator byte after it: the texts start two columns further.
  const width = Math.max(...rows.map((r) => r.left.length)) + 1;
  return rows
    .map((r) => `${r.left}${" ".repeat(width - r.left.length + 1)} ${wrap(width + 2, helpColumns(), r.text)}`)
    .join("\n");
}

function aliasesOf(command: Command): string | undefined {
  const path = commandPath(command);
  if (ALIASES[path]) return ALIASES[path];
  if (command.aliases().length === 0) return undefined;
  const parentPath = command.parent ? `${commandPath(command.parent)} ` : "";
  return [path, ...command.aliases().map((alias) => `${parentPath}${alias}`)].join(", ");
}

/** The help of any command, as docker's usage template renders it. */
export function helpText(command: Command): string {
  const path = commandPath(command);
  const isRoot = !command.parent;
  const hasSubcommands = command.commands.length > 0;
  const hasOptions = command.options.some((o) => !o.hidden);
  const managementUsage = `${path}${hasOptions ? " [OPTIONS]" : ""} COMMAND`;
  // A command that runs by itself and has subcommands too (wharf scan IMAGE, wharf scan db ...).
  const usage = !hasSubcommands
    ? useLine(command)
    : command.registeredArguments.length > 0
      ? `${useLine(command)}\n        ${path} COMMAND`
      : managementUsage;
  const lines = [`Usage:  ${usage}`, "", LONG_DESCRIPTIONS[path] ?? command.description()];
  const aliases = aliasesOf(command);
  if (aliases) lines.push("", "Aliases:", `  ${aliases}`);
  if (!isRoot && hasOptions) lines.push("", "Options:", optionUsages(command.options));
  const subcommands = [...command.commands].sort(byName);
  const management = subcommands.filter((c) => c.commands.length > 0);
  const operations = subcommands.filter((c) => c.commands.length === 0);
  if (management.length > 0) lines.push("", "Management Commands:", listing(command, management));
  if (operations.length > 0) lines.push("", "Commands:", listing(command, operations));
  if (isRoot && hasOptions) lines.push("", "Global Options:", optionUsages(command.options));
  if (hasSubcommands) lines.push("", `Run '${path} COMMAND --help' for more information on a command.`);
  return `${lines.join("\n")}\n`;
}

/** What a management command run without a subcommand prints (on stderr, exit 0, as docker does). */
export function bareManagementHelp(command: Command): string {
  const help = helpText(command);
  return BARE_LEADING_NEWLINE.has(commandPath(command)) ? `\n${help}` : help;
}
