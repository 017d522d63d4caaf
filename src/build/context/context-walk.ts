/**
 * The walk of a build context directory: what a build sends, as BuildKit's fsutil walks it (see
 * context-filter.ts for the rules). A build's .dockerignore patterns are the exclude patterns;
 * several filters stack as nested fsutil filter file systems do (the first is applied first, and a
 * later filter sees only what the earlier ones kept).
 */
import { stat } from "node:fs/promises";
import { WharfError } from "../../errors.ts";
import { ContextFilter, type FilterOptions } from "./context-filter.ts";
import { directoryWalk, type Walk, type WalkEntry } from "./directory-walk.ts";
import { type IgnoreFileChoice, readContextIgnorePatterns } from "./dockerignore-file.ts";

/** The filtered walk of `contextDir` (patterns are checked here, before anything is read). */
export function contextWalk(contextDir: string, filters: readonly FilterOptions[]): Walk {
  let walk = directoryWalk(contextDir);
  for (const options of filters) walk = new ContextFilter(options).apply(walk);
  return async (visit) => {
    await assertDirectory(contextDir);
    await walk(visit);
  };
}

/** Every entry of the context that the filters keep, in walk order. */
export async function listContext(
  contextDir: string,
  filters: readonly FilterOptions[],
): Promise<WalkEntry[]> {
  const entries: WalkEntry[] = [];
  await contextWalk(
    contextDir,
    filters,
  )((entry) => {
    entries.push({ path: entry.path, isDir: entry.isDir });
    return undefined;
  });
  return entries;
}

/** What a build of `contextDir` sends: its entries minus what the applicable ignore file excludes. */
export async function listBuildContext(choice: IgnoreFileChoice): Promise<WalkEntry[]> {
  const { patterns } = await readContextIgnorePatterns(choice);
  return listContext(choice.contextDir, [{ excludePatterns: patterns }]);
}

async function assertDirectory(contextDir: string): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(contextDir)).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file or directory" : (err as Error).message;
    throw new WharfError(
      "BUILD_CONTEXT_INVALID",
      `unable to prepare context: path "${contextDir}" not found`,
      {
        path: contextDir,
        reason,
      },
    );
  }
  if (!isDirectory) {
    throw new WharfError(
      "BUILD_CONTEXT_INVALID",
      `unable to prepare context: path "${contextDir}" is not a directory`,
      { path: contextDir },
    );
  }
}
