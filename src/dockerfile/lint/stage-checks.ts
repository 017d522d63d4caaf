/**
 * Checks over all stages at once (dockerfile2llb's validateStageNames and validateCommandCasing).
 * They run with the file's check options only: a `# check=` comment above one instruction does not
 * reach them, as upstream.
 */
import { type LintStage, locationOf } from "./parse-checks.ts";
import type { LintLocation, RuleLinter } from "./rule-linter.ts";
import { MESSAGES, RULES } from "./rules.ts";

/** The names BuildKit gives a meaning of its own. */
const RESERVED_STAGE_NAMES: ReadonlySet<string> = new Set(["context", "scratch"]);

export function checkStageNames(stages: readonly LintStage[], lint: RuleLinter): void {
  const seen = new Set<string>();
  for (const { stage } of stages) {
    if (stage.name === "") continue;
    if (RESERVED_STAGE_NAMES.has(stage.name))
      lint.run(RULES.ReservedStageName, locationOf(stage), MESSAGES.ReservedStageName(stage.name));
    if (seen.has(stage.name))
      lint.run(RULES.DuplicateStageName, locationOf(stage), MESSAGES.DuplicateStageName(stage.name));
    seen.add(stage.name);
  }
}

/** Every instruction word in the case most of the self-consistent ones use (ties go to upper case). */
export function checkInstructionCasing(stages: readonly LintStage[], lint: RuleLinter): void {
  const words: { word: string; location: LintLocation }[] = [];
  for (const { stage, commands } of stages) {
    words.push({ word: stage.origCmd, location: locationOf(stage) });
    for (const { command, word } of commands) words.push({ word, location: locationOf(command) });
  }
  let lower = 0;
  let upper = 0;
  for (const { word } of words) {
    if (word === word.toLowerCase()) lower++;
    else if (word === word.toUpperCase()) upper++;
  }
  const majorityLower = lower > upper;
  for (const { word, location } of words) {
    const target = majorityLower ? word.toLowerCase() : word.toUpperCase();
    if (word !== target)
      lint.run(
        RULES.ConsistentInstructionCasing,
        location,
        MESSAGES.ConsistentInstructionCasing(word, majorityLower ? "lowercase" : "uppercase"),
      );
  }
}
