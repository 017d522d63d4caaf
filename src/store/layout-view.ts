/**
 * The store's index.json is a view of the image records, so that every tagged image is visible to
 * OCI-layout tools (skopeo `oci:ROOT:NAME`, umoci) under its full name. The database is the source of
 * truth; this file is rewritten atomically inside each write transaction, and re-rendered on recovery
 * (a crash between its rename and the database commit leaves it one step ahead, see Store.recover).
 */
import { readFileSync } from "node:fs";
import { OciMediaType } from "../oci/mediatype.ts";
import { writeFileAtomicSync } from "../util/fs-atomic.ts";
import type { IndexEntry } from "./records.ts";

export const OCI_LAYOUT_CONTENT = `${JSON.stringify({ imageLayoutVersion: "1.0.0" })}\n`;
export const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";
/** containerd writes the full name here too; tools that know it read it. */
const CONTAINERD_NAME_ANNOTATION = "io.containerd.image.name";

export function renderIndexJson(images: IndexEntry[]): string {
  const manifests: object[] = [];
  for (const image of images) {
    const base = {
      mediaType: image.mediaType,
      digest: image.digest,
      size: image.size,
      platform: image.platform,
    };
    if (image.tags.length === 0) {
      // Untagged (dangling) images stay listed: index.json is what OCI tools take as the roots.
      manifests.push(base);
      continue;
    }
    for (const name of image.tags) {
      manifests.push({
        ...base,
        annotations: { [CONTAINERD_NAME_ANNOTATION]: name, [REF_NAME_ANNOTATION]: name },
      });
    }
  }
  return `${JSON.stringify({ schemaVersion: 2, mediaType: OciMediaType.ImageIndex, manifests })}\n`;
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw err;
  }
}

/** Rewrites index.json when it differs from the records; returns whether it did. */
export function syncIndexJson(path: string, images: IndexEntry[]): boolean {
  const wanted = renderIndexJson(images);
  if (readOrEmpty(path) === wanted) return false;
  writeFileAtomicSync(path, wanted);
  return true;
}
