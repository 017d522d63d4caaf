/**
 * Rules about apt-get (and apt) in RUN: DL3015 install without --no-install-recommends (or
 * `-o APT::Install-Recommends=false`), DL3008 packages without `=VERSION` (a .deb file or a
 * `$VARIABLE` counts as pinned: what it holds is not known here), DL3009 `apt-get update` without
 * `rm -rf /var/lib/apt/lists/*` in the same RUN. DL3009 looks only at the stages the final image is
 * made of (a builder stage's lists never reach it, as hadolint decides too) and not at a RUN whose
 * lists directory is a cache or tmpfs mount.
 */
import type { RunCommand } from "../../instructions/commands.ts";
import { type Mount, parseMount } from "../../instructions/run-mount.ts";
import { hadolintRule, type PracticeRule } from "./finding.ts";
import type { DockerfileModel } from "./model.ts";
import type { Reporter } from "./report.ts";
import { commandArgs, programName, runCommands } from "./run-commands.ts";

export const APT_RULES = {
  DL3008: hadolintRule("DL3008", "warning", "Pin versions in apt-get install"),
  DL3009: hadolintRule("DL3009", "info", "Delete the apt-get lists after installing something"),
  DL3015: hadolintRule("DL3015", "info", "Avoid additional packages by specifying --no-install-recommends"),
} as const satisfies Record<string, PracticeRule>;

const APT_PROGRAMS: ReadonlySet<string> = new Set(["apt-get", "apt"]);
/** apt-get's options that take a value. */
const VALUED: ReadonlySet<string> = new Set([
  "-o",
  "--option",
  "-c",
  "--config-file",
  "-t",
  "--target-release",
  "--default-release",
  "-a",
  "--host-architecture",
]);
const LISTS = "/var/lib/apt/lists";
const RECOMMENDS_OFF = /^APT::Install-Recommends=["']?(false|0|no|off)["']?$/i;

export function checkAptGet(model: DockerfileModel, report: Reporter): void {
  for (const stage of model.stages) {
    for (const { command } of stage.commands) {
      if (command.type !== "RUN") continue;
      const commands = runCommands(command);
      let updates = false;
      let cleans = false;
      for (const words of commands) {
        if (removesLists(words)) cleans = true;
        if (!APT_PROGRAMS.has(programName(words[0] ?? ""))) continue;
        const args = commandArgs(words, VALUED);
        if (args.subcommand === "update") updates = true;
        if (args.subcommand !== "install") continue;
        const program = programName(words[0] ?? "");
        const aptOptions = [...(args.values.get("-o") ?? []), ...(args.values.get("--option") ?? [])];
        if (
          !args.options.includes("--no-install-recommends") &&
          !aptOptions.some((o) => RECOMMENDS_OFF.test(o))
        )
          report.report(
            APT_RULES.DL3015,
            command,
            `${program} install without --no-install-recommends installs recommended packages too`,
            "install",
          );
        const unpinned = args.operands.filter(
          (p) => !p.includes("=") && !p.endsWith(".deb") && !p.includes("$"),
        );
        if (unpinned.length > 0)
          report.report(
            APT_RULES.DL3008,
            command,
            `Pin versions in ${program} install: ${unpinned.join(", ")} (PACKAGE=VERSION)`,
            unpinned[0],
          );
      }
      if (stage.inFinalImage && updates && !cleans && !listsMounted(command))
        report.report(
          APT_RULES.DL3009,
          command,
          `apt-get update's lists stay in the image: rm -rf ${LISTS}/* in the same RUN`,
          "update",
        );
    }
  }
}

/** `rm -rf /var/lib/apt/lists/*` (any recursive rm of the lists directory or what is in it). */
function removesLists(words: readonly string[]): boolean {
  if (programName(words[0] ?? "") !== "rm") return false;
  const args = commandArgs(words, new Set());
  const recursive = args.options.some(
    (o) => o === "--recursive" || (/^-[a-zA-Z]+$/.test(o) && /[rR]/.test(o)),
  );
  const targets = [args.subcommand, ...args.operands];
  return recursive && targets.some((t) => t === LISTS || t.startsWith(`${LISTS}/`));
}

/**
 * A cache or tmpfs mount over the lists (or /var/lib/apt): nothing of them is left in the layer.
 * The mounts are read from the specs (the parsed ones are filled in only by the build), with an
 * identity expander: the values as written.
 */
function listsMounted(run: RunCommand): boolean {
  return run.mountSpecs.some((spec) => {
    let mount: Mount;
    try {
      mount = parseMount(spec, (word) => word);
    } catch {
      return false;
    }
    const target = mount.target.replace(/\/+$/, "");
    return (
      (mount.type === "cache" || mount.type === "tmpfs") &&
      target !== "" &&
      `${LISTS}/`.startsWith(`${target}/`)
    );
  });
}
