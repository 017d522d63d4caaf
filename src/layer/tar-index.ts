/**
 * A tar file's table of contents: where each regular file's data starts and how long it is, so that
 * an archive's blobs are read in place (by offset) instead of being extracted to a temporary copy.
 * One sequential pass through tar-stream's parser; entries the caller asks for are hashed on the way
 * (docker save's `<id>/layer.tar` files carry no digest in their names).
 */
import { createReadStream } from "node:fs";
import { posix } from "node:path";
import { extract, type Header } from "tar-stream";
import { WharfError } from "../errors.ts";
import { type Digest, Digester } from "../oci/digest.ts";

export interface TarEntry {
  /** Offset of the entry's data in the file. */
  offset: number;
  size: number;
  /** sha256 of the data, for entries the index was asked to hash. */
  digest?: Digest;
}

export interface TarIndex {
  /** The tar file the offsets refer to. */
  readonly path: string;
  /** Regular files by normalised name (no leading `./` or `/`); symbolic links already followed. */
  readonly entries: ReadonlyMap<string, TarEntry>;
}

/** `./a/b`, `/a/b` and `a//b` are all `a/b`. */
export function normalizeEntryName(name: string): string {
  return posix.normalize(name.replace(/^(\.\/|\/)+/, "")).replace(/\/$/, "");
}

function invalid(path: string, why: string): WharfError {
  return new WharfError("ARCHIVE_INVALID", `invalid archive ${path}: ${why}`, { path });
}

/**
 * Reads the table of contents of `path`. A truncated or non-tar file is ARCHIVE_INVALID. Symbolic
 * links between entries (Docker 25 writes `<id>/layer.tar -> ../blobs/sha256/<hex>`) resolve to
 * their targets; links leaving the archive are dropped.
 */
export async function indexTar(
  path: string,
  options: { hash?: (name: string) => boolean; where?: string } = {},
): Promise<TarIndex> {
  const hash = options.hash ?? (() => false);
  const entries = new Map<string, TarEntry>();
  const links = new Map<string, string>();
  const parser = extract();
  parser.on("entry", (header: Header, stream, next) => {
    const name = normalizeEntryName(header.name);
    if (header.type === "symlink" || header.type === "link") {
      const target =
        header.type === "symlink"
          ? posix.join(posix.dirname(name), header.linkname)
          : normalizeEntryName(header.linkname);
      links.set(name, target);
    }
    // A cut-off entry fails the parser too, which reports it: the entry's own error is the same one.
    stream.on("error", () => undefined);
    const digester = header.type === "file" && hash(name) ? new Digester() : undefined;
    if (digester) stream.on("data", (chunk) => digester.update(chunk as Uint8Array));
    else stream.resume();
    stream.on("end", () => {
      if (header.type === "file" || header.type === "contiguous-file") {
        // tar-stream records where the entry's data starts (not in its typings).
        const offset = (header as Header & { byteOffset: number }).byteOffset;
        entries.set(name, {
          offset,
          size: header.size,
          ...(digester ? { digest: digester.digest() } : {}),
        });
      }
      next();
    });
  });
  const input = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    await new Promise<void>((resolve, reject) => {
      input.on("error", reject);
      parser.on("error", reject);
      parser.on("finish", () => resolve());
      input.pipe(parser);
    });
  } catch (err) {
    input.destroy();
    if ((err as NodeJS.ErrnoException).code) throw err;
    const message = (err as Error).message;
    throw invalid(
      options.where ?? path,
      /unexpected end/i.test(message) ? "truncated tar" : `not a tar file (${message})`,
    );
  }
  for (const [name, target] of links) {
    const entry = entries.get(target);
    if (entry && !entries.has(name)) entries.set(name, entry);
  }
  return { path, entries };
}
