/**
 * The vulnerability database's SQLite file: its schema, and opening it with the checks that it is
 * ours (SQLite's application_id) and of a schema version this code reads (user_version). WAL mode:
 * scans read while an import writes, and a killed import leaves only an uncommitted WAL tail that
 * SQLite discards on the next open.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { WharfError } from "../../errors.ts";

export const SCHEMA_VERSION = 1;
/** "wosv" (wharf OSV): marks the file as this database, not the store's or anyone else's. */
const APPLICATION_ID = 0x776f7376;

const SCHEMA = `
CREATE TABLE records (
  id TEXT PRIMARY KEY,
  modified TEXT NOT NULL,        -- as the record writes it
  modified_ms INTEGER NOT NULL,  -- the same, comparable: a newer record replaces an older one
  withdrawn TEXT,                -- set: kept, but left out of lookups
  record TEXT NOT NULL           -- the normalised OSV record (osv-parse.ts), JSON
);
CREATE TABLE affected_packages (
  ecosystem TEXT NOT NULL,       -- the base name: "Debian" of "Debian:12"
  name TEXT NOT NULL,            -- as the ecosystem compares names (package-key.ts)
  release TEXT NOT NULL,         -- "12" of "Debian:12"; '' when the record names none
  record_id TEXT NOT NULL,
  PRIMARY KEY (ecosystem, name, release, record_id)
) WITHOUT ROWID;
CREATE INDEX affected_by_record ON affected_packages(record_id);
CREATE TABLE imports (
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,          -- the absolute path imported
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  records INTEGER NOT NULL,      -- valid records read
  added INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  unchanged INTEGER NOT NULL,
  invalid INTEGER NOT NULL
);
`;

export interface OpenOptions {
  /** Make the file (and its folder) when there is none; else SCAN_DB_MISSING. */
  create?: boolean;
}

/** A connection to the database at `path`, created or checked. */
export function openConnection(path: string, options: OpenOptions = {}): DatabaseSync {
  if (!existsSync(path)) {
    if (!options.create) throw missing(path);
    mkdirSync(dirname(path), { recursive: true });
  }
  // SQLite waits up to 5 s for a lock inside a statement (opening, or creating the schema while
  // another process does); imports wait longer for the writer lock, asynchronously (database.ts).
  const db = new DatabaseSync(path, { timeout: 5000 });
  try {
    const state = schemaState(db, path);
    if (state === "empty") {
      if (!options.create) throw missing(path);
      db.exec("PRAGMA journal_mode = WAL");
      createSchema(db, path);
    }
    return db;
  } catch (err) {
    db.close();
    throw asCorrupt(err, path);
  }
}

/** SQLite's "not a database" and "malformed" errors, as SCAN_DB_CORRUPT; anything else as it is. */
export function asCorrupt(err: unknown, path: string): unknown {
  const code = (err as { errcode?: unknown }).errcode;
  if (typeof code !== "number" || ![11, 26].includes(code & 0xff)) return err;
  return corrupt(path, (err as Error).message, err);
}

function createSchema(db: DatabaseSync, path: string): void {
  db.exec("BEGIN IMMEDIATE");
  try {
    // Another process may have created it while this one waited for the lock.
    if (schemaState(db, path) === "empty") {
      db.exec(SCHEMA);
      db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    }
    db.exec("COMMIT");
  } catch (err) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw err;
  }
}

function schemaState(db: DatabaseSync, path: string): "ours" | "empty" {
  const pragma = (name: string) => Object.values(db.prepare(`PRAGMA ${name}`).get() ?? {})[0];
  const applicationId = pragma("application_id");
  const version = pragma("user_version");
  if (applicationId === APPLICATION_ID) {
    if (version === SCHEMA_VERSION) return "ours";
    throw corrupt(path, `schema version ${String(version)}, this wharf reads version ${SCHEMA_VERSION}`);
  }
  const objects = db.prepare("SELECT count(*) AS n FROM sqlite_master").get() as { n: number };
  if (applicationId === 0 && version === 0 && objects.n === 0) return "empty";
  throw corrupt(path, "an SQLite file of something else");
}

function missing(path: string): WharfError {
  return new WharfError(
    "SCAN_DB_MISSING",
    `no vulnerability database at ${path}: import one with \`wharf scan db import PATH\``,
    { path },
  );
}

function corrupt(path: string, why: string, cause?: unknown): WharfError {
  return new WharfError(
    "SCAN_DB_CORRUPT",
    `${path} is not a wharf vulnerability database (${why}): remove it and import again`,
    { path },
    { cause },
  );
}
