/**
 * ADD's test for a local tar archive, as BuildKit's isArchivePath does it: the file's compression
 * by its magic bytes (moby's compression.Detect: gzip, bzip2, xz, zstd, else none), then the
 * first header of the decompressed stream must be a tar header (Go's archive/tar: a block whose
 * checksum adds up; an all-zero block is the end of an empty archive, so no archive).
 * Decompression: gzip and zstd by node:zlib, bzip2 and xz by their commands (Node has neither).
 */
import { spawn } from "node:child_process";
import { open } from "node:fs/promises";
import type { Readable } from "node:stream";
import { decompressor } from "../../layer/compression.ts";

export type ArchiveCompression = "none" | "gzip" | "bzip2" | "xz" | "zstd";

const BLOCK = 512;

/** The compression of a stream that starts with `head` (at least 6 bytes when there are that many). */
export function detectCompression(head: Uint8Array): ArchiveCompression {
  const h = (i: number): number => head[i] ?? -1;
  if (h(0) === 0x42 && h(1) === 0x5a && h(2) === 0x68) return "bzip2";
  if (h(0) === 0x1f && h(1) === 0x8b && h(2) === 0x08) return "gzip";
  if (h(0) === 0xfd && h(1) === 0x37 && h(2) === 0x7a && h(3) === 0x58 && h(4) === 0x5a && h(5) === 0x00) {
    return "xz";
  }
  if (h(0) === 0x28 && h(1) === 0xb5 && h(2) === 0x2f && h(3) === 0xfd) return "zstd";
  // A zstd skippable frame (magic 0x184D2A50..5F, little endian).
  if ((h(0) & 0xf0) === 0x50 && h(1) === 0x2a && h(2) === 0x4d && h(3) === 0x18) return "zstd";
  return "none";
}

/** The decompressed content of `path`; `close()` stops reading (and any helper process). */
export async function openDecompressed(
  path: string,
  compression: ArchiveCompression,
): Promise<{ stream: Readable; close: () => void }> {
  const handle = await open(path, "r");
  if (compression === "bzip2" || compression === "xz") {
    const child = spawn(compression, ["-dc"], { stdio: [handle.fd, "pipe", "pipe"] });
    const stdout = child.stdout!;
    // The child has its own copy of the descriptor.
    child.on("spawn", () => void handle.close());
    child.on("error", (err) => {
      void handle.close();
      stdout.destroy(err);
    });
    const stderr: Buffer[] = [];
    child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("close", (code, signal) => {
      if (code !== 0 && signal === null) {
        const why = Buffer.concat(stderr).toString().trim() || `exit status ${code}`;
        stdout.destroy(new Error(`${compression}: ${why}`));
      }
    });
    return {
      stream: stdout,
      close: () => {
        stdout.destroy();
        if (child.exitCode === null) child.kill();
      },
    };
  }
  const raw = handle.createReadStream({ highWaterMark: 1 << 20 });
  if (compression === "none") return { stream: raw, close: () => raw.destroy() };
  const inflate = decompressor(compression)!;
  raw.on("error", (err) => inflate.destroy(err));
  raw.pipe(inflate);
  return {
    stream: inflate,
    close: () => {
      raw.destroy();
      inflate.destroy();
    },
  };
}

/** The file's compression if it is a tar archive (of that compression), else undefined. */
export async function detectArchive(path: string): Promise<ArchiveCompression | undefined> {
  const head = Buffer.alloc(6);
  const handle = await open(path, "r");
  let length: number;
  try {
    ({ bytesRead: length } = await handle.read(head, 0, head.length, 0));
  } finally {
    await handle.close();
  }
  const compression = detectCompression(head.subarray(0, length));
  let block: Buffer | undefined;
  try {
    block = await readFirstBlock(path, compression);
  } catch {
    return undefined; // not decompressible: not an archive (BuildKit copies it as a file)
  }
  return block !== undefined && isTarHeader(block) ? compression : undefined;
}

async function readFirstBlock(path: string, compression: ArchiveCompression): Promise<Buffer | undefined> {
  const { stream, close } = await openDecompressed(path, compression);
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= BLOCK) break;
    }
    return size >= BLOCK ? Buffer.concat(chunks).subarray(0, BLOCK) : undefined;
  } finally {
    close();
  }
}

/** Go's tar header check: the stored checksum equals the unsigned or the signed sum of the block. */
export function isTarHeader(block: Uint8Array): boolean {
  if (block.length < BLOCK || block.every((b) => b === 0)) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  const field = Buffer.from(block.subarray(148, 156))
    .toString("latin1")
    .replace(/^[ \0]+|[ \0]+$/g, "");
  if (field !== "" && !/^[0-7]+$/.test(field)) return false;
  const stored = field === "" ? 0 : Number.parseInt(field, 8);
  return stored === unsigned || stored === signed;
}
