/**
 * What `wharf scan` and `wharf sbom` both do before they write anything: the image opened as
 * `wharf copy` opens a source (a local name, docker://, oci:, oci-archive:, docker-archive:), its
 * platform manifest read, and its inventory taken, each layer's findings from the layer cache in
 * the wharf root (scan/layers) or read once and cached there. The source and the endpoints are
 * closed before this returns (the image's openLayer with them): what is written from the image
 * and its inventory needs no blob after that.
 */
import type { Command } from "commander";
import type { Platform } from "../oci/platform.ts";
import type { ImageInventory, LayerFindings } from "../scan/catalog/image-catalog.ts";
import { readScannedImage, type ScannedImage } from "../scan/image-layers.ts";
import { LayerCache } from "../scan/layer-cache.ts";
import { imageInventory } from "../scan/scan-image.ts";
import { openSource } from "../transport/endpoints.ts";
import type { TransportReference } from "../transport/transport-reference.ts";
import { storeRoot } from "./context.ts";
import { cliEndpoints } from "./endpoint-context.ts";

export interface OpenedImage {
  image: ScannedImage;
  inventory: ImageInventory;
}

export interface ImageOpenOptions {
  /** The platform of a multi-platform image (default: this host's). */
  platform?: Platform;
  /** The command, for the one-line usage errors ("wharf scan"). */
  commandName: string;
}

/** `where` is the image reference as parseTransportReference reads it (the caller checks it first). */
export async function openImageInventory(
  command: Command,
  where: TransportReference,
  options: ImageOpenOptions,
): Promise<OpenedImage> {
  const endpoints = cliEndpoints(command, { commandName: options.commandName });
  try {
    const source = await openSource(where, endpoints.ctx);
    try {
      const image = await readScannedImage(source, options.platform);
      const cache = new LayerCache<LayerFindings>(storeRoot(command));
      return { image, inventory: await imageInventory(image, { cache }) };
    } finally {
      await source.close();
    }
  } finally {
    await endpoints.close();
  }
}
