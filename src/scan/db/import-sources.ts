/**
 * What `wharf scan db import PATH` reads records from: one OSV .json file; a .zip of them
 * (osv.dev's per-ecosystem all.zip); or a folder, walked recursively for both — which is also
 * osv-scanner's offline layout (`<Ecosystem>/all.zip` under its cache folder). Each record comes
 * out as the raw bytes of one file or zip entry, named for error messages; parsing is the
 * importer's job, so one bad file is reported and the rest still go in.
 */
import { open, readdir, readFile, realpath, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { WharfError } from "../../errors.ts";
import { zipJsonEntries } from "./zip-entries.ts";

/** A record file is small; anything past this is not one (and is not read into memory). */
export const MAX_RECORD_BYTES = 32 * 1024 * 1024;

/** One file or zip entry: its bytes, or why it could not be read. `where` is the file's path,
 *  or `ZIP (ENTRY)` inside an archive. */
export type SourceEntry = { where: string; content: Buffer } | { where: string; problem: string };

export interface ImportSource {
  /** "file": a single record, whose problems are the import's error; else problems are reported. */
  kind: "file" | "zip" | "folder";
  entries: AsyncIterable<SourceEntry>;
}

export async function openSource(path: string): Promise<ImportSource> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw invalid(path, err.code === "ENOENT" ? "no such file or directory" : err.message, err);
  });
  if (info.isDirectory()) {
    const files = await recordFiles(path);
    if (files.length === 0) throw invalid(path, "no OSV .json records or .zip archives in this folder");
    return { kind: "folder", entries: folderEntries(files) };
  }
  if (!info.isFile()) throw invalid(path, "not a file or a folder");
  const kind = await fileKind(path);
  if (kind === "zip") return { kind, entries: zipEntries(path) };
  return { kind: "file", entries: fileEntry(path) };
}

async function* folderEntries(files: readonly string[]): AsyncGenerator<SourceEntry> {
  for (const file of files) {
    if ((await fileKind(file)) === "zip") yield* zipEntries(file);
    else yield await readRecordFile(file);
  }
}

async function* fileEntry(path: string): AsyncGenerator<SourceEntry> {
  yield await readRecordFile(path);
}

async function* zipEntries(path: string): AsyncGenerator<SourceEntry> {
  for await (const entry of zipJsonEntries(path, MAX_RECORD_BYTES)) {
    const where = `${path} (${entry.name})`;
    yield "content" in entry ? { where, content: entry.content } : { where, problem: entry.problem };
  }
}

async function readRecordFile(path: string): Promise<SourceEntry> {
  try {
    const { size } = await stat(path);
    if (size > MAX_RECORD_BYTES)
      return { where: path, problem: `larger than ${MAX_RECORD_BYTES} bytes, not read` };
    return { where: path, content: await readFile(path) };
  } catch (err) {
    return { where: path, problem: (err as Error).message };
  }
}

/** A zip by its name or its first bytes (a zip's local header or, for an empty one, its end record). */
async function fileKind(path: string): Promise<"zip" | "json"> {
  const ext = extname(path).toLowerCase();
  if (ext === ".zip") return "zip";
  if (ext === ".json") return "json";
  const head = Buffer.alloc(4);
  const handle = await open(path, "r").catch((err: Error) => {
    throw invalid(path, err.message, err);
  });
  try {
    await handle.read(head, 0, 4, 0);
  } finally {
    await handle.close();
  }
  const magic = head.toString("latin1");
  return magic === "PK\x03\x04" || magic === "PK\x05\x06" ? "zip" : "json";
}

/** The .json and .zip files under `dir`, sorted for a repeatable order; a folder reached twice
 *  through symbolic links is walked once. */
async function recordFiles(dir: string, seen = new Set<string>()): Promise<string[]> {
  const real = await realpath(dir);
  if (seen.has(real)) return [];
  seen.add(real);
  const names = (await readdir(dir)).sort();
  const found: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined); // a dangling link is no record
    if (info?.isDirectory()) found.push(...(await recordFiles(path, seen)));
    else if (info?.isFile() && [".json", ".zip"].includes(extname(name).toLowerCase())) found.push(path);
  }
  return found;
}

function invalid(path: string, what: string, cause?: unknown): WharfError {
  return new WharfError("SCAN_IMPORT_INVALID", `${path}: ${what}`, { path }, { cause });
}
