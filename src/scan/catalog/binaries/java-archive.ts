/**
 * The "java-archive" cataloger: the Maven packages in a jar, war, ear (and par, sar, jpi, hpi) and
 * in the archives nested in it (BOOT-INF/lib/*.jar, WEB-INF/lib/*.jar, an ear's modules, ...), three
 * levels deep, as syft and trivy read them. The archive is read from memory with yauzl; every read
 * is capped (metadata files, each nested archive, all bytes inflated for one file) so a zip bomb
 * costs bounded memory and time and ends as a SCAN_BINARY_INVALID error.
 */
import yauzl from "yauzl";
import { isWharfError } from "../../../errors.ts";
import type { Cataloger, CatalogFile, FoundPackage } from "../types.ts";
import { binaryInvalid } from "./binary-invalid.ts";
import { isJavaArchiveName } from "./java-filename.ts";
import { type ManifestAttributes, parseManifestMain } from "./java-manifest.ts";
import { isPomProperties, manifestPackage, pomPropertiesPackage } from "./java-packages.ts";

/** Nested archives are read to this depth below the file itself; deeper ones are ignored. */
export const MAX_NESTING = 3;
/** The smallest zip file (an empty archive's end-of-central-directory record). */
const MIN_ZIP_BYTES = 22;
const MAX_ARCHIVE_BYTES = 512 * 1024 * 1024;
const MAX_METADATA_BYTES = 4 * 1024 * 1024;
const MAX_NESTED_ARCHIVE_BYTES = 128 * 1024 * 1024;
/** All entries inflated while reading one file, nested archives included. */
const MAX_INFLATED_BYTES = 512 * 1024 * 1024;

/** One file's read: its path in the image (errors name it) and the bytes inflated so far. */
interface ArchiveRead {
  path: string;
  inflated: number;
}

/** The packages of one Java archive file, each (group, name, version) once. */
export async function javaArchivePackages(path: string, content: Buffer): Promise<FoundPackage[]> {
  const found = await archivePackages({ path, inflated: 0 }, content, path, []);
  const seen = new Set<string>();
  return found.filter((p) => {
    const key = `${p.namespace ?? ""}:${p.name}@${p.version}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** One archive's own packages, then its nested archives'. `nesting` names the entries leading to
 *  it from the file, empty for the file itself. */
async function archivePackages(
  read: ArchiveRead,
  content: Buffer,
  archiveName: string,
  nesting: string[],
): Promise<FoundPackage[]> {
  const where = nesting.length === 0 ? "" : `${nesting.join("!/")}: `;
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(content, { lazyEntries: true, validateEntrySizes: true });
  } catch (err) {
    throw binaryInvalid(read.path, `${where}not a zip archive, or a truncated one (${message(err)})`);
  }
  const own: FoundPackage[] = [];
  const nested: FoundPackage[] = [];
  let manifest: ManifestAttributes | undefined;
  let current = "";
  try {
    for await (const entry of zip.eachEntry()) {
      current = entry.fileName;
      const name = entry.fileName;
      if (name.endsWith("/") || entry.isEncrypted() || !entry.canDecodeFileData()) continue;
      if (isPomProperties(name)) {
        // java.util.Properties files are ISO-8859-1.
        const text = (await readEntry(read, zip, entry, MAX_METADATA_BYTES, where)).toString("latin1");
        const found = pomPropertiesPackage(name, text);
        if (found !== undefined) own.push(found);
      } else if (name.toUpperCase() === "META-INF/MANIFEST.MF") {
        const text = (await readEntry(read, zip, entry, MAX_METADATA_BYTES, where)).toString("utf8");
        manifest = parseManifestMain(text);
      } else if (nesting.length < MAX_NESTING && isJavaArchiveName(name)) {
        const inner = await readEntry(read, zip, entry, MAX_NESTED_ARCHIVE_BYTES, where);
        nested.push(...(await archivePackages(read, inner, name, [...nesting, name])));
      }
    }
  } catch (err) {
    if (isWharfError(err)) throw err;
    const at = current === "" ? "" : ` at ${current}`;
    throw binaryInvalid(read.path, `${where}damaged zip archive${at} (${message(err)})`);
  } finally {
    zip.close();
  }
  if (own.length === 0) {
    const fallback = manifestPackage(manifest, archiveName);
    if (fallback !== undefined) own.push(fallback);
  }
  return [...own, ...nested];
}

async function readEntry(
  read: ArchiveRead,
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  maxBytes: number,
  where: string,
): Promise<Buffer> {
  // yauzl checks that an entry inflates to exactly its declared size, so the checks below hold.
  if (entry.uncompressedSize > maxBytes) {
    throw binaryInvalid(read.path, `${where}${entry.fileName} is larger than ${maxBytes} bytes`);
  }
  read.inflated += entry.uncompressedSize;
  if (read.inflated > MAX_INFLATED_BYTES) {
    throw binaryInvalid(read.path, `${where}inflates to more than ${MAX_INFLATED_BYTES} bytes`);
  }
  const stream = await zip.openReadStreamPromise(entry);
  return Buffer.concat(await stream.toArray());
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export const javaArchiveCataloger: Cataloger = {
  name: "java-archive",
  wants: (path, size) => isJavaArchiveName(path) && size >= MIN_ZIP_BYTES && size <= MAX_ARCHIVE_BYTES,
  read: (file: CatalogFile) => javaArchivePackages(file.path, file.content),
};
