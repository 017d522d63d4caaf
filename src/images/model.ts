/**
 * Local images as Docker sees them. The store keeps one record per platform manifest; Docker keeps
 * one image per image ID (the config digest). Two records may share an ID (the same config under an
 * OCI and a Docker manifest), and Docker shows them as one image with both tags and both RepoDigests,
 * so everything here works on records grouped by ID.
 */
import { readFileSync } from "node:fs";
import { WharfError } from "../errors.ts";
import type { ImageConfig } from "../oci/config.ts";
import { type Digest, isDigest } from "../oci/digest.ts";
import { familiarName, familiarString, isNameOnly, parseNormalizedNamed } from "../oci/reference.ts";
import { REFERENCE_REGEXPS } from "../oci/reference-grammar.ts";
import type { ImageRecord, RecordReader } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import { chainIds } from "./chain.ts";
import { noSuchImage, type Resolved, resolveImage } from "./resolve.ts";
import { type Instant, normaliseRFC3339, parseRFC3339, unixSeconds } from "./time.ts";

/** The records that share one image ID, oldest first. */
export interface ImageGroup {
  id: Digest;
  records: ImageRecord[];
}

/** A tag (`repo:tag`) or digest (`repo@digest`) reference to an image: Docker's reference store entry. */
export interface ImageReference {
  /** The full reference, e.g. docker.io/library/busybox:latest. */
  full: string;
  /** The full repository name, e.g. docker.io/library/busybox. */
  repository: string;
  tag?: string;
  digest?: Digest;
  /** How Docker prints it: busybox:latest, 127.0.0.1:5070/busybox@sha256:… */
  familiar: string;
}

export function groupRecords(records: readonly ImageRecord[]): ImageGroup[] {
  const byId = new Map<string, ImageGroup>();
  const sorted = [...records].sort((a, b) =>
    a.addedAt === b.addedAt ? compare(a.manifest.digest, b.manifest.digest) : compare(a.addedAt, b.addedAt),
  );
  for (let i = 0; i < sorted.length; i++) {
    const record = sorted[i]!;
    const group = byId.get(record.id);
    if (group) group.records.push(record);
    else byId.set(record.id, { id: record.id, records: [record] });
  }
  return [...byId.values()];
}

/** Go's string order (bytes; the same as UTF-16 order for the ASCII of references). */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function familiar(full: string): string {
  try {
    return familiarString(parseNormalizedNamed(full));
  } catch {
    return full;
  }
}

/**
 * familiar() of `name:tag` and `name@digest` references, parsing each repository name once (most
 * images share repositories with others, and parsing is what listing a thousand images spends most
 * on). For a name that parses as a name alone, and a tag or digest that is valid on its own, the
 * reference parses to the same name with that tag or digest, so its familiar form is the name's plus
 * the suffix; anything else takes familiar() itself.
 */
export class FamiliarNames {
  /** Repository name -> its familiar name; null when it is not a valid name alone. */
  readonly #names = new Map<string, string | null>();

  #name(repository: string): string | null {
    let familiarRepository = this.#names.get(repository);
    if (familiarRepository === undefined) {
      try {
        const ref = parseNormalizedNamed(repository);
        familiarRepository = isNameOnly(ref) ? familiarName(ref) : null;
      } catch {
        familiarRepository = null;
      }
      this.#names.set(repository, familiarRepository);
    }
    return familiarRepository;
  }

  /** familiar(`${repository}:${tag}`) */
  tagged(repository: string, tag: string): string {
    const name = REFERENCE_REGEXPS.anchoredTag.test(tag) ? this.#name(repository) : null;
    return name === null ? familiar(`${repository}:${tag}`) : `${name}:${tag}`;
  }

  /** familiar(`${repository}@${digest}`) */
  digested(repository: string, digest: string): string {
    const name = isDigest(digest) ? this.#name(repository) : null;
    return name === null ? familiar(`${repository}@${digest}`) : `${name}@${digest}`;
  }
}

