/**
 * The checks BuildKit makes while it dispatches each stage's instructions (dockerfile2llb's
 * dispatch and its validations): variables expanded against the stage's environment
 * (UndefinedVar), ENV/LABEL forms and ARG/ENV names, CMD/ENTRYPOINT/HEALTHCHECK more than once,
 * CMD/ENTRYPOINT shell form without SHELL, the first WORKDIR relative, EXPOSE specs.
 *
 * The environment is what the llb state would hold: the base image's Env (given by the caller, as
 * this module reads no images; PATH is added when missing, as upstream does), then ARG values and
 * ENV in order; a stage built on another stage starts from that stage's end. A build checks only
 * the stages its target needs; `docker build --check` (no target) checks all of them.
 */
import { WharfError } from "../../errors.ts";
import { goQuote } from "../go-text.ts";
import type { Command, Stage } from "../instructions/commands.ts";
import { parseCommand } from "../instructions/parse-instruction.ts";
import { parseMount } from "../instructions/run-mount.ts";
import { suggestWord } from "../instructions/suggest.ts";
import { parseDockerfile } from "../parser.ts";
import { ShellLexer } from "../shell-lexer.ts";
import { splitExposePort } from "./expose-ports.ts";
import { type GlobalScope, lookupIn } from "./from-checks.ts";
import { type LintCommand, type LintStage, locationOf } from "./parse-checks.ts";
import { formatPlatform, type LintPlatform, normalizePlatform } from "./platform-spec.ts";
import type { LintLocation, RuleLinter } from "./rule-linter.ts";
import { MESSAGES, RULES } from "./rules.ts";
import { looksLikeSecret } from "./secret-names.ts";

/** What the checks need of a base image's config. */
export interface BaseImageConfig {
  env?: readonly string[];
  shell?: readonly string[];
  /** The platform of the image pulled (InvalidBaseImagePlatform when not the stage's). */
  platform?: LintPlatform;
}

