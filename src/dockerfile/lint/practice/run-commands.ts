/**
 * The commands a RUN instruction runs, for the rules about package managers: the shell form's
 * script, an exec form's argument list, the body of a heredoc the shell runs (`RUN <<EOF`,
 * `RUN bash <<EOF`; not one fed to another program, or with a `#!` naming one), and a script given
 * to a shell with `-c` (`["sh", "-c", "..."]`, `bash -c '...'`), which is looked into in turn.
 */
import type { RunCommand } from "../../instructions/commands.ts";
import { shellCommands } from "./shell-script.ts";

const SHELLS: ReadonlySet<string> = new Set(["sh", "bash", "ash", "dash", "zsh", "ksh"]);
const HEREDOC_MARKER = /^<<-?(["']?)[A-Za-z0-9_]+\1$/;
/** How deep `sh -c "sh -c '...'"` is followed. */
const MAX_NESTING = 3;

/** The program's name without its directory (`/usr/bin/apt-get` -> `apt-get`). */
export function programName(word: string): string {
  return word.slice(word.lastIndexOf("/") + 1);
}

export function runCommands(run: RunCommand): string[][] {
  if (!run.prependShell) return expandShells([[...run.cmdLine]], 0);
  const script = run.cmdLine.join(" ");
  const commands = shellCommands(script);
  const bodies = runsHeredocAsScript(script) ? run.files.map((f) => f.data).filter(isShellScript) : [];
  return expandShells([...commands, ...bodies.flatMap(shellCommands)], 0);
}

/** The line is only `<<EOF` or a shell reading it (`bash -e <<EOF`): the body is the script. */
function runsHeredocAsScript(script: string): boolean {
  const words = script
    .trim()
    .split(/\s+/)
    .filter((w) => !HEREDOC_MARKER.test(w) && !/^-[a-z]+$/.test(w));
  return words.length === 0 || (words.length === 1 && SHELLS.has(programName(words[0] ?? "")));
}

function isShellScript(body: string): boolean {
  const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(body);
  if (shebang === null) return true;
  const program = programName(shebang[1] ?? "");
  return SHELLS.has(program === "env" ? (shebang[2] ?? "") : program);
}

/** Each `SHELL ... -c SCRIPT` replaced by the commands of SCRIPT. */
function expandShells(commands: readonly string[][], depth: number): string[][] {
  const out: string[][] = [];
  for (const words of commands) {
    const script = depth < MAX_NESTING ? shellScriptArgument(words) : undefined;
    if (script === undefined) out.push(words);
    else out.push(...expandShells(shellCommands(script), depth + 1));
  }
  return out;
}

/** The script of `sh -c SCRIPT` (options such as `-e`, `-ex`, `-lc` before it allowed). */
function shellScriptArgument(words: readonly string[]): string | undefined {
  if (!SHELLS.has(programName(words[0] ?? ""))) return undefined;
  for (let i = 1; i < words.length; i++) {
    const word = words[i] ?? "";
    if (!/^-[a-zA-Z]+$/.test(word)) return undefined;
    if (word.includes("c")) return words[i + 1];
  }
  return undefined;
}

export interface CommandArgs {
  /** The first operand (the subcommand: `install`, `add`), "" when none. */
  subcommand: string;
  /** The operands after it (packages). */
  operands: string[];
  /** Every option word as written, values of `valued` ones excluded (`--no-cache`, `-y`). */
  options: string[];
  /** The values given to options that take one, by option (`-o` -> [`APT::...=false`]). */
  values: Map<string, string[]>;
}

/**
 * A command's arguments after its name: options anywhere (GNU style), those in `valued` taking the
 * next word unless written `--opt=value` (or `-oValue` for a one-letter option).
 */
export function commandArgs(words: readonly string[], valued: ReadonlySet<string>): CommandArgs {
  const operands: string[] = [];
  const options: string[] = [];
  const values = new Map<string, string[]>();
  const addValue = (option: string, value: string) =>
    values.set(option, [...(values.get(option) ?? []), value]);
  for (let i = 1; i < words.length; i++) {
    const word = words[i] ?? "";
    if (word === "--") {
      operands.push(...words.slice(i + 1));
      break;
    }
    if (!word.startsWith("-") || word === "-") {
      operands.push(word);
      continue;
    }
    const eq = word.indexOf("=");
    const name = word.startsWith("--") && eq > 0 ? word.slice(0, eq) : word;
    if (valued.has(name) && name !== word) addValue(name, word.slice(eq + 1));
    else if (valued.has(name)) addValue(name, words[++i] ?? "");
    else if (!word.startsWith("--") && word.length > 2 && valued.has(word.slice(0, 2)))
      addValue(word.slice(0, 2), word.slice(2));
    else options.push(word);
  }
  const [subcommand = "", ...rest] = operands;
  return { subcommand, operands: rest, options, values };
}
