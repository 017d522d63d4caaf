/**
 * What the scanner's catalogers find in an image and the interface they share. A cataloger reads
 * one kind of file (a package database, a package manifest, a binary) and reports the packages in
 * it; the image walker (image-catalog.ts) feeds it the files of every layer in order, applies the
 * layers' whiteouts, and attributes each package to the layer that brought it.
 */

/**
 * The kind of package, as its package URL type names it (github.com/package-url/purl-spec):
 * OS packages (deb, apk, rpm) and language packages.
 */
export type PackageType = "deb" | "apk" | "rpm" | "npm" | "pypi" | "golang" | "maven" | "cargo";

/** One package as a cataloger reads it from one file, before the image walker places it. */
export interface FoundPackage {
  type: PackageType;
  /** As the package's own metadata writes it (dpkg Package:, apk P:, package.json name, ...). */
  name: string;
  /** The full version as its ecosystem writes it: dpkg `epoch:upstream-revision`, apk `1.2.3-r0`,
   *  rpm `epoch:version-release`, a Go module's `v1.2.3`, ... */
  version: string;
  /** The source package it was built from, when the database says (dpkg Source:, apk origin,
   *  the rpm's source rpm name): OS vulnerability records name source packages. */
  sourceName?: string;
  /** The source package's version, when it differs from `version` (dpkg `Source: name (version)`). */
  sourceVersion?: string;
  /** Maven group ID; npm scope is part of `name` ("@scope/pkg"). */
  namespace?: string;
  arch?: string;
  licenses?: string[];
  /** For a Go binary: the Go toolchain version it was built with ("go1.19.8"), reported as the
   *  `stdlib` module too. Other catalogers leave it out. */
  goVersion?: string;
}

/** What a cataloger is handed beside a file's content. */
export interface CatalogFile {
  /** Relative to the image root, no leading slash: "var/lib/dpkg/status". */
  path: string;
  /** File mode bits (executable bits matter to binary catalogers). */
  mode: number;
  content: Buffer;
}

export interface Cataloger {
  /** Short and stable: "dpkg", "apk", "rpm", "npm", "python", "go-binary", "rust-binary", "java-archive". */
  readonly name: string;
  /** Whether this cataloger reads the regular file at `path` (no leading slash) of `size` bytes and
   *  mode `mode`; decided before the content is read, so it must be cheap. */
  wants(path: string, size: number, mode: number): boolean;
  /** The packages in one file. Malformed content: a WharfError SCAN_PACKAGE_DB_INVALID or
   *  SCAN_BINARY_INVALID naming the path (the walker reports it and goes on). Asynchronous only
   *  where a library is (yauzl for jars). */
  read(file: CatalogFile): FoundPackage[] | Promise<FoundPackage[]>;
}
