/**
 * The rpm cataloger: Red Hat family packages from rpm's SQLite database (`rpmdb.sqlite`, rpm 4.16+,
 * in var/lib/rpm or usr/lib/sysimage/rpm). Each row of its `Packages` table is one package's header
 * blob; the header reader below is ported by hand from rpm's header format (lib/header.c,
 * hdrblobInit/hdrblobVerifyInfo, and the "Header structure" of rpm's file format docs): no library
 * reads it. BerkeleyDB (`Packages`) and ndb (`Packages.db`) databases are not read: a warning.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { WharfError } from "../../errors.ts";
import type { Cataloger, CatalogFile, FoundPackage } from "./types.ts";

const DB_DIRS = ["var/lib/rpm/", "usr/lib/sysimage/rpm/"];
const SQLITE_DB = "rpmdb.sqlite";
const UNSUPPORTED_DBS: Readonly<Record<string, string>> = { Packages: "BerkeleyDB", "Packages.db": "ndb" };

// Header tags and data types (rpm's rpmtag.h).
const TAG = {
  name: 1000,
  version: 1001,
  release: 1002,
  epoch: 1003,
  license: 1014,
  arch: 1022,
  sourceRpm: 1044,
};
const TYPE_INT32 = 4;
const TYPE_STRING = 6;
const TYPE_STRING_ARRAY = 8;
const TYPE_I18NSTRING = 9;
/** rpm's limits on a header: index entries and data store bytes (header_internal.h). */
const MAX_INDEX_ENTRIES = 0xffff;
const MAX_DATA_BYTES = 0x0fffffff;
const ENTRY_BYTES = 16;

function invalid(path: string, why: string, cause?: unknown): WharfError {
  return new WharfError(
    "SCAN_PACKAGE_DB_INVALID",
    `${path}: ${why}`,
    { path },
    cause === undefined ? undefined : { cause },
  );
}

/** One header's tags: index entries (tag, type, offset, count; big-endian) over a data store. */
class RpmHeader {
  readonly #blob: Buffer;
  readonly #entries = new Map<number, { type: number; offset: number; count: number }>();
  readonly #store: number;
  readonly #storeLength: number;

