/**
 * The Python cataloger: installed distributions from their core metadata (packaging.python.org's
 * "Core metadata specifications"): wheels' `NAME-VER.dist-info/METADATA`, eggs'
 * `NAME.egg-info/PKG-INFO`, and the single-file `NAME.egg-info` distutils writes. The metadata is
 * email headers; the name is kept as written (the vulnerability database normalises PyPI names).
 */
import { WharfError } from "../../errors.ts";
import {
  type Field,
  FieldSyntaxError,
  fieldValue,
  fieldValues,
  parseFieldParagraphs,
} from "./field-paragraphs.ts";
import type { Cataloger, CatalogFile, FoundPackage } from "./types.ts";

const METADATA_SUFFIXES = [".dist-info/METADATA", ".egg-info/PKG-INFO", ".egg-info"];
const LICENSE_CLASSIFIER = "License :: ";
/** A License field longer than this, or on several lines, is the license's text, not its name. */
const MAX_LICENSE_NAME = 100;

function isMetadataFile(path: string): boolean {
  return METADATA_SUFFIXES.some((suffix) => path.endsWith(suffix) && path.length > suffix.length);
}

/**
 * License-Expression (metadata 2.4) first, then a short License field, then the trove classifiers'
 * last part ("License :: OSI Approved :: MIT License" -> "MIT License").
 */
function licensesOf(headers: readonly Field[]): string[] {
  const expression = fieldValue(headers, "License-Expression");
  if (expression) return [expression];
  const license = fieldValue(headers, "License");
  if (license && license !== "UNKNOWN" && !license.includes("\n") && license.length <= MAX_LICENSE_NAME) {
    return [license];
  }
  return fieldValues(headers, "Classifier")
    .filter((c) => c.startsWith(LICENSE_CLASSIFIER))
    .map((c) => c.split("::").at(-1)!.trim())
    .filter((name) => name !== "" && name !== "OSI Approved");
}

function invalid(path: string, why: string, detail: Record<string, unknown> = {}): WharfError {
  return new WharfError("SCAN_PACKAGE_DB_INVALID", `${path}: not Python package metadata: ${why}`, {
    path,
    ...detail,
  });
}

/** The distribution one metadata file describes. */
export function readPythonMetadata(file: CatalogFile): FoundPackage[] {
  let headers: Field[];
  try {
    headers = parseFieldParagraphs(file.content.toString("utf8"), true)[0] ?? [];
  } catch (err) {
    if (!(err instanceof FieldSyntaxError)) throw err;
    throw invalid(file.path, err.message, { line: err.line });
  }
  const name = fieldValue(headers, "Name");
  const version = fieldValue(headers, "Version");
  if (!name || !version) throw invalid(file.path, "no Name or no Version field");
  const found: FoundPackage = { type: "pypi", name, version };
  const licenses = licensesOf(headers);
  if (licenses.length > 0) found.licenses = licenses;
  return [found];
}

export const pythonCataloger: Cataloger = {
  name: "python",
  wants: (path) => isMetadataFile(path),
  read: readPythonMetadata,
};
