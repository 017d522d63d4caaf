/**
 * Adopting a blob a process wrote itself (a layer wharf build just made): the file is already hashed
 * by its writer, on the store's file system, so it is fsynced and renamed into blobs/ instead of being
 * copied through an ingest. The lease is taken first, so GC cannot sweep the blob between its rename
 * and the caller's record.
 */
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { WharfError } from "../errors.ts";
import type { Digest } from "../oci/digest.ts";
import { fsyncDir } from "../util/fs-atomic.ts";
import type { Lease } from "./lease.ts";
import type { StorePaths } from "./paths.ts";

export interface AdoptedBlob {
  digest: Digest;
  size: number;
  /** The store had it already; the file was removed. */
  existed: boolean;
}

export async function adoptBlob(
  paths: StorePaths,
  file: string,
  digest: Digest,
  lease: Lease,
): Promise<AdoptedBlob> {
  await lease.add(digest);
  const target = paths.blob(digest);
  const size = (await stat(file)).size;
  const present = await stat(target).catch(() => undefined);
  if (present) {
    if (present.size !== size) {
      throw new WharfError(
        "SIZE_MISMATCH",
        `blob ${digest} is ${present.size} bytes, not the ${size} written`,
        {
          digest,
        },
      );
    }
    await rm(file, { force: true });
    return { digest, size, existed: true };
  }
  const handle = await open(file, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await mkdir(dirname(target), { recursive: true });
  await rename(file, target);
  await fsyncDir(dirname(target));
  return { digest, size, existed: false };
}
