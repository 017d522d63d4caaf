/**
 * Docker's usage errors, as docker/cli 28.2 words them: its usage lines (cobra's UseLine), the
 * argument-count messages of cli/required.go, and pflag's flag errors with FlagErrorFunc's usage block.
 * Every command gets its rule from its commander argument declarations, so that a command's
 * arguments are declared once: `<a> <b>` is ExactArgs(2), `<a...>` RequiresMinArgs(1), `[a]`
 * RequiresMaxArgs(1), `<a> [b]` RequiresRangeArgs(1, 2), none NoArgs.
 */
import type { Command, CommanderError, Option } from "commander";
import { WharfError } from "../errors.ts";
import { EXIT_FAILURE, EXIT_USAGE, usageError } from "./exit.ts";

/**
 * docker's `Use` for the commands wharf shares with it, by command path (the command's own name
 * left out: cobra's UseLine puts the path in front). The others get `[OPTIONS]` and their arguments.
 */
const DOCKER_USE: Readonly<Record<string, string>> = {
  "": "[OPTIONS] COMMAND [ARG...]",
  version: "[OPTIONS]",
  pull: "[OPTIONS] NAME[:TAG|@DIGEST]",
  push: "[OPTIONS] NAME[:TAG]",
  login: "[OPTIONS] [SERVER]",
  logout: "[SERVER]",
  images: "[OPTIONS] [REPOSITORY[:TAG]]",
  inspect: "[OPTIONS] NAME|ID [NAME|ID...]",
  history: "[OPTIONS] IMAGE",
  tag: "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
  rmi: "[OPTIONS] IMAGE [IMAGE...]",
  save: "[OPTIONS] IMAGE [IMAGE...]",
  load: "[OPTIONS]",
  image: "",
  "image ls": "[OPTIONS] [REPOSITORY[:TAG]]",
  "image inspect": "[OPTIONS] IMAGE [IMAGE...]",
  "image history": "[OPTIONS] IMAGE",
  "image tag": "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
  "image rm": "[OPTIONS] IMAGE [IMAGE...]",
  "image prune": "[OPTIONS]",
  "image save": "[OPTIONS] IMAGE [IMAGE...]",
  "image load": "[OPTIONS]",
  "image pull": "[OPTIONS] NAME[:TAG|@DIGEST]",
  "image push": "[OPTIONS] NAME[:TAG]",
  system: "",
  "system df": "[OPTIONS]",
  manifest: "COMMAND",
  "manifest inspect": "[OPTIONS] [MANIFEST_LIST] MANIFEST",
  "manifest create": "MANIFEST_LIST MANIFEST [MANIFEST...]",
  "manifest annotate": "[OPTIONS] MANIFEST_LIST MANIFEST",
  "manifest push": "[OPTIONS] MANIFEST_LIST",
  "manifest rm": "MANIFEST_LIST [MANIFEST_LIST...]",
};

/** How many arguments a command takes, as its commander declarations say. */
interface ArgumentRule {
  min: number;
  max: number;
}

const rules = new WeakMap<Command, ArgumentRule>();
/** The usage after the command path (commander's own `usage()` cannot be empty). */
const uses = new WeakMap<Command, string>();

