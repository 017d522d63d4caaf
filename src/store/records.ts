/**
 * Image records: the metadata Docker keeps about local images (tags, RepoDigests, LastTagTime, the
 * chosen platform, uncompressed layer sizes), in the store database. Reads are plain functions over
 * the connection; writes happen only through RecordWriter, inside a store write transaction.
 */
import { existsSync } from "node:fs";
import type { DatabaseSync } from "node:sqlite";
import { WharfError } from "../errors.ts";
import type { Digest } from "../oci/digest.ts";
import { isNonDistributableLayer } from "../oci/mediatype.ts";
import type { StorePaths } from "./paths.ts";

/** One image as index.json lists it: its platform manifest, and the full names it is tagged with. */
export interface IndexEntry {
  digest: Digest;
  mediaType: string;
  size: number;
  platform: RecordPlatform;
  tags: string[];
}

export interface RecordPlatform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface LayerRecord {
  /** The blob as stored (compressed, usually). */
  digest: Digest;
  mediaType: string;
  size: number;
  /** rootfs.diff_ids entry: the digest of the uncompressed tar. */
  diffId: Digest;
  uncompressedSize: number;
  /**
   * Docker's size of the layer: what its files take once unpacked (regular files and symlink targets,
   * hard links once), which `docker images` and `history` show. Filled in lazily by src/images.
   */
  unpackedSize?: number;
}

export interface ManifestRef {
  digest: Digest;
  mediaType: string;
  size: number;
}

export interface ImageData {
  /** Image ID: the config digest. */
  id: Digest;
  manifest: ManifestRef;
  platform: RecordPlatform;
  layers: LayerRecord[];
  /** The config's created time, as written there. */
  created?: string;
}

export interface TagRecord {
  name: string;
  /** When `wharf tag` last set it; null when a pull (or load) set it, as Docker's LastTagTime. */
  lastTagTime: string | null;
}

export interface RepoDigestRecord extends ManifestRef {
  repository: string;
}

export interface ImageRecord extends ImageData {
  /** Sum of the uncompressed layer sizes: Docker's SIZE. */
  size: number;
  addedAt: string;
  tags: TagRecord[];
  repoDigests: RepoDigestRecord[];
}

interface ImageRow {
  manifest_digest: string;
  config_digest: string;
  manifest_media_type: string;
  manifest_size: number;
  platform: string;
  layers: string;
  size: number;
  created: string | null;
  added_at: string;
}

/**
 * Records are keyed by manifest digest (what a tag points at, as in an OCI layout); the image ID is
 * the config digest, which two manifests may share.
 */
export class RecordReader {
  protected readonly sqlite: DatabaseSync;
  constructor(sqlite: DatabaseSync) {
    this.sqlite = sqlite;
  }

  list(): ImageRecord[] {
    const rows = this.sqlite
      .prepare("SELECT * FROM images ORDER BY added_at, manifest_digest")
      .all() as unknown as ImageRow[];
    const tags = this.#tagsByImage();
    const digests = this.#repoDigestsByImage();
    return rows.map((row) =>
      toRecord(row, tags.get(row.manifest_digest) ?? [], digests.get(row.manifest_digest) ?? []),
    );
  }

  /**
   * The same records as list(), in the same order, read the cheaper way for listing every image:
   * rows come from SQLite as arrays rather than objects (three queries whatever the number of
   * images), and each image's tags and RepoDigests are gathered without intermediate copies.
   */
  listAll(): ImageRecord[] {
    const tags = new Map<string, TagRecord[]>();
    const tagRows = this.sqlite.prepare(
      "SELECT manifest_digest, name, last_tag_time FROM tags ORDER BY name",
    );
    tagRows.setReturnArrays(true);
    for (const r of tagRows.all() as unknown as [string, string, string | null][]) {
      const tag = { name: r[1], lastTagTime: r[2] };
      const list = tags.get(r[0]);
      if (list === undefined) tags.set(r[0], [tag]);
      else list.push(tag);
    }
    const digests = new Map<string, RepoDigestRecord[]>();
    const digestRows = this.sqlite.prepare(
      "SELECT manifest_digest, repository, digest, media_type, size FROM repo_digests ORDER BY repository, digest",
    );
    digestRows.setReturnArrays(true);
    for (const r of digestRows.all() as unknown as [string, string, Digest, string, number][]) {
      const entry = { repository: r[1], digest: r[2], mediaType: r[3], size: r[4] };
      const list = digests.get(r[0]);
      if (list === undefined) digests.set(r[0], [entry]);
      else list.push(entry);
    }
    const imageRows = this.sqlite.prepare(
      `SELECT manifest_digest, config_digest, manifest_media_type, manifest_size, platform, layers, size, created,
         added_at FROM images ORDER BY added_at, manifest_digest`,
    );
    imageRows.setReturnArrays(true);
    const rows = imageRows.all() as unknown as [
      Digest,
      Digest,
      string,
      number,
      string,
      string,
      number,
      string | null,
      string,
    ][];
    const out: ImageRecord[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const id = r[1];
      const manifest = { digest: r[0], mediaType: r[2], size: r[3] };
      const platform = JSON.parse(r[4]) as RecordPlatform;
      const layers = JSON.parse(r[5]) as LayerRecord[];
      const imageTags = tags.get(r[0]) ?? [];
      const repoDigests = digests.get(r[0]) ?? [];
      // The fields in toRecord's order, `created` only when there is one.
      out[i] = r[7]
        ? {
            id,
            manifest,
            platform,
            layers,
            size: r[6],
            created: r[7],
            addedAt: r[8],
            tags: imageTags,
            repoDigests,
          }
        : { id, manifest, platform, layers, size: r[6], addedAt: r[8], tags: imageTags, repoDigests };
    }
    return out;
  }