/**
 * Every tag and RepoDigest of the image, deduplicated and sorted by the full reference string, as
 * Docker's reference store lists them (References(): lexical order).
 */
export function referencesOf(
  group: ImageGroup,
  names: FamiliarNames = new FamiliarNames(),
): ImageReference[] {
  const refs = new Map<string, ImageReference>();
  for (let i = 0; i < group.records.length; i++) {
    const record = group.records[i]!;
    for (let j = 0; j < record.tags.length; j++) {
      const tag = record.tags[j]!;
      const colon = tag.name.lastIndexOf(":");
      const repository = tag.name.slice(0, colon);
      const tagPart = tag.name.slice(colon + 1);
      refs.set(tag.name, {
        full: tag.name,
        repository,
        tag: tagPart,
        familiar: colon === -1 ? familiar(tag.name) : names.tagged(repository, tagPart),
      });
    }
    for (let j = 0; j < record.repoDigests.length; j++) {
      const rd = record.repoDigests[j]!;
      const full = `${rd.repository}@${rd.digest}`;
      refs.set(full, {
        full,
        repository: rd.repository,
        digest: rd.digest,
        familiar: names.digested(rd.repository, rd.digest),
      });
    }
  }
  return [...refs.values()].sort((a, b) => compare(a.full, b.full));
}

/**
 * An image with its config and Docker's derived figures, for display. What the records hold (ID,
 * references, created time, diff IDs, sizes) is read eagerly; the config blob only when `config` is
 * first read (label filters, inspect, history), so listing images reads no blob at all.
 */
export interface LocalImage extends ImageGroup {
  references: ImageReference[];
  /** Familiar `repo:tag` strings (Docker's RepoTags). */
  repoTags: string[];
  /** Familiar `repo@digest` strings (Docker's RepoDigests). */
  repoDigests: string[];
  readonly config: ImageConfig;
  /** The config's created time, as Docker prints it (RFC3339Nano), if the config has one. */
  readonly created?: string;
  createdInstant?: Instant;
  /** Unix seconds of `created`; 0 without one (Docker's image summary). */
  createdUnix: number;
  diffIds: Digest[];
  readonly chainIds: Digest[];
  /** Docker's size of each layer (what its files take unpacked), base layer first. */
  layerSizes: number[];
  /** Docker's SIZE: the sum of layerSizes. */
  size: number;
  /** The latest `wharf tag` of any of its tags; undefined when only pulls set them. */
  lastTagTime?: string;
}

export interface LoadOptions {
  /**
   * Compute Docker's layer sizes that the store does not know yet (each layer blob is read once,
   * then its size is kept in the records). Default true; false reports tar sizes for unknown ones.
   */
  computeSizes?: boolean;
}

/**
 * Reads every image: records grouped by ID, with sizes; each config is read when first needed.
 *
 * The records are one snapshot; a config is read later, when another process may have deleted the
 * image and garbage collection its config (which goes only after every record of the image has).
 * Then `config` throws IMAGE_NOT_FOUND (see isImageDeleted): lists skip such an image, commands
 * about one image look its name up again (resolveAgain). Listing takes no lease and no write
 * transaction: a listing that reads no config pays nothing for this.
 */
export async function loadImages(store: Store, options: LoadOptions = {}): Promise<LocalImage[]> {
  return imagesFromRecords(
    store,
    store.read((r) => r.listAll()),
    options,
  );
}

/** The images of `records` (every record of each image: grouped by ID), as loadImages makes them. */
export async function imagesFromRecords(
  store: Store,
  records: readonly ImageRecord[],
  options: LoadOptions = {},
): Promise<LocalImage[]> {
  const sizes = await layerSizes(store, records, options.computeSizes ?? true);
  const names = new FamiliarNames();
  return groupRecords(records).map((g) => new StoredImage(g, sizes, names, () => readConfig(store, g.id)));
}

/** Groups from inside a transaction (no configs: what reference operations need). */
export function readGroups(records: RecordReader): ImageGroup[] {
  return groupRecords(records.list());
}

