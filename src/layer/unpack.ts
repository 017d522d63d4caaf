/**
 * Unpacks one layer's tar into its own directory, in overlayfs's lower-directory format (docker's
 * overlay2 ApplyLayer into an empty diff directory): whiteouts become character devices 0,0, an
 * opaque directory becomes explicit whiteouts of what the layers below show in it.
 *
 * The tar is untrusted. Nothing is created, changed or read outside `destDir`: names that climb out
 * (`../x`), a symlink anywhere in an entry's path (from this layer or already in `destDir`) and hard
 * links to anything but a regular file inside are refused as LAYER_UNSAFE, never resolved or clamped.
 */
import { resolve } from "node:path";
import type { Readable } from "node:stream";
import { extract, type Header } from "tar-stream";
import { isWharfError, noSpaceError, WharfError } from "../errors.ts";
import { discard, feed } from "./tar-feed.ts";
import { cleanEntryName, entryMetadata, invalidEntry, whiteoutKind } from "./unpack-header.ts";
import { LowerStack } from "./unpack-lower.ts";
import { LayerTree } from "./unpack-tree.ts";

export interface UnpackOptions {
  /** The unpacked directories of the layers below, top first (already in overlay lower format). */
  lowerDirs: readonly string[];
  /** Called with bytes of tar consumed, for progress. */
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
}

export interface UnpackResult {
  entries: number;
  bytes: number;
}

/** Unpacks one layer's (already decompressed) tar into `destDir` (an existing empty directory). */
export async function unpackLayer(
  tar: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  destDir: string,
  options: UnpackOptions,
): Promise<UnpackResult> {
  const { signal, onProgress } = options;
  signal?.throwIfAborted();
  const tree = new LayerTree(resolve(destDir), new LowerStack(options.lowerDirs.map((d) => resolve(d))));
  const parser = extract();
  let bytes = 0;
  let entries = 0;
  const onAbort = (): void => {
    parser.destroy(signal?.reason);
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  // A parser failure (a cut-off tar, an input error) reaches the entry being read as a bare
  // "Stream was destroyed": the parser's own error is the one to report.
  let parserError: unknown;
  parser.on("error", (err) => {
    parserError ??= err;
  });
  const parserClosed = new Promise<void>((resolve) => parser.once("close", () => resolve()));
  void feed(tar as AsyncIterable<Uint8Array | string>, parser, (n) => {
    bytes += n;
    onProgress?.(bytes);
  });
  try {
    for await (const entry of parser) {
      signal?.throwIfAborted();
      entries += 1;
      // tar-stream's entry streams are streamx Readables: async iterables of Buffers.
      await applyEntry(tree, entry.header, entry as AsyncIterable<unknown> as AsyncIterable<Uint8Array>);
    }
    signal?.throwIfAborted();
    await tree.finish();
    return { entries, bytes };
  } catch (err) {
    parser.destroy();
    // The feeder stops at its next chunk; a stream is stopped now (an input that stalls must not
    // keep the failure from being reported).
    if (typeof (tar as { destroy?: unknown }).destroy === "function") (tar as Readable).destroy();
    await parserClosed;
    await tree.settle();
    throw unpackError(parserError ?? err, signal);
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

async function applyEntry(
  tree: LayerTree,
  header: Header,
  content: AsyncIterable<Uint8Array>,
): Promise<void> {
  const name = header.name;
  const rel = cleanEntryName(name);
  const type = header.type as string | null;
  if (rel === "") {
    // The root: a directory entry (`./`) gives it its metadata; anything else cannot replace it.
    if (type === "directory") await tree.directory("", entryMetadata(header), name);
    return await discard(content);
  }
  const whiteout = whiteoutKind(rel);
  if (whiteout.kind !== "none") {
    if (whiteout.kind === "whiteout") await tree.whiteout(whiteout.dir, whiteout.target, rel);
    else if (whiteout.kind === "opaque") await tree.opaque(whiteout.dir, rel);
    return await discard(content);
  }
  switch (type) {
    case "file":
    case "contiguous-file":
      // tar-stream would hand over a PAX sparse file's map as its content: refuse, never corrupt.
      if (isSparse(header))
        throw invalidEntry(rel, "is a sparse file (GNU.sparse PAX records), not supported");
      return await tree.file(rel, header.size, entryMetadata(header), content, rel);
    case "directory":
      await tree.directory(rel, entryMetadata(header), rel);
      break;
    case "symlink":
      await tree.symlink(rel, header.linkname ?? "", entryMetadata(header), rel);
      break;
    case "link":
      await tree.hardlink(rel, header.linkname ?? "", rel);
      break;
    case "character-device":
    case "block-device":
    case "fifo": {
      const metadata = entryMetadata(header);
      const kind = type === "fifo" ? "fifo" : type === "character-device" ? "char" : "block";
      await tree.device(
        rel,
        { kind, major: header.devmajor, minor: header.devminor, mode: metadata.mode, metadata },
        rel,
      );
      break;
    }
    default:
      throw invalidEntry(rel, `has an unsupported type (${type ?? "unknown"})`);
  }
  await discard(content);
}

function isSparse(header: Header): boolean {
  const pax = header.pax;
  return pax !== null && typeof pax === "object" && Object.keys(pax).some((k) => k.startsWith("GNU.sparse."));
}

function unpackError(err: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return signal.reason;
  if (isWharfError(err)) return err;
  const full = noSpaceError(err);
  if (full) return full;
  // tar-stream's own errors carry no code (a cut-off tar, a bad header checksum).
  if (
    err instanceof Error &&
    (err as NodeJS.ErrnoException).code === undefined &&
    !(err instanceof TypeError)
  ) {
    const why = /unexpected end/i.test(err.message) ? "truncated tar" : err.message;
    return new WharfError("LAYER_INVALID", `invalid layer tar: ${why}`, {}, { cause: err });
  }
  return err;
}
