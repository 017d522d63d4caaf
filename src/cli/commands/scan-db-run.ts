/**
 * `wharf scan db import PATH...` and `wharf scan db status`: the local OSV database in the wharf
 * root (scan/osv.db), filled from files, folders and zips; its status tells what it holds and how old.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Command } from "commander";
import { TabWriter } from "../../format/tabwriter.ts";
import { databasePath, type ImportResult, VulnerabilityDatabase } from "../../scan/db/database.ts";
import { DEFAULT_ECOSYSTEMS, download, ecosystemUrl, isUrl } from "../../scan/db/download.ts";
import type { DatabaseStatus } from "../../scan/db/status.ts";
import { storeRoot } from "../context.ts";

export interface ScanDbFlags {
  db?: string;
}

export interface ScanDbUpdateFlags extends ScanDbFlags {
  from?: string[];
}

export function defaultDatabasePath(command: Command): string {
  return databasePath(storeRoot(command));
}

export async function runScanDbImport(paths: string[], flags: ScanDbFlags, command: Command): Promise<void> {
  const path = flags.db ?? defaultDatabasePath(command);
  mkdirSync(dirname(path), { recursive: true });
  const db = VulnerabilityDatabase.open(path, { create: true });
  try {
    for (const source of paths) {
      const result = await db.import(source);
      for (const problem of result.problems) process.stderr.write(`WARNING: skipped ${problem}\n`);
      process.stdout.write(`${importLine(source, result)}\n`);
    }
  } finally {
    db.close();
  }
}

/**
 * `scan db update`: each --from (a URL fetched whole first, or a folder), else osv.dev's all.zip of
 * every ecosystem the database holds (or a default set for a new one), imported one by one: what
 * was fetched stays imported when a later source fails.
 */
export async function runScanDbUpdate(flags: ScanDbUpdateFlags, command: Command): Promise<void> {
  const path = flags.db ?? defaultDatabasePath(command);
  mkdirSync(dirname(path), { recursive: true });
  const db = VulnerabilityDatabase.open(path, { create: true });
  try {
    const held = db.status().ecosystems.map((e) => e.ecosystem);
    const sources = flags.from?.length
      ? flags.from
      : (held.length > 0 ? held : DEFAULT_ECOSYSTEMS).map(ecosystemUrl);
    for (const source of sources) {
      const fetched = isUrl(source) ? await download(source) : undefined;
      try {
        const result = await db.import(fetched?.path ?? source);
        for (const problem of result.problems) process.stderr.write(`WARNING: skipped ${problem}\n`);
        process.stdout.write(`${importLine(source, result)}\n`);
      } finally {
        await fetched?.remove();
      }
    }
  } finally {
    db.close();
  }
}

export async function runScanDbStatus(flags: ScanDbFlags, command: Command): Promise<void> {
  const db = VulnerabilityDatabase.open(flags.db ?? defaultDatabasePath(command), { create: false });
  try {
    process.stdout.write(statusText(db.status(), new Date()));
  } finally {
    db.close();
  }
}

function importLine(source: string, r: ImportResult): string {
  const invalid = r.invalid > 0 ? `, ${r.invalid} not OSV records` : "";
  return `${source}: ${r.records} records (${r.added} new, ${r.updated} updated, ${r.unchanged} unchanged${invalid})`;
}

function statusText(s: DatabaseStatus, now: Date): string {
  const lines = [`Database:      ${s.path}`, `Records:       ${s.records} (${s.withdrawn} withdrawn)`];
  if (s.newestModified) lines.push(`Newest record: ${s.newestModified} (${age(s.newestModified, now)})`);
  if (s.lastImport) lines.push(`Last import:   ${s.lastImport.finishedAt} from ${s.lastImport.source}`);
  const table = new TabWriter({ minWidth: 0, tabWidth: 8, padding: 3 });
  table.write("ECOSYSTEM\tRECORDS\tWITHDRAWN\tRELEASES\n");
  for (const e of s.ecosystems) {
    const releases = e.releases
      .filter((r) => r.release !== "")
      .map((r) => `${r.release} (${r.records})`)
      .join(", ");
    table.write(`${e.ecosystem}\t${e.records}\t${e.withdrawn}\t${releases || "-"}\n`);
  }
  return `${lines.join("\n")}\n\n${table.flush()}`;
}

/** "3 days old": how far the newest record is behind now. */
function age(rfc3339: string, now: Date): string {
  const days = Math.floor((now.getTime() - Date.parse(rfc3339)) / 86_400_000);
  return days <= 0 ? "today" : days === 1 ? "1 day old" : `${days} days old`;
}