/** Reads of a config that vanished while its image still had records (see readConfig). */
const CONFIG_READ_ATTEMPTS = 3;

/** The error of `config` for an image deleted after it was listed. */
export function imageDeleted(id: Digest): WharfError {
  return new WharfError("IMAGE_NOT_FOUND", `No such image: ${id}`, { id, deleted: true });
}

/** Whether `err` says the image was deleted (records and config) after it was listed. */
export function isImageDeleted(err: unknown): boolean {
  return err instanceof WharfError && err.code === "IMAGE_NOT_FOUND" && err.detail.deleted === true;
}

/**
 * The image's config, or undefined when the image was deleted after it was listed: what lists
 * use, which leave such an image out (it is gone, as if listed a moment later).
 */
export function configIfPresent(image: LocalImage): ImageConfig | undefined {
  try {
    return image.config;
  } catch (err) {
    if (isImageDeleted(err)) return undefined;
    throw err;
  }
}

/**
 * A config blob, read and parsed synchronously (it is small, and read only when asked for). Absent,
 * it is looked for in fresh records: no record with this ID means the image was deleted since it was
 * listed (IMAGE_NOT_FOUND, isImageDeleted); a record means it may be back (pulled or loaded again),
 * so the blob is read again; still absent after that, the store is damaged (STORE_BLOB_UNKNOWN).
 */
function readConfig(store: Store, id: Digest): ImageConfig {
  for (let attempt = 1; ; attempt++) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(store.blobs.path(id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      if (store.read((r) => r.byId(id)).length === 0) throw imageDeleted(id);
      if (attempt < CONFIG_READ_ATTEMPTS) continue;
      throw new WharfError("STORE_BLOB_UNKNOWN", `blob ${id} is not in the store`, { digest: id });
    }
    return JSON.parse(bytes.toString("utf8")) as ImageConfig;
  }
}

/** How many times a command about one image looks its name up again when the image keeps vanishing. */
const RESOLVE_ATTEMPTS = 3;

/**
 * Runs `use` on the image `input` names among `images`; if the image turns out to have been deleted
 * after they were read (its config is gone), the images are read again and the name looked up
 * again: the name may now mean an image that is there (pulled again, or a tag moved), or nothing,
 * which fails as Docker's `No such image: NAME`.
 */
export async function resolveAgain<T>(
  store: Store,
  images: readonly LocalImage[],
  input: string,
  use: (resolved: Resolved<LocalImage>) => T,
  reload: () => Promise<LocalImage[]> = () => loadImages(store),
): Promise<T> {
  let current = images;
  for (let attempt = 1; ; attempt++) {
    const resolved = resolveImage(current, input);
    try {
      return use(resolved);
    } catch (err) {
      if (!isImageDeleted(err)) throw err;
      if (attempt >= RESOLVE_ATTEMPTS) throw noSuchImage(resolved.ref);
    }
    current = await reload();
  }
}

/**
 * The image from its records: the records keep the config's `created` and diff IDs (pull writes
 * them from the config), so only `config` itself needs the blob.
 */
class StoredImage implements LocalImage {
  readonly id: Digest;
  readonly records: ImageRecord[];
  readonly references: ImageReference[];
  readonly repoTags: string[];
  readonly repoDigests: string[];
  readonly createdInstant?: Instant;
  readonly createdUnix: number;
  readonly diffIds: Digest[];
  readonly layerSizes: number[];
  readonly size: number;
  readonly lastTagTime?: string;
  readonly #createdText: string | undefined;
  readonly #readConfig: () => ImageConfig;
  #config: ImageConfig | undefined;
  #created: string | undefined;
  #chainIds: Digest[] | undefined;

