/**
 * The OCI image layout (image-spec image-layout.md): the `oci-layout` marker file, `index.json` (an
 * OCI image index, read with parseDocument) and the content-addressed `blobs/` directory. Names only;
 * no file is touched here.
 */
import { z } from "zod";
import { digestAlgorithm, digestEncoded, parseDigest } from "./digest.ts";
import { checkSchema, decodeJsonObject } from "./validation.ts";

export const OCI_LAYOUT_FILE = "oci-layout";
export const OCI_LAYOUT_INDEX_FILE = "index.json";
export const OCI_LAYOUT_BLOBS_DIR = "blobs";
export const OCI_LAYOUT_VERSION = "1.0.0";

export interface OciLayout {
  imageLayoutVersion: typeof OCI_LAYOUT_VERSION;
}

export const OciLayoutSchema: z.ZodType<OciLayout> = z.object({
  imageLayoutVersion: z.literal(OCI_LAYOUT_VERSION),
});

/** The content of the `oci-layout` file wharf writes. */
export function ociLayout(): OciLayout {
  return { imageLayoutVersion: OCI_LAYOUT_VERSION };
}

/** Reads an `oci-layout` file; an unknown layout version is MANIFEST_INVALID. */
export function parseOciLayout(bytes: Uint8Array): OciLayout {
  return checkSchema(OciLayoutSchema, decodeJsonObject(bytes, "oci-layout"), "oci-layout");
}

/** `blobs/<algorithm>/<encoded>`, relative to the layout root; throws for an invalid digest. */
export function layoutBlobPath(digest: string): string {
  const d = parseDigest(digest);
  return `${OCI_LAYOUT_BLOBS_DIR}/${digestAlgorithm(d)}/${digestEncoded(d)}`;
}
