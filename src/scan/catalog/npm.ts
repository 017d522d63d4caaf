/**
 * The npm cataloger: installed Node.js packages, from every `package.json` below a `node_modules`
 * directory (a project's dependencies, and global installs in usr/lib/node_modules and
 * usr/local/lib/node_modules). As trivy and syft count them, a package.json is a package only when
 * it has both a name and a version: that leaves out the files packages ship inside themselves
 * (test fixtures, `esm/package.json` module-type markers), which carry no version.
 */
import { WharfError } from "../../errors.ts";
import type { Cataloger, CatalogFile, FoundPackage } from "./types.ts";

const MANIFEST = "package.json";

function isInstalledManifest(path: string): boolean {
  const parts = path.split("/");
  return parts.at(-1) === MANIFEST && parts.slice(0, -1).includes("node_modules");
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/** `license: "MIT"`, the old `license: {type}` and `licenses: [{type} | "MIT"]` forms. */
function licensesOf(manifest: Record<string, unknown>): string[] {
  const named = (entry: unknown): string | undefined =>
    nonEmptyString(entry) ??
    (entry !== null && typeof entry === "object"
      ? nonEmptyString((entry as { type?: unknown }).type)
      : undefined);
  const single = named(manifest.license);
  if (single !== undefined) return [single];
  const list = manifest.licenses;
  if (!Array.isArray(list)) return [];
  return list.map(named).filter((l): l is string => l !== undefined);
}

/** The package one package.json describes, or none when it lacks a name or a version. */
export function readPackageJson(file: CatalogFile): FoundPackage[] {
  let manifest: unknown;
  try {
    // Some packages are published with a byte-order mark, which JSON.parse refuses.
    manifest = JSON.parse(file.content.toString("utf8").replace(/^\uFEFF/, ""));
  } catch (err) {
    throw new WharfError(
      "SCAN_PACKAGE_DB_INVALID",
      `${file.path}: not JSON: ${(err as Error).message}`,
      { path: file.path },
      { cause: err },
    );
  }
  if (manifest === null || typeof manifest !== "object" || Array.isArray(manifest)) {
    throw new WharfError("SCAN_PACKAGE_DB_INVALID", `${file.path}: not a JSON object`, { path: file.path });
  }
  const fields = manifest as Record<string, unknown>;
  const name = nonEmptyString(fields.name);
  const version = nonEmptyString(fields.version);
  if (name === undefined || version === undefined) return [];
  const found: FoundPackage = { type: "npm", name, version };
  const licenses = licensesOf(fields);
  if (licenses.length > 0) found.licenses = licenses;
  return [found];
}

export const npmCataloger: Cataloger = {
  name: "npm",
  wants: (path) => isInstalledManifest(path),
  read: readPackageJson,
};