  constructor(
    group: ImageGroup,
    sizes: ReadonlyMap<string, number>,
    names: FamiliarNames,
    readConfig: () => ImageConfig,
  ) {
    this.id = group.id;
    this.records = group.records;
    const references = referencesOf(group, names);
    this.references = references;
    // Indexed loops: this runs once per image in a cold process, where for-of allocates.
    const repoTags: string[] = [];
    const repoDigests: string[] = [];
    for (let i = 0; i < references.length; i++) {
      if (references[i]!.tag !== undefined) repoTags.push(references[i]!.familiar);
    }
    for (let i = 0; i < references.length; i++) {
      if (references[i]!.digest !== undefined) repoDigests.push(references[i]!.familiar);
    }
    this.repoTags = repoTags;
    this.repoDigests = repoDigests;
    const first = group.records[0]!;
    const layers = first.layers;
    const diffIds: Digest[] = new Array(layers.length);
    const layerSizes: number[] = new Array(layers.length);
    let size = 0;
    for (let i = 0; i < layers.length; i++) {
      const layer = layers[i]!;
      diffIds[i] = layer.diffId;
      layerSizes[i] = sizes.get(layer.diffId) ?? layer.uncompressedSize ?? 0;
      size += layerSizes[i]!;
    }
    this.diffIds = diffIds;
    this.layerSizes = layerSizes;
    this.size = size;
    const parsed = first.created ? parseRFC3339(first.created) : undefined;
    if (parsed) {
      this.#createdText = first.created;
      this.createdInstant = parsed.instant;
    }
    this.createdUnix = parsed ? unixSeconds(parsed.instant) : 0;
    let lastTagTime: string | undefined;
    for (let i = 0; i < group.records.length; i++) {
      const tags = group.records[i]!.tags;
      for (let j = 0; j < tags.length; j++) {
        const t = tags[j]!.lastTagTime;
        if (t && (lastTagTime === undefined || t > lastTagTime)) lastTagTime = t;
      }
    }
    if (lastTagTime) this.lastTagTime = lastTagTime;
    this.#readConfig = readConfig;
  }

  get config(): ImageConfig {
    this.#config ??= this.#readConfig();
    return this.#config;
  }

  get created(): string | undefined {
    if (this.#createdText === undefined) return undefined;
    this.#created ??= normaliseRFC3339(this.#createdText);
    return this.#created;
  }

  get chainIds(): Digest[] {
    this.#chainIds ??= chainIds(this.diffIds);
    return this.#chainIds;
  }
}

/**
 * Docker's size of every layer, by diff ID: known ones from the records, the others computed from
 * the blobs and saved (best effort: a store this process cannot write still gets the figures).
 */
async function layerSizes(
  store: Store,
  records: readonly ImageRecord[],
  compute: boolean,
): Promise<Map<string, number>> {
  const known = new Map<string, number>();
  const missing = new Map<string, { digest: Digest; mediaType: string; uncompressedSize: number }>();
  for (let i = 0; i < records.length; i++) {
    const layers = records[i]!.layers;
    for (let j = 0; j < layers.length; j++) {
      const l = layers[j]!;
      if (l.unpackedSize !== undefined) known.set(l.diffId, l.unpackedSize);
    }
  }
  for (let i = 0; i < records.length; i++) {
    const layers = records[i]!.layers;
    for (let j = 0; j < layers.length; j++) {
      const l = layers[j]!;
      if (!known.has(l.diffId) && !missing.has(l.diffId)) missing.set(l.diffId, l);
    }
  }
  if (!compute || missing.size === 0) return known;
  // Loaded only here: reading tars (zlib and all) is for the first listing after a pull.
  const { unpackedSizeOfFile } = await import("./unpacked-size.ts");
  const computed = new Map<string, number>();
  for (const [diffId, layer] of missing) {
    try {
      computed.set(diffId, await unpackedSizeOfFile(store.blobs.path(layer.digest), layer.mediaType));
    } catch {
      // Absent (non-distributable) or unreadable: the tar size is the best figure there is.
      known.set(diffId, layer.uncompressedSize);
    }
  }
  for (const [k, v] of computed) known.set(k, v);
  if (computed.size > 0) {
    try {
      await store.update((w) => w.setLayerUnpackedSizes(computed));
    } catch {
      // A read-only or busy store: the sizes are computed again next time.
    }
  }
  return known;
}
