/**
 * The scanner's local, offline vulnerability database: OSV records imported from files, folders
 * and zips into one SQLite file (the CLI's is `<wharf root>/scan/osv.db`), and the lookups the
 * matcher makes. An import is one transaction per source: all of it or, on an error or a killed
 * process, none of it. It writes through its own connection, so lookups made meanwhile (on this
 * object or in other processes) see the database as it was until the import commits.
 */
import { join, resolve } from "node:path";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { setTimeout as sleep } from "node:timers/promises";
import { isWharfError, noSpaceError, WharfError } from "../../errors.ts";
import { openSource } from "./import-sources.ts";
import { parseOsvRecord } from "./osv-parse.ts";
import type { OsvRecord } from "./osv-record.ts";
import { packageNameKey, releaseCovers, splitEcosystem } from "./package-key.ts";
import { RecordWriter } from "./record-writer.ts";
import { asCorrupt, type OpenOptions, openConnection } from "./schema.ts";
import { type DatabaseStatus, readStatus } from "./status.ts";

export interface ImportCounts {
  /** Valid records read (each counted once more as added, updated or unchanged). */
  records: number;
  added: number;
  updated: number;
  /** Not newer than the stored record of that ID (a re-import), so left as it was. */
  unchanged: number;
  /** Files or zip entries that are not OSV records (reported in `problems`). */
  invalid: number;
}

export interface ImportResult extends ImportCounts {
  source: string;
  /** One line per invalid file: "PATH: what is wrong". */
  problems: string[];
}

export interface ImportOptions {
  /** Called after each record is stored (inside the transaction, before the commit). */
  onRecord?: (counts: Readonly<ImportCounts>) => void;
  /** How long to wait for another process's import to finish (default 10 minutes). */
  lockTimeoutMs?: number;
}

export interface LookupOptions {
  /** Include withdrawn records (default: left out). */
  withdrawn?: boolean;
}

/** Where the CLI keeps the database in a wharf root. */
export function databasePath(root: string): string {
  return join(root, "scan", "osv.db");
}

export class VulnerabilityDatabase {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #lookup: StatementSync;
  readonly #byId: StatementSync;
  /** Imports through this object run one after another. */
  #imports: Promise<unknown> = Promise.resolve();

  private constructor(path: string, db: DatabaseSync) {
    this.path = path;
    this.#db = db;
    this.#lookup = db.prepare(
      `SELECT a.release AS release, r.id AS id, r.withdrawn AS withdrawn, r.record AS record
       FROM affected_packages a JOIN records r ON r.id = a.record_id
       WHERE a.ecosystem = ? AND a.name = ? ORDER BY r.id`,
    );
    this.#byId = db.prepare("SELECT record FROM records WHERE id = ?");
  }

  /** SCAN_DB_MISSING without `create` when there is none; SCAN_DB_CORRUPT when it is not ours. */
  static open(path: string, options: OpenOptions = {}): VulnerabilityDatabase {
    return new VulnerabilityDatabase(path, openConnection(path, options));
  }

  /** Imports one source (a .json file, a .zip of records, or a folder of either). */
  import(source: string, options: ImportOptions = {}): Promise<ImportResult> {
    const run = this.#imports.then(() => this.#import(source, options));
    this.#imports = run.catch(() => undefined);
    return run;
  }

  /**
   * The records that name the package `name` of `ecosystem`, sorted by ID. With a release
   * ("Debian:12") only records for that release or for none; without one ("Debian") all of them.
   */
  recordsFor(ecosystem: string, name: string, options: LookupOptions = {}): OsvRecord[] {
    const query = splitEcosystem(ecosystem);
    const key = packageNameKey(query.base, name);
    const rows = this.#read(() => this.#lookup.all(query.base, key)) as unknown as LookupRow[];
    const found = new Map<string, OsvRecord>();
    for (const row of rows) {
      if (found.has(row.id) || !releaseCovers(row.release, query.release)) continue;
      if (row.withdrawn !== null && !options.withdrawn) continue;
      found.set(row.id, this.#parse(row.record));
    }
    return [...found.values()];
  }

  /** The record with this ID, withdrawn or not. */
  record(id: string): OsvRecord | undefined {
    const row = this.#read(() => this.#byId.get(id)) as { record: string } | undefined;
    return row === undefined ? undefined : this.#parse(row.record);
  }

  status(): DatabaseStatus {
    return this.#read(() => readStatus(this.#db, this.path));
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  async #import(source: string, options: ImportOptions): Promise<ImportResult> {
    // Before the transaction: a missing path or a folder without records fails without waiting for a lock.
    const input = await openSource(source);
    const writer = openConnection(this.path);
    try {
      writer.exec("PRAGMA synchronous = FULL");
      writer.exec("PRAGMA busy_timeout = 20"); // lock waits are asynchronous, in beginWrite
      await beginWrite(writer, this.path, options.lockTimeoutMs ?? 600_000);
      const startedAt = new Date().toISOString();
      const counts: ImportCounts = { records: 0, added: 0, updated: 0, unchanged: 0, invalid: 0 };
      const problems: string[] = [];
      try {
        const records = new RecordWriter(writer);
        for await (const entry of input.entries) {
          let record: OsvRecord;
          try {
            if ("problem" in entry) throw invalidEntry(entry.where, entry.problem);
            record = parseOsvRecord(entry.content, entry.where);
          } catch (err) {
            // A single file's problem is the import's error; in a folder or zip, it is reported.
            if (input.kind === "file" || !isWharfError(err, "SCAN_IMPORT_INVALID")) throw err;
            counts.invalid += 1;
            problems.push(err.message);
            continue;
          }
          counts[records.put(record)] += 1;
          counts.records += 1;
          options.onRecord?.(counts);
        }
        writer
          .prepare(
            `INSERT INTO imports (source, started_at, finished_at, records, added, updated, unchanged, invalid)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            resolve(source),
            startedAt,
            new Date().toISOString(),
            counts.records,
            counts.added,
            counts.updated,
            counts.unchanged,
            counts.invalid,
          );
        writer.exec("COMMIT");
      } catch (err) {
        if (writer.isTransaction) writer.exec("ROLLBACK");
        throw err;
      }
      return { source, ...counts, problems };
    } catch (err) {
      throw noSpaceError(err, this.path) ?? asCorrupt(err, this.path);
    } finally {
      writer.close();
    }
  }

  #read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw asCorrupt(err, this.path);
    }
  }

  #parse(json: string): OsvRecord {
    try {
      return JSON.parse(json) as OsvRecord;
    } catch {
      throw new WharfError("SCAN_DB_CORRUPT", `${this.path}: a stored record is not JSON; import again`, {
        path: this.path,
      });
    }
  }
}

interface LookupRow {
  release: string;
  id: string;
  withdrawn: string | null;
  record: string;
}

function invalidEntry(where: string, problem: string): WharfError {
  return new WharfError("SCAN_IMPORT_INVALID", `${where}: ${problem}`, { path: where });
}

/** BEGIN IMMEDIATE (the writer lock), waiting asynchronously while another process imports. */
async function beginWrite(db: DatabaseSync, path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
    try {
      db.exec("BEGIN IMMEDIATE");
      return;
    } catch (err) {
      const code = (err as { errcode?: number }).errcode ?? 0;
      if (![5, 6].includes(code & 0xff)) throw err;
      if (Date.now() > deadline) {
        throw new WharfError(
          "STORE_LOCKED",
          `the vulnerability database ${path} is being written by another import; try again`,
          { path },
          { cause: err },
        );
      }
      await sleep(delay);
    }
  }
}
