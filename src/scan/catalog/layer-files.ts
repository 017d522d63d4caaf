/**
 * Reads one layer blob, streaming, for the scanner: the regular files some cataloger wants (their
 * content in memory, nothing written to disk), the whiteouts and opaque directories that hide what
 * lower layers had, and the entries that replace a wanted path with something unreadable. Entry
 * names are cleaned as src/layer cleans them; names that climb out of the root are skipped with a
 * warning (nothing is unpacked, so they endanger nothing, but they name no file of the image).
 */
import { pipeline, Readable } from "node:stream";
import { extract, type Header } from "tar-stream";
import { isWharfError, WharfError } from "../../errors.ts";
import { decompressor, detectCompression } from "../../layer/compression.ts";
import { discard, feed } from "../../layer/tar-feed.ts";
import { childOf, cleanEntryName, whiteoutKind } from "../../layer/unpack-header.ts";

export type LayerChange =
  /** A wanted regular file (or a hard link to one), with its content. */
  | { kind: "file"; path: string; mode: number; content: Buffer }
  /** `DIR/.wh.NAME`: DIR/NAME of lower layers is deleted. */
  | { kind: "whiteout"; path: string }
  /** `DIR/.wh..wh..opq`: all DIR held in lower layers is hidden. */
  | { kind: "opaque"; dir: string }
  /** A tracked path replaced by what no cataloger reads (a symlink, an oversized file). */
  | { kind: "hidden"; path: string };

export interface LayerReadOptions {
  /** Names the layer in warnings and errors (its digest). */
  label: string;
  /** Whether the regular file at `path` of `size` bytes and mode `mode` is to be read. */
  wants(path: string, size: number, mode: number): boolean;
  /** Whether a non-regular entry at `path` matters (it hides an earlier wanted file there). */
  tracks(path: string): boolean;
  warn(message: string): void;
  /** Larger wanted files are skipped with a warning; 512 MiB unless given. */
  maxFileSize?: number;
}

export const DEFAULT_MAX_FILE_SIZE = 512 * 1024 * 1024;
/** Wanted files' content kept for hard links to them later in the tar, in total at most. */
const LINK_TARGETS_MAX_BYTES = 64 * 1024 * 1024;

type Entry = AsyncIterable<unknown> & { header: Header };

/** The changes of one layer, in tar order. A blob that is not a readable tar is a LAYER_INVALID. */
export async function* readLayerChanges(
  blob: Readable,
  options: LayerReadOptions,
): AsyncGenerator<LayerChange> {
  const failure: { input?: unknown; tar?: unknown } = {};
  const { input, compression } = await decompressed(blob, (err) => {
    failure.input ??= err;
  });
  const parser = extract();
  parser.on("error", (err) => {
    failure.tar ??= err;
  });
  void feed(input, parser);
  const reader = new EntryReader(options);
  try {
    for await (const entry of parser as AsyncIterable<Entry>) {
      const change = await reader.read(entry);
      await discard(entry);
      if (change !== undefined) yield change;
    }
    if (failure.input !== undefined) throw failure.input;
  } catch (err) {
    // The input's own failure (a read error, a registry error) is the caller's to report as it is.
    if (failure.input !== undefined && !isCompressionError(failure.input)) throw failure.input;
    throw layerError(options.label, failure.input ?? failure.tar ?? err, compression);
  } finally {
    parser.destroy();
    input.destroy();
    blob.destroy();
  }
}

