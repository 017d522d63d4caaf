/**
 * The instructions with plain arguments (ENV, LABEL, MAINTAINER, WORKDIR, USER, VOLUME,
 * STOPSIGNAL, EXPOSE, ARG, SHELL, CMD, ENTRYPOINT, ONBUILD), ported from BuildKit's parse.go with
 * its argument-count rules and messages. The order of checks (flags before or after the count)
 * follows upstream, since it decides which error a bad line reports.
 */
import { goTrimSpace } from "../go-text.ts";
import type {
  ArgCommand,
  ArgDefinition,
  CmdCommand,
  EntrypointCommand,
  EnvCommand,
  ExposeCommand,
  KeyValuePair,
  LabelCommand,
  MaintainerCommand,
  OnbuildCommand,
  ShellCommand,
  ShellDependentCmdLine,
  StopSignalCommand,
  UserCommand,
  VolumeCommand,
  WorkdirCommand,
} from "./commands.ts";
import {
  errAtLeastOneArgument,
  errBlankCommandNames,
  errExactlyOneArgument,
  errTooManyArguments,
  instructionError,
} from "./instruction-error.ts";
import { commandBase, docComment, handleJsonArgs, type ParseRequest } from "./parse-request.ts";

/** ENV and LABEL arrive from the line parser as (key, value, delimiter) triples. */
function keyValuePairs(args: string[], command: string): KeyValuePair[] {
  if (args.length === 0) throw errAtLeastOneArgument(command);
  if (args.length % 3 !== 0) throw errTooManyArguments(command);
  const pairs: KeyValuePair[] = [];
  for (let i = 0; i < args.length; i += 3) {
    const key = args[i] ?? "";
    if (key === "") throw errBlankCommandNames(command);
    pairs.push({ key, value: args[i + 1] ?? "", noDelim: args[i + 2] === "" });
  }
  return pairs;
}

export function parseEnv(req: ParseRequest): EnvCommand {
  req.flags.parse();
  return { type: "ENV", ...commandBase(req), env: keyValuePairs(req.args, "ENV") };
}

export function parseLabel(req: ParseRequest): LabelCommand {
  req.flags.parse();
  return { type: "LABEL", ...commandBase(req), labels: keyValuePairs(req.args, "LABEL") };
}

/** The single word of MAINTAINER, WORKDIR and USER (flags checked after the count, as upstream). */
function exactlyOne(req: ParseRequest, command: string): string {
  const [only] = req.args;
  if (req.args.length !== 1 || only === undefined) throw errExactlyOneArgument(command);
  req.flags.parse();
  return only;
}

export function parseMaintainer(req: ParseRequest): MaintainerCommand {
  return { type: "MAINTAINER", ...commandBase(req), maintainer: exactlyOne(req, "MAINTAINER") };
}

export function parseWorkdir(req: ParseRequest): WorkdirCommand {
  return { type: "WORKDIR", ...commandBase(req), path: exactlyOne(req, "WORKDIR") };
}

export function parseUser(req: ParseRequest): UserCommand {
  return { type: "USER", ...commandBase(req), user: exactlyOne(req, "USER") };
}

/** STOPSIGNAL: BuildKit never parses its flags, so any flag is accepted and ignored. */
export function parseStopSignal(req: ParseRequest): StopSignalCommand {
  const [signal] = req.args;
  if (req.args.length !== 1 || signal === undefined) throw errExactlyOneArgument("STOPSIGNAL");
  return { type: "STOPSIGNAL", ...commandBase(req), signal };
}

export function parseVolume(req: ParseRequest): VolumeCommand {
  if (req.args.length === 0) throw errAtLeastOneArgument("VOLUME");
  req.flags.parse();
  const volumes = req.args.map(goTrimSpace);
  if (volumes.includes("")) throw instructionError("VOLUME specified can not be an empty string");
  return { type: "VOLUME", ...commandBase(req), volumes };
}

export function parseExpose(req: ParseRequest): ExposeCommand {
  if (req.args.length === 0) throw errAtLeastOneArgument("EXPOSE");
  req.flags.parse();
  // Go's sort.Strings orders by bytes; ports are ASCII, where code-unit order is the same.
  const ports = [...req.args].sort();
  return { type: "EXPOSE", ...commandBase(req), ports };
}

/** ARG: several `key[=value]` words; like STOPSIGNAL upstream it leaves its flags unchecked. */
export function parseArg(req: ParseRequest): ArgCommand {
  if (req.args.length === 0) throw errAtLeastOneArgument("ARG");
  const args: ArgDefinition[] = req.args.map((word) => {
    const eq = word.indexOf("=");
    if (eq === 0) throw errBlankCommandNames("ARG");
    const key = eq === -1 ? word : word.slice(0, eq);
    const value = eq === -1 ? undefined : word.slice(eq + 1);
    return { key, value, docComment: docComment(req.comments, key) };
  });
  return { type: "ARG", ...commandBase(req), args };
}

export function parseShell(req: ParseRequest): ShellCommand {
  req.flags.parse();
  const shell = handleJsonArgs(req.args, req.json);
  if (shell.length === 0) throw errAtLeastOneArgument("SHELL");
  if (!req.json) throw instructionError("SHELL requires the arguments to be in JSON form");
  return { type: "SHELL", ...commandBase(req), shell };
}

/** RUN, CMD, ENTRYPOINT: the command line in either form plus the line's heredoc bodies. */
export function shellDependentCmdLine(req: ParseRequest): ShellDependentCmdLine {
  return {
    cmdLine: handleJsonArgs(req.args, req.json),
    files: req.heredocs.map((h) => ({ name: h.name, data: h.content, chomp: h.chomp })),
    prependShell: !req.json,
  };
}

export function parseCmd(req: ParseRequest): CmdCommand {
  req.flags.parse();
  return { type: "CMD", ...commandBase(req), ...shellDependentCmdLine(req) };
}

export function parseEntrypoint(req: ParseRequest): EntrypointCommand {
  req.flags.parse();
  // BuildKit turns an empty ENTRYPOINT into a nil command line (it clears the entrypoint); an
  // empty array says the same here.
  return { type: "ENTRYPOINT", ...commandBase(req), ...shellDependentCmdLine(req) };
}

// Go's \s is ASCII blanks only.
const ONBUILD_PREFIX = /^[\t\n\f\r ]*ONBUILD[\t\n\f\r ]*/i;

export function parseOnbuild(req: ParseRequest): OnbuildCommand {
  const [first] = req.args;
  if (first === undefined) throw errAtLeastOneArgument("ONBUILD");
  req.flags.parse();
  const trigger = goTrimSpace(first).toUpperCase();
  if (trigger === "ONBUILD") throw instructionError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (trigger === "MAINTAINER" || trigger === "FROM")
    throw instructionError(`${trigger} isn't allowed as an ONBUILD trigger`);
  let expression = req.original.replace(ONBUILD_PREFIX, "");
  // The trigger is stored as text and parsed again downstream, so its heredoc bodies go with it.
  for (const heredoc of req.heredocs) expression += `\n${heredoc.content}${heredoc.name}`;
  return { type: "ONBUILD", ...commandBase(req), expression };
}
