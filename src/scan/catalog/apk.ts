/**
 * The apk cataloger: Alpine (and Wolfi, Chainguard) packages from `lib/apk/db/installed`, apk's
 * installed database (wiki.alpinelinux.org/wiki/Apk_spec): one paragraph a package, blank lines
 * between, every line `X:value` with a one-letter key (P name, V version, A arch, o origin,
 * L license; F/R/Z list the package's files, which the scanner does not need).
 */
import { WharfError } from "../../errors.ts";
import type { Cataloger, CatalogFile, FoundPackage } from "./types.ts";

const INSTALLED = "lib/apk/db/installed";
const LINE = /^([A-Za-z]):(.*)$/;
/** An SPDX expression's operators: such a license is one expression, not a list of names. */
const SPDX_OPERATOR = /\s(AND|OR|WITH)\s|[()]/;

/**
 * apk's L: is an SPDX expression ("MIT AND BSD-2-Clause") or, in older packages, space-separated
 * names ("MIT BSD GPL2+"): an expression stays whole, a list is split (as syft reads it).
 */
function licensesOf(value: string): string[] {
  const trimmed = value.trim();
  if (trimmed === "") return [];
  return SPDX_OPERATOR.test(trimmed) ? [trimmed] : trimmed.split(/\s+/);
}

function packageOf(fields: ReadonlyMap<string, string>): FoundPackage | undefined {
  const name = fields.get("P");
  const version = fields.get("V");
  if (!name || !version) return undefined;
  const found: FoundPackage = { type: "apk", name, version };
  const arch = fields.get("A");
  if (arch) found.arch = arch;
  const origin = fields.get("o");
  if (origin) found.sourceName = origin;
  const licenses = licensesOf(fields.get("L") ?? "");
  if (licenses.length > 0) found.licenses = licenses;
  return found;
}

function invalid(path: string, line: number, why: string): WharfError {
  return new WharfError(
    "SCAN_PACKAGE_DB_INVALID",
    `${path}: not an apk installed database: line ${line} ${why}`,
    {
      path,
      line,
    },
  );
}

/** The packages in one apk installed database. */
export function readApkInstalled(file: CatalogFile): FoundPackage[] {
  const text = file.content.toString("utf8");
  if (text.includes("\0")) throw invalid(file.path, 1, "holds NUL bytes");
  const packages: FoundPackage[] = [];
  // Only the first value of a key counts: the per-file keys (F, R, Z, a, M) repeat, P/V/A/o/L do not.
  let fields = new Map<string, string>();
  const flush = (): void => {
    const found = packageOf(fields);
    if (found !== undefined) packages.push(found);
    fields = new Map();
  };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") {
      flush();
      continue;
    }
    const match = LINE.exec(line);
    if (match === null) throw invalid(file.path, i + 1, "is not a `X:value` line");
    if (!fields.has(match[1]!)) fields.set(match[1]!, match[2]!);
  }
  flush();
  return packages;
}

export const apkCataloger: Cataloger = {
  name: "apk",
  wants: (path) => path === INSTALLED,
  read: readApkInstalled,
};
