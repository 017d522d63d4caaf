/**
 * Storing records during an import (inside its transaction): one row per ID, replaced only by a
 * record with a newer `modified`, and the record's package index rows rewritten with it.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { timeMs } from "./osv-parse.ts";
import type { OsvRecord } from "./osv-record.ts";
import { packageKeysOf } from "./package-key.ts";

/** What storing one record did: new ID, newer than the stored one, or not newer (kept as it was). */
export type PutOutcome = "added" | "updated" | "unchanged";

export class RecordWriter {
  readonly #existing: StatementSync;
  readonly #insert: StatementSync;
  readonly #update: StatementSync;
  readonly #dropKeys: StatementSync;
  readonly #addKey: StatementSync;

  constructor(db: DatabaseSync) {
    this.#existing = db.prepare("SELECT modified_ms FROM records WHERE id = ?");
    this.#insert = db.prepare(
      "INSERT INTO records (id, modified, modified_ms, withdrawn, record) VALUES (?, ?, ?, ?, ?)",
    );
    this.#update = db.prepare(
      "UPDATE records SET modified = ?, modified_ms = ?, withdrawn = ?, record = ? WHERE id = ?",
    );
    this.#dropKeys = db.prepare("DELETE FROM affected_packages WHERE record_id = ?");
    this.#addKey = db.prepare(
      "INSERT OR IGNORE INTO affected_packages (ecosystem, name, release, record_id) VALUES (?, ?, ?, ?)",
    );
  }

  put(record: OsvRecord): PutOutcome {
    const modifiedMs = timeMs(record.modified);
    const stored = this.#existing.get(record.id) as { modified_ms: number } | undefined;
    if (stored !== undefined && stored.modified_ms >= modifiedMs) return "unchanged";
    const json = JSON.stringify(record);
    const withdrawn = record.withdrawn ?? null;
    if (stored === undefined) {
      this.#insert.run(record.id, record.modified, modifiedMs, withdrawn, json);
    } else {
      this.#update.run(record.modified, modifiedMs, withdrawn, json, record.id);
      this.#dropKeys.run(record.id);
    }
    for (const key of packageKeysOf(record)) this.#addKey.run(key.base, key.name, key.release, record.id);
    return stored === undefined ? "added" : "updated";
  }
}
