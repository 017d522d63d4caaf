/**
 * Local manifest lists, kept as the docker CLI keeps them in ~/.docker/manifests: under the wharf
 * root, `manifests/<list ref>/<image ref>` (":" -> "-", "/" -> "_"), one JSON file per image in
 * docker's form. A new list is written into a temporary directory and renamed into place, and each
 * file is replaced atomically, so a failed command leaves the list as it was.
 */
import { mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { WharfError } from "../errors.ts";
import {
  goJson,
  imageManifestFromJson,
  imageManifestJson,
  type ManifestListEntry,
} from "../oci/manifest-list.ts";
import { type Reference, referenceString } from "../oci/reference.ts";
import { uniqueTempName, writeFileAtomicSync } from "../util/fs-atomic.ts";

/** docker's makeFilesafeName. */
export function filesafeName(ref: Reference): string {
  return referenceString(ref).replaceAll(":", "-").replaceAll("/", "_");
}

function noSuchManifest(ref: Reference): WharfError {
  return new WharfError("MANIFEST_LIST_NOT_FOUND", `No such manifest: ${referenceString(ref)}`, {
    reference: referenceString(ref),
  });
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === "ENOENT";
}

export class ManifestListStore {
  /** The `manifests` directory. */
  readonly dir: string;

  constructor(root: string) {
    this.dir = join(root, "manifests");
  }

  #listDir(list: Reference): string {
    return join(this.dir, filesafeName(list));
  }

  async #read(file: string, ref: Reference): Promise<ManifestListEntry> {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if (isMissing(err)) throw noSuchManifest(ref);
      throw err;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new WharfError(
        "MANIFEST_LIST_INVALID",
        `invalid manifest file ${file}: ${(err as Error).message}`,
      );
    }
    return imageManifestFromJson(value, file);
  }

  /** The file names of a list's entries (sorted, as Go's os.ReadDir returns them); undefined: no list. */
  async #names(list: Reference): Promise<string[] | undefined> {
    try {
      const names = await readdir(this.#listDir(list));
      // Temporary files of an atomic replacement start with "."; escaped references never do.
      return names.filter((n) => !n.startsWith(".")).sort();
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async has(list: Reference): Promise<boolean> {
    return (await this.#names(list)) !== undefined;
  }

  /** Every entry of a list; MANIFEST_LIST_NOT_FOUND (`No such manifest: LIST`) when there is none. */
  async getList(list: Reference): Promise<ManifestListEntry[]> {
    const names = await this.#names(list);
    if (names === undefined) throw noSuchManifest(list);
    return Promise.all(names.map((n) => this.#read(join(this.#listDir(list), n), list)));
  }

  /** One image of a list; MANIFEST_LIST_NOT_FOUND (`No such manifest: IMAGE`) when it is not in it. */
  get(list: Reference, image: Reference): Promise<ManifestListEntry> {
    return this.#read(join(this.#listDir(list), filesafeName(image)), image);
  }

  /**
   * Adds or replaces entries, each under the name of `ref` (the image as given to create). A list
   * that does not exist yet appears whole or not at all.
   */
  async save(list: Reference, entries: readonly ManifestListEntry[]): Promise<void> {
    const target = this.#listDir(list);
    const write = (dir: string) => {
      for (const e of entries)
        writeFileAtomicSync(join(dir, filesafeName(e.ref)), goJson(imageManifestJson(e)));
    };
    await mkdir(this.dir, { recursive: true });
    if (await this.has(list)) {
      write(target);
      return;
    }
    const temp = uniqueTempName(target);
    await mkdir(temp);
    try {
      write(temp);
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { recursive: true, force: true });
      throw err;
    }
  }

  /** Removes a list; MANIFEST_LIST_NOT_FOUND when there is none. */
  async remove(list: Reference): Promise<void> {
    if (!(await this.has(list))) throw noSuchManifest(list);
    await rm(this.#listDir(list), { recursive: true, force: true });
  }
}
