/**
 * An image as comparable data, for side-by-side build tests: its config, its history and every layer's
 * entries (path, type, permission bits, owner, size, content hash, link target), read from what a peer
 * exports — a docker-archive (`docker save`) or an OCI layout dir (`buildah push oci:DIR`) — through
 * the project's own readers (src/transport). Layers are decompressed by their magic bytes, since
 * peers label media types differently. No timestamps: every peer stamps its own.
 */
import { createHash } from "node:crypto";
import { posix } from "node:path";
import { Readable } from "node:stream";
import { createGunzip, createZstdDecompress } from "node:zlib";
import { extract } from "tar-stream";
import { detectCompression } from "../../src/layer/compression.ts";
import { type Digest, parseDigest } from "../../src/oci/digest.ts";
import { parseDocument } from "../../src/oci/document.ts";
import { DockerArchive } from "../../src/transport/docker-archive-source.ts";
import { openOciLayoutSource } from "../../src/transport/oci-layout-source.ts";
import type { ImageSource } from "../../src/transport/types.ts";

export type LayerEntryType =
  | "file"
  | "dir"
  | "symlink"
  | "hardlink"
  | "whiteout"
  | "opaque"
  | "char"
  | "block"
  | "fifo";

export interface LayerEntry {
  /** Normalised: no leading `./` or `/`, no trailing `/`. A whiteout's path is the path it deletes; an opaque marker's, its directory. */
  path: string;
  type: LayerEntryType;
  /** Permission bits with setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** sha256 hex of a regular file's content. */
  sha256?: string;
  /** A symlink's target as written; a hardlink's target path, normalised. */
  linkname?: string;
}

/** One entry of the config's `history`. */
export interface HistoryEntry {
  created?: string;
  created_by?: string;
  comment?: string;
  author?: string;
  empty_layer?: boolean;
}

export interface ImageContents {
  /** The image config JSON as the peer wrote it. */
  config: Record<string, unknown>;
  history: HistoryEntry[];
  /** Each layer's entries, bottom layer first, each sorted by path. */
  layers: LayerEntry[][];
}

/** The runtime settings a build decides, picked from an image config (its `config` object). */
export interface NormalisedConfig {
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  ExposedPorts?: Record<string, unknown>;
  Volumes?: Record<string, unknown>;
  WorkingDir?: string;
  User?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  Healthcheck?: unknown;
  Shell?: string[];
  OnBuild?: string[];
}

const CONFIG_KEYS = [
  "Env",
  "Cmd",
  "Entrypoint",
  "ExposedPorts",
  "Volumes",
  "WorkingDir",
  "User",
  "Labels",
  "StopSignal",
  "Healthcheck",
  "Shell",
  "OnBuild",
] as const;

const WHITEOUT_PREFIX = ".wh.";
const OPAQUE_MARKER = ".wh..wh..opq";

/** `./a/b/`, `/a/b` and `a//b` are all `a/b`; the root is "." */
function normalisePath(name: string): string {
  const trimmed = name.replace(/^(\.\/|\/)+/, "").replace(/\/+$/, "");
  return trimmed === "" ? "." : posix.normalize(trimmed);
}

function entryType(tarType: string | null | undefined): LayerEntryType {
  switch (tarType) {
    case "file":
    case "contiguous-file":
      return "file";
    case "directory":
      return "dir";
    case "symlink":
      return "symlink";
    case "link":
      return "hardlink";
    case "character-device":
      return "char";
    case "block-device":
      return "block";
    case "fifo":
      return "fifo";
    default:
      throw new Error(`unexpected tar entry type ${tarType}`);
  }
}

async function* chained(first: Uint8Array[], rest: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* first;
  for (let r = await rest.next(); !r.done; r = await rest.next()) yield r.value;
}

