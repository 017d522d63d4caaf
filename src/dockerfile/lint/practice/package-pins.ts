/**
 * Unpinned packages of the other package managers in RUN, as hadolint reads their command lines:
 * DL3018 `apk add` (PACKAGE=VERSION, or ~ < > constraints, or an .apk file), DL3013 `pip install`
 * (and `python -m pip`; a version operator, a local path, archive or URL, or a VCS URL with `@ref`
 * is pinned; `-c constraints.txt` pins everything), DL3016 `npm install` of named packages, global
 * or not as in hadolint (`NAME@VERSION`, a path, a tarball, a git URL with `#ref`; `@latest` is not
 * a pin). A `$VARIABLE` counts as pinned: what it holds is not known here. Yarn, pnpm, gem and go
 * install are not looked at.
 */
import { hadolintRule, type PracticeRule } from "./finding.ts";
import type { DockerfileModel } from "./model.ts";
import type { Reporter } from "./report.ts";
import { type CommandArgs, commandArgs, programName, runCommands } from "./run-commands.ts";

export const PIN_RULES = {
  DL3013: hadolintRule("DL3013", "warning", "Pin versions in pip"),
  DL3016: hadolintRule("DL3016", "warning", "Pin versions in npm"),
  DL3018: hadolintRule("DL3018", "warning", "Pin versions in apk add"),
} as const satisfies Record<string, PracticeRule>;

interface PackageManager {
  name: string;
  rule: PracticeRule;
  /** The install invocation's arguments, when the command is one. */
  install(words: readonly string[]): CommandArgs | undefined;
  pinned(pkg: string): boolean;
  /** How a pin is written, for the message. */
  hint: string;
}

const hasVariable = (pkg: string) => pkg.includes("$");

const APK: PackageManager = {
  name: "apk",
  rule: PIN_RULES.DL3018,
  install(words) {
    if (programName(words[0] ?? "") !== "apk") return undefined;
    const args = commandArgs(
      words,
      new Set([
        "-t",
        "--virtual",
        "-X",
        "--repository",
        "-p",
        "--root",
        "--arch",
        "--keys-dir",
        "--cache-dir",
      ]),
    );
    return args.subcommand === "add" ? args : undefined;
  },
  pinned: (pkg) => /[=~<>]/.test(pkg) || pkg.endsWith(".apk") || hasVariable(pkg),
  hint: "PACKAGE=VERSION",
};

const PIP_VALUED = new Set(
  [
    "abi",
    "b",
    "build",
    "C",
    "config-settings",
    "c",
    "constraint",
    "e",
    "editable",
    "extra-index-url",
    "f",
    "find-links",
    "global-option",
    "i",
    "index-url",
    "implementation",
    "log",
    "no-binary",
    "only-binary",
    "platform",
    "prefix",
    "progress-bar",
    "proxy",
    "python-version",
    "r",
    "requirement",
    "retries",
    "root",
    "src",
    "t",
    "target",
    "timeout",
    "trusted-host",
    "upgrade-strategy",
  ].map((o) => (o.length === 1 ? `-${o}` : `--${o}`)),
);
const VERSION_OPERATORS = ["==", ">=", "<=", "~=", "!=", "<", ">"];
const VCS_SCHEME = /^(git|hg|svn|bzr)(\+[a-z-]+)?:/;

const PIP: PackageManager = {
  name: "pip",
  rule: PIN_RULES.DL3013,
  install(words) {
    const program = programName(words[0] ?? "");
    let pip: readonly string[] | undefined;
    if (/^pip[0-9.]*$/.test(program)) pip = words;
    else if (/^python[0-9.]*$/.test(program) && words[1] === "-m" && words[2] === "pip") pip = words.slice(2);
    if (pip === undefined) return undefined;
    const args = commandArgs(pip, PIP_VALUED);
    if (args.subcommand !== "install" || args.values.has("-c") || args.values.has("--constraint"))
      return undefined;
    return { ...args, operands: joinDirectReferences(args.operands) };
  },
  pinned(pkg) {
    if (hasVariable(pkg)) return true;
    if (VCS_SCHEME.test(pkg)) return pkg.slice(pkg.indexOf("://") + 3).includes("@");
    if (VERSION_OPERATORS.some((op) => pkg.includes(op))) return true;
    return pkg.startsWith(".") || pkg.includes("/") || /\.(whl|tar\.gz|zip)$/.test(pkg);
  },
  hint: "PACKAGE==VERSION, or -r requirements.txt",
};

/** PEP 508's `name @ URL`, split into three words by the shell, is one pinned requirement. */
function joinDirectReferences(operands: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < operands.length; i++) {
    if (operands[i + 1] === "@" && operands[i + 2] !== undefined) {
      out.push(`${operands[i]}@${operands[i + 2]}`);
      i += 2;
    } else {
      out.push(operands[i] ?? "");
    }
  }
  return out;
}

const NPM_INSTALL: ReadonlySet<string> = new Set(["install", "i", "add", "in", "isntall"]);

const NPM: PackageManager = {
  name: "npm",
  rule: PIN_RULES.DL3016,
  install(words) {
    if (programName(words[0] ?? "") !== "npm") return undefined;
    const args = commandArgs(
      words,
      new Set([
        "--prefix",
        "--registry",
        "--cache",
        "--tag",
        "-w",
        "--workspace",
        "--location",
        "--userconfig",
      ]),
    );
    return NPM_INSTALL.has(args.subcommand) ? args : undefined;
  },
  pinned(pkg) {
    if (hasVariable(pkg) || /^(\.{0,2}\/|~\/|file:)/.test(pkg) || /\.(tgz|tar|tar\.gz)$/.test(pkg))
      return true;
    if (/^git(\+[a-z]+)?:|^(github|gitlab|bitbucket):/.test(pkg)) return pkg.includes("#");
    const unscoped = pkg.startsWith("@") ? pkg.slice(pkg.indexOf("/") + 1) : pkg;
    const at = unscoped.indexOf("@");
    if (at < 0) return unscoped.includes("#");
    const version = unscoped.slice(at + 1);
    return version !== "" && version !== "latest";
  },
  hint: "PACKAGE@VERSION",
};

const MANAGERS: readonly PackageManager[] = [APK, PIP, NPM];

export function checkPackagePins(model: DockerfileModel, report: Reporter): void {
  for (const stage of model.stages) {
    for (const { command } of stage.commands) {
      if (command.type !== "RUN") continue;
      for (const words of runCommands(command)) {
        for (const manager of MANAGERS) {
          const args = manager.install(words);
          if (args === undefined) continue;
          const unpinned = args.operands.filter((pkg) => !manager.pinned(pkg));
          if (unpinned.length === 0) continue;
          const invocation = `${manager.name} ${args.subcommand}`;
          report.report(
            manager.rule,
            command,
            `Pin versions in ${invocation}: ${unpinned.join(", ")} (${manager.hint})`,
            unpinned[0],
          );
        }
      }
    }
  }
}
