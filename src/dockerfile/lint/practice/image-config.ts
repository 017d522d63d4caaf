/**
 * Rules about what the image will run: DL3025 CMD or ENTRYPOINT in shell form (run by `/bin/sh -c`,
 * the program does not get the container's signals), DL4003 / DL4004 a stage's CMD or ENTRYPOINT
 * given again (reported on the one that is overridden, where BuildKit's
 * MultipleInstructionsDisallowed points too; hadolint points at the later one), DL3002 the image
 * runs as root: the last USER of the final image (its own stage's or, failing that, the stage it
 * is built FROM, in turn) is root. A final image with no USER at all is not reported: its user is
 * the base image's, unknown here.
 */
import type { Command } from "../../instructions/commands.ts";
import { hadolintRule, type PracticeRule } from "./finding.ts";
import { unquote } from "./instructions.ts";
import type { DockerfileModel } from "./model.ts";
import type { Reporter } from "./report.ts";

export const IMAGE_CONFIG_RULES = {
  DL3025: hadolintRule(
    "DL3025",
    "warning",
    "Use arguments JSON notation for CMD and ENTRYPOINT arguments",
    "JSONArgsRecommended",
  ),
  DL4003: hadolintRule(
    "DL4003",
    "warning",
    "Multiple CMD instructions found",
    "MultipleInstructionsDisallowed",
  ),
  DL4004: hadolintRule(
    "DL4004",
    "error",
    "Multiple ENTRYPOINT instructions found",
    "MultipleInstructionsDisallowed",
  ),
  DL3002: hadolintRule("DL3002", "warning", "Last USER should not be root"),
} as const satisfies Record<string, PracticeRule>;

export function checkImageConfig(model: DockerfileModel, report: Reporter): void {
  const R = IMAGE_CONFIG_RULES;
  for (const stage of model.stages) {
    const last = new Map<"CMD" | "ENTRYPOINT", Command>();
    for (const { command } of stage.commands) {
      if (command.type !== "CMD" && command.type !== "ENTRYPOINT") continue;
      if (command.prependShell)
        report.report(
          R.DL3025,
          command,
          `${command.type} in shell form runs under /bin/sh -c, which does not pass signals on: use ${command.type} ["program", "arg"]`,
        );
      const previous = last.get(command.type);
      if (previous !== undefined)
        report.report(
          command.type === "CMD" ? R.DL4003 : R.DL4004,
          previous,
          `This ${command.type} is overridden by the one on line ${command.startLine}: only a stage's last ${command.type} takes effect`,
        );
      last.set(command.type, command);
    }
  }
  checkFinalUser(model, report);
}

function checkFinalUser(model: DockerfileModel, report: Reporter): void {
  for (let stage = model.stages.at(-1); stage !== undefined; ) {
    const user = stage.commands.findLast(({ command }) => command.type === "USER")?.command;
    if (user?.type === "USER") {
      const name = unquote(user.user);
      if (name === "root" || name === "0" || name.startsWith("root:") || name.startsWith("0:"))
        report.report(
          IMAGE_CONFIG_RULES.DL3002,
          user,
          `The image runs as root (USER ${name}): end with an unprivileged USER`,
          user.user,
        );
      return;
    }
    stage = stage.baseStage === undefined ? undefined : model.stages[stage.baseStage];
  }
}
