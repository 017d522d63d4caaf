/**
 * The image walker: what is installed in an image, layer by layer. catalogLayer reads one layer
 * blob and records what its catalogers found there (plain JSON, cacheable by layer digest);
 * mergeLayers stacks those findings as overlayfs stacks the layers (a rewritten file replaces the
 * earlier one's packages, whiteouts and opaque directories drop what is below) and names each
 * package (OSV ecosystem, package URL) for the distribution the final os-release says it is.
 */
import type { Readable } from "node:stream";
import { isWharfError, WharfError } from "../../errors.ts";
import { layerCompression } from "../../oci/mediatype.ts";
import { readLayerChanges } from "./layer-files.ts";
import { OS_RELEASE_PATHS, osInfo, parseOsRelease } from "./os-release.ts";
import { ecosystemOf, packageUrlOf } from "./package-identity.ts";
import type { Cataloger, FoundPackage } from "./types.ts";

export interface LayerInput {
  digest: string;
  mediaType: string;
  open(): Promise<Readable>;
  /** Carried into LayerInfo by catalogImage, when the caller knows them (from the image config). */
  diffId?: string;
  createdBy?: string;
}

export interface LayerInfo {
  /** 0 for the base layer. */
  index: number;
  digest: string;
  diffId?: string;
  createdBy?: string;
}

/** What one cataloger found in one file of a layer (no packages: the file replaces earlier ones). */
export interface FileFindings {
  path: string;
  cataloger: string;
  packages: FoundPackage[];
}

/** One layer's findings: JSON-serialisable, so the CLI can cache them by layer digest. */
export interface LayerFindings {
  /** LAYER_FINDINGS_VERSION when recorded: a cache of another version is stale. */
  version: number;
  digest: string;
  /** The catalogers that read the layer: a cache made with fewer is stale. */
  catalogers: string[];
  files: FileFindings[];
  /** Paths deleted by whiteouts (with all below them). */
  deleted: string[];
  /** Directories whose lower-layer content this layer hides. */
  opaqueDirs: string[];
  /** Wanted paths this layer replaces with something unread (a symlink, an oversized file). */
  hidden: string[];
  /** The layer's etc/os-release and usr/lib/os-release, parsed. */
  osReleases: { path: string; fields: Record<string, string> }[];
  warnings: string[];
}

export const LAYER_FINDINGS_VERSION = 1;

export interface ImagePackage extends FoundPackage {
  /** OSV ecosystem: "Debian:12", "Alpine:v3.18", "Red Hat", "npm", "PyPI", "Go", ... */
  ecosystem: string;
  purl: string;
  /** The file it was found in, relative to the image root. */
  path: string;
  /** The layer that brought it. */
  layer: LayerInfo;
  cataloger: string;
}

export interface ImageInventory {
  os?: { id: string; versionId?: string; prettyName?: string };
  packages: ImagePackage[];
  warnings: string[];
}

export interface CatalogOptions {
  /** Larger wanted files are skipped with a warning (512 MiB unless given). */
  maxFileSize?: number;
}

const isOsRelease = (path: string): boolean => OS_RELEASE_PATHS.includes(path);

function errorText(path: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.includes(path) ? message : `${path}: ${message}`;
}

/** Reads one layer blob with the given catalogers. Only an unreadable blob rejects (LAYER_INVALID). */
export async function catalogLayer(
  layer: LayerInput,
  catalogers: readonly Cataloger[],
  options: CatalogOptions = {},
): Promise<LayerFindings> {
  const findings: LayerFindings = {
    version: LAYER_FINDINGS_VERSION,
    digest: layer.digest,
    catalogers: catalogers.map((c) => c.name),
    files: [],
    deleted: [],
    opaqueDirs: [],
    hidden: [],
    osReleases: [],
    warnings: [],
  };
  try {
    layerCompression(layer.mediaType);
  } catch (err) {
    if (!isWharfError(err, "MEDIATYPE_UNKNOWN")) throw err;
    findings.warnings.push(
      `layer ${layer.digest}: media type ${layer.mediaType} is not a file system layer: not read`,
    );
    return findings;
  }
  const changes = readLayerChanges(await layer.open(), {
    label: layer.digest,
    maxFileSize: options.maxFileSize,
    wants: (path, size, mode) => isOsRelease(path) || catalogers.some((c) => c.wants(path, size, mode)),
    // Size 0 and a plain file mode: whether the path alone could matter to a cataloger.
    tracks: (path) => isOsRelease(path) || catalogers.some((c) => c.wants(path, 0, 0o644)),
    warn: (message) => findings.warnings.push(message),
  });
  for await (const change of changes) {
    if (change.kind === "whiteout") findings.deleted.push(change.path);
    else if (change.kind === "opaque") findings.opaqueDirs.push(change.dir);
    else if (change.kind === "hidden") findings.hidden.push(change.path);
    else {
      const { path, mode, content } = change;
      if (isOsRelease(path))
        findings.osReleases.push({ path, fields: parseOsRelease(content.toString("utf8")) });
      for (const cataloger of catalogers) {
        if (!cataloger.wants(path, content.length, mode)) continue;
        let packages: FoundPackage[] = [];
        try {
          packages = await cataloger.read({ path, mode, content });
        } catch (err) {
          findings.warnings.push(`layer ${layer.digest}: ${errorText(path, err)}`);
        }
        findings.files.push({ path, cataloger: cataloger.name, packages });
      }
    }
  }
  return findings;
}