  /** The image whose platform manifest has this digest. */
  get(manifestDigest: Digest): ImageRecord | undefined {
    const row = this.sqlite.prepare("SELECT * FROM images WHERE manifest_digest = ?").get(manifestDigest) as
      | ImageRow
      | undefined;
    if (!row) return undefined;
    const tags = this.sqlite
      .prepare("SELECT name, last_tag_time FROM tags WHERE manifest_digest = ? ORDER BY name")
      .all(manifestDigest) as { name: string; last_tag_time: string | null }[];
    const digests = this.sqlite
      .prepare(
        "SELECT repository, digest, media_type, size FROM repo_digests WHERE manifest_digest = ? ORDER BY repository, digest",
      )
      .all(manifestDigest) as unknown as RepoDigestRow[];
    return toRecord(
      row,
      tags.map((t) => ({ name: t.name, lastTagTime: t.last_tag_time })),
      digests.map(toRepoDigest),
    );
  }

  /** The image a full tag reference names, e.g. docker.io/library/busybox:latest. */
  byTag(name: string): ImageRecord | undefined {
    const row = this.sqlite.prepare("SELECT manifest_digest FROM tags WHERE name = ?").get(name) as
      | { manifest_digest: Digest }
      | undefined;
    return row ? this.get(row.manifest_digest) : undefined;
  }

  /** Images with this image ID (config digest). */
  byId(configDigest: Digest): ImageRecord[] {
    return this.#many("SELECT manifest_digest FROM images WHERE config_digest = ?", configDigest);
  }

