/**
 * One image scanned: its layers catalogued (two at a time, each read once and streamed, or taken
 * from the layer cache), merged into the image's inventory (whiteouts applied, each package with
 * the layer that brought it), and matched against the vulnerability database. The CLI's `wharf
 * scan` and the library's scan call this.
 */
import pLimit from "p-limit";
import {
  catalogLayer,
  type ImageInventory,
  LAYER_FINDINGS_VERSION,
  type LayerFindings,
  mergeLayers,
} from "./catalog/image-catalog.ts";
import { defaultCatalogers } from "./catalog/index.ts";
import type { Cataloger } from "./catalog/types.ts";
import type { ScannedImage } from "./image-layers.ts";
import type { LayerCache } from "./layer-cache.ts";
import { type Finding, matchPackages, type RecordLookup } from "./match.ts";

export interface InventoryOptions {
  catalogers?: Cataloger[];
  cache?: LayerCache<LayerFindings>;
  /** Called as each layer is done: from the cache, or read. */
  onLayer?: (index: number, cached: boolean) => void;
}

/** Layers read at once: one per core here keeps the inflate busy without a third stream's memory. */
const LAYER_CONCURRENCY = 2;

export async function imageInventory(
  image: ScannedImage,
  options: InventoryOptions = {},
): Promise<ImageInventory> {
  const catalogers = options.catalogers ?? defaultCatalogers();
  const limit = pLimit(LAYER_CONCURRENCY);
  const findings = await Promise.all(
    image.layers.map((layer) =>
      limit(async () => {
        const cached = options.cache?.get(layer.digest);
        if (cached && isCurrent(cached, catalogers)) {
          options.onLayer?.(layer.index, true);
          return cached;
        }
        const found = await catalogLayer(
          { digest: layer.digest, mediaType: layer.mediaType, open: () => image.openLayer(layer) },
          catalogers,
        );
        options.cache?.put(layer.digest, found);
        options.onLayer?.(layer.index, false);
        return found;
      }),
    ),
  );
  return mergeLayers(
    findings,
    image.layers.map((l) => ({
      index: l.index,
      digest: l.digest,
      ...(l.diffId ? { diffId: l.diffId } : {}),
      ...(l.createdBy ? { createdBy: l.createdBy } : {}),
    })),
  );
}

/** The inventory's findings; records that could not be evaluated add a line to `warnings`. */
export function findVulnerabilities(
  inventory: ImageInventory,
  db: RecordLookup,
  warnings: string[] = [],
): Finding[] {
  return matchPackages(inventory.packages, db, warnings);
}

/** A cached entry counts when the same version of the same catalogers made it. */
function isCurrent(findings: LayerFindings, catalogers: readonly Cataloger[]): boolean {
  const names = catalogers.map((c) => c.name);
  return (
    findings.version === LAYER_FINDINGS_VERSION &&
    findings.catalogers.length === names.length &&
    findings.catalogers.every((n, i) => n === names[i])
  );
}
