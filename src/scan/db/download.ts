/**
 * `wharf scan db update`'s sources: where the records come from when there is a network. A URL is
 * fetched (Node's fetch) into a private temporary file, whole, before anything is imported, so a
 * cut download imports nothing; a directory is imported as it is. With no --from, osv.dev's
 * per-ecosystem `all.zip` for each ecosystem the database already holds (or a default set).
 */
import { createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream } from "node:stream/web";
import { WharfError } from "../../errors.ts";

/** osv.dev's public bucket: one all.zip per ecosystem (https://google.github.io/osv.dev/data/). */
export const OSV_BUCKET = "https://osv-vulnerabilities.storage.googleapis.com";
export const DEFAULT_ECOSYSTEMS = [
  "Alpine",
  "Debian",
  "Ubuntu",
  "Red Hat",
  "npm",
  "PyPI",
  "Go",
  "Maven",
  "crates.io",
];

export function ecosystemUrl(ecosystem: string): string {
  return `${OSV_BUCKET}/${encodeURIComponent(ecosystem)}/all.zip`;
}

export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

export interface Downloaded {
  path: string;
  remove(): Promise<void>;
}

/** Fetches `url` whole into a temporary file (named like the URL's last part, for the importer). */
export async function download(url: string, signal?: AbortSignal): Promise<Downloaded> {
  let response: Response;
  try {
    response = await fetch(url, signal ? { signal } : {});
  } catch (err) {
    throw failed(url, (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message);
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    throw failed(url, `${response.status} ${response.statusText}`.trim());
  }
  const dir = await mkdtemp(join(tmpdir(), "wharf-osv-"));
  const remove = () => rm(dir, { recursive: true, force: true });
  const name = decodeURIComponent(new URL(url).pathname.split("/").at(-1) || "records.zip");
  const path = join(dir, /\.(zip|json)$/i.test(name) ? name : `${name}.zip`);
  try {
    await pipeline(Readable.fromWeb(response.body as ReadableStream), createWriteStream(path));
    const expected = Number(response.headers.get("content-length") ?? Number.NaN);
    const { size } = await stat(path);
    if (Number.isFinite(expected) && size !== expected) throw new Error(`${size} of ${expected} bytes`);
  } catch (err) {
    await remove();
    throw failed(url, `download cut short: ${(err as Error).message}`);
  }
  return { path, remove };
}

function failed(url: string, why: string): WharfError {
  return new WharfError("SCAN_IMPORT_INVALID", `${url}: ${why}`, { url });
}
