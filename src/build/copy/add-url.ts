/**
 * ADD <url>: the download as BuildKit's HTTP source makes it: the file is written with mode 0600,
 * its mtime is the response's Last-Modified (or the epoch when there is none or it does not
 * parse), and a pinned `--checksum` is compared with the sha256 of the bytes received. The
 * engine then copies the file like any other source (remote archives are not unpacked).
 */
import { createHash } from "node:crypto";
import { open, rm, utimes } from "node:fs/promises";
import { noSpaceError, WharfError } from "../../errors.ts";
import { writevAll } from "../../util/write-all.ts";

export interface FetchedUrl {
  /** sha256 of the content, "sha256:<hex>". */
  digest: string;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
}

/** BuildKit's name for the downloaded file: the URL path's base name, else "__unnamed__". */
export function addUrlFileName(url: string): string {
  try {
    const path = new URL(url).pathname;
    const base = decodeURIComponent(
      path
        .split("/")
        .filter((p) => p !== "")
        .pop() ?? "",
    );
    return base === "" || base === "." ? "__unnamed__" : base;
  } catch {
    return "__unnamed__";
  }
}

/** Downloads `url` to `destFile` (replaced if present). */
export async function fetchAddUrl(
  url: string,
  destFile: string,
  checksum?: string,
  options: { signal?: AbortSignal } = {},
): Promise<FetchedUrl> {
  if (checksum !== undefined && !/^sha256:[0-9a-f]{64}$/.test(checksum)) {
    throw new WharfError("BUILD_COPY_INVALID", `invalid checksum digest format: ${checksum}`, { checksum });
  }
  let response: Response;
  try {
    response = await fetch(url, {
      redirect: "follow",
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (err) {
    throw new WharfError(
      "BUILD_FETCH_FAILED",
      `failed to fetch ${url}: ${(err as Error).message}`,
      { url },
      {
        cause: err,
      },
    );
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new WharfError("BUILD_FETCH_FAILED", `invalid response status ${response.status}`, {
      url,
      status: response.status,
    });
  }
  await rm(destFile, { force: true });
  const handle = await open(destFile, "wx", 0o600);
  const hash = createHash("sha256");
  let size = 0;
  try {
    if (response.body !== null) {
      for await (const chunk of response.body) {
        hash.update(chunk);
        await writevAll(handle, [chunk], size);
        size += chunk.length;
      }
    }
  } catch (err) {
    await handle.close();
    await rm(destFile, { force: true });
    const full = noSpaceError(err, destFile);
    if (full !== undefined) throw full;
    throw new WharfError(
      "BUILD_FETCH_FAILED",
      `failed to fetch ${url}: ${(err as Error).message}`,
      { url },
      {
        cause: err,
      },
    );
  }
  await handle.close();
  const digest = `sha256:${hash.digest("hex")}`;
  if (checksum !== undefined && digest !== checksum) {
    await rm(destFile, { force: true });
    throw new WharfError("DIGEST_MISMATCH", `digest mismatch for ${url}: ${digest} (expected: ${checksum})`, {
      url,
      digest,
      expected: checksum,
    });
  }
  const lastModified = response.headers.get("last-modified");
  const parsed = lastModified === null ? Number.NaN : Date.parse(lastModified);
  const mtime = Number.isNaN(parsed) ? 0 : Math.floor(parsed / 1000);
  await utimes(destFile, mtime, mtime);
  return { digest, size, mtime };
}
