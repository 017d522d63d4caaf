/**
 * The .json entries of a zip archive (osv.dev's per-ecosystem all.zip), one at a time: yauzl reads
 * the central directory and then each entry's data on demand, so an archive of a whole ecosystem is
 * never in memory at once, only the entry being read.
 */
import yauzl from "yauzl";
import { WharfError } from "../../errors.ts";

/** An entry's content, or why it was not read (too large). */
export type ZipJsonEntry = { name: string; content: Buffer } | { name: string; problem: string };

export async function* zipJsonEntries(path: string, maxEntryBytes: number): AsyncGenerator<ZipJsonEntry> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: true, validateEntrySizes: true });
  } catch (err) {
    throw zipError(path, `not a zip archive, or a truncated one (${firstSentence(err)})`, err);
  }
  let current = "";
  try {
    for await (const entry of zip.eachEntry()) {
      current = entry.fileName;
      if (!isRecordEntry(entry.fileName)) continue;
      if (entry.uncompressedSize > maxEntryBytes) {
        yield { name: entry.fileName, problem: `larger than ${maxEntryBytes} bytes, not read` };
        continue;
      }
      const stream = await zip.openReadStreamPromise(entry);
      yield { name: entry.fileName, content: Buffer.concat(await stream.toArray()) };
    }
  } catch (err) {
    if (err instanceof WharfError) throw err;
    const at = current === "" ? "" : ` at ${current}`;
    throw zipError(path, `damaged zip archive${at} (${firstSentence(err)})`, err);
  } finally {
    zip.close();
  }
}

/** OSV records are the archive's .json files; folders and macOS resource forks are not. */
function isRecordEntry(name: string): boolean {
  if (name.endsWith("/") || name.startsWith("__MACOSX/")) return false;
  const base = name.slice(name.lastIndexOf("/") + 1);
  return base.toLowerCase().endsWith(".json") && !base.startsWith("._");
}

/** yauzl's messages run on ("... not found. Either not a zip file, or file is truncated."). */
function firstSentence(err: unknown): string {
  const text = (err as Error).message.split(/\.(\s|$)/)[0] ?? "";
  return /^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}

function zipError(path: string, what: string, cause: unknown): WharfError {
  return new WharfError("SCAN_IMPORT_INVALID", `${path}: ${what}`, { path }, { cause });
}
