/**
 * The store's metadata database: SQLite through node:sqlite (built into Node 22+), in WAL mode.
 * SQLite gives what a daemonless store needs: any number of processes may open it, writers are
 * serialised by locks that the kernel releases when a process dies (a SIGKILLed wharf never wedges
 * the store), and every transaction is all-or-nothing across a crash.
 */
import { DatabaseSync } from "node:sqlite";
import { setTimeout as sleep } from "node:timers/promises";
import { noSpaceError, WharfError } from "../errors.ts";

const SCHEMA_VERSION = 4;

/** wharf build's cache: a step's key to the layer it made (kept from GC until `builder prune`). */
const BUILD_CACHE_SCHEMA = `
CREATE TABLE IF NOT EXISTS build_cache (
  cache_key TEXT PRIMARY KEY,       -- sha256 over the parent step's key, the instruction and its inputs
  layer_digest TEXT NOT NULL,       -- the layer blob the step made
  media_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  diff_id TEXT NOT NULL,
  chain_id TEXT NOT NULL,           -- the layer stack it tops: its unpacked snapshot's name
  created TEXT NOT NULL,            -- when the step ran: the history time of a cached rebuild
  last_used INTEGER NOT NULL        -- ms since epoch (builder prune --filter until=)
);
`;

/** Version 4: how many builds used each record (its first run included): system df's USAGE. */
const BUILD_CACHE_USAGE_COUNT = "ALTER TABLE build_cache ADD COLUMN usage_count INTEGER NOT NULL DEFAULT 1";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS images (
  manifest_digest TEXT PRIMARY KEY, -- the platform manifest: what a tag points at
  config_digest TEXT NOT NULL,      -- Docker's image ID; two manifests may share one (e.g. OCI and Docker types)
  manifest_media_type TEXT NOT NULL,
  manifest_size INTEGER NOT NULL,
  platform TEXT NOT NULL,           -- JSON {os, architecture, variant?}
  layers TEXT NOT NULL,             -- JSON [{digest, mediaType, size, diffId, uncompressedSize}]
  size INTEGER NOT NULL,            -- sum of uncompressed layer sizes (Docker's SIZE)
  created TEXT,                     -- the config's created time
  added_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS images_by_config ON images(config_digest);
CREATE TABLE IF NOT EXISTS tags (
  name TEXT PRIMARY KEY,            -- full reference, e.g. docker.io/library/busybox:latest
  manifest_digest TEXT NOT NULL REFERENCES images(manifest_digest),
  last_tag_time TEXT                -- set by "wharf tag", null after a pull (Docker's LastTagTime)
);
CREATE INDEX IF NOT EXISTS tags_by_image ON tags(manifest_digest);
CREATE TABLE IF NOT EXISTS repo_digests (
  manifest_digest TEXT NOT NULL REFERENCES images(manifest_digest) ON DELETE CASCADE,
  repository TEXT NOT NULL,         -- e.g. docker.io/library/busybox
  digest TEXT NOT NULL,             -- what was asked for: the index's digest, or the manifest's
  media_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  PRIMARY KEY (manifest_digest, repository, digest)
);
CREATE TABLE IF NOT EXISTS layer_info (
  digest TEXT PRIMARY KEY,          -- a layer blob as stored (usually compressed)
  diff_id TEXT NOT NULL,            -- the digest of its uncompressed tar, verified when it was ingested
  uncompressed_size INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ingests (
  ref TEXT PRIMARY KEY,             -- stable ingest ref: a resumed ingest finds its partial data by it
  owner TEXT NOT NULL,              -- boot/pid/start of the process writing it (see owner.ts); '' when none is
  last_owner TEXT NOT NULL DEFAULT '', -- who wrote it last: GC reclaims a partial of a dead process at once
  expected_digest TEXT,
  expected_size INTEGER,
  started_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
  id TEXT NOT NULL,                 -- one lease per operation
  digest TEXT NOT NULL,             -- a blob the operation has ingested or will reference
  owner TEXT NOT NULL,
  expires_at INTEGER NOT NULL,      -- ms since epoch; also dead with its owner process
  PRIMARY KEY (id, digest)
);
${BUILD_CACHE_SCHEMA}
${BUILD_CACHE_USAGE_COUNT};
`;

/** What takes a store of version N to N + 1 (a new store gets SCHEMA as it is now). */
const MIGRATIONS: Record<number, string> = {
  1: "ALTER TABLE ingests ADD COLUMN last_owner TEXT NOT NULL DEFAULT ''",
  2: BUILD_CACHE_SCHEMA,
  3: BUILD_CACHE_USAGE_COUNT,
};

export interface WriteOptions {
  /** false: the commit may reach the disk later (WAL, synchronous=NORMAL); for advisory rows. */
  durable?: boolean;
}

export interface DbOptions {
  /** How long a writer waits for another process's transaction before STORE_LOCKED. */
  lockTimeoutMs?: number;
}

export class StoreDb {
  readonly sqlite: DatabaseSync;
  readonly path: string;
  readonly #lockTimeoutMs: number;

  constructor(path: string, options: DbOptions = {}) {
    this.path = path;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 60_000;
    // A short busy timeout inside SQLite (it blocks the event loop); longer waits retry asynchronously.
    this.sqlite = new DatabaseSync(path, { timeout: 20, enableForeignKeyConstraints: true });
    this.#initialise();
  }

  #initialise(): void {
    // Switching a new database to WAL needs a moment of exclusive access: many processes may open at once.
    this.#retrySync(() => this.sqlite.exec("PRAGMA journal_mode = WAL"));
    this.sqlite.exec("PRAGMA synchronous = FULL");
    if (this.#schemaVersion() === SCHEMA_VERSION) return;
    this.#retrySync(() => {
      this.sqlite.exec("BEGIN IMMEDIATE");
      try {
        const version = this.#schemaVersion();
        if (version > SCHEMA_VERSION) {
          throw new WharfError(
            "STORE_CORRUPT",
            `store schema version ${version} is newer than this wharf understands (${SCHEMA_VERSION})`,
          );
        }
        if (version === 0) this.sqlite.exec(SCHEMA);
        else for (let v = version; v < SCHEMA_VERSION; v++) this.sqlite.exec(MIGRATIONS[v]!);
        this.sqlite.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
        this.sqlite.exec("COMMIT");
      } catch (err) {
        if (this.sqlite.isTransaction) this.sqlite.exec("ROLLBACK");
        throw err;
      }
    });
  }

  #schemaVersion(): number {
    return (this.sqlite.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
  }

  /** Opening happens once per process; a brief blocking wait there is acceptable. */
  #retrySync(fn: () => void): void {
    const deadline = Date.now() + this.#lockTimeoutMs;
    for (;;) {
      try {
        fn();
        return;
      } catch (err) {
        if (!isBusy(err) || Date.now() > deadline) throw noSpaceError(err, this.path) ?? lockedOr(err);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      }
    }
  }

  /**
   * Runs `fn` in a write transaction (BEGIN IMMEDIATE: the store-wide writer lock). `fn` is
   * synchronous on purpose: nothing else in this process can interleave with it on this connection.
   * Waiting for another process's lock yields to the event loop.
   */
  async write<T>(fn: () => T, options: WriteOptions = {}): Promise<T> {
    const deadline = Date.now() + this.#lockTimeoutMs;
    let delay = 2;
    // An advisory write (a lease, a cache row) need not reach the disk before it returns: WAL keeps
    // it atomic, a process crash keeps it, and the next durable commit's fsync carries it along.
    const relaxed = options.durable === false;
    for (;;) {
      try {
        // Set outside the transaction (SQLite refuses it inside), and back before any await: all of
        // it runs synchronously, so no other write of this connection commits under it.
        if (relaxed) this.sqlite.exec("PRAGMA synchronous = NORMAL");
        this.sqlite.exec("BEGIN IMMEDIATE");
      } catch (err) {
        if (relaxed) this.sqlite.exec("PRAGMA synchronous = FULL");
        if (!isBusy(err) || Date.now() > deadline) throw noSpaceError(err, this.path) ?? lockedOr(err);
        await sleep(delay);
        delay = Math.min(delay * 2, 50);
        continue;
      }
      try {
        const result = fn();
        this.sqlite.exec("COMMIT");
        return result;
      } catch (err) {
        if (this.sqlite.isTransaction) this.sqlite.exec("ROLLBACK");
        // SQLite's "database or disk is full" (the WAL cannot grow) reads as any other full disk.
        throw noSpaceError(err, this.path) ?? err;
      } finally {
        if (relaxed) this.sqlite.exec("PRAGMA synchronous = FULL");
      }
    }
  }

  /** A consistent read: WAL readers never wait for writers. */
  read<T>(fn: () => T): T {
    this.sqlite.exec("BEGIN");
    try {
      return fn();
    } finally {
      this.sqlite.exec("COMMIT");
    }
  }

  close(): void {
    if (this.sqlite.isOpen) this.sqlite.close();
  }
}

function isBusy(err: unknown): boolean {
  const e = err as { errcode?: number; message?: string };
  // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with extended codes in the high bits.
  return (
    (e.errcode !== undefined && [5, 6].includes(e.errcode & 0xff)) ||
    /database is locked/.test(e.message ?? "")
  );
}

function lockedOr(err: unknown): unknown {
  return isBusy(err)
    ? new WharfError(
        "STORE_LOCKED",
        "the store is locked by another wharf process; try again",
        {},
        { cause: err },
      )
    : err;
}
