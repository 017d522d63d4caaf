/**
 * Rules about single instructions: DL3020 ADD of a local file that is not an archive (COPY is
 * meant; ADD's extras are URLs and unpacking tar archives), DL3000 a relative WORKDIR (a path from
 * a variable is let be), DL4000 MAINTAINER, and WL3001 stage names that differ only by case (which
 * BuildKit reads as one name). Sources or paths that use a variable are not judged.
 */
import { hadolintRule, type PracticeRule, wharfRule } from "./finding.ts";
import type { DockerfileModel } from "./model.ts";
import type { Reporter } from "./report.ts";

export const INSTRUCTION_RULES = {
  DL3020: hadolintRule("DL3020", "error", "Use COPY instead of ADD for files and folders"),
  DL3000: hadolintRule("DL3000", "error", "Use absolute WORKDIR", "WorkdirRelativePath"),
  DL4000: hadolintRule("DL4000", "error", "MAINTAINER is deprecated", "MaintainerDeprecated"),
  WL3001: {
    ...wharfRule("WL3001", "warning", "Stage names should not differ only by case"),
    buildkitTwin: "DuplicateStageName",
  },
} as const satisfies Record<string, PracticeRule>;

/** The names of what ADD unpacks (tar, possibly compressed), by extension as hadolint tells them. */
const ARCHIVE = /\.(tar|tgz|tbz|tbz2|tb2|txz|tzst|tlz|tZ|gz|bz2|xz|zst|lz|lzma|Z)$/;
const REMOTE = /^([a-z][a-z0-9+.-]*:\/\/|git@)/i;

export function checkInstructions(model: DockerfileModel, report: Reporter): void {
  const R = INSTRUCTION_RULES;
  for (const stage of model.stages) {
    for (const { command } of stage.commands) {
      if (command.type === "ADD") {
        const local = command.sourcePaths.filter(
          (s) => !REMOTE.test(s) && !ARCHIVE.test(s) && !s.includes("$"),
        );
        if (local.length > 0)
          report.report(
            R.DL3020,
            command,
            `ADD of ${local.join(", ")}: use COPY for local files (ADD is for URLs and tar archives)`,
            local[0],
          );
      } else if (command.type === "WORKDIR") {
        const path = unquote(command.path);
        if (!/^([/\\$]|[A-Za-z]:[\\/])/.test(path))
          report.report(R.DL3000, command, `WORKDIR ${path} is relative: use an absolute path`, command.path);
      } else if (command.type === "MAINTAINER") {
        report.report(
          R.DL4000,
          command,
          "MAINTAINER is deprecated: use LABEL org.opencontainers.image.authors=... instead",
        );
      }
    }
  }
  checkStageNameCase(model, report);
}

function checkStageNameCase(model: DockerfileModel, report: Reporter): void {
  for (const stage of model.stages) {
    const name = stage.writtenName;
    const earlier = model.stages
      .slice(0, stage.index)
      .find((s) => s.writtenName !== name && s.writtenName.toLowerCase() === name.toLowerCase());
    if (name === "" || earlier === undefined) continue;
    report.report(
      INSTRUCTION_RULES.WL3001,
      stage.stage,
      `Stage name '${name}' differs from '${earlier.writtenName}' (line ${earlier.stage.startLine}) only by case: both name the same stage`,
      name,
    );
  }
}

export function unquote(word: string): string {
  const match = /^(["'])(.*)\1$/.exec(word);
  return match ? (match[2] ?? "") : word;
}
