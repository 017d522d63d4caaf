/**
 * COPY without a mount when the destination allows it (upper-view.ts): the sources are plain files
 * or directories without wildcards, the destination's directories in the lower stack are plain
 * directories (copied up first), a copied directory lands where the lower stack has nothing, and
 * `--chown` is numeric. Then the copy writes into the upper dir as it would through the overlay.
 * Anything else (links on the way, merging into an existing directory, ADD's archives, names to
 * look up in /etc/passwd) goes through the mounted view.
 */
import { stat } from "node:fs/promises";
import { posix } from "node:path";
import { destinationPath } from "../copy/copy-files.ts";
import type { CopySource } from "../copy/copy-request.ts";
import { containsWildcards } from "../copy/copy-sources.ts";
import { resolveInRoot } from "../root-path.ts";
import { copyUpDirs, LowerStack, numericOwner, pathInLowers } from "./upper-view.ts";

export interface UpperCopyPlan {
  sourcePaths: readonly string[];
  inlineFiles: readonly { path: string }[];
  dest: string;
  workdir: string;
  chown?: string;
  unpackArchives: boolean;
}

/** Copies up what the copy needs and says whether it may write into `upperDir` directly. */
export async function prepareUpperCopy(
  lowerDirs: readonly string[],
  upperDir: string,
  source: CopySource,
  plan: UpperCopyPlan,
): Promise<boolean> {
  if (plan.unpackArchives || (plan.chown && !numericOwner(plan.chown))) return false;
  const kinds: ("file" | "dir")[] = plan.inlineFiles.map(() => "file");
  for (const path of plan.sourcePaths) {
    if (containsWildcards(path)) return false;
    const st = await stat(resolveInRoot(source.root, path)).catch(() => undefined);
    if (!st) return false; // not found: the mounted path words the error
    if (st.isDirectory()) kinds.push("dir");
    else if (st.isFile()) kinds.push("file");
    else return false;
  }
  const dest = destinationPath(plan.dest, plan.workdir);
  const intoDir = dest.isDir || kinds.length > 1;
  const stack = new LowerStack(lowerDirs);
  const at = await pathInLowers(stack, dest.path);
  if (at.blocked) return false;
  if (intoDir) {
    if (at.last.kind === "other") return false;
    const names = [
      ...plan.inlineFiles.map((f) => posix.basename(f.path)),
      ...plan.sourcePaths.map((p) => posix.basename(p)),
    ];
    for (const [i, kind] of kinds.entries()) {
      if (kind === "dir") {
        // A directory's contents land in dest itself: only a new dest is sure to hold no surprise.
        if (at.last.kind !== "missing") return false;
        continue;
      }
      if (at.last.kind === "dir") {
        // A lower file or link there is replaced (shadowed), as through the overlay; a directory is not.
        const inside = await pathInLowers(stack, posix.join(dest.path, names[i]!));
        if (inside.last.kind === "dir") return false;
      }
    }
  } else if (kinds[0] === "dir") {
    if (at.last.kind !== "missing") return false;
  } else if (at.last.kind === "dir") {
    return false; // a file onto a directory: copied into it, which the mounted path handles
  }
  await copyUpDirs(upperDir, at.existing);
  return true;
}