/** The stream decompressed by its first bytes' magic (gzip, zstd or a plain tar). */
async function decompressed(stream: AsyncIterable<Uint8Array>): Promise<Readable> {
  const it = stream[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let length = 0;
  while (length < 4) {
    const r = await it.next();
    if (r.done) break;
    head.push(r.value);
    length += r.value.length;
  }
  const input = Readable.from(chained(head, it), { objectMode: false });
  const compression = detectCompression(Buffer.concat(head));
  if (compression === "none") return input;
  const d = compression === "gzip" ? createGunzip() : createZstdDecompress();
  input.once("error", (err) => d.destroy(err));
  return input.pipe(d);
}

/** The entries of one layer tar (compressed or not), sorted by path. */
export async function readLayerEntries(stream: AsyncIterable<Uint8Array>): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [];
  const parser = extract();
  const input = await decompressed(stream);
  input.once("error", (err) => parser.destroy(err));
  input.pipe(parser);
  for await (const item of parser) {
    const h = item.header;
    const path = normalisePath(h.name);
    const base = posix.basename(path);
    const owner = { mode: (h.mode ?? 0) & 0o7777, uid: h.uid ?? 0, gid: h.gid ?? 0 };
    if (base === OPAQUE_MARKER) {
      entries.push({ path: posix.dirname(path), type: "opaque", ...owner, size: 0 });
      item.resume();
      continue;
    }
    if (base.startsWith(WHITEOUT_PREFIX)) {
      const deleted = posix.join(posix.dirname(path), base.slice(WHITEOUT_PREFIX.length));
      entries.push({ path: deleted, type: "whiteout", ...owner, size: 0 });
      item.resume();
      continue;
    }
    const type = entryType(h.type);
    const entry: LayerEntry = { path, type, ...owner, size: type === "file" ? (h.size ?? 0) : 0 };
    if (type === "symlink") entry.linkname = h.linkname ?? "";
    if (type === "hardlink") entry.linkname = normalisePath(h.linkname ?? "");
    if (type === "file") {
      const hash = createHash("sha256");
      for await (const chunk of item) hash.update(chunk as Buffer);
      entry.sha256 = hash.digest("hex");
    } else item.resume();
    entries.push(entry);
  }
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function blobBytes(source: ImageSource, digest: Digest): Promise<Buffer> {
  const { stream } = await source.blob(digest).open(0);
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The platform manifest's config and layers, the first of an index when the source holds one. */
async function readSource(source: ImageSource): Promise<ImageContents> {
  let top = await source.topManifest();
  let doc = parseDocument(top.bytes, top.mediaType);
  if (doc.kind === "index") {
    const first = doc.value.manifests[0];
    if (!first) throw new Error("the image index lists no manifest");
    top = await source.manifest(parseDigest(first.digest));
    doc = parseDocument(top.bytes, top.mediaType);
  }
  if (doc.kind !== "manifest") throw new Error(`not an image manifest: ${top.mediaType}`);
  const manifest = doc.value;
  const config = JSON.parse((await blobBytes(source, parseDigest(manifest.config.digest))).toString("utf8"));
  const layers: LayerEntry[][] = [];
  for (const layer of manifest.layers) {
    const { stream } = await source.blob(parseDigest(layer.digest)).open(0);
    layers.push(await readLayerEntries(stream));
  }
  return { config, history: (config.history ?? []) as HistoryEntry[], layers };
}

/** The image of a docker-archive (`docker save` output): the one it holds, or the one tagged `name`. */
export async function readDockerArchive(file: string, name?: string): Promise<ImageContents> {
  const archive = await DockerArchive.open(file);
  try {
    const images = archive.images();
    const image = name === undefined ? images[0] : images.find((i) => i.repoTags.includes(name));
    if (!image) throw new Error(`no image ${name ?? ""} in ${file}`);
    return await readSource(archive.source(image));
  } finally {
    await archive.close();
  }
}

/** The image of an OCI layout dir: the one named `ref` in index.json, or its only one. */
export async function readOciLayout(dir: string, ref?: string): Promise<ImageContents> {
  const source = openOciLayoutSource(dir, ref);
  try {
    return await readSource(source);
  } finally {
    await source.close();
  }
}

/** An empty value (null, [], {}) and a missing one mean the same to a container: both dropped. */
function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === "object" && Object.keys(value).length === 0;
}

/**
 * The runtime settings of an image config (the whole config JSON, or its `config` object), with
 * null and empty values left out, as peers differ in writing them or not.
 */
export function normaliseConfig(config: Record<string, unknown>): NormalisedConfig {
  const inner = ("config" in config || "rootfs" in config ? config.config : config) as
    | Record<string, unknown>
    | null
    | undefined;
  const out: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const value = inner?.[key];
    if (!isEmpty(value) && value !== "") out[key] = value;
  }
  return out as NormalisedConfig;
}

/** One side of a difference, as a line reads it (the content hash shortened). */
function describe(e: LayerEntry): string {
  const parts = [e.type, `mode ${e.mode.toString(8).padStart(4, "0")}`, `${e.uid}:${e.gid}`];
  if (e.type === "file") parts.push(`size ${e.size}`, `sha256 ${e.sha256?.slice(0, 12)}`);
  if (e.linkname !== undefined) parts.push(`-> ${e.linkname}`);
  return parts.join(", ");
}

function sameEntry(x: LayerEntry, y: LayerEntry): boolean {
  return (
    x.type === y.type &&
    x.mode === y.mode &&
    x.uid === y.uid &&
    x.gid === y.gid &&
    x.size === y.size &&
    x.sha256 === y.sha256 &&
    x.linkname === y.linkname
  );
}

/**
 * The differences between two layers' entries, one readable line each ("- path" only in a, "+ path"
 * only in b, "~ path: a-side | b-side" when both have it differently); empty when they are equal.
 */
export function diffEntries(a: readonly LayerEntry[], b: readonly LayerEntry[]): string[] {
  // A whiteout (or opaque marker) and an entry of the same path are different things, in one layer too.
  const key = (e: LayerEntry) => `${e.path}\0${e.type === "whiteout" || e.type === "opaque" ? e.type : ""}`;
  const left = new Map(a.map((e) => [key(e), e]));
  const right = new Map(b.map((e) => [key(e), e]));
  const out: string[] = [];
  for (const k of [...new Set([...left.keys(), ...right.keys()])].sort()) {
    const x = left.get(k);
    const y = right.get(k);
    if (x && !y) out.push(`- ${x.path} (${describe(x)})`);
    else if (!x && y) out.push(`+ ${y.path} (${describe(y)})`);
    else if (x && y && !sameEntry(x, y)) out.push(`~ ${x.path}: ${describe(x)} | ${describe(y)}`);
  }
  return out;
}

/** diffEntries over whole images' layers, each line prefixed with its layer's index. */
export function diffLayers(a: readonly LayerEntry[][], b: readonly LayerEntry[][]): string[] {
  const out: string[] = [];
  if (a.length !== b.length) out.push(`layer count: ${a.length} | ${b.length}`);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    for (const line of diffEntries(a[i] ?? [], b[i] ?? [])) out.push(`layer ${i}: ${line}`);
  }
  return out;
}
