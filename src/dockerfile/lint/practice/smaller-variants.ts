/**
 * WL1002: the final image is built on a Docker Official Image that has much smaller variants
 * (node:18 -> node:18-slim, node:18-alpine). A static table of well-known images and how each
 * names its variants (python puts `-slim` before the Debian release, node after it, ...); an image
 * the table does not know, or a tag it cannot read, gets no finding. ubuntu has no smaller variant.
 * Sizes are not given: they would need the registry, and linting stays offline. Only the stages the
 * final image is made of are looked at: a builder stage's size does not reach the image.
 */

import { shownName } from "./base-images.ts";
import { type PracticeRule, wharfRule } from "./finding.ts";
import { officialImageName, parseImageRef } from "./image-ref.ts";
import type { DockerfileModel } from "./model.ts";
import type { Reporter } from "./report.ts";

export const VARIANT_RULES = {
  WL1002: wharfRule("WL1002", "info", "The base image has a much smaller variant"),
} as const satisfies Record<string, PracticeRule>;

/** The Debian and Ubuntu release names the images put in their tags. */
const RELEASES = ["trixie", "bookworm", "bullseye", "buster", "stretch", "noble", "jammy", "focal"];
const RELEASE_SUFFIX = new RegExp(`^(.+)-(${RELEASES.join("|")})$`);

/** A tag split into what comes before a release name and the release name (if any). */
function splitRelease(tag: string): { version: string; release: string | undefined } {
  const match = RELEASE_SUFFIX.exec(tag);
  return match ? { version: match[1] ?? tag, release: match[2] } : { version: tag, release: undefined };
}

const joinTag = (...parts: (string | undefined)[]) => parts.filter((p) => p !== undefined).join("-");

/** `3.12-slim-bookworm` (slim before the release), `3.12-alpine`; `latest` is `slim`, `alpine`. */
function slimBeforeRelease(tag: string, alpine: boolean): string[] {
  if (tag === "latest") return alpine ? ["slim", "alpine"] : ["slim"];
  const { version, release } = splitRelease(tag);
  const slim = joinTag(version, "slim", release);
  return alpine ? [slim, joinTag(version, "alpine")] : [slim];
}

/** node: `18-bookworm-slim` (slim after the release), `18-alpine`. */
function slimAfterRelease(tag: string): string[] {
  if (tag === "latest") return ["slim", "alpine"];
  return [`${tag}-slim`, joinTag(splitRelease(tag).version, "alpine")];
}

/** Variants by image: the tags to suggest for a tag (none: the tag is not one the table reads). */
const VARIANTS: Readonly<Record<string, (tag: string) => string[]>> = {
  node: slimAfterRelease,
  python: (tag) => slimBeforeRelease(tag, true),
  ruby: (tag) => slimBeforeRelease(tag, true),
  openjdk: (tag) => slimBeforeRelease(tag, false),
  golang: (tag) => [tag === "latest" ? "alpine" : joinTag(splitRelease(tag).version, "alpine")],
  // The JRE is the smaller runtime; `21-jdk-jammy` -> `21-jre-jammy`, `21` -> `21-jre`.
  "eclipse-temurin": (tag) => {
    if (tag === "latest") return [];
    const { version, release } = splitRelease(tag);
    const jre = version.includes("jdk") ? version.replace("jdk", "jre") : `${version}-jre`;
    return [joinTag(jre, release), `${jre}-alpine`];
  },
  // Only plain release tags (`bookworm`, `12`, `12.5`, `bookworm-20240101`) have a -slim twin.
  debian: (tag) => {
    if (tag === "latest") return ["stable-slim"];
    return /^[a-z0-9.]+(-\d{8})?$/.test(tag) ? [`${tag}-slim`] : [];
  },
};

/** Tags that already are a small variant, or a kind (Windows) the table says nothing about. */
const ALREADY_SMALL = /slim|alpine|jre|windows|nanoserver/;

export function checkSmallerVariants(model: DockerfileModel, report: Reporter): void {
  for (const stage of model.stages) {
    const image = stage.image;
    if (!stage.inFinalImage || image === undefined || image === "") continue;
    const ref = parseImageRef(image);
    const official = officialImageName(ref);
    const variants = official === undefined ? undefined : VARIANTS[official];
    const tag = ref.tag ?? "latest";
    if (variants === undefined || ALREADY_SMALL.test(tag)) continue;
    const suggestions = variants(tag);
    if (suggestions.length === 0) continue;
    const name = repositoryAsWritten(image, ref.tag);
    report.report(
      VARIANT_RULES.WL1002,
      stage.stage,
      `Base image ${shownName(stage, image)} has smaller variants: ${suggestions.map((t) => `${name}:${t}`).join(", ")}`,
      stage.stage.baseName,
    );
  }
}

/** The name without its tag and digest, as written (`docker.io/library/node`, `node`). */
function repositoryAsWritten(image: string, tag: string | undefined): string {
  const named = image.split("@")[0] ?? image;
  return tag === undefined ? named : named.slice(0, named.length - tag.length - 1);
}