  /** Images whose ID starts with the given hex prefix (Docker's short IDs). */
  byIdPrefix(hexPrefix: string): ImageRecord[] {
    return this.#many(
      "SELECT manifest_digest FROM images WHERE substr(config_digest, 8) LIKE ? ESCAPE '\\'",
      `${hexPrefix.replace(/[%_\\]/g, "\\$&")}%`,
    );
  }

  /** Images pulled by (or whose manifest is) this repository@digest. */
  byRepoDigest(repository: string, digest: Digest): ImageRecord[] {
    return this.#many(
      `SELECT manifest_digest FROM repo_digests WHERE repository = ? AND digest = ?
       UNION SELECT manifest_digest FROM images WHERE manifest_digest = ?`,
      repository,
      digest,
      digest,
    );
  }

  /**
   * What index.json lists, in list()'s order (tags by name), read with one query: it is rendered on
   * every store update, so it must not cost a full record per image.
   */
  indexEntries(): IndexEntry[] {
    const rows = this.sqlite.prepare(
      `SELECT i.manifest_digest, i.manifest_media_type, i.manifest_size, i.platform, t.name
         FROM images i LEFT JOIN tags t ON t.manifest_digest = i.manifest_digest
         ORDER BY i.added_at, i.manifest_digest, t.name`,
    );
    rows.setReturnArrays(true);
    const entries: IndexEntry[] = [];
    let last: IndexEntry | undefined;
    for (const r of rows.all() as unknown as [Digest, string, number, string, string | null][]) {
      if (last?.digest !== r[0]) {
        last = { digest: r[0], mediaType: r[1], size: r[2], platform: JSON.parse(r[3]), tags: [] };
        entries.push(last);
      }
      if (r[4] !== null) last.tags.push(r[4]);
    }
    return entries;
  }

  /** What is known of a layer blob from any image that has it: its diff ID and uncompressed size. */
  layerInfo(digest: Digest): { diffId: Digest; uncompressedSize: number } | undefined {
    const row = this.sqlite
      .prepare("SELECT diff_id, uncompressed_size FROM layer_info WHERE digest = ?")
      .get(digest) as { diff_id: Digest; uncompressed_size: number } | undefined;
    return row && { diffId: row.diff_id, uncompressedSize: row.uncompressed_size };
  }

  #many(sql: string, ...params: string[]): ImageRecord[] {
    const rows = this.sqlite.prepare(sql).all(...params) as { manifest_digest: Digest }[];
    return rows.map((r) => this.get(r.manifest_digest)).filter((r): r is ImageRecord => r !== undefined);
  }

  #tagsByImage(): Map<string, TagRecord[]> {
    const map = new Map<string, TagRecord[]>();
    const rows = this.sqlite
      .prepare("SELECT name, manifest_digest, last_tag_time FROM tags ORDER BY name")
      .all() as { name: string; manifest_digest: string; last_tag_time: string | null }[];
    for (const r of rows) {
      const list = map.get(r.manifest_digest) ?? [];
      list.push({ name: r.name, lastTagTime: r.last_tag_time });
      map.set(r.manifest_digest, list);
    }
    return map;
  }

  #repoDigestsByImage(): Map<string, RepoDigestRecord[]> {
    const map = new Map<string, RepoDigestRecord[]>();
    const rows = this.sqlite
      .prepare(
        "SELECT manifest_digest, repository, digest, media_type, size FROM repo_digests ORDER BY repository, digest",
      )
      .all() as unknown as (RepoDigestRow & { manifest_digest: string })[];
    for (const r of rows) {
      const list = map.get(r.manifest_digest) ?? [];
      list.push(toRepoDigest(r));
      map.set(r.manifest_digest, list);
    }
    return map;
  }
}

/** The writes a store transaction may make. Every method is synchronous: it runs under the writer lock. */
export class RecordWriter extends RecordReader {
  readonly #paths: StorePaths;
  constructor(sqlite: DatabaseSync, paths: StorePaths) {
    super(sqlite);
    this.#paths = paths;
  }

  /** Adds or replaces an image. Every blob it names must already be in the store. */
  putImage(image: ImageData): void {
    this.#requireBlob(image.manifest.digest);
    this.#requireBlob(image.id);
    for (const layer of image.layers) {
      if (!isNonDistributableLayer(layer.mediaType)) this.#requireBlob(layer.digest);
    }
    const size = image.layers.reduce((sum, l) => sum + l.uncompressedSize, 0);
    const info = this.sqlite.prepare(
      "INSERT OR REPLACE INTO layer_info (digest, diff_id, uncompressed_size) VALUES (?, ?, ?)",
    );
    for (const layer of image.layers) info.run(layer.digest, layer.diffId, layer.uncompressedSize);
    this.sqlite
      .prepare(
        `INSERT INTO images (manifest_digest, config_digest, manifest_media_type, manifest_size, platform, layers, size,
           created, added_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(manifest_digest) DO UPDATE SET config_digest = excluded.config_digest,
           manifest_media_type = excluded.manifest_media_type, manifest_size = excluded.manifest_size,
           platform = excluded.platform, layers = excluded.layers, size = excluded.size, created = excluded.created`,
      )
      .run(
        image.manifest.digest,
        image.id,
        image.manifest.mediaType,
        image.manifest.size,
        JSON.stringify(image.platform),
        JSON.stringify(image.layers),
        size,
        image.created ?? null,
        new Date().toISOString(),
      );
  }

  /**
   * Points a full tag reference at an image (by manifest digest); returns what it pointed at before,
   * if another. `tagTime` is Docker's LastTagTime: the time for `wharf tag`, null for a pull.
   */
  setTag(name: string, manifestDigest: Digest, tagTime: Date | null): Digest | undefined {
    this.#requireImage(manifestDigest);
    const previous = this.sqlite.prepare("SELECT manifest_digest FROM tags WHERE name = ?").get(name) as
      | { manifest_digest: Digest }
      | undefined;
    this.sqlite
      .prepare(
        `INSERT INTO tags (name, manifest_digest, last_tag_time) VALUES (?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET manifest_digest = excluded.manifest_digest, last_tag_time = excluded.last_tag_time`,
      )
      .run(name, manifestDigest, tagTime?.toISOString() ?? null);
    return previous && previous.manifest_digest !== manifestDigest ? previous.manifest_digest : undefined;
  }

