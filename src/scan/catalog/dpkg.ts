/**
 * The dpkg cataloger: Debian and Ubuntu packages from `var/lib/dpkg/status`, and from distroless
 * images' `var/lib/dpkg/status.d/NAME` (one paragraph a file, no Status field: all installed).
 * dpkg keeps no licenses (they live in copyright files), so none are reported.
 */
import { WharfError } from "../../errors.ts";
import { type Field, FieldSyntaxError, fieldValue, parseFieldParagraphs } from "./field-paragraphs.ts";
import type { Cataloger, CatalogFile, FoundPackage } from "./types.ts";

const STATUS = "var/lib/dpkg/status";
const STATUS_DIR = "var/lib/dpkg/status.d/";
/** Files beside the paragraphs in status.d that are file lists, not packages. */
const STATUS_DIR_SIDE_FILES = /\.(md5sums|conffiles|list)$/;

/** `Source: name` or `Source: name (version)` when the source version differs. */
const SOURCE = /^(\S+)(?:\s+\((\S+)\))?$/;

function isStatusFile(path: string): boolean {
  if (path === STATUS) return true;
  if (!path.startsWith(STATUS_DIR)) return false;
  const name = path.slice(STATUS_DIR.length);
  return name !== "" && !name.includes("/") && !STATUS_DIR_SIDE_FILES.test(name);
}

/**
 * Whether dpkg counts the paragraph as installed: the Status field's third word (want, flag, state)
 * is "installed" (so "hold ok installed" counts, "deinstall ok config-files" does not).
 */
function isInstalled(paragraph: readonly Field[], fromStatusDir: boolean): boolean {
  const status = fieldValue(paragraph, "Status");
  if (status === undefined) return fromStatusDir;
  return status.split(/\s+/)[2] === "installed";
}

function packageOf(paragraph: readonly Field[]): FoundPackage | undefined {
  const name = fieldValue(paragraph, "Package");
  const version = fieldValue(paragraph, "Version");
  if (!name || !version) return undefined;
  const found: FoundPackage = { type: "deb", name, version };
  const arch = fieldValue(paragraph, "Architecture");
  if (arch) found.arch = arch;
  const source = SOURCE.exec(fieldValue(paragraph, "Source") ?? "");
  if (source !== null) {
    found.sourceName = source[1]!;
    if (source[2] !== undefined) found.sourceVersion = source[2];
  }
  return found;
}

/** The installed packages in one dpkg status file (or one status.d paragraph file). */
export function readDpkgStatus(file: CatalogFile): FoundPackage[] {
  let paragraphs: Field[][];
  try {
    paragraphs = parseFieldParagraphs(file.content.toString("utf8"));
  } catch (err) {
    if (!(err instanceof FieldSyntaxError)) throw err;
    throw new WharfError("SCAN_PACKAGE_DB_INVALID", `${file.path}: not a dpkg status file: ${err.message}`, {
      path: file.path,
      line: err.line,
    });
  }
  const fromStatusDir = file.path !== STATUS;
  const packages: FoundPackage[] = [];
  for (const paragraph of paragraphs) {
    if (!isInstalled(paragraph, fromStatusDir)) continue;
    const found = packageOf(paragraph);
    if (found !== undefined) packages.push(found);
  }
  return packages;
}

export const dpkgCataloger: Cataloger = {
  name: "dpkg",
  wants: (path) => isStatusFile(path),
  read: readDpkgStatus,
};
