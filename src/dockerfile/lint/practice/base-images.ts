/**
 * Rules about the image each stage is built on, for every stage (a stage built FROM another stage
 * and `scratch` are left alone; so is a name whose variables have no default, unknown until the
 * build): DL3006 no tag, DL3007 the `latest` tag, WL1001 no digest, DL3026 a registry that is not
 * among the configured trusted ones (only when some are configured).
 */
import { hadolintRule, type PracticeRule, wharfRule } from "./finding.ts";
import { DOCKER_HUB, parseImageRef } from "./image-ref.ts";
import type { DockerfileModel, ModelStage } from "./model.ts";
import type { Reporter } from "./report.ts";

export const BASE_IMAGE_RULES = {
  DL3006: hadolintRule("DL3006", "warning", "Always tag the version of an image explicitly"),
  DL3007: hadolintRule("DL3007", "warning", "Using latest is prone to errors if the image will ever update"),
  WL1001: wharfRule(
    "WL1001",
    "info",
    "Pin the base image by digest: a tag can be moved to another image, a digest cannot",
  ),
  DL3026: hadolintRule("DL3026", "error", "Use only an allowed registry in the FROM image"),
} as const satisfies Record<string, PracticeRule>;

/** Names that mean Docker Hub in a list of trusted registries. */
const HUB_NAMES: ReadonlySet<string> = new Set([DOCKER_HUB, "index.docker.io", "hub.docker.com"]);

export function checkBaseImages(
  model: DockerfileModel,
  report: Reporter,
  trustedRegistries: readonly string[],
): void {
  for (const stage of model.stages) {
    const image = stage.image;
    if (image === undefined || image === "" || image === "scratch") continue;
    const ref = parseImageRef(image);
    const shown = shownName(stage, image);
    const at = stage.stage;
    const word = stage.stage.baseName;
    const R = BASE_IMAGE_RULES;
    if (ref.tag === undefined && ref.digest === undefined)
      report.report(R.DL3006, at, `Base image ${shown} has no tag: name the version it is built on`, word);
    if (ref.tag === "latest" && ref.digest === undefined)
      report.report(R.DL3007, at, `Base image ${shown} uses the latest tag: pin a release tag`, word);
    if (ref.digest === undefined)
      report.report(R.WL1001, at, `Base image ${shown} is not pinned by digest (NAME@sha256:...)`, word);
    if (trustedRegistries.length > 0 && !isTrusted(ref.registry, trustedRegistries))
      report.report(
        R.DL3026,
        at,
        `Base image ${shown} is from ${ref.registry}, which is not a trusted registry (${trustedRegistries.join(", ")})`,
        word,
      );
  }
}

/** The name as written, and what it expanded to when that differs (`${BASE} (node:18)`). */
export function shownName(stage: ModelStage, image: string): string {
  return stage.stage.baseName === image ? image : `${stage.stage.baseName} (${image})`;
}

/** An exact name, or `*.example.com` for every registry under example.com. */
function isTrusted(registry: string, trusted: readonly string[]): boolean {
  return trusted.some((entry) => {
    const name = HUB_NAMES.has(entry) ? DOCKER_HUB : entry;
    if (name.startsWith("*.")) return registry.endsWith(name.slice(1));
    return name === registry;
  });
}
