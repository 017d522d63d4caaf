/**
 * What `wharf scan db status` tells about the vulnerability database: records per ecosystem (and
 * release), the newest `modified` among them, and the imports that filled it.
 */
import type { DatabaseSync } from "node:sqlite";
import { SCHEMA_VERSION } from "./schema.ts";

export interface ReleaseCount {
  /** "12" of "Debian:12"; "" for records that name no release. */
  release: string;
  records: number;
}

export interface EcosystemCount {
  /** The base name: "Debian", "npm". */
  ecosystem: string;
  /** Records naming a package of this ecosystem, withdrawn ones included. */
  records: number;
  withdrawn: number;
  releases: ReleaseCount[];
}

export interface ImportRun {
  /** The absolute path imported. */
  source: string;
  startedAt: string;
  finishedAt: string;
  records: number;
  added: number;
  updated: number;
  unchanged: number;
  invalid: number;
}

export interface DatabaseStatus {
  path: string;
  schemaVersion: number;
  /** All records stored, withdrawn ones included. */
  records: number;
  withdrawn: number;
  ecosystems: EcosystemCount[];
  /** The newest `modified` of any record, as the record writes it. */
  newestModified?: string;
  lastImport?: ImportRun;
  /** The latest import of each source, newest first. */
  sources: ImportRun[];
}

interface ImportRow {
  source: string;
  started_at: string;
  finished_at: string;
  records: number;
  added: number;
  updated: number;
  unchanged: number;
  invalid: number;
}

/** One consistent read (a transaction: an import committing meanwhile is not half seen). */
export function readStatus(db: DatabaseSync, path: string): DatabaseStatus {
  db.exec("BEGIN");
  try {
    const totals = db
      .prepare("SELECT count(*) AS records, count(withdrawn) AS withdrawn FROM records")
      .get() as { records: number; withdrawn: number };
    const newest = db.prepare("SELECT modified FROM records ORDER BY modified_ms DESC, id LIMIT 1").get() as
      | { modified: string }
      | undefined;
    const runs = (
      db
        .prepare(
          "SELECT * FROM imports WHERE id IN (SELECT max(id) FROM imports GROUP BY source) ORDER BY id DESC",
        )
        .all() as unknown as ImportRow[]
    ).map(toRun);
    const lastImport = db.prepare("SELECT * FROM imports ORDER BY id DESC LIMIT 1").get() as
      | ImportRow
      | undefined;
    return {
      path,
      schemaVersion: SCHEMA_VERSION,
      records: totals.records,
      withdrawn: totals.withdrawn,
      ecosystems: ecosystemCounts(db),
      ...(newest ? { newestModified: newest.modified } : {}),
      ...(lastImport ? { lastImport: toRun(lastImport) } : {}),
      sources: runs,
    };
  } finally {
    db.exec("COMMIT");
  }
}

function ecosystemCounts(db: DatabaseSync): EcosystemCount[] {
  const ecosystems = db
    .prepare(
      `SELECT a.ecosystem AS ecosystem, count(DISTINCT a.record_id) AS records,
         count(DISTINCT CASE WHEN r.withdrawn IS NOT NULL THEN a.record_id END) AS withdrawn
       FROM affected_packages a JOIN records r ON r.id = a.record_id
       GROUP BY a.ecosystem ORDER BY a.ecosystem`,
    )
    .all() as unknown as Omit<EcosystemCount, "releases">[];
  const releases = db
    .prepare(
      `SELECT ecosystem, release, count(DISTINCT record_id) AS records
       FROM affected_packages GROUP BY ecosystem, release ORDER BY ecosystem, release`,
    )
    .all() as unknown as (ReleaseCount & { ecosystem: string })[];
  return ecosystems.map((e) => ({
    ecosystem: e.ecosystem,
    records: e.records,
    withdrawn: e.withdrawn,
    releases: releases
      .filter((r) => r.ecosystem === e.ecosystem)
      .map((r) => ({ release: r.release, records: r.records })),
  }));
}

function toRun(row: ImportRow): ImportRun {
  return {
    source: row.source,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    records: row.records,
    added: row.added,
    updated: row.updated,
    unchanged: row.unchanged,
    invalid: row.invalid,
  };
}
