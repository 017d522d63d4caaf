/** What a blob is compressed with, by its magic bytes (as moby's archive.DetectCompression). */
import type { LayerCompression } from "../oci/mediatype.ts";

/** gzip (1f 8b), zstd (28 b5 2f fd), else none; `head` is the first 4 bytes or more. */
export function detectCompression(head: Uint8Array): LayerCompression {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "zstd";
  return "none";
}
