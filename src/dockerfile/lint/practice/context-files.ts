/**
 * Rules about the build context, from facts the caller gathers (this module reads no files):
 * WL2001 the context has no ignore file (.dockerignore, or NAME.dockerignore beside a Dockerfile
 * called NAME), WL2002 a directory that no image should get (.git, node_modules) is at the
 * context's root and the ignore file, if any, does not exclude it, so every build sends it (and a
 * `COPY . .` copies it). Both are about the file as a whole: they point at its first instruction.
 */
import { type PracticeRule, wharfRule } from "./finding.ts";
import type { DockerfileModel } from "./model.ts";
import type { Reporter } from "./report.ts";

/** What the context rules need to know of the context directory. */
export interface ContextFacts {
  /** The ignore file in force, as shown to the user; undefined when there is none. */
  ignoreFile: string | undefined;
  /** The directories of UNWANTED_IN_CONTEXT that exist at the context's root and are not excluded. */
  unexcluded: string[];
}

/** What the context's root should not send to a build. */
export const UNWANTED_IN_CONTEXT: readonly string[] = [".git", "node_modules"];

export const CONTEXT_RULES = {
  WL2001: wharfRule("WL2001", "info", "The build context has no .dockerignore"),
  WL2002: wharfRule("WL2002", "warning", "The .dockerignore should exclude .git and node_modules"),
} as const satisfies Record<string, PracticeRule>;

export function checkContext(model: DockerfileModel, facts: ContextFacts, report: Reporter): void {
  const at = { startLine: model.firstLine, endLine: model.firstLine };
  if (facts.ignoreFile === undefined)
    report.report(
      CONTEXT_RULES.WL2001,
      at,
      "The build context has no .dockerignore: every file in it is sent to each build",
    );
  if (facts.unexcluded.length > 0) {
    const names = facts.unexcluded.join(" and ");
    const them = facts.unexcluded.length > 1 ? "them" : "it";
    const fix =
      facts.ignoreFile === undefined
        ? `add a .dockerignore that excludes ${them}`
        : `exclude ${them} in ${facts.ignoreFile}`;
    report.report(CONTEXT_RULES.WL2002, at, `The build context sends ${names} to every build: ${fix}`);
  }
}
