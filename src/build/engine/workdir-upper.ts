/**
 * WORKDIR without a mount when it can be (upper-view.ts): existing parents copied up, the missing
 * directories created 0755 for the user; a link or file on the way, or a user name to look up in
 * /etc/passwd, leaves it to the mounted path.
 */
import { chown, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { copyUpDirs, LowerStack, numericOwner, pathInLowers } from "./upper-view.ts";

/** Makes `dir` in `upperDir` over `lowerDirs`; false when this needs the mounted view instead. */
export async function workdirInUpper(
  lowerDirs: readonly string[],
  upperDir: string,
  dir: string,
  user: string,
): Promise<boolean> {
  const owner = numericOwner(user);
  if (!owner) return false;
  const view = await pathInLowers(new LowerStack(lowerDirs), dir);
  if (view.blocked || view.last.kind === "other") return false;
  const parts = dir.split("/").filter((p) => p);
  if (view.missingFrom === parts.length) return true; // there already: the empty layer
  await copyUpDirs(upperDir, view.existing);
  let created = view.existing.at(-1)?.rel ?? "";
  for (const part of parts.slice(view.missingFrom)) {
    created = created === "" ? part : `${created}/${part}`;
    const target = join(upperDir, created);
    await mkdir(target, { mode: 0o755 });
    await chown(target, owner.uid, owner.gid);
  }
  return true;
}