  /** Returns whether the tag existed. */
  removeTag(name: string): boolean {
    return Number(this.sqlite.prepare("DELETE FROM tags WHERE name = ?").run(name).changes) > 0;
  }

  /**
   * Records `repository@digest` on an image, unless another image (another image ID) has it already:
   * that one keeps it, as moby's reference store cannot move a digest reference ("Image ID for digest
   * ... changed ..., cannot update"): after pulling two platforms of an index by tag, the first pulled
   * keeps `repo@index`. Returns whether the image has it now.
   */
  addRepoDigest(manifestDigest: Digest, entry: RepoDigestRecord): boolean {
    this.#requireImage(manifestDigest);
    this.#requireBlob(entry.digest);
    const heldByAnother = this.sqlite
      .prepare(
        `SELECT 1 FROM repo_digests d JOIN images holder ON holder.manifest_digest = d.manifest_digest
           JOIN images own ON own.manifest_digest = ?
         WHERE d.repository = ? AND d.digest = ? AND holder.config_digest != own.config_digest`,
      )
      .get(manifestDigest, entry.repository, entry.digest);
    if (heldByAnother !== undefined) return false;
    this.sqlite
      .prepare(
        `INSERT OR REPLACE INTO repo_digests (manifest_digest, repository, digest, media_type, size) VALUES (?, ?, ?, ?, ?)`,
      )
      .run(manifestDigest, entry.repository, entry.digest, entry.mediaType, entry.size);
    return true;
  }

  /** Removes `repository@digest` from whichever images have it; returns how many had it. */
  removeRepoDigest(repository: string, digest: Digest): number {
    return Number(
      this.sqlite
        .prepare("DELETE FROM repo_digests WHERE repository = ? AND digest = ?")
        .run(repository, digest).changes,
    );
  }

  /** Records Docker's unpacked size of layers, by diff ID, in every image that has them. */
  setLayerUnpackedSizes(sizes: ReadonlyMap<string, number>): void {
    const rows = this.sqlite.prepare("SELECT manifest_digest, layers FROM images").all() as {
      manifest_digest: string;
      layers: string;
    }[];
    const update = this.sqlite.prepare("UPDATE images SET layers = ? WHERE manifest_digest = ?");
    for (const row of rows) {
      const layers = JSON.parse(row.layers) as LayerRecord[];
      let changed = false;
      for (const layer of layers) {
        const size = sizes.get(layer.diffId);
        if (size !== undefined && layer.unpackedSize !== size) {
          layer.unpackedSize = size;
          changed = true;
        }
      }
      if (changed) update.run(JSON.stringify(layers), row.manifest_digest);
    }
  }

  /** Deletes the image with its tags and RepoDigests; its blobs go at the next garbage collection. */
  deleteImage(manifestDigest: Digest): boolean {
    this.sqlite.prepare("DELETE FROM tags WHERE manifest_digest = ?").run(manifestDigest);
    this.sqlite.prepare("DELETE FROM repo_digests WHERE manifest_digest = ?").run(manifestDigest);
    return (
      Number(
        this.sqlite.prepare("DELETE FROM images WHERE manifest_digest = ?").run(manifestDigest).changes,
      ) > 0
    );
  }

  #requireBlob(digest: Digest): void {
    if (!existsSync(this.#paths.blob(digest))) {
      throw new WharfError("STORE_BLOB_UNKNOWN", `blob ${digest} is not in the store`, { digest });
    }
  }

  #requireImage(manifestDigest: Digest): void {
    if (!this.sqlite.prepare("SELECT 1 FROM images WHERE manifest_digest = ?").get(manifestDigest)) {
      throw new WharfError("STORE_IMAGE_UNKNOWN", `No such image: ${manifestDigest}`, { manifestDigest });
    }
  }
}

interface RepoDigestRow {
  repository: string;
  digest: string;
  media_type: string;
  size: number;
}

function toRepoDigest(r: RepoDigestRow): RepoDigestRecord {
  return { repository: r.repository, digest: r.digest as Digest, mediaType: r.media_type, size: r.size };
}

function toRecord(row: ImageRow, tags: TagRecord[], repoDigests: RepoDigestRecord[]): ImageRecord {
  return {
    id: row.config_digest as Digest,
    manifest: {
      digest: row.manifest_digest as Digest,
      mediaType: row.manifest_media_type,
      size: row.manifest_size,
    },
    platform: JSON.parse(row.platform) as RecordPlatform,
    layers: JSON.parse(row.layers) as LayerRecord[],
    size: row.size,
    ...(row.created ? { created: row.created } : {}),
    addedAt: row.added_at,
    tags,
    repoDigests,
  };
}
