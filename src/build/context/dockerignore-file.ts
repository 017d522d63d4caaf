/**
 * Which ignore file applies to a build, as docker and BuildKit choose it: `NAME.dockerignore` beside
 * a Dockerfile called NAME takes precedence over the context's `.dockerignore`; neither is no
 * patterns at all.
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { WharfError } from "../../errors.ts";
import { readDockerignore } from "./dockerignore.ts";

export interface IgnoreFileChoice {
  /** The context directory. */
  readonly contextDir: string;
  /** The Dockerfile's path (relative paths are taken from the context directory); none: stdin. */
  readonly dockerfile?: string;
}

/** The ignore patterns of a build context and the file they came from (undefined: none). */
export async function readContextIgnorePatterns(
  choice: IgnoreFileChoice,
): Promise<{ patterns: string[]; file: string | undefined }> {
  const candidates: string[] = [];
  if (choice.dockerfile !== undefined) {
    candidates.push(`${resolve(choice.contextDir, choice.dockerfile)}.dockerignore`);
  }
  candidates.push(join(choice.contextDir, ".dockerignore"));
  for (const file of candidates) {
    let content: Buffer;
    try {
      content = await readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw new WharfError("BUILD_CONTEXT_INVALID", `failed to read ${file}: ${(err as Error).message}`, {
        path: file,
      });
    }
    return { patterns: readDockerignore(content), file };
  }
  return { patterns: [], file: undefined };
}
