/** Every practice rule, and running them all over a Dockerfile's model. */
import { APT_RULES, checkAptGet } from "./apt-get.ts";
import { BASE_IMAGE_RULES, checkBaseImages } from "./base-images.ts";
import { CONTEXT_RULES, type ContextFacts, checkContext } from "./context-files.ts";
import type { PracticeRule } from "./finding.ts";
import { checkImageConfig, IMAGE_CONFIG_RULES } from "./image-config.ts";
import { checkInstructions, INSTRUCTION_RULES } from "./instructions.ts";
import type { DockerfileModel } from "./model.ts";
import { checkPackagePins, PIN_RULES } from "./package-pins.ts";
import type { Reporter } from "./report.ts";
import { checkSmallerVariants, VARIANT_RULES } from "./smaller-variants.ts";

/** The rules, sorted by code. */
export const PRACTICE_RULES: readonly PracticeRule[] = [
  ...Object.values(BASE_IMAGE_RULES),
  ...Object.values(VARIANT_RULES),
  ...Object.values(CONTEXT_RULES),
  ...Object.values(APT_RULES),
  ...Object.values(PIN_RULES),
  ...Object.values(INSTRUCTION_RULES),
  ...Object.values(IMAGE_CONFIG_RULES),
].sort((a, b) => a.code.localeCompare(b.code));

export interface PracticeOptions {
  /** DL3026's list; empty: any registry. */
  trustedRegistries: readonly string[];
  /** Undefined: no build context (a Dockerfile from stdin alone), so no context rules. */
  context: ContextFacts | undefined;
}

export function runPracticeRules(model: DockerfileModel, report: Reporter, options: PracticeOptions): void {
  checkBaseImages(model, report, options.trustedRegistries);
  checkSmallerVariants(model, report);
  if (options.context !== undefined) checkContext(model, options.context, report);
  checkAptGet(model, report);
  checkPackagePins(model, report);
  checkInstructions(model, report);
  checkImageConfig(model, report);
}
