/**
 * ArchiveOutput into a directory (an OCI layout, new or existing): each blob goes to a temporary
 * file beside its place, is verified, fsynced and renamed in; small files are replaced atomically.
 * Abort removes the blobs this copy added (and the directories it created), nothing that was there.
 */
import { existsSync } from "node:fs";
import { mkdir, open, readFile, rename, rm, rmdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Descriptor } from "../oci/descriptor.ts";
import type { IngestSource } from "../store/ingest.ts";
import { fsyncDir, uniqueTempName, writeFileAtomicSync } from "../util/fs-atomic.ts";
import { removeOnInterrupt } from "../util/interrupt-cleanup.ts";
import { writevAll } from "../util/write-all.ts";
import { type ArchiveOutput, copyVerified } from "./archive-output.ts";

export class DirectoryOutput implements ArchiveOutput {
  readonly dir: string;
  /** Files this copy created (removed by abort), deepest directories last. */
  readonly #added: string[] = [];
  readonly #createdDirs: string[] = [];
  readonly #temps = new Set<string>();

  constructor(dir: string) {
    this.dir = dir;
  }

  /** A file of the layout as it is now (index.json before the copy), or undefined. */
  async read(path: string): Promise<Uint8Array | undefined> {
    return readFile(join(this.dir, path)).catch(() => undefined);
  }

  async has(path: string, size: number): Promise<boolean> {
    const info = await stat(join(this.dir, path)).catch(() => undefined);
    return info?.isFile() === true && info.size === size;
  }

  async putBlob(
    path: string,
    desc: Descriptor,
    content: IngestSource,
    onProgress: (bytes: number) => void,
  ): Promise<void> {
    const target = join(this.dir, path);
    await this.#mkdirs(dirname(target));
    const temp = uniqueTempName(target);
    this.#temps.add(temp);
    const forget = removeOnInterrupt(temp);
    try {
      const handle = await open(temp, "wx", 0o644);
      try {
        let position = 0;
        await copyVerified(
          desc,
          content,
          async (chunk) => {
            position += await writevAll(handle, [chunk], position);
          },
          onProgress,
        );
        await handle.sync();
      } finally {
        await handle.close();
      }
      const existed = existsSync(target);
      await rename(temp, target);
      if (!existed) this.#added.push(target);
    } finally {
      await rm(temp, { force: true });
      this.#temps.delete(temp);
      forget();
    }
  }

  async putFile(path: string, bytes: Uint8Array): Promise<void> {
    const target = join(this.dir, path);
    await this.#mkdirs(dirname(target));
    const existed = existsSync(target);
    writeFileAtomicSync(target, bytes);
    if (!existed) this.#added.push(target);
  }

  async commit(): Promise<void> {
    const dirs = new Set(this.#added.map((f) => dirname(f)));
    for (const dir of dirs) await fsyncDir(dir);
  }

  async abort(): Promise<void> {
    for (const temp of this.#temps) await rm(temp, { force: true });
    for (const file of this.#added) await rm(file, { force: true });
    for (const dir of [...this.#createdDirs].reverse()) await rmdir(dir).catch(() => undefined);
  }

  /** mkdir -p, remembering which directories it created. */
  async #mkdirs(dir: string): Promise<void> {
    if (existsSync(dir)) return;
    await this.#mkdirs(dirname(dir));
    try {
      await mkdir(dir);
      this.#createdDirs.push(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
}
