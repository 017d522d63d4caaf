/**
 * Where blobs were seen (containers/image's BlobInfoCache, the part push needs): for a registry and a
 * digest, the repositories known to hold that blob, most recent first. A push tries cross-mounts from
 * them before uploading. Only digests wharf verified are recorded: after a pull (each blob hashed on
 * the way in) or a push the registry accepted; a wrong entry only costs a failed mount.
 *
 * Kept in its own SQLite file next to the store (`<root>/blob-info.db`, WAL), not in wharf.db: it is
 * advisory, so its writes never wait for the store's writer lock nor pay its fsyncs
 * (synchronous=NORMAL), and it can be deleted at any time. Not a JSON file: concurrent pulls and
 * pushes each add rows; a file replaced whole would lose all but the last writer's and rewrite
 * everything for one entry.
 *
 * It also remembers which gzip blob an uncompressed layer was pushed as (containers/image's
 * uncompressed/compressed digest pairs, docker's v2 metadata): a second push of the image, to that
 * repository or another of the registry, looks for that blob (HEAD, or a cross-mount from where it
 * was seen) instead of compressing the layer again.
 */
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { Digest } from "../oci/digest.ts";
import type { RegistryLocation } from "./types.ts";

/** Repositories remembered per (registry, digest); older ones are forgotten. */
const MAX_LOCATIONS = 16;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS locations (
  registry TEXT NOT NULL,    -- as references name it: docker.io, 127.0.0.1:5000
  digest TEXT NOT NULL,
  repository TEXT NOT NULL,  -- library/busybox
  seen INTEGER NOT NULL,     -- ms since epoch (a counter breaks ties within one millisecond)
  PRIMARY KEY (registry, digest, repository)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS compressed_layers (
  uncompressed TEXT NOT NULL,  -- the layer tar's digest (its diff ID)
  algorithm TEXT NOT NULL,     -- gzip
  digest TEXT NOT NULL,        -- the compressed blob
  size INTEGER NOT NULL,
  PRIMARY KEY (uncompressed, algorithm)
) WITHOUT ROWID;
`;

export interface CompressedBlob {
  digest: Digest;
  size: number;
}

export class BlobInfoCache {
  readonly #db: DatabaseSync;
  #clock = 0;

  constructor(path: string) {
    // A short busy timeout: a cache write that would wait is skipped (see #tryWrite).
    this.#db = new DatabaseSync(path, { timeout: 200 });
    this.#tryWrite(() => {
      this.#db.exec("PRAGMA journal_mode = WAL");
      this.#db.exec("PRAGMA synchronous = NORMAL");
      this.#db.exec(SCHEMA);
      // Times recorded by earlier processes may be ahead of this clock (the tie-breaking counter
      // runs ahead of Date.now() within a millisecond): start past them, so "now" is newest.
      const row = this.#db.prepare("SELECT MAX(seen) AS seen FROM locations").get() as {
        seen: number | null;
      };
      this.#clock = row.seen ?? 0;
    });
  }

  /** The cache of the store at `root`. */
  static forStore(root: string): BlobInfoCache {
    return new BlobInfoCache(join(root, "blob-info.db"));
  }

  /** Records that `digests` (verified) are in this repository, now. */
  record(location: RegistryLocation, digests: readonly Digest[]): void {
    if (digests.length === 0) return;
    this.#tryWrite(() => {
      const upsert = this.#db.prepare(
        "INSERT INTO locations (registry, digest, repository, seen) VALUES (?, ?, ?, ?) " +
          "ON CONFLICT (registry, digest, repository) DO UPDATE SET seen = excluded.seen",
      );
      const prune = this.#db.prepare(
        "DELETE FROM locations WHERE registry = ? AND digest = ? AND repository NOT IN " +
          "(SELECT repository FROM locations WHERE registry = ? AND digest = ? ORDER BY seen DESC LIMIT ?)",
      );
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        for (const digest of new Set(digests)) {
          upsert.run(location.registry, digest, location.repository, this.#now());
          prune.run(location.registry, digest, location.registry, digest, MAX_LOCATIONS);
        }
        this.#db.exec("COMMIT");
      } catch (err) {
        this.#db.exec("ROLLBACK");
        throw err;
      }
    });
  }

  /** Repositories of `registry` where `digest` was seen, most recent first. */
  candidates(registry: string, digest: Digest, limit = MAX_LOCATIONS): string[] {
    try {
      const rows = this.#db
        .prepare(
          "SELECT repository FROM locations WHERE registry = ? AND digest = ? ORDER BY seen DESC LIMIT ?",
        )
        .all(registry, digest, limit) as { repository: string }[];
      return rows.map((r) => r.repository);
    } catch {
      return []; // a busy or unreadable cache is an empty one
    }
  }

  /** Records that `uncompressed` compressed with `algorithm` is `blob` (whose digest was verified). */
  recordCompressed(uncompressed: Digest, algorithm: "gzip", blob: CompressedBlob): void {
    this.#tryWrite(() => {
      this.#db
        .prepare(
          "INSERT INTO compressed_layers (uncompressed, algorithm, digest, size) VALUES (?, ?, ?, ?) " +
            "ON CONFLICT (uncompressed, algorithm) DO UPDATE SET digest = excluded.digest, size = excluded.size",
        )
        .run(uncompressed, algorithm, blob.digest, blob.size);
    });
  }

  /** The blob `uncompressed` was last compressed to, if known. */
  compressed(uncompressed: Digest, algorithm: "gzip"): CompressedBlob | undefined {
    try {
      const row = this.#db
        .prepare("SELECT digest, size FROM compressed_layers WHERE uncompressed = ? AND algorithm = ?")
        .get(uncompressed, algorithm) as { digest: Digest; size: number } | undefined;
      return row === undefined ? undefined : { digest: row.digest, size: row.size };
    } catch {
      return undefined; // a busy or unreadable cache is an empty one
    }
  }

  close(): void {
    this.#db.close();
  }

  /** Strictly increasing milliseconds, so that "most recent" is exact within one process. */
  #now(): number {
    this.#clock = Math.max(this.#clock + 1, Date.now());
    return this.#clock;
  }

  /** A cache must not fail the operation it serves: a locked or broken file is skipped. */
  #tryWrite(fn: () => void): void {
    try {
      fn();
    } catch {
      // advisory: the next successful write records it
    }
  }
}