interface PlacedFile {
  cataloger: string;
  packages: { found: FoundPackage; layer: LayerInfo }[];
}

const packageKey = (p: FoundPackage): string => [p.type, p.name, p.version, p.arch ?? ""].join("\0");

/** Drops everything below `path`, and `path` itself unless `keepSelf` (an opaque directory stays). */
function dropUnder<T>(state: Map<string, T>, path: string, keepSelf: boolean): void {
  const prefix = path === "" ? "" : `${path}/`;
  for (const key of state.keys()) {
    if ((!keepSelf && key === path) || key.startsWith(prefix)) state.delete(key);
  }
}

/**
 * Stacks per-layer findings (`findings[i]` read from `layers[i]`, base first) into the image's
 * inventory. A package database rewritten by a layer (dpkg status, apk installed, rpmdb) keeps
 * each package's earlier layer when the same name, version and arch were there before.
 */
export function mergeLayers(
  findings: readonly LayerFindings[],
  layers: readonly LayerInfo[],
): ImageInventory {
  if (findings.length !== layers.length || findings.some((f, i) => f.digest !== layers[i]!.digest)) {
    throw new WharfError("USAGE", "layer findings do not match the image's layers", {
      findings: findings.map((f) => f.digest),
      layers: layers.map((l) => l.digest),
    });
  }
  const files = new Map<string, PlacedFile[]>();
  const osReleases = new Map<string, Record<string, string>>();
  const warnings: string[] = [];
  findings.forEach((layerFindings, i) => {
    const layer = layers[i]!;
    for (const state of [files, osReleases] as Map<string, unknown>[]) {
      for (const path of layerFindings.deleted) dropUnder(state, path, false);
      for (const dir of layerFindings.opaqueDirs) dropUnder(state, dir, true);
      for (const path of layerFindings.hidden) state.delete(path);
    }
    const rewritten = new Map<string, PlacedFile[]>();
    for (const file of layerFindings.files) {
      const earlier = new Map<string, LayerInfo>();
      for (const placed of files.get(file.path) ?? []) {
        for (const p of placed.packages) earlier.set(packageKey(p.found), p.layer);
      }
      const packages = file.packages.map((found) => ({
        found,
        layer: earlier.get(packageKey(found)) ?? layer,
      }));
      // A tar may hold a path twice: the later entry is the file.
      const others = (rewritten.get(file.path) ?? []).filter((p) => p.cataloger !== file.cataloger);
      rewritten.set(file.path, [...others, { cataloger: file.cataloger, packages }]);
    }
    for (const [path, placed] of rewritten) files.set(path, placed);
    for (const { path, fields } of layerFindings.osReleases) osReleases.set(path, fields);
    warnings.push(...layerFindings.warnings);
  });
  const fields = OS_RELEASE_PATHS.map((p) => osReleases.get(p)).find((f) => f !== undefined);
  const os = fields === undefined ? undefined : osInfo(fields);
  const packages: ImagePackage[] = [];
  for (const [path, placedFiles] of files) {
    for (const { cataloger, packages: placed } of placedFiles) {
      for (const { found, layer } of placed) {
        let purl = "";
        try {
          purl = packageUrlOf(found, os);
        } catch (err) {
          warnings.push(
            `${path}: no package URL for ${found.name}@${found.version}: ${(err as Error).message}`,
          );
        }
        packages.push({ ...found, ecosystem: ecosystemOf(found, os), purl, path, layer, cataloger });
      }
    }
  }
  packages.sort(comparePackages);
  const inventory: ImageInventory = { packages, warnings };
  if (os !== undefined) {
    inventory.os = { id: os.id };
    if (os.versionId !== undefined) inventory.os.versionId = os.versionId;
    if (os.prettyName !== undefined) inventory.os.prettyName = os.prettyName;
  }
  return inventory;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function comparePackages(a: ImagePackage, b: ImagePackage): number {
  return (
    compareStrings(a.type, b.type) ||
    compareStrings(a.name, b.name) ||
    compareStrings(a.version, b.version) ||
    compareStrings(a.path, b.path) ||
    compareStrings(a.cataloger, b.cataloger) ||
    compareStrings(a.arch ?? "", b.arch ?? "")
  );
}

/** Every layer read in order (base first) and merged: the image's inventory. */
export async function catalogImage(
  layers: readonly LayerInput[],
  catalogers: readonly Cataloger[],
  options: CatalogOptions = {},
): Promise<ImageInventory> {
  const findings: LayerFindings[] = [];
  for (const layer of layers) findings.push(await catalogLayer(layer, catalogers, options));
  const infos = layers.map((layer, index) => {
    const info: LayerInfo = { index, digest: layer.digest };
    if (layer.diffId !== undefined) info.diffId = layer.diffId;
    if (layer.createdBy !== undefined) info.createdBy = layer.createdBy;
    return info;
  });
  return mergeLayers(findings, infos);
}
