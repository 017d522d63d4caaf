/**
 * What each FROM of a Dockerfile builds on, as pinning sees it: nothing (`scratch`), an earlier
 * stage, an image reference written out in the text, or a name the text does not spell out (built
 * from ARGs, or written with quotes or escapes). The name is expanded as the build expands it: with
 * the meta ARGs (those before the first FROM), here with their defaults only; an ARG without a
 * default (or whose default needs one) leaves the name unknown.
 */
import type { ArgCommand } from "../dockerfile/instructions/commands.ts";
import { type EnvLookup, ShellLexer } from "../dockerfile/shell-lexer.ts";
import { isWharfError, type WharfError } from "../errors.ts";
import { parseNormalizedNamed, type Reference } from "../oci/reference.ts";
import { type FromLine, findFromLines } from "./from-lines.ts";

export type BaseKind =
  | { kind: "scratch" }
  /** An earlier stage, by its AS name. */
  | { kind: "stage"; stage: string }
  /** Built from meta ARGs that have no default: unknown until build time. */
  | { kind: "unset-args"; args: string[] }
  /** Known only after expansion (ARG defaults, quotes, escapes): `name` is what the build would pull. */
  | { kind: "expanded"; name: string; ref: Reference }
  /** The text is the reference. */
  | { kind: "image"; ref: Reference }
  /** Not an image reference (the build would fail on it too). */
  | { kind: "invalid"; error: WharfError };

export interface BaseImage extends FromLine {
  base: BaseKind;
}

function lookupIn(scope: ReadonlyMap<string, string>): EnvLookup {
  return { get: (name) => scope.get(name) };
}

/** The meta ARGs' defaults, each expanded with the ones before it (as the build does). */
function metaArgDefaults(metaArgs: readonly ArgCommand[], lexer: ShellLexer): Map<string, string> {
  const scope = new Map<string, string>();
  for (const command of metaArgs) {
    for (const arg of command.args) {
      if (arg.value === undefined) continue; // `ARG NAME` keeps an earlier default, if any
      try {
        const expanded = lexer.processWord(arg.value, lookupIn(scope));
        if (expanded.unmatched.size === 0) scope.set(arg.key, expanded.word);
        else scope.delete(arg.key);
      } catch {
        scope.delete(arg.key); // a default the build could not expand either: unknown here
      }
    }
  }
  return scope;
}

function classify(
  from: FromLine,
  lexer: ShellLexer,
  scope: ReadonlyMap<string, string>,
  earlierStages: ReadonlySet<string>,
): BaseKind {
  let expanded: ReturnType<ShellLexer["processWord"]>;
  try {
    expanded = lexer.processWord(from.word, lookupIn(scope));
  } catch (err) {
    if (isWharfError(err)) return { kind: "invalid", error: err };
    throw err;
  }
  if (expanded.unmatched.size > 0) return { kind: "unset-args", args: [...expanded.unmatched].sort() };
  const name = expanded.word;
  if (name.toLowerCase() === "scratch") return { kind: "scratch" };
  if (earlierStages.has(name.toLowerCase())) return { kind: "stage", stage: name.toLowerCase() };
  let ref: Reference;
  try {
    ref = parseNormalizedNamed(name);
  } catch (err) {
    if (isWharfError(err)) return { kind: "invalid", error: err };
    throw err;
  }
  return name === from.word ? { kind: "image", ref } : { kind: "expanded", name, ref };
}

/** Every FROM of a Dockerfile's text with what it builds on. Throws the parser's errors. */
export function findBaseImages(text: string): BaseImage[] {
  const { escapeToken, metaArgs, froms } = findFromLines(text);
  const lexer = new ShellLexer({ escapeToken });
  const scope = metaArgDefaults(metaArgs, lexer);
  const earlierStages = new Set<string>();
  return froms.map((from) => {
    const image: BaseImage = { ...from, base: classify(from, lexer, scope, earlierStages) };
    if (from.stageName !== "") earlierStages.add(from.stageName);
    return image;
  });
}