/** The tar inside the blob: gzip and zstd detected by their magic bytes, as moby does. */
async function decompressed(
  blob: Readable,
  onError: (err: unknown) => void,
): Promise<{ input: Readable; compression: string }> {
  const chunks = blob[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  while (headLength < 4) {
    const next = await chunks.next();
    if (next.done) break;
    head.push(next.value as Buffer);
    headLength += (next.value as Buffer).length;
  }
  const first = Buffer.concat(head);
  async function* all(): AsyncGenerator<Buffer> {
    if (first.length > 0) yield first;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value as Buffer;
  }
  const compression = detectCompression(first);
  const source = Readable.from(all(), { objectMode: false });
  if (compression === "none") {
    source.once("error", onError);
    return { input: source, compression };
  }
  const inflate = decompressor(compression)!;
  const input = pipeline(source, inflate, (err) => {
    if (err) onError(err);
  });
  return { input, compression };
}

/** The entry's data, copied into one buffer of its size as it comes (no second copy at the end). */
async function readAll(entry: AsyncIterable<unknown>, size: number): Promise<Buffer> {
  const content = Buffer.allocUnsafe(size);
  let at = 0;
  for await (const chunk of entry) {
    const part = chunk as Buffer;
    if (at + part.length > size) throw new Error(`tar entry longer than its header's ${size} bytes`);
    part.copy(content, at);
    at += part.length;
  }
  // A short entry is the tar's truncation, which the parser reports.
  return at === size ? content : content.subarray(0, at);
}

/** Turns each tar entry into a change (or none), remembering what hard links may point at. */
class EntryReader {
  readonly #options: LayerReadOptions;
  readonly #maxFileSize: number;
  /** Regular files seen so far: a hard link's wants() is asked with its target's size and mode. */
  readonly #files = new Map<string, { size: number; mode: number; content?: Buffer }>();
  #keptBytes = 0;

  constructor(options: LayerReadOptions) {
    this.#options = options;
    this.#maxFileSize = options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  }

  async read(entry: Entry): Promise<LayerChange | undefined> {
    const header = entry.header;
    const path = this.#clean(header.name);
    if (path === undefined || path === "") return undefined;
    const whiteout = this.#whiteout(path);
    if (whiteout !== null) return whiteout;
    switch (header.type) {
      case "file":
      case "contiguous-file":
        return await this.#file(path, header, entry);
      case "link":
        return this.#link(path, header);
      case "directory":
        return undefined;
      default:
        // Symlinks, devices, fifos: not files to read, but they replace whatever was there.
        this.#files.delete(path);
        return this.#options.tracks(path) ? { kind: "hidden", path } : undefined;
    }
  }

  #warn(message: string): void {
    this.#options.warn(`layer ${this.#options.label}: ${message}`);
  }

  #clean(name: string): string | undefined {
    try {
      return cleanEntryName(name);
    } catch (err) {
      if (!isWharfError(err, "LAYER_UNSAFE")) throw err;
      this.#warn(`entry ${JSON.stringify(name)} climbs out of the root: skipped`);
      return undefined;
    }
  }

  /** The whiteout change, undefined for a skipped (aufs or invalid) marker, null for no whiteout. */
  #whiteout(path: string): LayerChange | undefined | null {
    let kind: ReturnType<typeof whiteoutKind>;
    try {
      kind = whiteoutKind(path);
    } catch (err) {
      if (!isWharfError(err, "LAYER_UNSAFE")) throw err;
      this.#warn(`${JSON.stringify(path)} is an invalid whiteout: skipped`);
      return undefined;
    }
    if (kind.kind === "whiteout") return { kind: "whiteout", path: childOf(kind.dir, kind.target) };
    if (kind.kind === "opaque") return { kind: "opaque", dir: kind.dir };
    return kind.kind === "aufs-meta" ? undefined : null;
  }

  async #file(path: string, header: Header, entry: Entry): Promise<LayerChange | undefined> {
    const mode = header.mode & 0o7777;
    const size = header.size;
    this.#files.set(path, { size, mode });
    if (!this.#options.wants(path, size, mode)) {
      return this.#options.tracks(path) ? { kind: "hidden", path } : undefined;
    }
    if (isSparse(header)) return this.#skip(path, "is a sparse file (GNU.sparse), not read");
    if (size > this.#maxFileSize) {
      return this.#skip(path, `is ${size} bytes, over the ${this.#maxFileSize}-byte limit: not read`);
    }
    const content = await readAll(entry, size);
    if (this.#keptBytes + size <= LINK_TARGETS_MAX_BYTES) {
      this.#files.set(path, { size, mode, content });
      this.#keptBytes += size;
    }
    return { kind: "file", path, mode, content };
  }

  #link(path: string, header: Header): LayerChange | undefined {
    const targetPath = this.#clean(header.linkname ?? "");
    const target = targetPath === undefined ? undefined : this.#files.get(targetPath);
    if (target === undefined) {
      this.#files.delete(path);
      if (targetPath === undefined || !this.#options.tracks(path)) return undefined;
      return this.#skip(
        path,
        `is a hard link to ${JSON.stringify(targetPath)}, no file earlier in this layer: not read`,
      );
    }
    this.#files.set(path, target);
    if (!this.#options.wants(path, target.size, target.mode)) {
      return this.#options.tracks(path) ? { kind: "hidden", path } : undefined;
    }
    if (target.content === undefined) {
      return this.#skip(
        path,
        `is a hard link to ${JSON.stringify(targetPath)}, whose content was not kept: not read`,
      );
    }
    return { kind: "file", path, mode: target.mode, content: target.content };
  }

  #skip(path: string, why: string): LayerChange {
    this.#warn(`${path} ${why}`);
    return { kind: "hidden", path };
  }
}

function isSparse(header: Header): boolean {
  const pax = header.pax;
  return pax !== null && typeof pax === "object" && Object.keys(pax).some((k) => k.startsWith("GNU.sparse."));
}

/** zlib's errors carry Z_* codes, zstd's ZSTD_*. */
function isCompressionError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" && /^(Z|ZSTD)_/.test(code);
}

/** One line naming the layer: a bad compressed stream or a bad tar (tar-stream's errors have no code). */
function layerError(label: string, err: unknown, compression: string): unknown {
  if (isWharfError(err) || !(err instanceof Error)) return err;
  const code = (err as NodeJS.ErrnoException).code;
  let why = err.message;
  if (isCompressionError(err)) why = `truncated or corrupt ${compression} stream (${err.message})`;
  else if (code === undefined && /unexpected end/i.test(err.message)) why = "truncated tar";
  else if (code === undefined && /tar header/i.test(err.message)) why = `not a tar (${err.message})`;
  return new WharfError("LAYER_INVALID", `layer ${label}: ${why}`, { layer: label }, { cause: err });
}