/** The command's path without the program name: "image ls"; "" for the root. */
function pathOf(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** cobra's CommandPath: "wharf image ls" (an alias is never in it). */
export function commandPath(command: Command): string {
  const path = pathOf(command);
  const root = rootOf(command).name();
  return path === "" ? root : `${root} ${path}`;
}

function rootOf(command: Command): Command {
  let c = command;
  while (c.parent) c = c.parent;
  return c;
}

function derivedUse(command: Command): string {
  const parts = command.options.length > 0 ? ["[OPTIONS]"] : [];
  if (command.commands.length > 0 && command.registeredArguments.length === 0) parts.push("COMMAND");
  for (const arg of command.registeredArguments) {
    const name = arg.name().toUpperCase();
    const one = arg.required ? name : `[${name}]`;
    parts.push(arg.variadic ? `${one} [${name}...]` : one);
  }
  return parts.join(" ");
}

/** cobra's UseLine: `wharf rmi [OPTIONS] IMAGE [IMAGE...]`. */
export function useLine(command: Command): string {
  const use = uses.get(command) ?? derivedUse(command);
  return use === "" ? commandPath(command) : `${commandPath(command)} ${use}`;
}

/**
 * Gives the command docker's usage line and takes the argument count checks from commander (which
 * would word them its own way) to checkArguments.
 */
export function adoptDockerUsage(command: Command): void {
  const use = DOCKER_USE[pathOf(command)] ?? derivedUse(command);
  uses.set(command, use);
  if (use !== "") command.usage(use);
  const declared = command.registeredArguments;
  rules.set(command, {
    min: declared.filter((a) => a.required).length,
    max: declared.some((a) => a.variadic) ? Number.POSITIVE_INFINITY : declared.length,
  });
  for (const arg of declared) arg.required = false;
  command.allowExcessArguments(true);
}

/** An argument-count error: docker prints the usage line and exits 1 (not 125). */
function argumentsError(text: string): WharfError {
  return new WharfError("USAGE", text, { exitCode: EXIT_FAILURE });
}

function plural(n: number): string {
  return n === 1 ? "argument" : "arguments";
}

/** cli/required.go's checks (its message wordings, the "See" of one and the "SRun" typo of another included). */
export function checkArguments(command: Command): void {
  const rule = rules.get(command);
  if (!rule) return;
  const n = command.args.length;
  const { min, max } = rule;
  if (n >= min && n <= max) return;
  const bin = rootOf(command).name();
  const path = commandPath(command);
  const usage = `\n\nUsage:  ${useLine(command)}\n\n`;
  let text: string;
  if (max === 0 && command.commands.length > 0)
    text = `${bin}: unknown command: ${path} ${command.args[0]}${usage}Run '${path} --help' for more information`;
  else if (max === 0)
    text = `${bin}: '${path}' accepts no arguments${usage}Run '${path} --help' for more information`;
  else if (max === Number.POSITIVE_INFINITY)
    text = `${bin}: '${path}' requires at least ${min} ${plural(min)}${usage}See '${path} --help' for more information`;
  else if (min === max)
    text = `${bin}: '${path}' requires ${min} ${plural(min)}${usage}Run '${path} --help' for more information`;
  else if (min === 0)
    // docker 28.2 prints "SRun" here (a typo in its RequiresMaxArgs); scripts compare these lines.
    text = `${bin}: '${path}' requires at most ${max} ${plural(max)}${usage}SRun '${path} --help' for more information`;
  else
    text = `${bin}: '${path}' requires at least ${min} and at most ${max} ${plural(max)}${usage}Run '${path} --help' for more information`;
  throw argumentsError(text);
}

/** FlagErrorFunc: the flag error, the usage line and the hint (exit 125). */
export function flagErrorText(command: Command, message: string): string {
  return `${message}\n\nUsage:  ${useLine(command)}\n\nRun '${commandPath(command)} --help' for more information`;
}

/** The command a path such as "wharf image ls" names, if any. */
export function findCommand(root: Command, path: string): Command | undefined {
  const names = path.split(" ").slice(1);
  let command: Command | undefined = root;
  for (const name of names) command = command?.commands.find((c) => c.name() === name);
  return command;
}

/**
 * pflag's wording of a flag error commander found. `argv` is the command line: commander names an
 * option by its declaration, pflag by what was typed (`'f' in -f`).
 */
function pflagMessage(err: CommanderError, argv: readonly string[]): string {
  const msg = err.message.replace(/^error: /, "");
  const unknown = /^unknown option '(.+)'/.exec(msg);
  if (unknown) {
    const flag = unknown[1]!;
    if (flag.startsWith("--")) return `unknown flag: ${flag.split("=")[0]}`;
    return `unknown shorthand flag: '${flag.charAt(1)}' in ${flag}`;
  }
  if (err.code === "commander.optionMissingArgument") {
    // The option without its value is the last word typed (pflag names a shorthand alone: -af is "in -f").
    const typed = argv.at(-1) ?? "";
    if (typed.startsWith("--")) return `flag needs an argument: ${typed}`;
    const letter = typed.at(-1);
    return `flag needs an argument: '${letter}' in -${letter}`;
  }
  return msg;
}

/** What docker prints for a usage error commander reported on `command`, and the exit code. */
export function commanderFailure(
  command: Command,
  err: CommanderError,
  argv: readonly string[],
): { text: string; exitCode: number } {
  if (err.code === "commander.unknownCommand") {
    const bin = rootOf(command).name();
    const path = commandPath(command);
    const sub = command.args[0] ?? "";
    // The root prints no usage line here, a management command its own.
    const usage = command.parent ? `\n\nUsage:  ${useLine(command)}` : "";
    return {
      text: `${bin}: unknown command: ${path} ${sub}${usage}\n\nRun '${path} --help' for more information`,
      exitCode: EXIT_FAILURE,
    };
  }
  return { text: flagErrorText(command, pflagMessage(err, argv)), exitCode: EXIT_USAGE };
}

const TRUE_WORDS = ["1", "t", "T", "true", "TRUE", "True"];
const FALSE_WORDS = ["0", "f", "F", "false", "FALSE", "False"];

function isBoolean(option: Option): boolean {
  return !option.required && !option.optional;
}

/**
 * pflag lets a boolean flag take a value (`--force=false`, `-H=0`, strconv.ParseBool's words); commander
 * does not, so those words become the plain flag, its `--no-` twin or nothing before commander reads them.
 */
export function acceptBooleanValues(command: Command): void {
  const parseOptions = command.parseOptions.bind(command);
  command.parseOptions = (args: string[]) => parseOptions(args.flatMap((arg) => booleanArg(command, arg)));
}

function booleanArg(command: Command, arg: string): string[] {
  const m = /^(--[^=]+|-[^-=])=(.*)$/.exec(arg);
  if (!m) return [arg];
  const [, flag, value] = m as unknown as [string, string, string];
  const option = command.options.find((o) => (o.long === flag || o.short === flag) && isBoolean(o));
  if (!option) return [arg];
  const name = option.short ? `${option.short}, ${option.long}` : `${option.long}`;
  if (TRUE_WORDS.includes(value)) return [flag];
  if (!FALSE_WORDS.includes(value)) {
    throw usageError(
      `invalid argument "${value}" for "${name}" flag: strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`,
      commandPath(command),
    );
  }
  // false: the `--no-` twin where there is one (--human=false is --no-human), else the flag's default.
  const twin = command.options.find(
    (o) => o !== option && o.attributeName() === option.attributeName() && o.negate !== option.negate,
  );
  return twin?.long ? [twin.long] : [];
}