  constructor(blob: Buffer) {
    if (blob.length < 8) throw new Error("header shorter than its 8-byte preamble");
    const indexCount = blob.readUInt32BE(0);
    const dataLength = blob.readUInt32BE(4);
    if (indexCount < 1 || indexCount > MAX_INDEX_ENTRIES) throw new Error(`header has ${indexCount} tags`);
    if (dataLength > MAX_DATA_BYTES) throw new Error(`header data of ${dataLength} bytes`);
    this.#store = 8 + indexCount * ENTRY_BYTES;
    if (blob.length < this.#store + dataLength) throw new Error("header cut short");
    this.#blob = blob;
    this.#storeLength = dataLength;
    for (let i = 0; i < indexCount; i++) {
      const at = 8 + i * ENTRY_BYTES;
      const tag = blob.readUInt32BE(at);
      const entry = {
        type: blob.readUInt32BE(at + 4),
        offset: blob.readInt32BE(at + 8),
        count: blob.readUInt32BE(at + 12),
      };
      if (entry.offset < 0 || entry.offset >= dataLength)
        throw new Error(`tag ${tag} points outside the header`);
      if (!this.#entries.has(tag)) this.#entries.set(tag, entry);
    }
  }

  /** A STRING tag, or the first string of a STRING_ARRAY or I18NSTRING (the C locale's). */
  string(tag: number): string | undefined {
    const entry = this.#entries.get(tag);
    if (entry === undefined) return undefined;
    if (![TYPE_STRING, TYPE_STRING_ARRAY, TYPE_I18NSTRING].includes(entry.type)) {
      throw new Error(`tag ${tag} is of type ${entry.type}, not a string`);
    }
    const start = this.#store + entry.offset;
    const end = this.#blob.indexOf(0, start);
    if (end < 0 || end >= this.#store + this.#storeLength)
      throw new Error(`tag ${tag}'s string is not terminated`);
    return this.#blob.toString("utf8", start, end);
  }

  /** The first value of an INT32 tag. */
  int32(tag: number): number | undefined {
    const entry = this.#entries.get(tag);
    if (entry === undefined) return undefined;
    if (entry.type !== TYPE_INT32 || entry.count < 1) throw new Error(`tag ${tag} is not an INT32`);
    if (entry.offset + 4 > this.#storeLength) throw new Error(`tag ${tag} points outside the header`);
    return this.#blob.readUInt32BE(this.#store + entry.offset);
  }
}

/** `bash-5.1.8-6.el9.src.rpm` -> name "bash", version-release "5.1.8-6.el9". */
function parseSourceRpm(file: string): { name: string; versionRelease: string } | undefined {
  const parts = file.replace(/\.(no)?src\.rpm$/, "").split("-");
  if (parts.length < 3) return undefined;
  return { name: parts.slice(0, -2).join("-"), versionRelease: parts.slice(-2).join("-") };
}

/** The package one header blob describes; rpm's `gpg-pubkey` entries (imported keys) are not packages. */
export function packageFromHeader(blob: Buffer): FoundPackage | undefined {
  const header = new RpmHeader(blob);
  const name = header.string(TAG.name);
  const version = header.string(TAG.version);
  const release = header.string(TAG.release);
  if (!name || !version || !release || name === "gpg-pubkey") return undefined;
  const epoch = header.int32(TAG.epoch);
  const epochPrefix = epoch === undefined ? "" : `${epoch}:`;
  const found: FoundPackage = { type: "rpm", name, version: `${epochPrefix}${version}-${release}` };
  const arch = header.string(TAG.arch);
  if (arch) found.arch = arch;
  const source = parseSourceRpm(header.string(TAG.sourceRpm) ?? "");
  if (source !== undefined) {
    found.sourceName = source.name;
    // As trivy does, the source package shares the binary's epoch (a source rpm's name has none).
    const sourceVersion = `${epochPrefix}${source.versionRelease}`;
    if (sourceVersion !== found.version) found.sourceVersion = sourceVersion;
  }
  const license = header.string(TAG.license);
  if (license) found.licenses = [license];
  return found;
}

/**
 * node:sqlite opens files by path, so the database is copied to a private temporary file. rpm
 * leaves it in WAL mode (file format bytes 18-19 = 2), in which SQLite wants -wal and -shm files
 * beside it even to read; the copy is marked as a rollback-journal database instead (rpm
 * checkpoints the WAL into the file when it closes the database, so nothing is lost).
 */
function readSqlitePackages(file: CatalogFile): FoundPackage[] {
  const dir = mkdtempSync(join(tmpdir(), "wharf-rpmdb-"));
  try {
    const copy = Buffer.from(file.content);
    if (copy.length >= 20 && copy.toString("latin1", 0, 16) === "SQLite format 3\0") copy.fill(1, 18, 20);
    const dbPath = join(dir, SQLITE_DB);
    writeFileSync(dbPath, copy);
    let blobs: unknown[];
    const db = openDatabase(file.path, dbPath);
    try {
      blobs = db
        .prepare("SELECT blob FROM Packages")
        .all()
        .map((row) => row.blob);
    } catch (err) {
      throw invalid(file.path, `not an rpm database: ${(err as Error).message}`, err);
    } finally {
      db.close();
    }
    return headersToPackages(file.path, blobs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function openDatabase(path: string, dbPath: string): DatabaseSync {
  try {
    return new DatabaseSync(dbPath, { readOnly: true });
  } catch (err) {
    throw invalid(path, `not an SQLite database: ${(err as Error).message}`, err);
  }
}

function headersToPackages(path: string, blobs: unknown[]): FoundPackage[] {
  const packages: FoundPackage[] = [];
  for (const [row, blob] of blobs.entries()) {
    if (!(blob instanceof Uint8Array)) throw invalid(path, `Packages row ${row + 1} holds no header blob`);
    try {
      const found = packageFromHeader(Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength));
      if (found !== undefined) packages.push(found);
    } catch (err) {
      throw invalid(path, `Packages row ${row + 1}: ${(err as Error).message}`, err);
    }
  }
  return packages;
}

function dbFileName(path: string): string | undefined {
  const dir = DB_DIRS.find((d) => path.startsWith(d));
  if (dir === undefined) return undefined;
  const name = path.slice(dir.length);
  return name === SQLITE_DB || Object.hasOwn(UNSUPPORTED_DBS, name) ? name : undefined;
}

/** The packages in one rpm database file. */
export function readRpmDatabase(file: CatalogFile): FoundPackage[] {
  const name = dbFileName(file.path);
  if (name !== undefined && name !== SQLITE_DB) {
    throw invalid(
      file.path,
      `${UNSUPPORTED_DBS[name]} rpm databases are not read (only rpmdb.sqlite, rpm 4.16+)`,
    );
  }
  return readSqlitePackages(file);
}

export const rpmCataloger: Cataloger = {
  name: "rpm",
  wants: (path) => dbFileName(path) !== undefined,
  read: readRpmDatabase,
};
