/**
 * Where a layout or archive destination writes files: a directory (`oci:DIR`, files appear at once,
 * abort takes back what this copy added) or a tar (`oci-archive:`, `docker-archive:`, `wharf save`:
 * appended in order, renamed into place at commit). Blobs are verified (digest and size) on the way.
 */
import type { Descriptor } from "../oci/descriptor.ts";
import { Verifier } from "../oci/digest.ts";
import type { IngestSource } from "../store/ingest.ts";

export interface ArchiveOutput {
  /** Whether a file is already there (written by this copy, or present before it in a directory). */
  has(path: string, size: number): Promise<boolean>;
  /** Writes a blob's content, verified against `desc`, at `path`. */
  putBlob(
    path: string,
    desc: Descriptor,
    content: IngestSource,
    onProgress: (bytes: number) => void,
  ): Promise<void>;
  /** Writes a small file whole (index.json, manifest.json); a directory replaces it atomically. */
  putFile(path: string, bytes: Uint8Array): Promise<void>;
  /** Makes the output visible (renames a tar into place; flushes a stream). */
  commit(): Promise<void>;
  /** Removes what this output wrote, and nothing else. */
  abort(): Promise<void>;
}

/** Progress is reported at most every 512 KiB, as the store's ingest does. */
const PROGRESS_STEP = 512 << 10;

/**
 * Feeds `content` (from byte 0) through a verifier to `write`, reporting progress; resolves once the
 * content is exactly what `desc` says (else DIGEST_MISMATCH or SIZE_MISMATCH).
 */
export async function copyVerified(
  desc: Descriptor,
  content: IngestSource,
  write: (chunk: Uint8Array) => Promise<void> | void,
  onProgress: (bytes: number) => void,
): Promise<void> {
  const verifier = new Verifier(desc.digest, desc.size);
  const { stream } = await content.open(0);
  let reported = 0;
  for await (const chunk of stream) {
    verifier.update(chunk);
    await write(chunk);
    if (verifier.size - reported >= PROGRESS_STEP) {
      reported = verifier.size;
      onProgress(reported);
    }
  }
  verifier.verify();
  onProgress(verifier.size);
}
