/** What real Docker printed for the fixtures (../shared/docker-reference), for side-by-side comparison. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const DOCKER_REFERENCE_DIR = fileURLToPath(
  new URL("../../../shared/docker-reference/", import.meta.url),
);
/** The registry the reference was captured against. */
export const REFERENCE_REGISTRY = "127.0.0.1:5070";

export interface ReferenceRun {
  command: string;
  /** stdout and stderr as captured together. */
  output: string;
  exitCode: number;
}

/** Parses "$ command\n...output...\n[exit N]\n"; `registry` replaces the captured registry address. */
export function dockerReference(file: string, registry = REFERENCE_REGISTRY): ReferenceRun {
  const text = readFileSync(DOCKER_REFERENCE_DIR + file, "utf8").replaceAll(REFERENCE_REGISTRY, registry);
  const lines = text.split("\n");
  const exit = /^\[exit (\d+)\]$/.exec(lines.findLast((l) => l.startsWith("[exit")) ?? "");
  const command = lines[0]!.replace(/^\$ /, "");
  const output = lines
    .slice(
      1,
      lines.findLastIndex((l) => l.startsWith("[exit")),
    )
    .join("\n");
  return { command, output: output === "" ? "" : `${output}\n`, exitCode: Number(exit?.[1] ?? -1) };
}