export interface DispatchInput {
  stages: readonly LintStage[];
  /** Each stage's base name, expanded, and its --platform parsed (checkFromLines). */
  baseNames: readonly string[];
  platforms: readonly (LintPlatform | undefined)[];
  targetPlatform: LintPlatform;
  scope: GlobalScope;
  lexer: ShellLexer;
  buildArgs: Readonly<Record<string, string>>;
  /** undefined: every stage; "": the last stage and what it needs; else the named stage and what it needs. */
  target: string | undefined;
  baseImage: ((name: string) => BaseImageConfig | undefined) | undefined;
}

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** Build args that never enter the environment (BuildKit's nonEnvArgs). */
const NON_ENV_ARGS: ReadonlySet<string> = new Set(["BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE"]);
const FROM_EXPANSION_UNSUPPORTED =
  "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround";

/** A stage's state as far as the checks go (BuildKit's dispatchState). */
interface StageState {
  env: Map<string, string>;
  shell: readonly string[];
  workdirSet: boolean;
  /** The ARGs the stage declared (and its base stage's). */
  buildArgs: string[];
}

/** The instruction last seen of a kind that only counts once per stage. */
type Trackers = Map<"CMD" | "ENTRYPOINT" | "HEALTHCHECK", LintLocation>;

/** Runs the dispatch checks; returns the error at which BuildKit would stop, if any. */
export function checkDispatch(input: DispatchInput, linter: RuleLinter): unknown {
  let graph: StageGraph | Error;
  try {
    graph = stageGraph(input);
  } catch (err) {
    return err;
  }
  if (graph instanceof Error) return graph;
  const wanted = wantedStages(input, graph);
  if (wanted instanceof Error) return wanted;
  checkBasePlatforms(input, graph, wanted, linter);
  const finalStates = new Map<number, StageState>();
  for (const [index, lintStage] of input.stages.entries()) {
    if (!wanted.has(index)) continue;
    const base = graph.baseOf[index];
    const baseState = base === undefined ? undefined : finalStates.get(base);
    const state = baseState === undefined ? imageState(input, index) : cloneState(baseState);
    let commands: LintCommand[];
    try {
      commands = [...onbuildTriggers(input, base, lintStage.stage), ...lintStage.commands];
    } catch (err) {
      return err;
    }
    const trackers: Trackers = new Map();
    for (const command of commands) {
      try {
        dispatchCommand(command, state, trackers, input, linter.withComments(command.command.comments));
      } catch (err) {
        return err;
      }
    }
    finalStates.set(index, state);
  }
  return undefined;
}

interface StageGraph {
  /** The earlier stage a stage is built FROM. */
  baseOf: (number | undefined)[];
  /** The stages a stage's COPY --from and RUN --mount from= use. */
  depsOf: Set<number>[];
  byName: Map<string, number>;
}

function stageGraph(input: DispatchInput): StageGraph | Error {
  const baseOf: (number | undefined)[] = [];
  const named = new Map<string, number>();
  for (const [index, { stage }] of input.stages.entries()) {
    // The expanded name as written against the (lower-case) names of the stages before it.
    baseOf.push(named.get(input.baseNames[index] ?? ""));
    if (stage.name !== "") named.set(stage.name, index);
  }
  const depsOf: Set<number>[] = [];
  for (const { commands } of input.stages) {
    const deps = new Set<number>();
    for (const { command } of commands) {
      if (command.type === "COPY" && command.from !== "") {
        const plain = input.lexer.processWord(command.from, lookupIn(new Map())).word;
        if (plain !== command.from) return located(FROM_EXPANSION_UNSUPPORTED, command);
        const dep = /^[+-]?\d+$/.test(command.from)
          ? Number.parseInt(command.from, 10)
          : named.get(command.from.toLowerCase());
        if (dep !== undefined && (dep < 0 || dep >= input.stages.length))
          return located(`invalid stage index ${dep}`, command);
        if (dep !== undefined) deps.add(dep);
      }
      if (command.type === "RUN") {
        for (const mount of command.mounts) {
          const dep = named.get((mount.from === "" ? "scratch" : mount.from).toLowerCase());
          if (dep !== undefined) deps.add(dep);
        }
      }
    }
    depsOf.push(deps);
  }
  return { baseOf, depsOf, byName: named };
}

function wantedStages(input: DispatchInput, graph: StageGraph): Set<number> | Error {
  const all = new Set(input.stages.keys());
  if (input.target === undefined) return all;
  let target = input.stages.length - 1;
  if (input.target !== "") {
    const found = graph.byName.get(input.target.toLowerCase());
    if (found === undefined) {
      const names = input.stages.map(({ stage }) => stage.name).filter((n) => n !== "");
      const suggestion = suggestWord(input.target, names, true);
      const message = `target stage ${goQuote(input.target)} could not be found${suggestion === "" ? "" : ` (did you mean ${suggestion}?)`}`;
      return new WharfError("DOCKERFILE_INSTRUCTION", message, { reason: message });
    }
    target = found;
  }
  const wanted = new Set<number>();
  const visit = (index: number): void => {
    if (wanted.has(index)) return;
    wanted.add(index);
    const base = graph.baseOf[index];
    if (base !== undefined) visit(base);
    for (const dep of graph.depsOf[index] ?? []) visit(dep);
  };
  visit(target);
  return wanted;
}

/** The platform of each image a wanted stage is built on against the stage's (BuildKit compares OS and architecture). */
function checkBasePlatforms(
  input: DispatchInput,
  graph: StageGraph,
  wanted: Set<number>,
  lint: RuleLinter,
): void {
  for (const [index, { stage }] of input.stages.entries()) {
    const name = input.baseNames[index] ?? "";
    if (!wanted.has(index) || graph.baseOf[index] !== undefined || name === "scratch") continue;
    const actual = input.baseImage?.(name)?.platform;
    if (actual === undefined) continue;
    const expected = input.platforms[index] ?? input.targetPlatform;
    if (expected.os === actual.os && expected.architecture === actual.architecture) continue;
    const show = (p: LintPlatform) => formatPlatform(normalizePlatform(p), true);
    lint.run(
      RULES.InvalidBaseImagePlatform,
      locationOf(stage),
      MESSAGES.InvalidBaseImagePlatform(name, show(expected), show(actual)),
    );
  }
}

/** A stage on an image (or scratch): the image's Env and Shell, PATH always set. */
function imageState(input: DispatchInput, index: number): StageState {
  const name = input.baseNames[index] ?? "";
  const config = name === "scratch" ? undefined : input.baseImage?.(name);
  const env = new Map<string, string>();
  for (const entry of config?.env ?? []) {
    const eq = entry.indexOf("=");
    env.set(eq < 0 ? entry : entry.slice(0, eq), eq < 0 ? "" : entry.slice(eq + 1));
  }
  if (!env.has("PATH")) env.set("PATH", DEFAULT_PATH);
  return { env, shell: config?.shell ?? [], workdirSet: false, buildArgs: [] };
}

function cloneState(s: StageState): StageState {
  return { env: new Map(s.env), shell: s.shell, workdirSet: s.workdirSet, buildArgs: [...s.buildArgs] };
}

/** The base stage's ONBUILD triggers run first in a stage built FROM it, located at its FROM line. */
function onbuildTriggers(input: DispatchInput, base: number | undefined, stage: Stage): LintCommand[] {
  if (base === undefined) return [];
  const triggers: LintCommand[] = [];
  for (const { command } of input.stages[base]?.commands ?? []) {
    if (command.type !== "ONBUILD") continue;
    const [node] = parseDockerfile(command.expression).ast.children;
    if (node === undefined) continue;
    node.startLine = stage.startLine;
    node.endLine = stage.endLine;
    triggers.push({ command: parseCommand(node), word: node.value });
  }
  return triggers;
}

function dispatchCommand(
  { command, word }: LintCommand,
  state: StageState,
  trackers: Trackers,
  input: DispatchInput,
  lint: RuleLinter,
): void {
  const location = locationOf(command);
  const expand = (text: string, lexer: ShellLexer = input.lexer): string => {
    const result = lexer.processWord(text, lookupIn(state.env));
    reportUndefined(result.unmatched, state, location, lint);
    return result.word;
  };
  const expanded = expandWords(command, expand);
  switch (command.type) {
    case "ENV":
      for (const [i, pair] of command.env.entries()) {
        const { key, value } = expanded.pairs[i] ?? pair;
        if (pair.noDelim) lint.run(RULES.LegacyKeyValueFormat, location, MESSAGES.LegacyKeyValueFormat(word));
        if (looksLikeSecret(key))
          lint.run(RULES.SecretsUsedInArgOrEnv, location, MESSAGES.SecretsUsedInArgOrEnv("ENV", key));
        state.env.set(key, value);
      }
      break;
    case "LABEL":
      for (const pair of command.labels)
        if (pair.noDelim) lint.run(RULES.LegacyKeyValueFormat, location, MESSAGES.LegacyKeyValueFormat(word));
      break;
    case "CMD":
    case "ENTRYPOINT":
      usedOnce(command.type, word, location, trackers, lint);
      if (command.prependShell && state.shell.length === 0)
        lint.run(RULES.JSONArgsRecommended, location, MESSAGES.JSONArgsRecommended(word));
      break;
    case "HEALTHCHECK":
      usedOnce("HEALTHCHECK", word, location, trackers, lint);
      break;
    case "WORKDIR": {
      // Only the first WORKDIR of the build's own counts: fixing it fixes the ones after it.
      const path = expanded.words[0] ?? command.path;
      if (!state.workdirSet && !path.startsWith("/"))
        lint.run(RULES.WorkdirRelativePath, location, MESSAGES.WorkdirRelativePath(path));
      state.workdirSet = true;
      break;
    }
    case "SHELL":
      state.shell = command.shell;
      break;
    case "EXPOSE":
      for (const raw of command.ports.flatMap((p) => input.lexer.processWords(p, lookupIn(state.env)))) {
        const parts = splitExposePort(raw);
        if (parts === undefined) throw located(`invalid port: ${goQuote(raw)}`, command);
        if (parts.proto !== parts.proto.toLowerCase())
          lint.run(RULES.ExposeProtoCasing, location, MESSAGES.ExposeProtoCasing(raw));
        if (parts.ip !== "" || parts.hostPort !== "")
          lint.run(RULES.ExposeInvalidFormat, location, MESSAGES.ExposeInvalidFormat(raw));
      }
      break;
    case "ARG":
      for (const arg of command.args) {
        if (looksLikeSecret(arg.key))
          lint.run(RULES.SecretsUsedInArgOrEnv, location, MESSAGES.SecretsUsedInArgOrEnv("ARG", arg.key));
        const given = Object.hasOwn(input.buildArgs, arg.key) ? input.buildArgs[arg.key] : undefined;
        let value: string | undefined;
        if (given !== undefined) value = given;
        else if (arg.value !== undefined) value = expand(arg.value);
        else value = input.scope.args.get(arg.key); // a global ARG brought into the stage
        if (value !== undefined && !NON_ENV_ARGS.has(arg.key)) state.env.set(arg.key, value);
        state.buildArgs.push(arg.key);
      }
      break;
    default:
      break;
  }
}

interface ExpandedWords {
  /** ENV's pairs, expanded. */
  pairs: { key: string; value: string }[];
  /** The single words the instruction expands, in order (WORKDIR's path first). */
  words: string[];
}

/** The words BuildKit expands before dispatching (each command's Expand / ExpandRaw), in its order. */
function expandWords(command: Command, expand: (text: string, lexer?: ShellLexer) => string): ExpandedWords {
  const out: ExpandedWords = { pairs: [], words: [] };
  const words = (...texts: string[]) => {
    for (const text of texts) out.words.push(expand(text));
  };
  switch (command.type) {
    case "ENV":
      for (const pair of command.env) out.pairs.push({ key: expand(pair.key), value: expand(pair.value) });
      break;
    case "LABEL":
      for (const pair of command.labels) words(pair.key, pair.value);
      break;
    case "ADD":
    case "COPY": {
      if (command.type === "ADD") words(command.chown, command.chmod, command.checksum);
      else words(command.chown, command.chmod);
      words(...command.sourcePaths, command.destPath);
      // Heredoc sources with an unquoted delimiter: expanded with quotes left alone and `\` as the escape.
      const raw = new ShellLexer({ escapeToken: "\\", skipProcessQuotes: true });
      for (const content of command.sourceContents) if (content.expand) expand(content.data, raw);
      break;
    }
    case "WORKDIR":
      words(command.path);
      break;
    case "USER":
      words(command.user);
      break;
    case "VOLUME":
      words(...command.volumes);
      break;
    case "STOPSIGNAL":
      words(command.signal);
      break;
    case "RUN":
      for (const spec of command.mountSpecs) parseMount(spec, (text) => expand(text));
      break;
    default:
      break;
  }
  return out;
}

function usedOnce(
  kind: "CMD" | "ENTRYPOINT" | "HEALTHCHECK",
  word: string,
  location: LintLocation,
  trackers: Trackers,
  lint: RuleLinter,
): void {
  const previous = trackers.get(kind);
  // The earlier one is reported: it is the one that will be ignored.
  if (previous !== undefined)
    lint.run(RULES.MultipleInstructionsDisallowed, previous, MESSAGES.MultipleInstructionsDisallowed(word));
  trackers.set(kind, location);
}

function reportUndefined(
  unmatched: ReadonlySet<string>,
  state: StageState,
  location: LintLocation,
  lint: RuleLinter,
): void {
  for (const name of unmatched) {
    if (state.buildArgs.includes(name) || NON_ENV_ARGS.has(name)) continue;
    const suggestion = suggestWord(name, [...state.env.keys()], true);
    lint.run(RULES.UndefinedVar, location, MESSAGES.UndefinedVar(name, suggestion));
  }
}

function located(message: string, at: { startLine: number; endLine: number }): WharfError {
  return new WharfError("DOCKERFILE_INSTRUCTION", message, {
    reason: message,
    startLine: at.startLine,
    endLine: at.endLine,
  });
}
