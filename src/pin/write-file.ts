/**
 * Writing the pinned Dockerfile back: a temporary file beside it with the same permission bits,
 * fsynced, renamed over it, the directory fsynced, so that a reader (or a crash) sees the old text
 * or the new one, never a mix. A symlinked Dockerfile has its target replaced, not the link.
 */
import { open, realpath, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { fsyncDir, uniqueTempName } from "../util/fs-atomic.ts";

export async function replaceFileAtomically(path: string, text: string): Promise<void> {
  const target = await realpath(path);
  const mode = (await stat(target)).mode & 0o7777;
  const temp = uniqueTempName(target);
  try {
    const handle = await open(temp, "wx", mode);
    try {
      await handle.writeFile(text, "utf8");
      await handle.chmod(mode); // open's mode went through the umask
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await fsyncDir(dirname(target));
}
